"""Status changes in the admin: the "Change status" form and the bulk action."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from claims import services as claim_services
from claims.models import Claim
from core.errors import STALE_MESSAGE
from tests import factories
from tests.admin.browser import form_data, messages_of
from verification.models import Channel, Evidence, StatusChange
from verification.services import evidence_withdraw

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _verdicts_without_second_approval(settings) -> None:
    """The workflow itself, verdicts included, with VERDICT_APPROVAL_REQUIRED off; second
    approval on top of it: tests/admin/test_verdict_approval.py."""
    settings.VERDICT_APPROVAL_REQUIRED = False


LIST_URL = reverse("admin:claims_claim_changelist")


def status_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change_status", args=[claim.pk])


def status_post(client: Client, claim: Claim, fields: dict[str, Any]) -> Any:
    """The claim's change-status form, opened and sent with ``fields``."""
    data = form_data(client.get(status_url(claim)), "change-status-form")
    return client.post(status_url(claim), {**data, **fields})


def refreshed(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def offered_targets(page: str) -> list[str]:
    select = page.split('name="status"')[1].split("</select>")[0]
    return re.findall(r'<option value="([^"]*)"', select)


@pytest.fixture
def in_review() -> Claim:
    claim = factories.claim(text="Troops are going home.")
    factories.transition(claim=claim, status="in_review")
    return refreshed(claim)


def test_claim_page_links_to_the_form(reviewer_client: Client, in_review: Claim) -> None:
    page = reviewer_client.get(reverse("admin:claims_claim_change", args=[in_review.pk]))
    assert status_url(in_review) in page.content.decode()


def test_success_writes_a_status_change_and_bumps_the_version(
    reviewer_client: Client, reviewer_user, in_review: Claim
) -> None:
    evidence = factories.evidence(claim=in_review)
    factories.evidence(claim=in_review)  # offered, not cited
    withdrawn = factories.evidence(claim=in_review)
    evidence_withdraw(actor=factories.editor(), evidence=withdrawn, reason="Wrong photo.")
    page = reviewer_client.get(status_url(in_review))
    assert page.status_code == 200
    text = page.content.decode()
    assert str(withdrawn.url) not in text  # withdrawn evidence cannot be cited
    version = refreshed(in_review).version
    data = form_data(page, "change-status-form")
    data.update({"status": "false", "reason": "Satellite images show no movement."})
    data["evidence"] = [str(evidence.pk)]

    response = reviewer_client.post(status_url(in_review), data, follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "admin:claims_claim_change", args=[in_review.pk]
    )
    assert "Status changed from In review to False." in messages_of(response)
    claim = refreshed(in_review)
    assert claim.status == "false"
    assert claim.version == version + 1
    change = StatusChange.objects.get(claim=claim, to_status="false")
    assert change.from_status == "in_review"
    assert change.actor == reviewer_user
    assert change.reason == "Satellite images show no movement."
    assert change.channel == Channel.ADMIN
    assert list(change.evidence.all()) == [evidence]
    # The claim page shows it in the status history.
    history = response.content.decode().split('id="status-history"')[1]
    assert "Satellite images show no movement." in history
    assert reviewer_user.username in history


def test_only_allowed_targets_are_offered(reviewer_client: Client) -> None:
    claim = factories.claim()

    page = reviewer_client.get(status_url(claim)).content.decode()

    assert offered_targets(page) == ["", "in_review"]


def test_forged_target_is_a_form_error(reviewer_client: Client) -> None:
    claim = factories.claim()
    response = status_post(
        reviewer_client, claim, {"status": "verified", "reason": "Skipping the review."}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert refreshed(claim).status == "unverified"
    assert not StatusChange.objects.filter(claim=claim).exists()


def test_missing_reason_is_a_form_error(reviewer_client: Client, in_review: Claim) -> None:
    response = status_post(reviewer_client, in_review, {"status": "unproven", "reason": "   "})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert refreshed(in_review).status == "in_review"


def test_verdict_without_evidence_is_a_form_error(
    reviewer_client: Client, in_review: Claim
) -> None:
    factories.evidence(claim=in_review)
    response = status_post(
        reviewer_client, in_review, {"status": "verified", "reason": "Confirmed."}
    )

    assert response.status_code == 200
    assert "Cite at least one piece of evidence" in response.content.decode()
    assert refreshed(in_review).status == "in_review"


def test_unproven_needs_no_evidence(reviewer_client: Client, in_review: Claim) -> None:
    response = status_post(
        reviewer_client, in_review, {"status": "unproven", "reason": "Nothing either way."}
    )

    assert response.status_code == 302
    assert refreshed(in_review).status == "unproven"


def test_stale_version_is_a_form_error(reviewer_client: Client, in_review: Claim) -> None:
    data = form_data(reviewer_client.get(status_url(in_review)), "change-status-form")
    # Someone else edits the claim after the form was opened.
    claim_services.claim_update(
        actor=factories.editor(),
        claim=in_review,
        version=in_review.version,
        data={"summary": "New context."},
    )
    data.update({"status": "unproven", "reason": "Nothing either way."})

    response = reviewer_client.post(status_url(in_review), data)

    assert response.status_code == 200
    assert "changed by someone else since you opened it" in response.content.decode()
    assert refreshed(in_review).status == "in_review"


def test_status_changed_by_someone_else_is_a_stale_form(
    reviewer_client: Client, in_review: Claim
) -> None:
    data = form_data(reviewer_client.get(status_url(in_review)), "change-status-form")
    factories.transition(claim=in_review, status="unproven", reason="Someone else.")
    data.update({"status": "unverified", "reason": "Back to the queue."})

    response = reviewer_client.post(status_url(in_review), data)

    assert response.status_code == 200
    assert "changed by someone else since you opened it" in response.content.decode()
    assert refreshed(in_review).status == "unproven"
    assert StatusChange.objects.filter(claim=in_review).count() == 2


def test_unknown_claim_is_404(reviewer_client: Client) -> None:
    missing = reverse("admin:claims_claim_change_status", args=["not-a-uuid"])
    assert reviewer_client.get(missing).status_code == 404


def bulk_form(client: Client, claims: list[Claim]) -> dict:
    """The bulk form as a browser would submit it, rendered for ``claims``."""
    page = client.post(
        LIST_URL,
        {"action": "change_status", "index": "0", "_selected_action": [str(c.pk) for c in claims]},
    )
    return form_data(page, "change-status-bulk-form")


def bulk_post(client: Client, claims: list[Claim], **extra: str):
    data = bulk_form(client, claims)
    data.update({"apply": "1", **extra})
    return client.post(LIST_URL, data, follow=True)


def test_bulk_action_shows_an_intermediate_page(reviewer_client: Client) -> None:
    claims = [factories.claim(text="First claim."), factories.claim(text="Second claim.")]

    response = reviewer_client.post(
        LIST_URL,
        {"action": "change_status", "index": "0", "_selected_action": [str(c.pk) for c in claims]},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="change-status-bulk-form"' in page
    assert "First claim." in page and "Second claim." in page
    assert not StatusChange.objects.exists()


def test_bulk_action_reports_each_claim_it_could_not_change(reviewer_client: Client) -> None:
    fresh_one = factories.claim(text="Fresh claim one.")
    fresh_two = factories.claim(text="Fresh claim two.")
    reviewing = factories.claim(text="Already in review.")
    factories.transition(claim=reviewing, status="in_review")

    page = reviewer_client.post(
        LIST_URL,
        {
            "action": "change_status",
            "index": "0",
            "_selected_action": [str(c.pk) for c in (fresh_one, fresh_two, reviewing)],
        },
    )
    data = form_data(page, "change-status-bulk-form")
    data.update({"status": "in_review", "reason": "Morning triage.", "apply": "1"})
    response = reviewer_client.post(LIST_URL, data, follow=True)

    shown = messages_of(response)
    assert "Changed 2 of 3 claims to In review." in shown
    assert any(
        message.startswith("Not changed: “Already in review.”")
        and "cannot move from in_review to in_review" in message
        for message in shown
    ), shown
    assert refreshed(fresh_one).status == "in_review"
    assert refreshed(fresh_two).status == "in_review"
    assert StatusChange.objects.filter(reason="Morning triage.").count() == 2


def test_bulk_verdict_without_evidence_is_reported(reviewer_client: Client) -> None:
    needs_evidence = factories.claim(text="Needs evidence.")
    no_evidence_needed = factories.claim(text="Unproven is fine.")
    for claim in (needs_evidence, no_evidence_needed):
        factories.transition(claim=claim, status="in_review")

    response = bulk_post(
        reviewer_client, [needs_evidence, no_evidence_needed], status="false", reason="Debunked."
    )

    shown = messages_of(response)
    assert "Changed 0 of 2 claims to False." in shown
    assert sum("Cite at least one piece of evidence" in message for message in shown) == 2
    assert not StatusChange.objects.filter(to_status="false").exists()

    response = bulk_post(
        reviewer_client,
        [needs_evidence, no_evidence_needed],
        status="unproven",
        reason="Nothing either way.",
    )
    assert "Changed 2 of 2 claims to Unproven." in messages_of(response)


def test_bulk_action_without_reason_shows_the_form_again(reviewer_client: Client) -> None:
    claim = factories.claim()

    response = bulk_post(reviewer_client, [claim], status="in_review", reason="")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert refreshed(claim).status == "unverified"


def test_bulk_action_refuses_all_when_a_claim_changed_since_the_form_was_opened(
    reviewer_client: Client,
) -> None:
    untouched = factories.claim(text="Nobody touched this one.")
    judged = factories.claim(text="Someone judged this one.")
    data = bulk_form(reviewer_client, [untouched, judged])
    # Someone else gives a verdict after the form was opened.
    factories.transition(claim=judged, status="in_review")
    factories.transition(claim=judged, status="unproven", reason="Nothing either way.")
    data.update({"status": "in_review", "reason": "Morning triage.", "apply": "1"})

    response = reviewer_client.post(LIST_URL, data, follow=True)

    [shown] = messages_of(response)
    assert shown.startswith(STALE_MESSAGE)
    assert "“Someone judged this one.”" in shown
    assert "Nobody touched" not in shown
    assert refreshed(judged).status == "unproven"  # the verdict is not reopened
    assert refreshed(untouched).status == "unverified"  # nor is anything else applied
    assert not StatusChange.objects.filter(reason="Morning triage.").exists()


def test_replaying_a_bulk_change_is_refused(reviewer_client: Client) -> None:
    claims = [factories.claim(text="First claim."), factories.claim(text="Second claim.")]
    data = bulk_form(reviewer_client, claims)
    data.update({"status": "in_review", "reason": "Morning triage.", "apply": "1"})
    applied = reviewer_client.post(LIST_URL, data, follow=True)
    assert "Changed 2 of 2 claims to In review." in messages_of(applied)
    for claim in claims:
        factories.transition(claim=claim, status="unproven", reason="Nothing either way.")

    replayed = reviewer_client.post(LIST_URL, data, follow=True)

    [shown] = messages_of(replayed)
    assert shown.startswith(STALE_MESSAGE)
    assert "“First claim.”" in shown and "“Second claim.”" in shown
    assert {refreshed(claim).status for claim in claims} == {"unproven"}
    assert StatusChange.objects.filter(reason="Morning triage.").count() == 2


def test_bulk_change_for_claims_the_form_was_not_opened_for_is_refused(
    reviewer_client: Client,
) -> None:
    shown_claim = factories.claim(text="Shown in the form.")
    added = factories.claim(text="Added to the post.")
    data = bulk_form(reviewer_client, [shown_claim])
    data.update({"status": "in_review", "reason": "Triage.", "apply": "1"})
    data["_selected_action"] = [str(shown_claim.pk), str(added.pk)]

    response = reviewer_client.post(LIST_URL, data, follow=True)

    [shown] = messages_of(response)
    assert shown.startswith(STALE_MESSAGE) and "“Added to the post.”" in shown
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize(
    "versions",
    [None, "", "not-a-pair", ":1", "{pk}:x", "{pk}:-1", "{pk}:²", "{pk}:" + "9" * 5000],
    ids=["missing", "empty", "not-a-pair", "no-id", "letters", "negative", "superscript", "huge"],
)
def test_bulk_change_without_the_rendered_versions_is_a_form_error(
    reviewer_client: Client, versions: str | None
) -> None:
    claim = factories.claim()
    data = bulk_form(reviewer_client, [claim])
    data.update({"status": "in_review", "reason": "Triage.", "apply": "1"})
    if versions is None:
        del data["versions"]
    else:
        data["versions"] = versions.format(pk=claim.pk)

    response = reviewer_client.post(LIST_URL, data)

    assert response.status_code == 200
    assert "Select the claims and choose" in response.content.decode()
    assert refreshed(claim).status == "unverified"


def test_evidence_count_in_form_lists_only_this_claims_evidence(
    reviewer_client: Client, in_review: Claim
) -> None:
    other = factories.claim(text="Another claim.")
    foreign = factories.evidence(claim=other, url="https://example.org/other-claim")
    response = status_post(
        reviewer_client,
        in_review,
        {"status": "false", "reason": "Debunked.", "evidence": [str(foreign.pk)]},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Evidence.objects.get(pk=foreign.pk).citations.count() == 0
