"""Claim search: one interface, two engines, the index and PostgreSQL full-text.

``claim_search`` answers the API's ``q``, the admin's search box (and the public site's) with
the ids of a page of matching claims in the search's order and how many match; callers read
the rows from PostgreSQL, so what a page shows is never stale. ``SEARCH_BACKEND`` chooses the
engine: ``index`` (the default) searches this host's index (search.index), and PostgreSQL
while the index is unavailable (missing, never built, damaged, of another version), saying so
in the logs and in ``/readyz`` until the indexer has rebuilt it; ``postgres`` searches
PostgreSQL only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from claims.models import Claim
from claims.search import claim_fulltext
from claims.selectors import claim_rows_by_id
from publishing.selectors import public_condition
from search.index import (
    ORDER_FIELDS,
    ClaimIndex,
    Filters,
    GenerationReader,
    IndexUnavailableError,
    query_problem,
)

logger = logging.getLogger(__name__)

# How deep a search pages: beyond it, narrow the search (every engine's cost grows with it).
MAX_RESULTS = 10_000
# PostgreSQL counts a search's matches up to this, and says "at least" beyond: an exact count
# visits every match, 170,000 of a million claims for a common word (bench/).
POSTGRES_COUNT_CAP = 1_000
# A warning about an unavailable index is logged at most this often by a process.
WARN_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Found:
    """A page of a search: the claims' ids in order, and how many match."""

    ids: list[str]
    total: int
    exact: bool = True  # False: at least ``total`` match
    engine: str = "index"
    versions: list[int] = field(default_factory=list)  # of each claim as the engine saw it


class IndexEngine:
    """This host's index in ``SEARCH_INDEX_DIR``, opened once per process and per generation."""

    name: ClassVar[str] = "index"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._generations = GenerationReader(self.root)

    def reader(self) -> ClaimIndex:
        """The index in use, following a rebuild's swap; ``IndexUnavailableError`` if none."""
        return cast(ClaimIndex, self._generations.get())

    def search(
        self, q: str, *, filters: Filters, order: str, language: str, limit: int, offset: int
    ) -> Found:
        try:
            hits = self.reader().search(q, filters=filters, limit=limit, offset=offset, order=order)
        except ValueError as error:  # tantivy: a damaged file found while searching
            self._generations.forget()
            raise IndexUnavailableError(
                f"the search index in {self.root} failed: {error}"
            ) from error
        return Found(hits.ids, hits.total, engine=self.name, versions=hits.versions)


class PostgresEngine:
    """PostgreSQL full-text (claims.search): the top ids ranked first, a capped count."""

    name: ClassVar[str] = "postgres"

    def search(
        self, q: str, *, filters: Filters, order: str, language: str, limit: int, offset: int
    ) -> Found:
        matches = claim_fulltext(_filtered(filters), q=q, language=language or None)
        key: Any = F("rank").desc()  # best first, then as the API's lists: the latest id
        if order:
            name = order.removeprefix("-")
            date = Coalesce("first_seen_at", "created_at") if name == "first_seen_at" else F(name)
            key = date.desc() if order.startswith("-") else date.asc()
        page = list(
            matches.order_by(key, "-id").values_list("id", "version")[offset : offset + limit]
        )
        counted = matches.order_by().values("id")[: POSTGRES_COUNT_CAP + 1].count()
        exact = counted <= POSTGRES_COUNT_CAP
        return Found(
            [str(pk) for pk, _ in page],
            min(counted, POSTGRES_COUNT_CAP),
            exact=exact,
            engine=self.name,
            versions=[version for _, version in page],
        )


def found_rows(found: Found, filters: Filters) -> list[dict[str, Any]]:
    """The rows (claims.selectors.claim_rows) of a page of a search, in its order, as the
    claims are now.

    A claim changed since the engine saw it (another version) is shown if it still passes
    ``filters``, and left out if not, as is one no longer there; for a reader outside
    (``filters.public_at``) every claim of the page is checked, as what is public is not only
    the claim's. One query, and a second only when there is something to check.
    """
    rows = claim_rows_by_id(found.ids)
    seen = dict(zip(found.ids, found.versions, strict=False))
    changed = [
        claim_id
        for claim_id, row in rows.items()
        if filters.public_at or row["version"] != seen.get(claim_id)
    ]
    if changed:
        passing = {
            str(pk) for pk in _filtered(filters).filter(id__in=changed).values_list("id", flat=True)
        }
        for claim_id in set(changed) - passing:
            del rows[claim_id]
    return [rows[claim_id] for claim_id in found.ids if claim_id in rows]


