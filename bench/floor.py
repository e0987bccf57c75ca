"""The floor: the cost of the data itself, for the benchmark only (not a product URL).

A minimal WSGI app that answers the same reads as the API (a page of claims with a status
filter, one claim, a search) doing the work the API must do and nothing more, through a psycopg
pool (autocommit, as Django's connections are), serialized with orjson. The API's figures are
reported as ratios to these. The public site's two pages (the list of published fact checks,
a fact check with its ClaimReview) are read with one query each and written as plain escaped
HTML, with an ETag of the body as the site sends; they check no token, as readers have none.

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

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

PAGE_SIZE = 50
# The columns of a claim as the API shows them (less what the API derives in Python from
# them: links, allowed transitions, the public address, the review rating's choice).
_ROW_SQL = """
SELECT c.id, c.text, c.summary, c.status, c.language, c.first_seen_at, c.version,
       c.merged_into_id, c.created_at, c.updated_at,
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
         WHERE e.claim_id = c.id AND e.withdrawn_at IS NULL) AS evidence_count,
       p.slug, p.publish_at, p.unpublished_at, p.first_published_at, p.verdict,
       p.rating_label, p.rating_value, p.best_rating, p.worst_rating,
       i.source AS imported_from,
       (SELECT json_build_object('label', rl.label, 'value', rl.value,
                                 'best', rs.best_rating, 'worst', rs.worst_rating)
          FROM publishing_ratinglabel rl JOIN publishing_ratingscale rs ON rs.id = rl.scale_id
         WHERE rs.active AND rl.verdict = c.status
         ORDER BY rs.name, rl.value DESC LIMIT 1) AS scale_rating,
       ARRAY(SELECT json_build_object(
                'url', r.url, 'publisher_name', r.publisher_name,
                'publisher_site', r.publisher_site, 'title', r.title,
                'rating_label', r.rating_label, 'rating_value', r.rating_value,
                'best_rating', r.best_rating, 'worst_rating', r.worst_rating,
                'reviewed_at', r.reviewed_at, 'language', r.language,
                'verdict', (SELECT m.verdict FROM interchange_ratingmapping m
                            WHERE m.key = r.rating_key LIMIT 1))
             FROM interchange_review r WHERE r.claim_id = c.id
             ORDER BY r.reviewed_at DESC NULLS LAST, r.publisher_name, r.url) AS reviews,
       (SELECT json_build_object(
                 'id', v.id, 'verdict', v.verdict, 'reason', v.reason,
                 'evidence', ARRAY(SELECT pe.evidence_id
                                   FROM verification_verdictproposalevidence pe
                                   JOIN verification_evidence pv ON pv.id = pe.evidence_id
                                   WHERE pe.proposal_id = v.id ORDER BY pv.added_at),
                 'proposed_by', pu.username, 'proposed_at', v.proposed_at)
          FROM verification_verdictproposal v JOIN auth_user pu ON pu.id = v.proposed_by_id
         WHERE v.claim_id = c.id AND v.outcome = 'pending'
         ORDER BY v.proposed_at, v.id LIMIT 1) AS proposal
       {extra}
FROM claims_claim c
LEFT JOIN claims_source s ON s.id = c.claimant_id
LEFT JOIN auth_user u ON u.id = c.assignee_id
LEFT JOIN publishing_publication p ON p.claim_id = c.id
LEFT JOIN interchange_importedclaim i ON i.claim_id = c.id
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
_FACT_CHECK_PATH = re.compile(r"^/floor/fact-checks/([0-9a-fA-F-]{36})/$")
PUBLIC_PAGE_SIZE = 20
# The public site's reads: what is public now (publishing.selectors.public_claims).
PUBLIC_LIST_SQL = """
SELECT c.id, c.text, c.language, p.slug, p.verdict, p.rating_label, p.publish_at,
       s.name AS claimant
FROM claims_claim c
JOIN publishing_publication p ON p.claim_id = c.id
LEFT JOIN claims_source s ON s.id = c.claimant_id
WHERE p.publish_at <= now() AND p.unpublished_at IS NULL
  AND (%(verdict)s::text IS NULL OR p.verdict = %(verdict)s)
ORDER BY p.publish_at DESC, c.id LIMIT %(limit)s OFFSET %(offset)s
"""
FACT_CHECK_SQL = """
SELECT c.id, c.text, c.summary, c.language, c.first_seen_at, p.slug, p.verdict,
       p.rating_label, p.rating_value, p.best_rating, p.worst_rating, p.explanation,
       COALESCE(p.first_published_at, p.publish_at) AS published, p.corrected_at,
       CASE WHEN s.id IS NULL THEN NULL ELSE json_build_object(
         'id', s.id, 'name', s.name, 'role', s.role, 'kind', s.kind, 'url', s.url) END
         AS claimant,
       ARRAY(SELECT json_build_object('url', a.url, 'outlet', a.outlet,
                                      'published_at', a.published_at, 'quote', a.quote)
             FROM claims_appearance a WHERE a.claim_id = c.id
             ORDER BY a.published_at NULLS LAST, a.created_at) AS appearances,
       ARRAY(SELECT json_build_object('quote', st.quote, 'stance', st.stance,
                                      'said_at', st.said_at, 'url', st.url,
                                      'source', so.name, 'role', so.role)
             FROM claims_statement st JOIN claims_source so ON so.id = st.source_id
             WHERE st.claim_id = c.id ORDER BY st.said_at NULLS LAST, st.created_at)
         AS statements,
       ARRAY(SELECT json_build_object('kind', e.kind, 'stance', e.stance,
                                      'description', e.description, 'url', e.url)
             FROM verification_evidence e
             WHERE e.claim_id = c.id AND e.public AND e.withdrawn_at IS NULL
             ORDER BY e.added_at) AS evidence,
       ARRAY(SELECT json_build_object('at', pc.at, 'from', pc.from_label, 'to', pc.to_label,
                                      'reason', pc.reason)
             FROM publishing_publicationchange pc
             WHERE pc.claim_id = c.id AND pc.action = 'corrected' ORDER BY pc.at)
         AS corrections
FROM claims_claim c
JOIN publishing_publication p ON p.claim_id = c.id
LEFT JOIN claims_source s ON s.id = c.claimant_id
WHERE c.id = %(id)s AND p.publish_at <= now() AND p.unpublished_at IS NULL
"""
_UNAUTHORIZED = [("WWW-Authenticate", 'Bearer realm="api"')]
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}

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


