"""core.queries: a cursor whose statements the connection prepares, seen and wrapped by Django
like any other, and a queryset compiled once and run with new values."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from core.queries import AnyOf, CompiledRows, prepared_cursor
from tests import factories as f

pytestmark = pytest.mark.django_db

TEXT_OF = "SELECT text FROM claims_claim WHERE id = %s"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_a_statement_run_again_is_prepared_and_still_counted(prepared_at_once: None) -> None:
    first, second = f.claim(text="Troops return."), f.claim(text="Війська повертаються.")

    with CaptureQueriesContext(connection) as captured:
        for claim in (first, second, first):
            with prepared_cursor() as cursor:
                cursor.execute(TEXT_OF, [claim.pk])
                assert cursor.fetchone() == (claim.text,)

    assert len(captured.captured_queries) == 3
    assert "SELECT text FROM claims_claim WHERE id = $1" in prepared_statements()


def test_without_prepared_statements_nothing_is_prepared() -> None:
    claim = f.claim(text="Troops return.")
    for _ in range(6):
        with prepared_cursor() as cursor:
            cursor.execute("SELECT text AS unplanned FROM claims_claim WHERE id = %s", [claim.pk])
            assert cursor.fetchone() == (claim.text,)

    assert not any("unplanned" in statement for statement in prepared_statements())


def test_a_database_error_is_djangos(prepared_at_once: None) -> None:
    with pytest.raises(DatabaseError, match="no_such_column"), prepared_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM claims_claim WHERE id = %s", [1])


def test_compiled_rows_take_each_call_its_value() -> None:
    claims = [f.claim(text=f"Convoy {number}.") for number in range(3)]
    compiled = CompiledRows(
        lambda ids: Claim.objects.filter(AnyOf("id", ids)).values("text", "version")
    )

    assert compiled.rows([]) == []
    assert sorted(row["text"] for row in compiled.rows([c.pk for c in claims[:2]])) == [
        "Convoy 0.",
        "Convoy 1.",
    ]
    assert compiled.rows([claims[2].pk]) == [{"text": "Convoy 2.", "version": 1}]