def _filtered(filters: Filters) -> QuerySet[Claim]:
    """The claims ``filters`` keep, as the index applies them."""
    claims = Claim.objects.all()
    if filters.statuses:
        claims = claims.filter(status__in=filters.statuses)
    for tag in filters.tags:
        claims = claims.filter(tags__name=tag)
    if filters.claimant_id:
        try:
            claims = claims.filter(claimant_id=UUID(filters.claimant_id))
        except ValueError:  # no source has such an id (as in the index: no match)
            return claims.none()
    if filters.assignee:
        claims = claims.filter(assignee__username=filters.assignee)
    if filters.language:
        claims = claims.filter(
            Q(language__iexact=filters.language) | Q(language__istartswith=f"{filters.language}-")
        )
    if filters.updated_since:
        claims = claims.filter(updated_at__gte=filters.updated_since)
    if filters.created_after:
        claims = claims.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        claims = claims.filter(created_at__lt=filters.created_before)
    if filters.public_at:
        claims = claims.filter(public_condition(now=filters.public_at))
    if filters.public_verdicts:
        claims = claims.filter(publication__verdict__in=filters.public_verdicts)
    return claims


_postgres = PostgresEngine()
_index: IndexEngine | None = None
_warned: dict[str, float] = {}


def _index_engine() -> IndexEngine:
    global _index
    if _index is None or _index.root != Path(settings.SEARCH_INDEX_DIR):
        _index = IndexEngine(settings.SEARCH_INDEX_DIR)
    return _index


def index_in_use() -> ClaimIndex:
    """This host's search index, as searches read it; ``IndexUnavailableError`` if none."""
    return _index_engine().reader()


def claim_search(
    q: str,
    *,
    filters: Filters | None = None,
    order: str = "",
    language: str = "",
    limit: int = 50,
    offset: int = 0,
) -> Found:
    """A page of the claims matching ``q`` (web-search syntax), best first or by ``order`` (a
    date of ``ORDER_FIELDS``, ``-`` for the latest first), within ``filters``.

    ``language`` is the language ``q`` is written in, for PostgreSQL's stemming (the index
    stems a query in every language it knows). Pages stop at ``MAX_RESULTS``.
    """
    if order and order.removeprefix("-") not in ORDER_FIELDS:
        raise ValueError(f"cannot order a search by {order!r}; use one of {ORDER_FIELDS}")
    filters = filters or Filters()
    limit = max(0, min(limit, MAX_RESULTS - offset))
    if settings.SEARCH_BACKEND == "index":
        try:
            return _index_engine().search(
                q, filters=filters, order=order, language=language, limit=limit, offset=offset
            )
        except IndexUnavailableError as error:
            _warn(
                f"Searching PostgreSQL: {error}; the indexer (manage.py search_index) rebuilds it."
            )
    return _postgres.search(
        q, filters=filters, order=order, language=language, limit=limit, offset=offset
    )


def query_validate(q: str) -> None:
    """A form field's validator of a search (the API's ``q``)."""
    if problem := query_problem(q):
        raise ValidationError(problem, code="too_many_words")


def search_health() -> tuple[str, str]:
    """Which engine answers searches now, and why: ("index", "ok") when the index does."""
    if settings.SEARCH_BACKEND == "postgres":
        return "postgres", "ok"
    try:
        _index_engine().reader()
    except IndexUnavailableError as error:
        return "postgres", f"warning: {error}; searching PostgreSQL until it is rebuilt"
    return "index", "ok"


def _warn(message: str) -> None:
    now = time.monotonic()
    if now - _warned.get(message, -WARN_EVERY_SECONDS) >= WARN_EVERY_SECONDS:
        _warned[message] = now
        logger.warning(message)
