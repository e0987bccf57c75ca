"""Merging a duplicate into the claim it repeats (POST claims/{id}/merge/), and linking claims."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from claims import services as claim_services
from claims.models import Appearance, Claim, ClaimLink
from interchange.models import Review
from notifications import services as notification_services
from notifications.models import Delivery, DeliveryChannel, Event, EventType
from notifications.services import claim_watch
from tests import factories as f
from verification.models import Evidence

pytestmark = pytest.mark.django_db

TROOPS = "Russia has ordered troops near Ukraine's border back to their bases."


@pytest.fixture
def reviewer() -> Any:
    return f.reviewer(username="olena")


@pytest.fixture
def reviewer_api(api: Callable[..., APIClient], reviewer: Any) -> APIClient:
    return api(reviewer)


def merge(client: APIClient, duplicate: Claim, into: Claim, **body: Any) -> Any:
    duplicate.refresh_from_db()
    into.refresh_from_db()
    return client.post(
        f"/api/v1/claims/{duplicate.pk}/merge/",
        {"canonical": str(into.pk), "canonical_version": into.version, **body},
        format="json",
        HTTP_IF_MATCH=f'"v{duplicate.version}"',
    )


def test_everything_moves_and_the_duplicate_points_at_the_claim_kept(
    reviewer_api: APIClient, reviewer: Any
) -> None:
    canonical = f.claim(text=TROOPS, tags=["troops"])
    edith = f.editor(username="edith", email="edith@example.org")
    duplicate = f.claim(text=f"BREAKING: {TROOPS}", tags=["troops", "breaking"], actor=edith)
    statement = f.statement(claim=duplicate, quote="We will believe it when we see it.")
    evidence = f.evidence(claim=duplicate)
    claim_services.appearance_add(
        actor=reviewer, claim=duplicate, url="https://interfax.ru/1", quote="Troops return."
    )
    claim_services.appearance_add(actor=reviewer, claim=canonical, url="https://interfax.ru/1")
    claim_services.appearance_add(actor=reviewer, claim=duplicate, url="https://tass.ru/2")
    review = Review.objects.create(
        claim=duplicate, url="https://factcheck.example/troops", publisher_name="Example"
    )
    watcher = f.viewer(username="watcher", email="watcher@example.org")
    claim_watch(actor=watcher, claim=duplicate)
    versions = (canonical.version, duplicate.version)
    mail.outbox.clear()

    response = merge(reviewer_api, duplicate, canonical)

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(canonical.pk)
    assert sorted(response.json()["tags"]) == ["breaking", "troops"]
    statement.refresh_from_db()
    evidence.refresh_from_db()
    review.refresh_from_db()
    assert (statement.claim_id, evidence.claim_id, review.claim_id) == (canonical.pk,) * 3
    appearances = {a.url: a.quote for a in Appearance.objects.filter(claim=canonical)}
    assert appearances == {"https://interfax.ru/1": "Troops return.", "https://tass.ru/2": ""}
    assert not Appearance.objects.filter(claim=duplicate).exists()
    duplicate.refresh_from_db()
    canonical.refresh_from_db()
    assert duplicate.merged_into_id == canonical.pk and duplicate.merged_at is not None
    assert (canonical.version, duplicate.version) > versions
    assert canonical.subscription_set.get().user == watcher

    event = Event.objects.get(type=EventType.CLAIM_MERGED)
    assert event.claim_id == duplicate.pk
    assert event.payload["data"]["canonical"]["id"] == str(canonical.pk)
    emails = Delivery.objects.filter(event=event, channel=DeliveryChannel.EMAIL)
    # its watchers, and whoever made it (as for its status changes)
    assert sorted(row.user.username for row in emails) == ["edith", "watcher"]
    delivery = emails.get(user=watcher)
    assert notification_services.delivery_send(delivery_id=delivery.pk) == "succeeded"
    assert mail.outbox[-1].subject.startswith("[Claim tracker] Merged into another claim: ")
    assert TROOPS in mail.outbox[-1].body


def test_the_duplicate_redirects_and_refuses_changes(
    reviewer_api: APIClient, reviewer: Any
) -> None:
    canonical, duplicate = f.claim(text=TROOPS), f.claim(text=TROOPS.upper())
    f.published(claim=canonical)
    assert merge(reviewer_api, duplicate, canonical).status_code == 200

    detail = reviewer_api.get(f"/api/v1/claims/{duplicate.pk}/")
    assert detail.status_code == 301
    assert detail["Location"].endswith(f"/api/v1/claims/{canonical.pk}/")
    part = reviewer_api.get(f"/api/v1/claims/{duplicate.pk}/statements/?limit=5")
    assert part.status_code == 301
    assert part["Location"].endswith(f"/api/v1/claims/{canonical.pk}/statements/?limit=5")
    listed = reviewer_api.get("/api/v1/claims/", {"limit": 50}).json()["results"]
    assert {row["id"]: row["merged_into"] for row in listed}[str(duplicate.pk)] == str(canonical.pk)

    duplicate.refresh_from_db()
    patched = reviewer_api.patch(
        f"/api/v1/claims/{duplicate.pk}/",
        {"summary": "Said on 15 February."},
        format="json",
        HTTP_IF_MATCH=f'"v{duplicate.version}"',
    )
    assert patched.status_code == 409
    assert f"merged into claim {canonical.pk} and is read-only" in patched.json()["detail"]
    statement = reviewer_api.post(
        f"/api/v1/claims/{duplicate.pk}/statements/",
        {"source": str(f.source().pk), "quote": "No.", "stance": "counters"},
        format="json",
    )
    assert statement.status_code == 409

    public = Client().get(f"/fact-checks/{duplicate.pk}/")
    assert public.status_code == 301
    assert public["Location"] == f"/fact-checks/{canonical.pk}/"
    assert Client().get(public["Location"], follow=True).status_code == 200


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("itself", 400, "A claim cannot be merged into itself."),
        ("into a merged claim", 400, "was itself merged into claim"),
        ("already merged", 409, "and is read-only"),
        ("stale duplicate", 412, "changed by someone else"),
        ("stale canonical", 412, "changed by someone else"),
        ("no If-Match", 428, ""),
        ("two verdicts", 409, "The duplicate is false and the claim to keep is verified"),
        ("published duplicate", 409, "unpublish it first"),
        ("unknown claim", 400, "There is no claim"),
        ("not a uuid", 400, "Must be a valid UUID."),
    ],
)
def test_a_merge_that_cannot_be_is_refused_and_nothing_changes(
    reviewer_api: APIClient, case: str, status: int, message: str
) -> None:
    canonical, duplicate = f.claim(text=TROOPS), f.claim(text=TROOPS.upper())
    f.statement(claim=duplicate)
    third = f.claim(text="Another")
    body: dict[str, Any] = {}
    target = canonical
    if case == "itself":
        target = duplicate
    elif case == "into a merged claim":
        assert merge(reviewer_api, canonical, third).status_code == 200
    elif case == "already merged":
        assert merge(reviewer_api, duplicate, third).status_code == 200
    elif case == "two verdicts":
        f.verdict(claim=duplicate, status="false")
        f.verdict(claim=canonical, status="verified")
    elif case == "published duplicate":
        f.published(claim=duplicate)
    elif case == "unknown claim":
        body = {"canonical": "00000000-0000-4000-8000-000000000000"}
    elif case == "not a uuid":
        body = {"canonical": "troops"}
    duplicate.refresh_from_db()
    canonical.refresh_from_db()
    before = {c.pk: (c.version, c.merged_into_id) for c in Claim.objects.all()}
    statements = duplicate.statements.count()

    if case.startswith("stale") or case == "no If-Match":
        version = f'"v{duplicate.version - (case == "stale duplicate")}"'
        headers = {"HTTP_IF_MATCH": version} if case != "no If-Match" else {}
        response = reviewer_api.post(
            f"/api/v1/claims/{duplicate.pk}/merge/",
            {
                "canonical": str(canonical.pk),
                "canonical_version": canonical.version + (case == "stale canonical"),
            },
            format="json",
            **headers,
        )
    else:
        response = merge(reviewer_api, duplicate, target, **body)

    assert response.status_code == status, response.content
    assert message in str(response.json())
    assert {c.pk: (c.version, c.merged_into_id) for c in Claim.objects.all()} == before
    assert duplicate.statements.count() == statements


def test_only_reviewers_merge(api: Callable[..., APIClient]) -> None:
    canonical, duplicate = f.claim(text=TROOPS), f.claim(text=TROOPS.upper())
    assert merge(api(f.editor()), duplicate, canonical).status_code == 403
    assert merge(api(f.viewer()), duplicate, canonical).status_code == 403
    assert merge(api(None), duplicate, canonical).status_code == 401
    assert Claim.objects.filter(merged_into__isnull=False).count() == 0


def test_claims_are_linked_both_ways_once_and_unlinked(
    api: Callable[..., APIClient],
) -> None:
    editor_api = api(f.editor())
    returning = f.claim(text=TROOPS)
    massing = f.claim(text="Russia is massing more than 100,000 troops at the Ukrainian border")
    links = f"/api/v1/claims/{returning.pk}/links/"

    made = editor_api.post(links, {"claim": str(massing.pk), "kind": "contradicts"}, format="json")

    assert made.status_code == 201, made.content
    assert made.json()["claim_text"] == massing.text
    seen_from_other = editor_api.get(f"/api/v1/claims/{massing.pk}/links/").json()
    assert [(row["claim"], row["kind"]) for row in seen_from_other] == [
        (str(returning.pk), "contradicts")
    ]
    again = editor_api.post(
        f"/api/v1/claims/{massing.pk}/links/",
        {"claim": str(returning.pk), "kind": "related"},
        format="json",
    )
    assert again.status_code == 400
    assert "already linked" in str(again.json())
    itself = editor_api.post(links, {"claim": str(returning.pk), "kind": "related"}, format="json")
    assert "cannot be linked with itself" in str(itself.json())
    wrong = editor_api.post(links, {"claim": str(massing.pk), "kind": "same"}, format="json")
    assert wrong.status_code == 400 and "kind" in wrong.json()["errors"]

    removed = editor_api.delete(f"{links}{made.json()['id']}/")
    assert removed.status_code == 204
    assert not ClaimLink.objects.exists()


def test_a_merge_carries_the_duplicates_links(reviewer_api: APIClient, reviewer: Any) -> None:
    canonical, duplicate = f.claim(text=TROOPS), f.claim(text=TROOPS.upper())
    other = f.claim(text="Troops massed at the border")
    claim_services.claim_link(actor=reviewer, claim=duplicate, other=other, kind="contradicts")
    claim_services.claim_link(actor=reviewer, claim=duplicate, other=canonical, kind="related")

    assert merge(reviewer_api, duplicate, canonical).status_code == 200

    assert [(link.claim_id, link.other_id) for link in ClaimLink.objects.all()] == [
        (canonical.pk, other.pk)
    ]
    assert Evidence.objects.count() == 0
