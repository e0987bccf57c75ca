"""The hottest reads: planned once per connection, and compiled once per process.

Compiling a queryset with several subqueries costs the ORM milliseconds on every request, and
PostgreSQL plans each statement again every time; a page of a search runs the same query with
other ids, and every API request the same token query with another digest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from django.db.models import BooleanField, Func, QuerySet

# Stands where the changing value goes while the query is compiled.
_MARKER = object()


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """A cursor that binds its parameters on the server, so the connection prepares a statement
    it runs again and again (plans it once) after psycopg's ``prepare_threshold`` uses, where
    connections prepare statements at all (``DATABASE_PREPARED_STATEMENTS``). It is Django's
    cursor wrapper around it: its queries are counted, logged and wrapped like any other."""
    connection.ensure_connection()
    # Django's own cursor class for server-side binding (its stubs do not know it).
    raw: Any = cast(Any, ServerBindingCursor)(connection.connection)
    wrapped = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    with wrapped as cursor:
        yield cursor


class AnyOf(Func):
    """``expression = ANY(array)``: one parameter for a list, however long (``__in`` has one
    for each item, so its SQL changes with the list's length)."""

    arity = 2
    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


class CompiledRows:
    """The rows of a ``values()`` queryset for a value, as dicts like ``values()`` gives them.

    ``build(marker)`` returns the queryset with ``marker`` as the one parameter that changes,
    say ``AnyOf("id", Value(marker, ...))``. It is compiled once per process and run through
    a ``prepared_cursor``.
    """

    def __init__(self, build: Callable[[object], QuerySet[Any, dict[str, Any]]]) -> None:
        self._build = build
        self._compiled: tuple[Any, str, list[Any], int, list[str]] | None = None
        self._lock = threading.Lock()

    def _compile(self) -> tuple[Any, str, list[Any], int, list[str]]:
        with self._lock:
            if self._compiled is None:
                query = self._build(_MARKER).query
                compiler = query.get_compiler(connection=connection)
                sql, params = compiler.as_sql()
                at = next(n for n, param in enumerate(params) if param is _MARKER)
                names = list(query.selected or ())  # as ValuesIterable names the columns
                if not names:
                    names = [*query.extra_select, *query.values_select, *query.annotation_select]
                self._compiled = compiler, sql, list(params), at, names
            return self._compiled

    def rows(self, value: Any) -> list[dict[str, Any]]:
        compiler, sql, params, at, names = self._compile()
        bound = [*params]
        bound[at] = value
        with prepared_cursor() as cursor:
            cursor.execute(sql, bound)
            fetched = cursor.fetchall()
        if compiler.has_extra_select:  # columns only for the ordering
            fetched = [row[: compiler.col_count] for row in fetched]
        converted = compiler.results_iter(results=[fetched])
        return [dict(zip(names, row, strict=True)) for row in converted]
