"""Second approval in the admin: a verdict proposed on "Change status", Approve / Reject on
the claim page, and the list of proposals awaiting me."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import Claim
from core.errors import STALE_MESSAGE
from tests import factories
from tests.admin.browser import form_data, messages_of
from tests.admin.conftest import signed_in
from verification.models import Channel, StatusChange, VerdictProposal
from verification.services import claim_transition, verdict_reject

pytestmark = pytest.mark.django_db


def page_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def decision_url(claim: Claim, what: str) -> str:
    return reverse(f"admin:claims_claim_{what}_verdict", args=[claim.pk])


def decide(client: Client, claim: Claim, what: str, **fields: Any) -> Any:
    data = form_data(client.get(decision_url(claim, what)), "verdict-decision-form")
    return client.post(decision_url(claim, what), {**data, **fields}, follow=True)


@pytest.fixture
def proposed(reviewer_user) -> Claim:
    """A claim in review with a verdict proposed by rita (reviewer_user)."""
    claim = factories.claim(text="Troops near Ukraine’s border are going back to their bases.")
    factories.transition(claim=claim, status="in_review")
    claim.refresh_from_db()
    evidence = factories.evidence(claim=claim)
    claim.refresh_from_db()
    claim_transition(
        actor=reviewer_user, claim=claim, status="false", reason="No pull-back on imagery.",
        evidence=[evidence], channel=Channel.ADMIN,
    )  # fmt: skip
    claim.refresh_from_db()
    return claim


def test_change_status_to_a_verdict_proposes_it(reviewer_client: Client) -> None:
    claim = factories.claim()
    factories.transition(claim=claim, status="in_review")
    evidence = factories.evidence(claim=claim)
    url = reverse("admin:claims_claim_change_status", args=[claim.pk])
    data = form_data(reviewer_client.get(url), "change-status-form")
    data.update({"status": "misleading", "reason": "Old footage.", "evidence": [str(evidence.pk)]})

    answer = reviewer_client.post(url, data, follow=True)

    assert messages_of(answer) == [
        "Proposed Misleading: it becomes the status when another reviewer approves it."
    ]
    claim.refresh_from_db()
    assert claim.status == "in_review"
    assert VerdictProposal.objects.get(claim=claim).verdict == "misleading"
    text = answer.content.decode()
    assert 'id="pending-proposal"' in text
    assert "You proposed it: another reviewer approves it" in text
    assert decision_url(claim, "approve") not in text  # not offered to the proposer
    assert decision_url(claim, "reject") in text  # withdrawing is
    assert "change-status-link" not in text.split('id="pending-proposal"')[0].split("<body")[1]


def test_another_reviewer_approves_on_the_claim_page(proposed: Claim) -> None:
    marc = signed_in(factories.reviewer(username="marc"))
    page = marc.get(page_url(proposed)).content.decode()
    assert decision_url(proposed, "approve") in page
    assert "No pull-back on imagery." in page

    answer = decide(marc, proposed, "approve", reason="Checked the imagery too.")

    assert messages_of(answer) == ["Approved: the status is now False."]
    proposed.refresh_from_db()
    assert proposed.status == "false"
    change = StatusChange.objects.get(claim=proposed, to_status="false")
    assert (change.actor.username, change.proposal.proposed_by.username) == ("marc", "rita")
    text = answer.content.decode()
    history = text.split('id="status-history"')[1]
    assert "rita, approved by marc" in history
    assert "Checked the imagery too." in text.split('id="proposal-history"')[1]


def test_the_proposer_is_refused_with_a_form_error(reviewer_client: Client, proposed) -> None:
    answer = decide(reviewer_client, proposed, "approve")

    assert answer.status_code == 200
    assert "another reviewer must approve it" in answer.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == "in_review"


def test_a_superuser_proposer_is_refused_too() -> None:
    root = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    claim = factories.claim()
    factories.transition(claim=claim, status="in_review")
    claim.refresh_from_db()
    claim_transition(actor=root, claim=claim, status="unproven", reason="Unclear.", channel="admin")

    answer = decide(signed_in(root), claim, "approve")

    assert "superusers too" in answer.content.decode()
    claim.refresh_from_db()
    assert claim.status == "in_review"


def test_reject_needs_a_reason_in_the_apis_words(proposed: Claim) -> None:
    marc = signed_in(factories.reviewer(username="marc"))

    blank = decide(marc, proposed, "reject", reason="   ")
    assert "Say why the proposal is rejected: its author reads it to try again." in (
        blank.content.decode()
    )
    assert VerdictProposal.objects.get(claim=proposed).outcome == "pending"

    done = decide(marc, proposed, "reject", reason="Which imagery? Cite it.")
    assert messages_of(done) == [
        "Rejected: the proposer is told why, and the claim stays in review."
    ]
    assert VerdictProposal.objects.get(claim=proposed).outcome == "rejected"
    assert 'id="pending-proposal"' not in done.content.decode()


def test_a_stale_decision_form_is_refused(proposed: Claim) -> None:
    marc = signed_in(factories.reviewer(username="marc"))
    data = form_data(marc.get(decision_url(proposed, "approve")), "verdict-decision-form")
    # Meanwhile another reviewer rejects it, and rita proposes another verdict.
    verdict_reject(actor=factories.reviewer(), claim=proposed, reason="Redo.", channel="admin")
    proposed.refresh_from_db()
    claim_transition(
        actor=VerdictProposal.objects.get(claim=proposed).proposed_by, claim=proposed,
        status="unproven", reason="Not enough to say.", channel="admin",
    )  # fmt: skip

    answer = marc.post(decision_url(proposed, "approve"), data)

    assert STALE_MESSAGE in answer.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == "in_review"
    assert VerdictProposal.objects.filter(claim=proposed, outcome="pending").count() == 1


def test_editors_and_viewers_cannot_open_the_decision_pages(
    editor_client: Client, viewer_client: Client, proposed: Claim
) -> None:
    for client in (editor_client, viewer_client):
        assert client.get(decision_url(proposed, "approve")).status_code == 403
        assert client.post(decision_url(proposed, "reject"), {"reason": "x"}).status_code == 403
        page = client.get(page_url(proposed)).content.decode()
        assert decision_url(proposed, "approve") not in page


def test_proposals_awaiting_me(reviewer_client: Client, proposed: Claim) -> None:
    other = factories.claim(text="Russia has no plans to invade Ukraine.")
    factories.transition(claim=other, status="in_review")
    other.refresh_from_db()
    claim_transition(
        actor=factories.reviewer(username="marc"), claim=other, status="unproven",
        reason="Statements only.", channel="api",
    )  # fmt: skip
    url = reverse("admin:verification_verdictproposal_changelist")

    mine_to_approve = reviewer_client.get(url + "?awaiting=me").content.decode()
    my_own = reviewer_client.get(url + "?awaiting=mine").content.decode()

    assert "Russia has no plans to invade Ukraine." in mine_to_approve
    assert "going back to their bases" not in mine_to_approve
    assert "going back to their bases" in my_own
    assert "Russia has no plans" not in my_own
