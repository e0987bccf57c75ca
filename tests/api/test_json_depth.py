"""JSON nested too deep is a 400 naming the problem, in request bodies and in evidence files."""

from __future__ import annotations

import bz2
import io
import json
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient

from api.parsers import BoundedJSONParser
from claims.models import Claim
from config.json_input import MAX_JSON_DEPTH, JSONTooDeepError
from notifications.models import Subscription
from tests import factories as f
from verification.models import Evidence

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
DEEP = b"[" * 1000 + b"]" * 1000  # 2 KB
# A body of nothing but brackets, far deeper than the interpreter's recursion limit.
VERY_DEEP = b"[" * 1_000_000


def nested(levels: int) -> dict:
    """An object nesting ``levels`` arrays and objects, ``levels`` included."""
    value: object = "bottom"
    for level in range(levels - 1):
        value = [value] if level % 2 else {"inner": value}
    return {"outer": value}


def post_raw(client: APIClient, url: str, body: bytes):
    return client.generic("POST", url, body, content_type="application/json")


def assert_too_deep(response) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    detail = response.json()["detail"]
    assert "nest" in detail and f"at most {MAX_JSON_DEPTH}" in detail, detail


@pytest.mark.parametrize("body", [DEEP, VERY_DEEP], ids=["1000-levels", "1MB-of-brackets"])
def test_deep_body_on_subscriptions_is_a_400_for_a_viewer(
    api: Callable[[User | None], APIClient], body: bytes
) -> None:
    response = post_raw(api(f.viewer()), "/api/v1/subscriptions/", body)

    assert_too_deep(response)
    assert not Subscription.objects.exists()


def test_deep_body_on_claim_create_is_a_400(api: Callable[[User | None], APIClient]) -> None:
    response = post_raw(api(f.editor()), "/api/v1/claims/", DEEP)

    assert_too_deep(response)
    assert not Claim.objects.exists()


def test_deep_body_on_evidence_create_is_a_400(api: Callable[[User | None], APIClient]) -> None:
    claim = f.claim()

    response = post_raw(api(f.reviewer()), f"/api/v1/claims/{claim.pk}/evidence/", DEEP)

    assert_too_deep(response)
    assert not Evidence.objects.exists()


def test_deep_nesting_inside_a_field_is_refused(api: Callable[[User | None], APIClient]) -> None:
    body = b'{"text": "A claim.", "tags": ' + DEEP + b"}"

    response = post_raw(api(f.editor()), "/api/v1/claims/", body)

    assert_too_deep(response)


def test_brackets_inside_strings_do_not_count(api: Callable[[User | None], APIClient]) -> None:
    text = 'Quoted: "' + "[{" * 500 + '" and more'
    body = {"text": text, "tags": ["brackets"]}

    response = api(f.editor()).post("/api/v1/claims/", body, format="json")

    assert response.status_code == 201, response.content
    assert Claim.objects.get().text == text


def test_ten_levels_reach_the_serializer(api: Callable[[User | None], APIClient]) -> None:
    # The parser accepts ten levels; the serializer then refuses an object as the tags.
    body = {"text": "A claim.", "tags": nested(10)}

    response = api(f.editor()).post("/api/v1/claims/", body, format="json")

    assert response.status_code == 400
    assert "tags" in response.json()["errors"]
    assert "nest" not in response.json()["detail"]


def test_malformed_json_is_still_a_parse_error(api: Callable[[User | None], APIClient]) -> None:
    response = post_raw(api(f.editor()), "/api/v1/claims/", b'{"text": [[[')

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize("levels", [1, 10, MAX_JSON_DEPTH])
def test_the_parser_accepts_up_to_the_limit(levels: int) -> None:
    body = json.dumps(nested(levels)).encode()

    assert BoundedJSONParser().parse(io.BytesIO(body)) == nested(levels)


def test_the_parser_refuses_one_level_more() -> None:
    body = json.dumps(nested(MAX_JSON_DEPTH + 1)).encode()

    with pytest.raises(ParseError, match=f"at most {MAX_JSON_DEPTH}"):
        BoundedJSONParser().parse(io.BytesIO(body))


TOO_MANY = MAX_JSON_DEPTH + 10


@pytest.mark.parametrize(
    "text",
    [
        '"' + "[" * TOO_MANY + '"',
        r'["\"' + "[" * TOO_MANY + '"]',  # an escaped quote does not end the string
        r'["\\\"' + "{" * TOO_MANY + '"]',  # nor one after an escaped backslash
        '{"[": "{", "]": [1, 2, {"}": null}]}',
    ],
)
def test_brackets_in_strings_are_not_nesting(text: str) -> None:
    assert BoundedJSONParser().parse(io.BytesIO(text.encode())) == json.loads(text)


def test_an_escaped_backslash_ends_before_the_quote() -> None:
    text = r'["\\", ' + "[" * TOO_MANY + "]" * TOO_MANY + "]"

    with pytest.raises(ParseError, match=f"at most {MAX_JSON_DEPTH}"):
        BoundedJSONParser().parse(io.BytesIO(text.encode()))


def test_an_unterminated_string_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="JSON parse error"):
        BoundedJSONParser().parse(io.BytesIO(b'["' + b'\\"' * 1000 + b"\\"))


def test_a_body_in_a_declared_text_charset_is_read_in_it() -> None:
    body = '{"text": "Kiyv\u2019s answer"}'.encode("utf-16")
    context = {"encoding": "utf-16"}

    assert BoundedJSONParser().parse(io.BytesIO(body), parser_context=context) == {
        "text": "Kiyv\u2019s answer"
    }


def test_a_charset_that_is_not_a_text_encoding_is_a_400(
    api: Callable[[User | None], APIClient],
) -> None:
    body = bz2.compress(b'{"text": "' + b"a" * 100_000 + b'"}')

    response = api(f.editor()).generic(
        "POST", "/api/v1/claims/", body, content_type="application/json; charset=bz2_codec"
    )

    assert response.status_code == 400
    assert "not a text encoding" in response.json()["detail"]


def json_upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("data.json", content, content_type="application/json")


def test_deep_json_evidence_upload_is_a_400(api: Callable[[User | None], APIClient]) -> None:
    claim = f.claim()

    response = api(f.reviewer()).post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"kind": "dataset", "stance": "refutes", "file": json_upload(DEEP)},
        format="multipart",
    )

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == JSONTooDeepError().message
    assert not Evidence.objects.exists()


def test_ten_levels_deep_json_evidence_is_accepted(
    api: Callable[[User | None], APIClient],
) -> None:
    claim = f.claim()
    content = SimpleUploadedFile(
        "data.json", b'{"a": [[[[{"b": [[[["deep"]]]]}]]]]}', content_type="application/json"
    )

    response = api(f.reviewer()).post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"kind": "dataset", "stance": "refutes", "file": content},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert Evidence.objects.get().content_type == "application/json"
