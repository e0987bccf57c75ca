"""What each role may see and do in the admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import Claim
from tests import factories
from tests.admin.browser import form_data
from verification.models import StatusChange

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:claims_claim_changelist")


@pytest.fixture
def claim() -> Claim:
    claim = factories.claim(text="Troops are going home.", tags=["ukraine", "nato"])
    factories.statement(claim=claim, quote="We will see.")
    factories.evidence(claim=claim)
    factories.transition(claim=claim, status="in_review")
    return Claim.objects.get(pk=claim.pk)


def change_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def status_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change_status", args=[claim.pk])


def offered_actions(page: str) -> list[str]:
    if 'name="action"' not in page:
        return []
    select = page.split('name="action"')[1].split("</select>")[0]
    return [value for value in select.split('value="')[1:] for value in [value.split('"')[0]]]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        LIST_URL,
        reverse("admin:claims_claim_add"),
        reverse("admin:claims_source_changelist"),
        reverse("admin:verification_evidence_changelist"),
        reverse("admin:verification_statuschange_changelist"),
    ],
)
def test_anonymous_is_sent_to_login(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_change_page_and_status_form_go_to_login(client: Client, claim: Claim) -> None:
    for url in (change_url(claim), status_url(claim)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    response = client.post(status_url(claim), {"status": "unproven", "reason": "x"})
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == "in_review"


def test_viewer_sees_but_cannot_change(viewer_client: Client, claim: Claim) -> None:
    listing = viewer_client.get(LIST_URL)
    assert listing.status_code == 200
    assert "Troops are going home." in listing.content.decode()
    assert reverse("admin:claims_claim_add") not in listing.content.decode()
    assert offered_actions(listing.content.decode()) == []

    page = viewer_client.get(change_url(claim))
    assert page.status_code == 200
    text = page.content.decode()
    assert "We will see." in text  # inlines are shown, read-only
    assert "nato, ukraine" in text  # the tags
    assert 'name="_save"' not in text
    assert 'name="text"' not in text
    assert 'name="statements-0-quote"' not in text
    assert "withdraw_reason" not in text
    assert status_url(claim) not in text
    assert 'id="status-history"' in text and 'id="edit-history"' in text

    assert viewer_client.get(reverse("admin:claims_claim_add")).status_code == 403
    assert viewer_client.post(change_url(claim), {"text": "Changed."}).status_code == 403
    assert viewer_client.get(status_url(claim)).status_code == 403
    assert Claim.objects.get(pk=claim.pk).text == "Troops are going home."


def test_editor_edits_but_cannot_change_status(editor_client: Client, claim: Claim) -> None:
    listing = editor_client.get(LIST_URL).content.decode()
    assert reverse("admin:claims_claim_add") in listing
    assert "change_status" not in offered_actions(listing)

    page = editor_client.get(change_url(claim))
    text = page.content.decode()
    assert 'name="_save"' in text
    assert 'name="text"' in text
    assert status_url(claim) not in text
    assert 'name="status"' not in text

    assert editor_client.get(status_url(claim)).status_code == 403
    response = editor_client.post(
        status_url(claim), {"status": "unproven", "reason": "Trying.", "version": "99"}
    )
    assert response.status_code == 403

    # A forged bulk action is not run (the editor has no actions at all).
    response = editor_client.post(
        LIST_URL,
        {
            "action": "change_status",
            "_selected_action": [str(claim.pk)],
            "status": "unproven",
            "reason": "Trying.",
            "apply": "1",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Claim.objects.get(pk=claim.pk).status == "in_review"
    assert StatusChange.objects.filter(claim=claim).count() == 1

    # Editing works.
    data = form_data(page, "claim_form")
    data["summary"] = "Edited by an editor."
    assert editor_client.post(change_url(claim), data).status_code == 302
    assert Claim.objects.get(pk=claim.pk).summary == "Edited by an editor."


def test_reviewer_can_change_status(reviewer_client: Client, claim: Claim) -> None:
    listing = reviewer_client.get(LIST_URL).content.decode()
    assert "change_status" in offered_actions(listing)
    assert status_url(claim) in reviewer_client.get(change_url(claim)).content.decode()
    assert reviewer_client.get(status_url(claim)).status_code == 200


@pytest.mark.parametrize("role", ["viewer", "editor", "reviewer"])
def test_nobody_deletes_claims_sources_or_evidence(role: str, claim: Claim) -> None:
    user = getattr(factories, role)()
    user.is_superuser = role == "reviewer"  # even a superuser cannot
    user.save()
    client = Client()
    client.force_login(user)
    source = factories.source(name="Interfax")
    evidence = claim.evidence.get()

    for url in (
        reverse("admin:claims_claim_delete", args=[claim.pk]),
        reverse("admin:claims_source_delete", args=[source.pk]),
        reverse("admin:verification_evidence_delete", args=[evidence.pk]),
    ):
        assert client.post(url, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in offered_actions(client.get(LIST_URL).content.decode())
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_evidence_and_status_changes_are_read_only(editor_client: Client, claim: Claim) -> None:
    evidence = claim.evidence.get()
    change = StatusChange.objects.get(claim=claim)

    evidence_list = editor_client.get(reverse("admin:verification_evidence_changelist"))
    assert evidence_list.status_code == 200
    assert evidence.url in evidence_list.content.decode()
    evidence_page = editor_client.get(
        reverse("admin:verification_evidence_change", args=[evidence.pk])
    )
    assert evidence_page.status_code == 200
    assert 'name="_save"' not in evidence_page.content.decode()
    assert editor_client.get(reverse("admin:verification_evidence_add")).status_code == 403

    changes = editor_client.get(reverse("admin:verification_statuschange_changelist"))
    assert changes.status_code == 200
    assert "Troops are going home." in changes.content.decode()
    change_page = editor_client.get(
        reverse("admin:verification_statuschange_change", args=[change.pk])
    )
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
    assert editor_client.get(reverse("admin:verification_statuschange_add")).status_code == 403
    response = editor_client.post(
        reverse("admin:verification_statuschange_change", args=[change.pk]), {"reason": "x"}
    )
    assert response.status_code == 403


def test_staff_without_groups_sees_nothing(client: Client, claim: Claim) -> None:
    client.force_login(factories.UserFactory())
    assert client.get(LIST_URL).status_code == 403
    assert client.get(status_url(claim)).status_code == 403
