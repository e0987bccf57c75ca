"""Second approval over HTTP: 202 with the proposal, approve/, reject/, proposals/."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from tests import factories as f
from verification.models import VerdictProposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim_in_review() -> Claim:
    claim = f.claim(text="Russia has ordered troops near Ukraine’s border back to their bases.")
    f.transition(claim=claim, status="in_review")
    claim.refresh_from_db()
    return claim


def etag_of(client, claim: Claim) -> str:
    return client.get(f"/api/v1/claims/{claim.pk}/")["ETag"]


def propose(client, claim: Claim, status: str = "false") -> dict:
    evidence = f.evidence(claim=claim)
    answer = client.post(
        f"/api/v1/claims/{claim.pk}/transitions/",
        {"status": status, "reason": "Imagery shows no pull-back.", "evidence": [evidence.pk]},
        HTTP_IF_MATCH=etag_of(client, claim),
    )
    assert answer.status_code == 202, answer.json()
    return {"body": answer.json(), "etag": answer["ETag"], "evidence": str(evidence.pk)}


def test_a_verdict_answers_202_with_the_proposal_then_another_reviewer_approves(
    api, claim_in_review
):
    olena, marc = f.reviewer(username="olena"), f.reviewer(username="marc")
    as_olena, as_marc = api(olena), api(marc)

    proposed = propose(as_olena, claim_in_review)

    body = proposed["body"]
    assert body["verdict"] == "false"
    assert body["outcome"] == "pending"
    assert body["proposed_by"] == "olena"
    assert body["evidence"] == [proposed["evidence"]]
    assert (body["decided_by"], body["decided_at"], body["decision_channel"]) == (None, None, "")
    claim = as_marc.get(f"/api/v1/claims/{claim_in_review.pk}/")
    assert claim["ETag"] == proposed["etag"]
    read = claim.json()
    assert read["status"] == "in_review"
    assert read["allowed_transitions"] == []
    assert read["proposal"]["id"] == body["id"]
    assert read["proposal"]["proposed_by"] == "olena"
    assert read["proposal"]["evidence"] == [proposed["evidence"]]
    assert read["proposal"]["proposed_at"] == body["proposed_at"]

    approved = as_marc.post(
        read["links"]["approve"], {"reason": "Checked."}, HTTP_IF_MATCH=claim["ETag"]
    )

    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "false"
    assert approved.json()["proposal"] is None
    assert approved.json()["allowed_transitions"] == ["in_review"]
    history = as_marc.get(read["links"]["history"]).json()["results"]
    assert history[-1]["to_status"] == "false"
    assert (history[-1]["actor"], history[-1]["proposed_by"]) == ("marc", "olena")
    assert history[-1]["proposal"] == body["id"]
    proposals = as_marc.get(read["links"]["proposals"]).json()["results"]
    assert [(p["outcome"], p["decided_by"], p["decision_reason"]) for p in proposals] == [
        ("approved", "marc", "Checked.")
    ]


def test_approving_ones_own_proposal_is_403_whatever_the_role(api, claim_in_review):
    root = f.UserFactory(username="root", is_superuser=True, is_staff=True)
    as_root = api(root)
    proposed = propose(as_root, claim_in_review)

    refused = as_root.post(
        f"/api/v1/claims/{claim_in_review.pk}/approve/", {}, HTTP_IF_MATCH=proposed["etag"]
    )

    assert refused.status_code == 403
    assert "another reviewer must approve it" in refused.json()["detail"]
    assert "superusers too" in refused.json()["detail"]
    assert Claim.objects.get(pk=claim_in_review.pk).status == "in_review"


def test_bad_decisions_are_4xx_and_change_nothing(api, claim_in_review):
    as_marc = api(f.reviewer(username="marc"))
    url = f"/api/v1/claims/{claim_in_review.pk}/"
    etag = etag_of(as_marc, claim_in_review)

    nothing = as_marc.post(url + "approve/", {}, HTTP_IF_MATCH=etag)
    assert nothing.status_code == 409
    assert "no verdict proposal awaiting approval" in nothing.json()["detail"]
    assert as_marc.post(url + "reject/", {"reason": "x"}, HTTP_IF_MATCH=etag).status_code == 409

    proposed = propose(api(f.reviewer()), claim_in_review)
    etag = proposed["etag"]
    assert as_marc.post(url + "approve/", {}).status_code == 428
    stale = as_marc.post(url + "approve/", {}, HTTP_IF_MATCH='"v1"')
    assert stale.status_code == 412
    assert stale["ETag"] == etag
    for body in ({}, {"reason": ""}, {"reason": "  \n "}):
        blank = as_marc.post(url + "reject/", body, HTTP_IF_MATCH=etag)
        assert blank.status_code == 400, body
        assert blank.json()["errors"]["reason"] == [
            "Say why the proposal is rejected: its author reads it to try again."
        ]
    huge = as_marc.post(url + "reject/", {"reason": "x" * 10_001}, HTTP_IF_MATCH=etag)
    assert huge.status_code == 400
    unknown = as_marc.post(url + "approve/", {"verdict": "verified"}, HTTP_IF_MATCH=etag)
    assert unknown.status_code == 400
    blocked = as_marc.post(
        url + "transitions/", {"status": "unverified", "reason": "Back."}, HTTP_IF_MATCH=etag
    )
    assert blocked.status_code == 409
    assert "awaits approval" in blocked.json()["detail"]
    editor = api(f.editor()).post(url + "approve/", {}, HTTP_IF_MATCH=etag)
    assert editor.status_code == 403

    assert VerdictProposal.objects.get().outcome == "pending"
    assert as_marc.get(url)["ETag"] == etag


def test_reject_sends_the_proposal_back(api, claim_in_review):
    as_olena, as_marc = api(f.reviewer(username="olena")), api(f.reviewer(username="marc"))
    proposed = propose(as_olena, claim_in_review)

    rejected = as_marc.post(
        f"/api/v1/claims/{claim_in_review.pk}/reject/",
        {"reason": "Cite the imagery of 16 February, not 14."},
        HTTP_IF_MATCH=proposed["etag"],
    )

    assert rejected.status_code == 200, rejected.json()
    assert rejected.json()["status"] == "in_review"
    assert rejected.json()["proposal"] is None
    assert rejected.json()["allowed_transitions"] == ["verified", "false", "misleading",
                                                      "unproven", "unverified"]  # fmt: skip
    [proposal] = as_olena.get(rejected.json()["links"]["proposals"]).json()["results"]
    assert proposal["outcome"] == "rejected"
    assert proposal["decision_reason"] == "Cite the imagery of 16 February, not 14."


def test_anonymous_readers_do_not_see_a_proposal(api, settings):
    settings.API_PUBLIC_VERDICTS = True
    published = f.published(status="unproven")
    f.transition(claim=published.claim, status="in_review")  # re-opened, still public
    reviewer = api(f.reviewer())
    propose(reviewer, published.claim, status="unproven")

    anonymous = api().get(f"/api/v1/claims/{published.claim.pk}/")

    assert anonymous.status_code == 200
    assert anonymous.json()["proposal"] is None
    assert reviewer.get(f"/api/v1/claims/{published.claim.pk}/").json()["proposal"] is not None
    assert api().get(f"/api/v1/claims/{published.claim.pk}/proposals/").status_code == 401


def test_claim_list_reads_proposals_in_the_same_query(api):
    reviewer = f.reviewer()
    as_reviewer = api(reviewer)
    for number in range(3):
        claim = f.claim(text=f"Claim {number} about troop movements.")
        f.transition(claim=claim, status="in_review")
        propose(as_reviewer, claim)
    with CaptureQueriesContext(connection) as few:
        first = as_reviewer.get("/api/v1/claims/")
    for number in range(3, 8):
        claim = f.claim(text=f"Claim {number} about troop movements.")
        f.transition(claim=claim, status="in_review")
        propose(as_reviewer, claim)
    with CaptureQueriesContext(connection) as many:
        second = as_reviewer.get("/api/v1/claims/")

    assert sum(1 for row in first.json()["results"] if row["proposal"]) == 3
    assert sum(1 for row in second.json()["results"] if row["proposal"]) == 8
    assert len(many) == len(few)
