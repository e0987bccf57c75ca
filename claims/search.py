"""Full-text search over claims (PostgreSQL): the stored document and the ranked query.

Each claim's document (``SearchDocument.vector``) is built from its text (weight A), its
summary, its claimant's name and the names of its statements' sources (B) and its statements'
quotes (C). Every part is indexed twice, stemmed with the text search configuration of the
claim's language and word for word with ``simple``, both after ``unaccent``: "troops" finds
"troop", "Kyiv" finds "Kýiv", and a word in another language than the claim's still matches
exactly.

The services refresh the document in their transaction (one statement each); it is derived
data, not an edit, and has no history. It is a table of its own: an update of the claim (a
status change, an assignment) leaves the document and its GIN index alone. One race is left:
a statement added by a source in the instant that source is renamed keeps the old name in its
claim's document until the claim's next refresh (``claim_search_refresh_all`` mends all).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.contrib.postgres.search import SearchQueryField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F, FloatField, Func, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from claims.models import Claim

# ISO 639-1 language codes and the PostgreSQL text search configurations that stem them (all
# present in PostgreSQL 15 and later). Languages without one, Ukrainian and Polish among them,
# get "simple": exact words, lower case, no stemming and no stop words.
SEARCH_CONFIGS: dict[str, str] = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
FALLBACK_CONFIG = "simple"
# The language a query is parsed in when the caller does not say.
DEFAULT_QUERY_LANGUAGE = "en"


def search_config(language: str | None) -> str:
    """The text search configuration of a language code: "en", "pt-BR", "uk" -> "simple"."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return SEARCH_CONFIGS.get(code, FALLBACK_CONFIG)


# --- The stored document --------------------------------------------------------------------

# The same mapping as search_config(), in SQL, over a claim's language column.
_CONFIG_SQL = (
    "COALESCE((%(configs)s::jsonb ->> lower(split_part(replace(btrim(claim.language), '_', '-'),"
    " '-', 1)))::regconfig, 'simple'::regconfig)"
)


def _weighted(text_sql: str, weight: str) -> str:
    stemmed = f"to_tsvector({_CONFIG_SQL}, unaccent({text_sql}))"
    exact = f"to_tsvector('simple'::regconfig, unaccent({text_sql}))"
    return f"setweight({stemmed}, '{weight}') || setweight({exact}, '{weight}')"


# The claims are locked FOR SHARE and their own columns read from the locked rows: a refresh
# that waited for a concurrent edit of a claim (a source rename waiting for a text edit) uses
# the edited row, not the one its snapshot saw. The subquery aggregates the statements.
_DOCUMENT_SQL = " || ".join(
    [
        _weighted("claim.text", "A"),
        _weighted(
            "concat_ws(' ', claim.summary, (SELECT claimant.name FROM claims_source AS claimant"
            " WHERE claimant.id = claim.claimant_id), parts.source_names)",
            "B",
        ),
        _weighted("COALESCE(parts.quotes, '')", "C"),
    ]
)


def document_parts_sql(statements: str, where: str) -> str:
    """The statements' part of the documents (``parts`` in _DOCUMENT_SQL), one row a claim.

    ``statements`` is the table of statements, ``where`` chooses them (alias ``st``).
    """
    return f"""
    SELECT st.claim_id,
           string_agg(st.quote, ' ' ORDER BY st.created_at, st.id) AS quotes,
           string_agg(DISTINCT src.name, ' ') AS source_names
    FROM {statements} AS st
    JOIN claims_source AS src ON src.id = st.source_id
    WHERE {where}
    GROUP BY st.claim_id
"""  # noqa: S608


def _refresh_sql(where: str) -> str:
    """The upsert of the documents of the claims ``where`` selects (alias ``c``)."""
    # Built once, below, from this module's constants; every value is a query parameter.
    parts = document_parts_sql("claims_statement", "st.claim_id IN (SELECT id FROM claim)")
    return f"""
WITH claim AS MATERIALIZED (
    SELECT c.id, c.text, c.summary, c.language, c.claimant_id
    FROM claims_claim AS c
    WHERE {where}
    FOR SHARE
)
INSERT INTO claims_searchdocument (claim_id, vector)
SELECT claim.id, {_DOCUMENT_SQL}
FROM claim
LEFT JOIN ({parts}) AS parts ON parts.claim_id = claim.id
ON CONFLICT (claim_id) DO UPDATE SET vector = EXCLUDED.vector
"""  # noqa: S608


