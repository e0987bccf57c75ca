"""The admin and the API accept and refuse the same input with the same words.

Each rule is driven through both: the API's problem details and the admin form's errors must
name the same field (the admin types tags in one box, ``tags_text``) with the same messages,
and neither saves anything.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims.models import Claim, Source
from tests.admin.browser import form_data
from tests.api.conftest import token_for

pytestmark = pytest.mark.django_db

CLAIM = {"text": "Troops are leaving the border."}
CLAIM_RULES = {
    "51 tags": {"tags": [f"tag-{n}" for n in range(51)]},
    "a tag of 51 characters": {"tags": ["ukraine", "x" * 51]},
    "a tag with a right-to-left override": {"tags": ["abc\u202egnp.exe"]},
    "a text of 10,001 characters": {"text": "т" * 10_001},
    "a blank text": {"text": "   "},
    "a bell in the summary": {"summary": "Context\x07."},
    "a summary of 20,001 characters": {"summary": "é" * 20_001},
    "a line break in a tag": {"tags": ["two\nlines"]},
    "a language that is no ISO 639 code": {"language": "zz-ZZZZZZZZZ"},
}
SOURCE = {"name": "Dmitry Peskov", "kind": "person"}
SOURCE_RULES = {
    "a name of 201 characters": {"name": "П" * 201},
    "a blank name": {"name": " "},
    "a name with a zero-width space": {"name": "Dmitry\u200bPeskov"},
    "notes of 20,001 characters": {"notes": "n" * 20_001},
    "a URL with quotes": {"url": 'https://example.org/"><script>'},
    "a country with a line break": {"country": "Russia\r\nBcc: x"},
}


def _api_errors(user: User, url: str, body: dict[str, Any]) -> dict[str, list[str]]:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    answer = api.post(url, body, format="json")
    assert answer.status_code == 400, answer.content
    errors = answer.json()["errors"]
    # A list's items are named by index (tags.0); the admin names the list's one box.
    merged: dict[str, list[str]] = {}
    for name, messages in errors.items():
        merged.setdefault(name.split(".")[0], []).extend(messages)
    return merged


def _admin_errors(
    client: Client, url: str, form_id: str, data: dict[str, Any]
) -> dict[str, list[str]]:
    page = client.post(url, {**form_data(client.get(url), form_id), **data})
    assert page.status_code == 200, "the admin saved it"
    return {
        name: list(messages) for name, messages in page.context["adminform"].form.errors.items()
    }


@pytest.mark.parametrize("rule", list(CLAIM_RULES))
def test_a_claim_rule_refuses_alike(rule: str, editor_client: Client, editor_user: User) -> None:
    body = {**CLAIM, **CLAIM_RULES[rule]}
    admin = {name: value for name, value in body.items() if name != "tags"}
    if "tags" in body:
        admin["tags_text"] = ", ".join(body["tags"])

    from_api = _api_errors(editor_user, "/api/v1/claims/", body)
    from_admin = _admin_errors(
        editor_client, reverse("admin:claims_claim_add"), "claim_form", admin
    )

    if "tags" in from_api:
        from_api["tags_text"] = from_api.pop("tags")
    assert from_api == from_admin
    assert not Claim.objects.exists()


@pytest.mark.parametrize("rule", list(SOURCE_RULES))
def test_a_source_rule_refuses_alike(rule: str, editor_client: Client, editor_user: User) -> None:
    body = {**SOURCE, **SOURCE_RULES[rule]}

    from_api = _api_errors(editor_user, "/api/v1/sources/", body)
    from_admin = _admin_errors(
        editor_client, reverse("admin:claims_source_add"), "source_form", body
    )

    assert from_api == from_admin
    assert not Source.objects.exists()


def test_what_both_accept_is_saved_alike(editor_client: Client, editor_user: User) -> None:
    """The rules above are not refusals of everything: the same valid input passes both."""
    tags = [f"тег-{n}" for n in range(50)]
    text = "\n".join(["Войска отводятся от границы.", "Так заявил Кремль."])
    body = {"text": text, "tags": tags}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(editor_user)}")
    assert api.post("/api/v1/claims/", body, format="json").status_code == 201
    url = reverse("admin:claims_claim_add")
    data = {**form_data(editor_client.get(url), "claim_form"), "text": body["text"] + " (2)"}
    data["tags_text"] = ", ".join(tags)
    assert editor_client.post(url, data).status_code == 302
    assert [claim.tags.count() for claim in Claim.objects.all()] == [50, 50]
