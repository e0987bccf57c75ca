"""One text policy for every field people type into: NFC, no hidden or disguising characters,
line breaks only where a field has lines, bounded lengths, and web addresses that are URIs.
The admin and the API refuse the same input with the same words."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.services import api_token_create
from claims.models import (
    APPEARANCE_QUOTE_MAX_LENGTH,
    SOURCE_NOTES_MAX_LENGTH,
    Appearance,
    Claim,
    Source,
)
from claims.text import text_clean
from tests import factories
from tests.admin.browser import form_data
from verification.models import Evidence

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"
SOURCES = "/api/v1/sources/"

# Text in many scripts that must be stored exactly as given (already NFC).
MULTILINGUAL = [
    "الكرملين: القوات تعود إلى قواعدها",  # Arabic
    "משרד החוץ: נאמין כשנראה",  # Hebrew
    "सैनिक अपने ठिकानों पर लौट रहे हैं। क्‍या",  # Devanagari, with a zero-width joiner
    "نمی‌خواهیم",  # Persian, with a zero-width non-joiner
    "Ми повіримо, коли побачимо.",  # Ukrainian
    "俄罗斯称部分军队返回基地",  # Chinese
    "Family 👨‍👩‍👧 and flag 🏳️‍🌈",  # emoji ZWJ sequences
    "Ελλάδα, Ñandú, Ærøskøbing, Đắk Lắk",  # precomposed accents
    "A quote with an RLM\u200f and an LRM\u200e mark",  # directional marks are text
]

REFUSED = [
    ("abc\u202egnp.exe", "Remove the right-to-left override (U+202E)."),
    ("abc\u202dx", "Remove the left-to-right override (U+202D)."),
    ("abc\u202bx", "Remove the right-to-left embedding (U+202B)."),
    ("abc\u2067x\u2069", "Remove the right-to-left isolate (U+2067)."),
    ("red \x1b[31malert", "Remove the escape character (U+001B)."),
    ("bell\x07", "Remove the control character (U+0007)."),
    ("c1\x9bcontrol", "Remove the control character (U+009B)."),
    ("zero\u200bwidth", "Remove the zero-width space (U+200B)."),
    ("word\u2060joiner", "Remove the word joiner (U+2060)."),
    ("\ufeffbom", "Remove the zero-width no-break space (byte order mark) (U+FEFF)."),
    ("non\ufdd0char", "Remove the non-character (U+FDD0)."),
    ("non\uffffchar", "Remove the non-character (U+FFFF)."),
    ("plane\U0001fffe", "Remove the non-character (U+1FFFE)."),
    ("lone\ud800surrogate", "Remove the lone surrogate (U+D800)."),
]


@pytest.fixture
def editor() -> User:
    return factories.editor(username="edith")


@pytest.fixture
def api(editor: User) -> APIClient:
    _, raw = api_token_create(actor=editor, user=editor, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def admin_client(editor: User) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body: dict[str, list[str]] = response.json()["errors"]
    return body


# --- The rule itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", MULTILINGUAL)
def test_text_in_any_script_passes_untouched(text: str) -> None:
    assert text_clean(text, field="text") == text
    assert text_clean(text, field="name", multiline=False) == text


def test_decomposed_accents_are_stored_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Café Ærøskøbing Đắk Lắk")
    assert decomposed != "Café Ærøskøbing Đắk Lắk"
    assert text_clean(decomposed, field="text") == "Café Ærøskøbing Đắk Lắk"


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_hidden_and_disguising_characters_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(Exception) as refused:
        text_clean(text, field="text")
    assert refused.value.message_dict == {"text": [message]}  # type: ignore[attr-defined]


def test_line_breaks_only_in_multi_line_text() -> None:
    assert (
        text_clean("one\r\ntwo\rthree\nfour\tfive", field="text") == "one\ntwo\nthree\nfour\tfive"
    )
    for text, message in [
        ("one\ntwo", "Remove the line break (U+000A): this is a single line."),
        ("one\rtwo", "Remove the carriage return (U+000D): this is a single line."),
        ("one\ttwo", "Remove the tab (U+0009): this is a single line."),
    ]:
        with pytest.raises(Exception) as refused:
            text_clean(text, field="name", multiline=False)
        assert refused.value.message_dict == {"name": [message]}  # type: ignore[attr-defined]


# --- Through the API ----------------------------------------------------------------------------


def test_the_api_stores_multilingual_claims_exactly(api: APIClient) -> None:
    text = "\n".join(MULTILINGUAL)
    response = api.post(
        CLAIMS,
        {"text": text, "summary": MULTILINGUAL[4] + "\r\n" + MULTILINGUAL[5], "tags": ["україна"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["text"] == text
    claim = Claim.objects.get()
    assert claim.text == text
    assert claim.summary == MULTILINGUAL[4] + "\n" + MULTILINGUAL[5]
    assert list(claim.tags.values_list("name", flat=True)) == ["україна"]


def test_the_api_stores_decomposed_text_composed(api: APIClient) -> None:
    response = api.post(CLAIMS, {"text": unicodedata.normalize("NFD", "Café")}, format="json")

    assert response.status_code == 201, response.content
    assert Claim.objects.get().text == "Café"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"text": "Troops \u202ereturn"}, "text", "Remove the right-to-left override (U+202E)."),
        (
            {"text": "Fine", "summary": "x\x1b[2J"},
            "summary",
            "Remove the escape character (U+001B).",
        ),
        (
            {"text": "Fine", "tags": ["abc\u202egnp.exe"]},
            "tags",
            "Remove the right-to-left override (U+202E).",
        ),
        (
            {"text": "Fine", "tags": ["two\nlines"]},
            "tags",
            "Remove the line break (U+000A): this is a single line.",
        ),
    ],
)
def test_the_api_refuses_claims_with_hidden_characters(
    api: APIClient, body: dict[str, Any], field: str, message: str
) -> None:
    found = errors(api.post(CLAIMS, body, format="json"))

    assert message in str(found.get(field, found))
    assert not Claim.objects.exists()


def test_the_api_refuses_a_source_with_hidden_characters(api: APIClient) -> None:
    found = errors(api.post(SOURCES, {"name": "Peskov\u200b", "role": "Spokes\nperson"}))

    assert found["name"] == ["Remove the zero-width space (U+200B)."]
    assert found["role"] == ["Remove the line break (U+000A): this is a single line."]
    assert not Source.objects.exists()


def test_source_notes_and_appearance_quotes_are_bounded(api: APIClient) -> None:
    found = errors(
        api.post(SOURCES, {"name": "Peskov", "notes": "n" * (SOURCE_NOTES_MAX_LENGTH + 1)})
    )
    assert f"{SOURCE_NOTES_MAX_LENGTH:,}".replace(",", "") in found["notes"][0].replace(",", "")

    claim = factories.claim()
    response = api.post(
        f"{CLAIMS}{claim.pk}/appearances/",
        {"url": "https://tass.example/1", "quote": "q" * (APPEARANCE_QUOTE_MAX_LENGTH + 1)},
        format="json",
    )
    assert "quote" in errors(response)
    assert not Appearance.objects.exists()


BAD_ADDRESSES = [
    'https://tass.example/"><script>alert(1)</script>',
    "https://tass.example/a b",
    "tass.example/article",
    "javascript:alert(1)",
    "ftp://tass.example/file",
    "https://tass.example/\u202eevil",
]


@pytest.mark.parametrize("url", BAD_ADDRESSES)
def test_the_api_refuses_addresses_that_are_not_web_uris(api: APIClient, url: str) -> None:
    claim = factories.claim()
    source = factories.source()
    appearance = api.post(f"{CLAIMS}{claim.pk}/appearances/", {"url": url}, format="json")
    statement = api.post(
        f"{CLAIMS}{claim.pk}/statements/",
        {"source": str(source.pk), "quote": "Q", "stance": "supports", "url": url},
        format="json",
    )
    created_source = api.post(SOURCES, {"name": "Interfax", "url": url}, format="json")

    for response in (appearance, statement, created_source):
        assert "url" in errors(response)
    assert not Appearance.objects.exists()


def test_an_international_address_is_stored_as_a_uri(api: APIClient) -> None:
    claim = factories.claim()
    response = api.post(
        f"{CLAIMS}{claim.pk}/appearances/",
        {"url": "https://президент.укр/новини?q=київ#текст"},
        format="json",
    )

    assert response.status_code == 201, response.content
    url = Appearance.objects.get().url
    assert url.isascii()
    assert url.startswith("https://xn--d1abbgf6aiiy.xn--j1amh/")
    assert response.json()["url"] == url


def test_the_api_refuses_hidden_characters_in_evidence_and_reasons(
    api: APIClient, editor: User
) -> None:
    claim = factories.claim()
    evidence = api.post(
        f"{CLAIMS}{claim.pk}/evidence/",
        {
            "kind": "web_page",
            "stance": "refutes",
            "url": "https://ok.example/",
            "description": "\u202e",
        },
        format="json",
    )
    assert errors(evidence)["description"] == ["Remove the right-to-left override (U+202E)."]
    evidence = api.post(
        f"{CLAIMS}{claim.pk}/evidence/",
        {"kind": "web_page", "stance": "refutes", "url": 'https://ok.example/"><b>'},
        format="json",
    )
    assert "url" in errors(evidence)
    assert not Evidence.objects.exists()


# --- Through the admin: the same rules, the same words ------------------------------------------


def test_the_admin_refuses_a_source_the_api_refuses(admin_client: Client) -> None:
    add = reverse("admin:claims_source_add")
    data = form_data(admin_client.get(add), "source_form")
    data.update(
        {
            "name": "abc\u202egnp.exe",
            "kind": "person",
            "url": 'https://tass.example/"><script>',
            "notes": "n" * (SOURCE_NOTES_MAX_LENGTH + 1),
        }
    )

    response = admin_client.post(add, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Remove the right-to-left override (U+202E)." in page
    assert "Enter a web address that starts with http:// or https://" in page
    assert f"at most {SOURCE_NOTES_MAX_LENGTH}" in page
    assert not Source.objects.exists()


def test_the_admin_stores_text_normalised(admin_client: Client) -> None:
    add = reverse("admin:claims_source_add")
    data = form_data(admin_client.get(add), "source_form")
    data.update(
        {
            "name": unicodedata.normalize("NFD", "Đắk Lắk office"),
            "kind": "organisation",
            "url": "https://uk.wikipedia.org/wiki/Україна",
            "notes": "line one\r\nline two",
        }
    )

    response = admin_client.post(add, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    source = Source.objects.get()
    assert source.name == "Đắk Lắk office"
    assert source.notes == "line one\nline two"
    assert source.url == "https://uk.wikipedia.org/wiki/%D0%A3%D0%BA%D1%80%D0%B0%D1%97%D0%BD%D0%B0"


def test_an_api_token_name_follows_the_policy(editor: User) -> None:
    with pytest.raises(Exception) as refused:
        api_token_create(actor=editor, user=editor, name="CMS\u202e")
    assert refused.value.message_dict == {  # type: ignore[attr-defined]
        "name": ["Remove the right-to-left override (U+202E)."]
    }


def test_a_status_change_reason_follows_the_policy_in_the_admin_and_the_api() -> None:
    reviewer = factories.reviewer(username="rita")
    claim = factories.claim()
    factories.transition(claim=claim, status="in_review")
    admin = Client()
    admin.force_login(reviewer)
    url = reverse("admin:claims_claim_change_status", args=[claim.pk])
    data = form_data(admin.get(url), "change-status-form")
    data.update({"status": "unproven", "reason": "Nothing \u202eeither way."})

    response = admin.post(url, data)

    assert response.status_code == 200
    assert "Remove the right-to-left override (U+202E)." in response.content.decode()
    _, raw = api_token_create(actor=reviewer, user=reviewer, name="tests")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post(
        f"{CLAIMS}{claim.pk}/transitions/",
        {"status": "unproven", "reason": "Nothing \u202eeither way."},
        format="json",
        HTTP_IF_MATCH=api.get(f"{CLAIMS}{claim.pk}/")["ETag"],
    )
    assert errors(response)["reason"] == ["Remove the right-to-left override (U+202E)."]
    assert Claim.objects.get(pk=claim.pk).status == "in_review"


def test_the_api_schema_declares_the_policy(api: APIClient) -> None:
    """Clients (and schema-driven tests) read the rule from the schema's patterns."""
    schemas = api.get("/api/schema/?format=json").json()["components"]["schemas"]
    name = re.compile(schemas["SourceRequest"]["properties"]["name"]["pattern"])
    text = re.compile(schemas["ClaimInputRequest"]["properties"]["text"]["pattern"])

    assert name.search("Дмитрий Песков") and text.search("Line one\nline two")
    assert not name.search("abc\u202egnp.exe")
    assert not name.search("two\nlines")
    assert not text.search("red \x1b[31malert")
    assert schemas["AppearanceRequest"]["properties"]["url"]["format"] == "uri"
