"""The floor: the cost of the data itself, for the benchmark only (not a product URL).

A minimal WSGI app that answers the same reads as the API (a page of claims with a status
filter, one claim, a search) doing the work the API must do and nothing more, through a psycopg
pool (autocommit, as Django's connections are), serialized with orjson. The API's figures are
reported as ratios to these.

Every request first checks its bearer token as the API does (``api_token_authenticate``): the
SHA-256 digest of the raw token, a token neither revoked nor expired, an active user allowed
to view claims (a superuser, or the permission of its own or through a group), in one query;
its last use is recorded when older than the API's resolution. A missing or wrong token is a
401, a user without the permission a 403. Then one hand-written query reads the rows. A search
(``q``) finds the ids of the best 50 matches and the exact total in the search index (the
generation in use under ``SEARCH_INDEX_DIR``, opened once per worker process), then reads
those rows in the index's order; ``backend=postgres`` searches with PostgreSQL full-text
instead, ranked as ``claims.search``, and counts the matches up to the API's cap.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
from psycopg import Connection
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
# The rows of the claims a search found, in the order it found them.
FOUND_SQL = (
    _ROW_SQL.format(extra="")
    + " JOIN unnest(%(ids)s::uuid[]) WITH ORDINALITY AS hit(id, n) ON hit.id = c.id"
    + " ORDER BY hit.n"
)
# The same query as claims.search.ClaimSearchQuery, ranked the same way.
_QUERY = (
    "(CASE WHEN numnode(websearch_to_tsquery(%(config)s::regconfig, unaccent(%(q)s::text))) = 0"
    " THEN NULL ELSE websearch_to_tsquery(%(config)s::regconfig, unaccent(%(q)s::text))"
    " || websearch_to_tsquery('simple'::regconfig, unaccent(%(q)s::text)) END)"
)
_POSTGRES_MATCH = (
    " JOIN claims_searchdocument d ON d.claim_id = c.id"
    f" WHERE d.vector @@ {_QUERY} AND (%(status)s::text IS NULL OR c.status = %(status)s)"
)
# The best ids first, then their rows, as the API reads them (the rows' columns are not
# computed for every match, nor carried through the sort).
_POSTGRES_BEST = (
    "SELECT c.id FROM claims_claim c"
    + _POSTGRES_MATCH
    + f" ORDER BY ts_rank_cd(d.vector, {_QUERY}) DESC, c.id DESC LIMIT %(limit)s"
)
POSTGRES_SEARCH_SQL = (
    _ROW_SQL.format(extra="")
    + f" JOIN unnest(ARRAY({_POSTGRES_BEST})) WITH ORDINALITY AS hit(id, n) ON hit.id = c.id"
    + " ORDER BY hit.n"
)
# The matches counted as the API's PostgreSQL search counts them: up to a cap.
POSTGRES_COUNT_SQL = (
    "SELECT count(*) AS count FROM (SELECT 1 FROM claims_claim c"
    + _POSTGRES_MATCH
    + " LIMIT %(cap)s) AS found"
)
# The token, as api.services.api_token_authenticate checks it (and RolePermissions after it):
# not revoked, not expired, its user active, and allowed to view claims.
AUTHENTICATE_SQL = """
SELECT t.id,
       t.last_used_at IS NULL OR t.last_used_at < now() - %(resolution)s AS record_use,
       u.is_superuser OR EXISTS (
         SELECT FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
         WHERE ct.app_label = %(app_label)s AND p.codename = %(codename)s AND p.id IN (
           SELECT up.permission_id FROM auth_user_user_permissions up WHERE up.user_id = u.id
           UNION ALL
           SELECT gp.permission_id FROM auth_user_groups ug
           JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
           WHERE ug.user_id = u.id)
       ) AS allowed
