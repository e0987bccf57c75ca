"""claim_rows_by_id (compiled once, bound on the server, prepared by the connection) and
claim_rows() through the ORM give the same rows for every kind of claim a page can show."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import selectors
from claims import services as claim_services
from claims.models import Claim
from interchange.models import Review
from matching import services as merge_services
from publishing import services as publishing_services
from tests import factories as f
from verification import services as verification_services
from verification.models import Channel

pytestmark = pytest.mark.django_db


def claims_of_every_kind() -> list[Claim]:
    reviewer = f.reviewer()
    plain = f.claim(text="Troops return to their bases.")
    full = f.claim(
        text="Войска возвращаются в казармы.",
        language="ru",
        claimant=f.source(name="Минобороны"),
        assignee=reviewer,
        tags=["troops", "border"],
    )
    f.statement(claim=full, stance="supports")
    f.statement(claim=full, stance="counters", quote="We'll believe it when we see it.")
    kept, withdrawn = f.evidence(claim=full), f.evidence(claim=full)
    verification_services.evidence_withdraw(actor=reviewer, evidence=withdrawn, reason="Wrong.")
    claim_services.appearance_add(actor=reviewer, claim=full, url="https://tass.ru/1")
    published = f.claim(text="Les troupes sont rentrées.", language="fr")
    f.published(claim=published, status="false")
    unpublished = f.claim(text="Truppen kehren zurück.", language="de")
    f.published(claim=unpublished, status="misleading")
    publishing_services.claim_unpublish(
        actor=reviewer, claim=unpublished, reason="Retracted.", channel=Channel.ADMIN
    )
    proposed = f.claim(text="Війська повертаються.", language="uk")
    f.transition(claim=proposed, status="in_review")
    proposed.refresh_from_db()
    verification_services.claim_transition(
        actor=reviewer,
        claim=proposed,
        status="unproven",
        reason="Nothing shows it.",
        channel=Channel.ADMIN,
    )
    reviewed = f.claim(text="القوات تعود إلى قواعدها.", language="ar")
    Review.objects.create(
        claim=reviewed, url="https://factcheck.example/troops", publisher_name="Example"
    )
    canonical, duplicate = f.claim(text="Troops go back."), f.claim(text="Troops went back.")
    merge_services.claim_merge(
        actor=reviewer,
        duplicate=duplicate,
        canonical=canonical,
        version=duplicate.version,
        canonical_version=canonical.version,
    )
    assert kept.withdrawn_at is None
    return [plain, full, published, unpublished, proposed, reviewed, canonical, duplicate]


def through_the_orm(ids: list[str]) -> dict[str, dict[str, Any]]:
    return {str(row["id"]): row for row in selectors.claim_rows().filter(id__in=ids)}


def test_the_same_rows_as_the_orm_for_every_kind_of_claim() -> None:
    ids = [str(claim.pk) for claim in claims_of_every_kind()]

    rows = selectors.claim_rows_by_id([*ids, str(uuid.uuid4())])  # and one that is not there

    assert rows == through_the_orm(ids)
    assert len(rows) == len(ids)
    assert rows[ids[1]]["tag_names"] == ["border", "troops"]
    assert (rows[ids[1]]["supporting_count"], rows[ids[1]]["evidence_count"]) == (1, 1)
    assert rows[ids[4]]["pending_proposal"]["verdict"] == "unproven"
    assert rows[ids[5]]["review_list"][0]["url"] == "https://factcheck.example/troops"
    assert rows[ids[7]]["merged_into_id"] == uuid.UUID(ids[6])


def test_a_prepared_statement_gives_the_same_rows(prepared_at_once: None) -> None:
    ids = [str(claim.pk) for claim in claims_of_every_kind()]

    first, again = selectors.claim_rows_by_id(ids), selectors.claim_rows_by_id(ids[:3])

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("= ANY(" in statement for statement in prepared)
    assert first == through_the_orm(ids)
    assert again == through_the_orm(ids[:3])


def test_one_query_counted_like_any_other_and_none_for_no_ids() -> None:
    ids = [str(claim.pk) for claim in claims_of_every_kind()]

    with CaptureQueriesContext(connection) as captured:
        selectors.claim_rows_by_id(ids)
        assert selectors.claim_rows_by_id([]) == {}

    assert len(captured.captured_queries) == 1
    assert "= ANY(" in captured.captured_queries[0]["sql"]
