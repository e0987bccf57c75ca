"""The read-only lists of evidence and status changes, and the sources list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = [
    reverse("admin:verification_evidence_changelist"),
    reverse("admin:verification_statuschange_changelist"),
    reverse("admin:claims_source_changelist"),
]


def reviewed_claim(number: int) -> Claim:
    source = factories.source(name=f"Source {number}")
    claim = factories.claim(text=f"Claim {number}.", claimant=source)
    factories.transition(claim=claim, status="in_review")
    evidence = factories.evidence(claim=claim)
    factories.transition(claim=claim, status="false", evidence=[evidence])
    return claim


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("url", LISTS)
def test_list_query_count_does_not_grow(viewer_client: Client, url: str) -> None:
    reviewed_claim(0)
    one = queries_for(viewer_client, url)
    for number in range(1, 15):
        reviewed_claim(number)

    assert queries_for(viewer_client, url) == one


def test_status_change_page_shows_the_cited_evidence(viewer_client: Client) -> None:
    claim = reviewed_claim(0)
    change = claim.status_changes.get(to_status="false")
    evidence = claim.evidence.get()

    response = viewer_client.get(
        reverse("admin:verification_statuschange_change", args=[change.pk])
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert evidence.url in page
    assert "Moving to false." in page
    assert "status-in_review" in page and "status-false" in page


def test_sources_list_counts_claims_and_searches(viewer_client: Client) -> None:
    peskov = factories.source(name="Dmitry Peskov", role="Kremlin spokesperson")
    factories.claim(claimant=peskov)
    factories.claim(claimant=peskov)
    factories.source(name="Dmytro Kuleba")

    response = viewer_client.get(reverse("admin:claims_source_changelist") + "?q=kremlin")

    page = response.content.decode()
    assert "Dmitry Peskov" in page
    assert "Dmytro Kuleba" not in page
    assert '<td class="field-claim_count">2</td>' in page


def test_the_edit_history_of_everything_lists_with_and_without_counts(admin_client: Client) -> None:
    reviewed_claim(0)
    for params in ({}, {"_facets": "True"}):
        assert admin_client.get("/admin/pghistory/events/", params).status_code == 200