def _html(start_response: Callable[..., Any], status: str, parts: list[str]) -> Iterable[bytes]:
    payload = "".join(parts).encode()
    start_response(
        status,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(payload))),
            ("Cache-Control", "public, no-cache"),
            ("ETag", f'"{hashlib.md5(payload, usedforsecurity=False).hexdigest()}"'),
        ],
    )
    return [payload]


def _public_list(conn: Connection[Any], query: dict[str, str]) -> list[str]:
    """A page of the public list, as plain HTML: the same rows, escaped."""
    page = int(query.get("page", "1"))
    params = {
        "verdict": query.get("verdict") or None,
        "limit": PUBLIC_PAGE_SIZE + 1,
        "offset": (page - 1) * PUBLIC_PAGE_SIZE,
    }
    rows = conn.execute(PUBLIC_LIST_SQL, params).fetchall()
    parts = ["<!doctype html><html lang=en><title>Fact checks</title><main><ol>"]
    for row in rows[:PUBLIC_PAGE_SIZE]:
        parts.append(
            f'<li lang="{escape(row["language"])}"><h2><a href="/fact-checks/{row["id"]}/'
            f'{escape(row["slug"])}/">{escape(row["text"])}</a></h2><p>'
            f"{escape(row['rating_label'])} {escape(row['claimant'] or '')} "
            f"{row['publish_at'].isoformat()}</p></li>"
        )
    parts.append("</ol></main></html>")
    return parts


def _fact_check(conn: Connection[Any], claim_id: str) -> list[str] | None:
    """A fact check's page as plain HTML with its ClaimReview: the same data, escaped."""
    row = conn.execute(FACT_CHECK_SQL, {"id": claim_id}).fetchone()
    if row is None:
        return None
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"/fact-checks/{row['id']}/{row['slug']}/",
        "claimReviewed": row["text"],
        "datePublished": row["published"].isoformat(),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": row["rating_value"],
            "bestRating": row["best_rating"],
            "worstRating": row["worst_rating"],
            "alternateName": row["rating_label"],
            "ratingExplanation": row["explanation"],
        },
        "itemReviewed": {
            "@type": "Claim",
            "author": row["claimant"],
            "appearance": row["appearances"],
        },
    }
    markup = orjson.dumps(review).decode().translate(_SCRIPT_ESCAPES)
    parts = [
        f'<!doctype html><html lang="{escape(row["language"])}"><title>'
        f"{escape(row['rating_label'])}: {escape(row['text'])}</title>"
        f'<script type="application/ld+json">{markup}</script><main><h1>'
        f"{escape(row['text'])}</h1><p>{escape(row['rating_label'])}</p>"
        f"<p>{escape(row['explanation'])}</p><p>{escape(row['summary'])}</p><ul>"
    ]
    for item in row["statements"]:
        parts.append(
            f"<li><h3>{escape(item['source'])} {escape(item['role'] or '')}</h3><blockquote>"
            f"{escape(item['quote'])}</blockquote>{escape(item['url'] or '')}</li>"
        )
    parts.append("</ul><ul>")
    for item in row["appearances"]:
        parts.append(f"<li>{escape(item['url'])} {escape(item['outlet'] or '')}</li>")
    parts.append("</ul><ul>")
    for item in row["evidence"]:
        parts.append(f"<li>{escape(item['description'])} {escape(item['url'])}</li>")
    parts.append("</ul></main></html>")
    return parts


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    # The public site: no token, as readers have none.
    if path == "/floor/public/":
        with pool().connection() as conn:
            return _html(start_response, "200 OK", _public_list(conn, query))
    if fact_check := _FACT_CHECK_PATH.match(path):
        with pool().connection() as conn:
            parts = _fact_check(conn, fact_check.group(1))
        if parts is None:
            return _html(start_response, "404 Not Found", ["Not found"])
        return _html(start_response, "200 OK", parts)
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