FROM api_apitoken t JOIN auth_user u ON u.id = t.user_id
WHERE t.digest = %(digest)s AND t.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.is_active
"""
RECORD_USE_SQL = "UPDATE api_apitoken SET last_used_at = now() WHERE id = %(id)s"
_DETAIL_PATH = re.compile(r"^/floor/claims/([0-9a-fA-F-]{36})/$")
_UNAUTHORIZED = [("WWW-Authenticate", 'Bearer realm="api"')]

_pool: ConnectionPool | None = None
_index: Any = None


def pool() -> ConnectionPool:
    """One small pool per worker process, opened on first use (after gunicorn forks)."""
    global _pool
    if _pool is None:
        _pool = ConnectionPool(
            os.environ["DATABASE_URL"],
            min_size=1,
            max_size=2,
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=True,
        )
    return _pool


def index() -> Any:
    """The search index in use, read-only, opened once per worker process."""
    global _index
    if _index is None:
        from search.index import ClaimIndex, generation_current

        root = Path(os.environ["SEARCH_INDEX_DIR"])
        _index = ClaimIndex(generation_current(root), writable=False)
    return _index


def authenticate(conn: Connection[Any], environ: dict[str, Any]) -> tuple[str, Any] | None:
    """None when the request's token may read claims, else the refusal (status, body)."""
    # After Django's setup (bench.wsgi): the API's own digest, resolution and permission.
    from api.services import LAST_USED_RESOLUTION, token_digest
    from core.permissions import VIEW_CLAIM

    header = environ.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0].lower() != "bearer":
        return "401 Unauthorized", {"detail": "Authentication credentials were not provided."}
    app_label, codename = VIEW_CLAIM.split(".")
    params = {
        "digest": token_digest(header[1]),
        "resolution": LAST_USED_RESOLUTION,
        "app_label": app_label,
        "codename": codename,
    }
    token = conn.execute(AUTHENTICATE_SQL, params).fetchone()
    if token is None:
        return "401 Unauthorized", {"detail": "The token is wrong, expired or revoked."}
    if not token["allowed"]:
        return "403 Forbidden", {"detail": "You do not have permission to view claims."}
    if token["record_use"]:
        conn.execute(RECORD_USE_SQL, {"id": token["id"]})
    return None


def _respond(start_response: Callable[..., Any], status: str, body: Any) -> Iterable[bytes]:
    payload = orjson.dumps(body)
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    start_response(status, headers + (_UNAUTHORIZED if status.startswith("401") else []))
    return [payload]


def _search(conn: Connection[Any], query: dict[str, str]) -> dict[str, Any]:
    status = query.get("status") or None
    if query.get("backend") == "postgres":
        from claims.search import search_config  # after Django's setup (bench.wsgi)
        from search.backends import POSTGRES_COUNT_CAP

        params = {
            "q": query["q"],
            "config": search_config(query.get("lang") or "en"),
            "status": status,
            "limit": PAGE_SIZE,
            "cap": POSTGRES_COUNT_CAP + 1,
        }
        rows = conn.execute(POSTGRES_SEARCH_SQL, params).fetchall()
        counted = conn.execute(POSTGRES_COUNT_SQL, params).fetchone()["count"]  # type: ignore[index]
        return {
            "count": min(counted, POSTGRES_COUNT_CAP),
            "count_exact": counted <= POSTGRES_COUNT_CAP,
            "results": rows,
        }
    from search.index import Filters

    filters = Filters(statuses=[status] if status else [])
    hits = index().search(query["q"], filters=filters, limit=PAGE_SIZE)
    rows = conn.execute(FOUND_SQL, {"ids": hits.ids}).fetchall() if hits.ids else []
    return {"count": hits.total, "count_exact": True, "results": rows}


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    detail = _DETAIL_PATH.match(path)
    if path != "/floor/claims/" and not detail:
        return _respond(start_response, "404 Not Found", {"detail": json.dumps(path)})
    with pool().connection() as conn:
        refused = authenticate(conn, environ)
        if refused:
            return _respond(start_response, *refused)
        if detail:
            row = conn.execute(DETAIL_SQL, {"id": detail.group(1)}).fetchone()
            if row is None:
                return _respond(start_response, "404 Not Found", {"detail": "not found"})
            return _respond(start_response, "200 OK", row)
        if "q" in query:
            return _respond(start_response, "200 OK", _search(conn, query))
        params = {"status": query.get("status", "in_review"), "limit": PAGE_SIZE}
        rows = conn.execute(LIST_SQL, params).fetchall()
        return _respond(start_response, "200 OK", {"results": rows})
