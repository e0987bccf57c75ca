"""Another tool drives the whole review flow over HTTP with a token."""

from __future__ import annotations

import pytest

from claims.models import Claim
from tests import factories as f
from verification.models import StatusChange

pytestmark = pytest.mark.django_db


def test_whole_review_flow_over_http(api):
    editor, reviewer = f.editor(username="ed"), f.reviewer(username="rita")
    as_editor, as_reviewer = api(editor), api(reviewer)

    peskov = as_editor.post(
        "/api/v1/sources/",
        {"name": "Dmitry Peskov", "kind": "person", "role": "Kremlin spokesperson"},
    )
    assert peskov.status_code == 201, peskov.json()
    kuleba = as_editor.post("/api/v1/sources/", {"name": "Dmytro Kuleba", "kind": "person"})

    created = as_editor.post(
        "/api/v1/claims/",
        {
            "text": "Russia has ordered troops near Ukraine's border back to their bases.",
            "claimant": peskov.json()["id"],
            "tags": ["Russia", "troops"],
            "assignee": "rita",
        },
    )
    assert created.status_code == 201, created.json()
    claim = created.json()
    assert created["ETag"] == '"v1"'
    assert created["Location"].endswith(f"/api/v1/claims/{claim['id']}/")
    assert claim["status"] == "unverified"
    assert claim["claimant"]["name"] == "Dmitry Peskov"
    assert claim["tags"] == ["russia", "troops"]
    assert claim["allowed_transitions"] == ["in_review"]

    counter = as_editor.post(
        claim["links"]["statements"],
        {
            "source": kuleba.json()["id"],
            "quote": "We won\u2019t believe when we hear, we\u2019ll believe when we see.",
            "stance": "counters",
        },
    )
    assert counter.status_code == 201, counter.json()
    evidence = as_reviewer.post(
        claim["links"]["evidence"],
        {"kind": "image", "stance": "refutes", "file": f.png_upload("crimea.png")},
        format="multipart",
    )
    assert evidence.status_code == 201, evidence.json()
    assert evidence.json()["sha256"] and evidence.json()["size"] == len(f.PNG_BYTES)
    download = as_reviewer.get(evidence.json()["download"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="crimea.png"'

    current = as_reviewer.get(claim["links"]["self"])
    assert current.json()["countering_count"] == 1
    assert current.json()["evidence_count"] == 1
    etag = current["ETag"]
    assert as_reviewer.get(claim["links"]["self"], HTTP_IF_NONE_MATCH=etag).status_code == 304

    to_review = as_reviewer.post(
        claim["links"]["transitions"],
        {"status": "in_review", "reason": "Checking imagery."},
        HTTP_IF_MATCH=etag,
    )
    assert to_review.status_code == 200, to_review.json()
    assert to_review.json()["status"] == "in_review"

    stale = as_reviewer.post(
        claim["links"]["transitions"],
        {"status": "false", "reason": "No withdrawal seen.", "evidence": [evidence.json()["id"]]},
        HTTP_IF_MATCH=etag,
    )
    assert stale.status_code == 412
    assert stale["ETag"] == to_review["ETag"]
    assert stale["Content-Type"] == "application/problem+json"

    proposal = as_reviewer.post(
        claim["links"]["transitions"],
        {"status": "false", "reason": "No withdrawal seen.", "evidence": [evidence.json()["id"]]},
        HTTP_IF_MATCH=to_review["ETag"],
    )
    assert proposal.status_code == 202, proposal.json()  # second approval: a proposal
    assert proposal.json()["outcome"] == "pending"
    as_second = api(f.reviewer(username="marc"))
    verdict = as_second.post(claim["links"]["approve"], {}, HTTP_IF_MATCH=proposal["ETag"])
    assert verdict.status_code == 200, verdict.json()
    assert verdict.json()["review_rating"] == {
        "rating_value": 1, "best_rating": 5, "worst_rating": 1, "alternate_name": "False"
    }  # fmt: skip

    history = as_reviewer.get(claim["links"]["history"]).json()["results"]
    assert [(h["from_status"], h["to_status"], h["channel"]) for h in history] == [
        ("unverified", "in_review", "api"),
        ("in_review", "false", "api"),
    ]
    assert history[1]["evidence"] == [evidence.json()["id"]]
    assert Claim.objects.get(pk=claim["id"]).status == "false"
    assert StatusChange.objects.count() == 2
    assert history[1]["actor"] == "marc" and history[1]["proposed_by"] == "rita"


def test_transition_errors(api):
    claim = f.claim()
    as_reviewer = api(f.reviewer())
    url = f"/api/v1/claims/{claim.pk}/transitions/"

    missing = as_reviewer.post(url, {"status": "in_review", "reason": "x"})
    assert missing.status_code == 428
    assert missing.json()["type"] == "urn:claimtracker:problem:precondition_required"

    forbidden = as_reviewer.post(url, {"status": "false", "reason": "x"}, HTTP_IF_MATCH='"v1"')
    assert forbidden.status_code == 409
    assert forbidden.json()["allowed_transitions"] == ["in_review"]

    no_reason = as_reviewer.post(url, {"status": "in_review", "reason": ""}, HTTP_IF_MATCH='"v1"')
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["errors"]

    as_editor = api(f.editor())
    denied = as_editor.post(url, {"status": "in_review", "reason": "x"}, HTTP_IF_MATCH='"v1"')
    assert denied.status_code == 403
    assert api().get(f"/api/v1/claims/{claim.pk}/").status_code == 401
