"""The floor: the cost of the data itself, for the benchmark only (not a product URL).

A minimal WSGI app that answers the same reads as the API (a page of claims with a status
filter, one claim, a full-text search) with one hand-written SQL query each through a psycopg
pool, serialized with orjson. The API's figures are reported as ratios to these.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import orjson
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

PAGE_SIZE = 50
# The columns of a claim as the API shows them (less what the API derives in Python:
# links, allowed transitions, review rating).
_ROW_SQL = """
SELECT c.id, c.text, c.summary, c.status, c.language, c.first_seen_at, c.version,
       c.created_at, c.updated_at,
       CASE WHEN s.id IS NULL THEN NULL
            ELSE json_build_object('id', s.id, 'name', s.name, 'role', s.role) END AS claimant,
       u.username AS assignee,
       ARRAY(SELECT t.name FROM claims_claimtag ct JOIN claims_tag t ON t.id = ct.tag_id
             WHERE ct.claim_id = c.id ORDER BY t.name) AS tags,
       (SELECT count(*) FROM claims_statement st
         WHERE st.claim_id = c.id AND st.stance = 'supports') AS supporting_count,
       (SELECT count(*) FROM claims_statement st
         WHERE st.claim_id = c.id AND st.stance = 'counters') AS countering_count,
       (SELECT count(*) FROM verification_evidence e
         WHERE e.claim_id = c.id AND e.withdrawn_at IS NULL) AS evidence_count
       {extra}
FROM claims_claim c
LEFT JOIN claims_source s ON s.id = c.claimant_id
LEFT JOIN auth_user u ON u.id = c.assignee_id
"""
LIST_SQL = (
    _ROW_SQL.format(extra="")
    + " WHERE c.status = %(status)s ORDER BY c.updated_at DESC, c.id DESC LIMIT %(limit)s"
)
DETAIL_SQL = _ROW_SQL.format(extra="") + " WHERE c.id = %(id)s"
# The same query as claims.search.ClaimSearchQuery, ranked the same way.
_QUERY = (
    "(CASE WHEN numnode(websearch_to_tsquery(%(config)s::regconfig, unaccent(%(q)s::text))) = 0"
    " THEN NULL ELSE websearch_to_tsquery(%(config)s::regconfig, unaccent(%(q)s::text))"
    " || websearch_to_tsquery('simple'::regconfig, unaccent(%(q)s::text)) END)"
)
SEARCH_SQL = (
    _ROW_SQL.format(extra=f", ts_rank_cd(d.vector, {_QUERY}) AS rank")
    + " JOIN claims_searchdocument d ON d.claim_id = c.id"
    + f" WHERE d.vector @@ {_QUERY} ORDER BY rank DESC, c.id DESC LIMIT %(limit)s"
)
_DETAIL_PATH = re.compile(r"^/floor/claims/([0-9a-fA-F-]{36})/$")

_pool: ConnectionPool | None = None


def pool() -> ConnectionPool:
    """One small pool per worker process, opened on first use (after gunicorn forks)."""
    global _pool
    if _pool is None:
        _pool = ConnectionPool(
            os.environ["DATABASE_URL"],
            min_size=1,
            max_size=2,
            kwargs={"row_factory": dict_row},
            open=True,
        )
    return _pool


def _fetch(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with pool().connection() as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[call-overload,no-any-return]


def _respond(start_response: Callable[..., Any], status: str, body: Any) -> Iterable[bytes]:
    payload = orjson.dumps(body)
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/floor/claims/":
        if "q" in query:
            from claims.search import search_config  # after Django's setup (bench.wsgi)

            params = {
                "q": query["q"],
                "config": search_config(query.get("lang") or "en"),
                "limit": PAGE_SIZE,
            }
            return _respond(start_response, "200 OK", {"results": _fetch(SEARCH_SQL, params)})
        params = {"status": query.get("status", "in_review"), "limit": PAGE_SIZE}
        return _respond(start_response, "200 OK", {"results": _fetch(LIST_SQL, params)})
    match = _DETAIL_PATH.match(path)
    if match:
        rows = _fetch(DETAIL_SQL, {"id": match.group(1)})
        if not rows:
            return _respond(start_response, "404 Not Found", {"detail": "not found"})
        return _respond(start_response, "200 OK", rows[0])
    return _respond(start_response, "404 Not Found", {"detail": json.dumps(path)})