_REFRESH_CLAIMS_SQL = _refresh_sql("c.id = ANY(%(ids)s::uuid[])")
# A union, so that both foreign key indexes are used rather than a scan of every claim.
_REFRESH_SOURCE_SQL = _refresh_sql(
    "c.id IN (SELECT id FROM claims_claim WHERE claimant_id = %(source)s::uuid"
    " UNION SELECT claim_id FROM claims_statement WHERE source_id = %(source)s::uuid)"
)
_REFRESH_ALL_SQL = _refresh_sql("TRUE")


def _refresh(sql: str, params: dict[str, Any], using: str) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, {"configs": json.dumps(SEARCH_CONFIGS), **params})
        return int(cursor.rowcount)


def claim_search_refresh(*, claim_ids: Iterable[UUID | str], using: str = DEFAULT_DB_ALIAS) -> int:
    """Rebuild the search document of these claims (one statement). Returns the rows written."""
    ids = [str(pk) for pk in claim_ids]
    if not ids:
        return 0
    return _refresh(_REFRESH_CLAIMS_SQL, {"ids": ids}, using)


def claim_search_refresh_for_source(*, source_id: UUID | str, using: str = DEFAULT_DB_ALIAS) -> int:
    """Rebuild the document of every claim the source made or made a statement about."""
    return _refresh(_REFRESH_SOURCE_SQL, {"source": str(source_id)}, using)


def claim_search_refresh_all(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Rebuild the document of every claim (one statement), e.g. after a bulk load."""
    return _refresh(_REFRESH_ALL_SQL, {}, using)


# --- The query ------------------------------------------------------------------------------


class ClaimSearchQuery(Expression):
    """``websearch_to_tsquery`` of ``q`` in ``config`` OR'ed with its ``simple`` parse.

    Both parse ``unaccent(q)``. NULL (nothing matches) when the ``config`` parse has no
    word left, i.e. ``q`` is only stop words or punctuation.
    """

    output_field = SearchQueryField()

    def __init__(self, q: str, config: str) -> None:
        super().__init__()
        self.q = q
        self.config = config

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[str, ...]]:
        stemmed = "websearch_to_tsquery(%s::regconfig, unaccent(%s::text))"
        exact = "websearch_to_tsquery('simple'::regconfig, unaccent(%s::text))"
        sql = f"(CASE WHEN numnode({stemmed}) = 0 THEN NULL ELSE {stemmed} || {exact} END)"
        return sql, (self.config, self.q, self.config, self.q, self.q)


class _Matches(Func):
    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


def claim_fulltext(
    queryset: QuerySet[Claim], *, q: str, language: str | None = None
) -> QuerySet[Claim]:
    """Claims of ``queryset`` matching the web-search style query ``q``, annotated with ``rank``.

    ``q`` follows ``websearch_to_tsquery``: words (all must match), ``"a phrase"``, ``or``,
    ``-word``. It is parsed in ``language``'s configuration (default English) and word for
    word; accents are ignored. Order by ``-rank`` for the best first (the text weighs most,
    then summary and names, then statement quotes). A blank ``q`` returns ``queryset``
    unchanged (no ``rank``); a ``q`` of only stop words or punctuation matches nothing.
    """
    if not q.strip():
        return queryset
    q = q.replace("\x00", "")  # PostgreSQL text cannot hold it
    query = ClaimSearchQuery(q, search_config(language or DEFAULT_QUERY_LANGUAGE))
    return queryset.annotate(
        rank=Func(
            F("search_document__vector"), query, function="ts_rank_cd", output_field=FloatField()
        )
    ).filter(_Matches(F("search_document__vector"), query))
