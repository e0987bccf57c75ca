"""The admin and the API accept and refuse the same input with the same words.

Each rule is driven through both: the API's problem details and the admin form's errors must
name the same field (the admin types tags in one box, ``tags_text``) with the same messages,
and neither saves anything. A claim and a source are forms of their own; appearances,
statements and evidence are rows of the claim's page; a reason is the change-status form's;
a webhook endpoint is the notifications app's.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims.models import (
    APPEARANCE_QUOTE_MAX_LENGTH,
    STATEMENT_QUOTE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Appearance,
    Claim,
    Source,
    Statement,
)
from notifications.models import WebhookEndpoint
from tests import factories
from tests.admin.browser import form_data
from tests.api.conftest import token_for
from tests.notifications.test_api_admin import webhook_manager
from verification.models import (
    EVIDENCE_DESCRIPTION_MAX_LENGTH,
    REASON_MAX_LENGTH,
    Evidence,
    StatusChange,
)

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
    "a URL without its scheme": {"url": "kremlin.example/events/1"},
    "an ftp URL": {"url": "ftp://kremlin.example/transcript.txt"},
    "a URL of 2,001 characters": {"url": "https://kremlin.example/" + "a" * (URL_MAX_LENGTH - 23)},
    "a country with a line break": {"country": "Russia\r\nBcc: x"},
    "a kind that is none": {"kind": "alien"},
}
# The rows of a claim's page, by their inline's prefix and the API's collection.
ROWS: dict[str, tuple[str, str, dict[str, str]]] = {
    "appearance": ("appearances", "appearances", {"url": "https://tass.example/1"}),
    "statement": ("statements", "statements", {"quote": "Leaving.", "stance": "supports"}),
    "evidence": (
        "new_evidence",
        "evidence",
        {"kind": "web_page", "stance": "refutes", "url": "https://nato.example/briefing"},
    ),
}
ROW_RULES = {
    "an appearance URL without its scheme": ("appearance", {"url": "tass.example/1"}),
    "an appearance URL with a space": ("appearance", {"url": "https://tass.example/a b"}),
    "an appearance quote of 20,001 characters": (
        "appearance",
        {"quote": "ц" * (APPEARANCE_QUOTE_MAX_LENGTH + 1)},
    ),
    "a blank quote": ("statement", {"quote": "  "}),
    "a quote of 20,001 characters": (
        "statement",
        {"quote": "q" * (STATEMENT_QUOTE_MAX_LENGTH + 1)},
    ),
    "a quote with a right-to-left override": ("statement", {"quote": "We \u202eleave."}),
    "a statement URL that is javascript": ("statement", {"url": "javascript:alert(1)"}),
    "a stance that is none": ("statement", {"stance": "maybe"}),
    "an evidence kind that is none": ("evidence", {"kind": "hearsay"}),
    "an evidence description of 20,001 characters": (
        "evidence",
        {"description": "д" * (EVIDENCE_DESCRIPTION_MAX_LENGTH + 1)},
    ),
    "an evidence description with a bell": ("evidence", {"description": "Satellite\x07 image."}),
    "evidence with neither a file nor a URL": ("evidence", {"url": ""}),
    "an evidence URL without its scheme": ("evidence", {"url": "nato.example/briefing"}),
}
REASON_RULES = {
    "a blank reason": {"reason": "   "},
    "a reason of 10,001 characters": {"reason": "r" * (REASON_MAX_LENGTH + 1)},
    "a reason with a zero-width space": {"reason": "Nothing\u200b either way."},
    "a verdict without evidence": {"status": "false", "reason": "Checked."},
    "a status that is none": {"status": "debunked"},
}
WITHDRAWAL_RULES = {
    "a withdrawal reason of 10,001 characters": {"reason": "w" * (REASON_MAX_LENGTH + 1)},
    "a withdrawal reason with a bell": {"reason": "Wrong\x07 video."},
    "a withdrawal reason with a left-to-right isolate": {"reason": "Wrong \u2066video."},
}
ENDPOINT = {"url": "https://127.0.0.1:9/hook", "event_types": ["claim.status_changed"]}
ENDPOINT_RULES = {
    "an endpoint URL without its scheme": {"url": "127.0.0.1:9/hook"},
    "an ftp endpoint URL": {"url": "ftp://127.0.0.1:9/hook"},
    "an endpoint URL with a password": {"url": "https://user:secret@127.0.0.1:9/hook"},
    "a description of 201 characters": {"description": "ж" * 201},
    "a description with a line break": {"description": "CMS\nBcc: x"},
    "no event types": {"event_types": []},
    "an unknown event type": {"event_types": ["claim.deleted"]},
}


def _api_errors(user: User, url: str, body: dict[str, Any], **headers: str) -> dict[str, list[str]]:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    answer = api.post(url, body, format="json", **headers)
    assert answer.status_code == 400, answer.content
    problem = answer.json()
    # A list's items are named by index (tags.0); the admin names the list's one box.
    merged: dict[str, list[str]] = {}
    for name, messages in problem.get("errors", {}).items():
        merged.setdefault(name.split(".")[0], []).extend(messages)
    if problem["detail"] != "The request has invalid fields; see errors.":
        merged["__all__"] = [problem["detail"]]  # what the admin shows above the form
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


@pytest.mark.parametrize("rule", list(ROW_RULES))
def test_a_row_of_a_claims_page_refuses_alike(
    rule: str, reviewer_client: Client, reviewer_user: User
) -> None:
    kind, change = ROW_RULES[rule]
    prefix, collection, valid = ROWS[kind]
    claim = factories.claim(actor=reviewer_user)
    body = {**valid, **change}
    if kind == "statement":
        body["source"] = str(factories.source(name="Dmitry Peskov").pk)

    from_api = _api_errors(reviewer_user, f"/api/v1/claims/{claim.pk}/{collection}/", body)

    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = form_data(reviewer_client.get(url), "claim_form")
    row = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(row + 1)
    data.update({f"{prefix}-{row}-{name}": value for name, value in body.items()})
    page = reviewer_client.post(url, data)
    assert page.status_code == 200, "the admin saved it"
    [formset] = [
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    ]
    from_admin = {name: list(messages) for name, messages in formset.forms[row].errors.items()}

    assert from_api == from_admin
    assert not (
        Appearance.objects.exists() or Statement.objects.exists() or Evidence.objects.exists()
    )


@pytest.mark.parametrize("rule", list(REASON_RULES))
def test_a_status_change_rule_refuses_alike(
    rule: str, reviewer_client: Client, reviewer_user: User
) -> None:
    claim = factories.claim()
    factories.transition(claim=claim, status="in_review")
    body = {"status": "unverified", "reason": "Back to the queue.", **REASON_RULES[rule]}

    from_api = _api_errors(
        reviewer_user, f"/api/v1/claims/{claim.pk}/transitions/", body, HTTP_IF_MATCH='"v2"'
    )
    url = reverse("admin:claims_claim_change_status", args=[claim.pk])
    page = reviewer_client.post(
        url, {**form_data(reviewer_client.get(url), "change-status-form"), **body}
    )
    assert page.status_code == 200, "the admin changed the status"
    from_admin = {name: list(messages) for name, messages in page.context["form"].errors.items()}

    assert from_api == from_admin
    assert StatusChange.objects.count() == 1


@pytest.mark.parametrize("rule", list(WITHDRAWAL_RULES))
def test_a_withdrawal_rule_refuses_alike(
    rule: str, reviewer_client: Client, reviewer_user: User
) -> None:
    claim = factories.claim()
    evidence = factories.evidence(claim=claim)
    body = WITHDRAWAL_RULES[rule]

    from_api = _api_errors(
        reviewer_user, f"/api/v1/claims/{claim.pk}/evidence/{evidence.pk}/withdraw/", body
    )
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = form_data(reviewer_client.get(url), "claim_form")
    data["evidence-0-withdraw_reason"] = body["reason"]
    page = reviewer_client.post(url, data)
    assert page.status_code == 200, "the admin saved it"
    [formset] = [
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.prefix == "evidence"
    ]
    # The admin's box is named for the page (withdraw_reason), the API's field "reason".
    from_admin = {
        name.replace("withdraw_reason", "reason"): list(messages)
        for name, messages in formset.forms[0].errors.items()
    }

    assert from_api == from_admin
    assert not Evidence.objects.filter(withdrawn_at__isnull=False).exists()


@pytest.mark.parametrize("rule", list(ENDPOINT_RULES))
def test_a_webhook_endpoint_rule_refuses_alike(rule: str, client: Client) -> None:
    manager = webhook_manager()
    body = {**ENDPOINT, **ENDPOINT_RULES[rule]}

    from_api = _api_errors(manager, "/api/v1/webhooks/", body)
    client.force_login(manager)
    from_admin = _admin_errors(
        client, reverse("admin:notifications_webhookendpoint_add"), "webhookendpoint_form", body
    )

    assert from_api == from_admin
    assert not WebhookEndpoint.objects.exists()


UNPUBLISH_RULES = {
    "a blank reason": {"reason": "  "},
    "a reason of 10,001 characters": {"reason": "u" * (REASON_MAX_LENGTH + 1)},
    "a reason with a right-to-left override": {"reason": "Retracted \u202eby the source."},
}


@pytest.mark.parametrize("rule", [*UNPUBLISH_RULES, "a publish_at in the past"])
def test_a_publication_rule_refuses_alike(
    rule: str, reviewer_client: Client, reviewer_user: User
) -> None:
    claim = factories.claim()
    if rule in UNPUBLISH_RULES:
        factories.published(claim=claim)
        step, form_body, api_body = "unpublish", UNPUBLISH_RULES[rule], UNPUBLISH_RULES[rule]
    else:
        factories.verdict(claim=claim, status="unproven")
        step = "publish"
        api_body = {"publish_at": "2021-08-24T14:41:00+00:00"}
        form_body = {"publish_at_0": "2021-08-24", "publish_at_1": "14:41:00"}
    claim.refresh_from_db()

    from_api = _api_errors(
        reviewer_user,
        f"/api/v1/claims/{claim.pk}/{step}/",
        api_body,
        HTTP_IF_MATCH=f'"v{claim.version}"',
    )
    url = reverse(f"admin:claims_claim_{step}", args=[claim.pk])
    page = reviewer_client.post(
        url, {**form_data(reviewer_client.get(url), "publication-form"), **form_body}
    )
    assert page.status_code == 200, "the admin went on"
    from_admin = {name: list(messages) for name, messages in page.context["form"].errors.items()}

    assert from_api == from_admin
    assert Claim.objects.get(pk=claim.pk).version == claim.version
