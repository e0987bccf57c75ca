"""The status workflow of DESIGN.md, through the only function that changes a status."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from claims.models import Claim, ClaimStatus
from core.errors import StaleVersionError, TransitionNotAllowedError
from tests import factories as f
from verification import workflow
from verification.models import Channel, StatusChange

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _verdicts_without_second_approval(settings) -> None:
    """The workflow itself, verdicts included, with VERDICT_APPROVAL_REQUIRED off; second
    approval on top of it: test_second_approval.py."""
    settings.VERDICT_APPROVAL_REQUIRED = False


S = ClaimStatus
ALLOWED = {
    (S.UNVERIFIED, S.IN_REVIEW),
    (S.IN_REVIEW, S.VERIFIED),
    (S.IN_REVIEW, S.FALSE),
    (S.IN_REVIEW, S.MISLEADING),
    (S.IN_REVIEW, S.UNPROVEN),
    (S.IN_REVIEW, S.UNVERIFIED),
    (S.VERIFIED, S.IN_REVIEW),
    (S.FALSE, S.IN_REVIEW),
    (S.MISLEADING, S.IN_REVIEW),
    (S.UNPROVEN, S.IN_REVIEW),
}
PAIRS = [(a, b) for a, b in itertools.permutations(S, 2)]


def claim_in(status: ClaimStatus) -> Claim:
    """A claim brought to ``status`` through the workflow itself."""
    claim = f.claim()
    if status == S.UNVERIFIED:
        return claim
    f.transition(claim=claim, status=S.IN_REVIEW)
    if status != S.IN_REVIEW:
        f.transition(claim=claim, status=status, evidence=[f.evidence(claim=claim)])
    claim.refresh_from_db()
    return claim


@pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
def test_allowed_transition_changes_status_and_writes_history(from_status, to_status):
    claim = claim_in(from_status)
    evidence = f.evidence(claim=claim)
    actor = f.reviewer()

    change = f.transition(
        claim=claim,
        status=to_status,
        actor=actor,
        reason="Checked against satellite imagery.",
        evidence=[evidence],
        version=claim.version + 1,  # adding evidence bumped the version
    )

    claim.refresh_from_db()
    assert claim.status == to_status
    assert (change.from_status, change.to_status) == (from_status, to_status)
    assert change.actor == actor
    assert change.reason == "Checked against satellite imagery."
    assert change.claim_version == claim.version
    assert list(change.evidence.all()) == [evidence]


@pytest.mark.parametrize(
    ("from_status", "to_status"), [pair for pair in PAIRS if pair not in ALLOWED]
)
def test_forbidden_transition_is_refused_and_names_allowed_targets(from_status, to_status):
    claim = claim_in(from_status)
    evidence = f.evidence(claim=claim)
    history = StatusChange.objects.count()

    with pytest.raises(TransitionNotAllowedError) as error:
        f.transition(claim=claim, status=to_status, evidence=[evidence])

    assert error.value.allowed == list(workflow.allowed_targets(from_status))
    assert f"cannot move from {from_status} to {to_status}" in error.value.message
    claim.refresh_from_db()
    assert claim.status == from_status
    assert StatusChange.objects.count() == history


def test_workflow_table_matches_design():
    table = {
        (source, target)
        for source, targets in workflow.ALLOWED_TRANSITIONS.items()
        for target in targets
    }
    assert table == ALLOWED


@pytest.mark.parametrize("verdict", [S.VERIFIED, S.FALSE, S.MISLEADING])
def test_verdict_needs_cited_evidence(verdict):
    claim = claim_in(S.IN_REVIEW)
    f.evidence(claim=claim)  # attached but not cited

    with pytest.raises(ValidationError) as error:
        f.transition(claim=claim, status=verdict)

    assert "Cite at least one piece of evidence" in str(error.value.message_dict["evidence"])
    claim.refresh_from_db()
    assert claim.status == S.IN_REVIEW


def test_unproven_needs_no_evidence():
    claim = claim_in(S.IN_REVIEW)
    f.transition(claim=claim, status=S.UNPROVEN)
    claim.refresh_from_db()
    assert claim.status == S.UNPROVEN


def test_withdrawn_or_foreign_evidence_cannot_be_cited():
    claim = claim_in(S.IN_REVIEW)
    withdrawn = f.evidence(claim=claim)
    from verification.services import evidence_withdraw

    evidence_withdraw(actor=f.editor(), evidence=withdrawn, reason="Image was doctored.")
    other = f.evidence(claim=f.claim())

    for cited in ([withdrawn], [other]):
        with pytest.raises(ValidationError) as error:
            f.transition(claim=claim, status=S.FALSE, evidence=cited)
        assert "attached to this claim and not withdrawn" in str(error.value)


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_every_transition_needs_a_reason(reason):
    claim = f.claim()
    with pytest.raises(ValidationError) as error:
        f.transition(claim=claim, status=S.IN_REVIEW, reason=reason)
    assert error.value.message_dict["reason"] == ["Give a reason for the status change."]


def test_unknown_status_is_a_validation_error():
    with pytest.raises(ValidationError) as error:
        f.transition(claim=f.claim(), status="probably")
    assert "'probably' is not a status" in str(error.value)


@pytest.mark.parametrize("make_user", [f.viewer, f.editor])
def test_only_reviewers_change_status(make_user):
    claim = f.claim()
    with pytest.raises(PermissionDenied):
        f.transition(claim=claim, status=S.IN_REVIEW, actor=make_user())
    claim.refresh_from_db()
    assert claim.status == S.UNVERIFIED
    assert not StatusChange.objects.exists()


def test_anonymous_and_inactive_users_cannot_transition():
    from django.contrib.auth.models import AnonymousUser

    claim = f.claim()
    inactive = f.reviewer(is_active=False)
    for actor in (AnonymousUser(), inactive):
        with pytest.raises(PermissionDenied):
            f.transition(claim=claim, status=S.IN_REVIEW, actor=actor)


def test_superuser_may_transition():
    admin = f.UserFactory(is_superuser=True)
    claim = f.claim()
    f.transition(claim=claim, status=S.IN_REVIEW, actor=admin)
    claim.refresh_from_db()
    assert claim.status == S.IN_REVIEW


def test_stale_version_is_refused():
    claim = f.claim()
    seen = claim.version
    f.statement(claim=claim)  # someone else changes the claim meanwhile

    with pytest.raises(StaleVersionError) as error:
        f.transition(claim=claim, status=S.IN_REVIEW, version=seen)

    assert error.value.current_version == seen + 1
    assert "changed by someone else" in error.value.message
    claim.refresh_from_db()
    assert claim.status == S.UNVERIFIED


def test_each_transition_bumps_version_and_records_channel():
    claim = f.claim()
    first = f.transition(claim=claim, status=S.IN_REVIEW, channel=Channel.API)
    second = f.transition(claim=claim, status=S.UNPROVEN, channel=Channel.COMMAND)
    claim.refresh_from_db()
    assert [first.claim_version, second.claim_version] == [2, 3]
    assert claim.version == 3
    assert [c.channel for c in claim.status_changes.all()] == ["api", "command"]


def test_transition_query_count(django_assert_max_num_queries):
    claim = claim_in(S.IN_REVIEW)
    evidence = [f.evidence(claim=claim) for _ in range(5)]
    actor = f.reviewer()
    actor.has_perm("claims.change_claim_status")  # warm the permission cache like a request

    # 10, and 4 of the notification outbox: the event, endpoints, subscribers, deliveries.
    with django_assert_max_num_queries(14):
        f.transition(claim=claim, status=S.FALSE, evidence=evidence, actor=actor)
