"""History is append-only: the database itself refuses to rewrite or erase it."""

from __future__ import annotations

import pghistory.models
import pytest
from django.db import DatabaseError, connection, transaction

from claims import services
from claims.models import ClaimStatus
from tests import factories as f
from verification.models import Evidence, StatusChange, StatusChangeEvidence

pytestmark = pytest.mark.django_db


def refused(sql: str, params: list[object]) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return True
    return False


def test_status_change_rows_cannot_be_updated_or_deleted():
    claim = f.claim()
    evidence = f.evidence(claim=claim)
    f.transition(claim=claim, status=ClaimStatus.IN_REVIEW)
    change = f.transition(claim=claim, status=ClaimStatus.FALSE, evidence=[evidence])

    with pytest.raises(DatabaseError), transaction.atomic():
        StatusChange.objects.filter(pk=change.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        StatusChange.objects.filter(pk=change.pk).delete()
    assert refused("UPDATE verification_statuschange SET reason = 'x' WHERE id = %s", [change.pk])
    assert refused("DELETE FROM verification_statuschange WHERE id = %s", [change.pk])
    assert refused(
        "DELETE FROM verification_statuschangeevidence WHERE status_change_id = %s", [change.pk]
    )
    change.refresh_from_db()
    assert change.reason == "Moving to false."
    assert StatusChangeEvidence.objects.filter(status_change=change).count() == 1


def test_evidence_is_never_deleted():
    evidence = f.evidence(claim=f.claim())
    assert refused("DELETE FROM verification_evidence WHERE id = %s", [evidence.pk])
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_edit_history_records_who_what_and_channel_and_cannot_be_rewritten():
    editor = f.editor()
    claim = f.claim(actor=editor, text="Russia has ordered troops back to their bases.")
    with pghistory.context(user=editor.pk, channel="admin"):
        services.claim_update(
            actor=editor,
            claim=claim,
            version=claim.version,
            data={"summary": "Kremlin statement of 15 February 2022."},
        )

    events = list(claim.events.order_by("pgh_id"))
    assert [event.pgh_label for event in events] == ["insert", "update"]
    update = events[-1]
    assert update.summary == "Kremlin statement of 15 February 2022."
    assert update.version == 2
    assert update.pgh_context.metadata["user"] == editor.pk
    assert update.pgh_context.metadata["channel"] == "admin"

    event_table = claim.events.model._meta.db_table
    assert refused(f"UPDATE {event_table} SET text = 'rewritten'", [])  # noqa: S608
    assert refused(f"DELETE FROM {event_table}", [])  # noqa: S608


def test_tag_changes_are_in_the_edit_history():
    editor = f.editor()
    claim = f.claim(actor=editor, tags=["Russia", " ukraine "])
    services.claim_update(actor=editor, claim=claim, version=claim.version, data={"tags": ["nato"]})
    claim.refresh_from_db()
    assert sorted(claim.tags.values_list("name", flat=True)) == ["nato"]
    labels = sorted(
        pghistory.models.Events.objects.filter(pgh_model="claims.ClaimTagEvent").values_list(
            "pgh_label", flat=True
        )
    )
    assert labels == ["tag.add", "tag.add", "tag.add", "tag.remove", "tag.remove"]
