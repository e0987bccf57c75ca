"""The indexer: applies the change log to an index, in order, from each claim's current state.

``index_apply`` reads the changes after the index's position, re-reads every changed claim from
PostgreSQL (a claim gone is removed), writes them and commits with the position of the last
change applied. Replays are harmless (a claim is replaced by its current state), so a process
killed between a commit and anything after it loses nothing; one killed before its commit
applies the same changes again when it restarts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection

from search.index import (
    ClaimDocument,
    ClaimIndex,
    Position,
    generation_current,
    generation_new,
    generation_swap,
)

BATCH = 1_000
# How often an idle indexer looks for changes; a busy one commits after every batch.
POLL_SECONDS = 0.1

# The oldest transaction still running that may write the log: a change below it is final.
# One that began earlier and commits later would otherwise be read past and never applied. A
# running transaction is known not to write here when pg_stat_activity shows it in another
# database (a role that may not see other roles' sessions waits for all of them).
_HORIZON = """
WITH snapshot AS (SELECT pg_current_snapshot() AS taken),
elsewhere AS (
    SELECT backend_xid::text AS xid FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
),
horizon AS (
    SELECT COALESCE(
        (SELECT min(running::text::bigint) FROM pg_snapshot_xip(taken) AS running
         WHERE mod(running::text::bigint, 4294967296)::text NOT IN (SELECT xid FROM elsewhere)),
        pg_snapshot_xmax(taken)::text::bigint
    ) AS txid
    FROM snapshot
)
"""
# The final changes after a position, in order.
_PENDING = (
    _HORIZON
    + """
SELECT change.txid, change.id, change.claim_id::text
FROM search_searchchange AS change, horizon
WHERE (change.txid, change.id) > (%s, %s) AND change.txid < horizon.txid
ORDER BY change.txid, change.id
LIMIT %s
"""
)
# The last final change: where a rebuild starts, replaying what comes after.
_LAST_POSITION = (
    _HORIZON
    + """
SELECT change.txid, change.id
FROM search_searchchange AS change, horizon
WHERE change.txid < horizon.txid
ORDER BY change.txid DESC, change.id DESC
LIMIT 1
"""
)

_DOCUMENTS = """
SELECT claim.id::text AS id, claim.version, claim.language, claim.text, claim.summary,
       claim.status, COALESCE(claim.claimant_id::text, '') AS claimant_id,
       COALESCE(claimant.name, '') AS claimant, COALESCE(assignee.username, '') AS assignee,
       claim.created_at, claim.updated_at, claim.first_seen_at,
       ARRAY(SELECT tag.name FROM claims_claimtag AS link JOIN claims_tag AS tag
             ON tag.id = link.tag_id WHERE link.claim_id = claim.id ORDER BY tag.name) AS tags,
       ARRAY(SELECT statement.quote FROM claims_statement AS statement
             WHERE statement.claim_id = claim.id ORDER BY statement.created_at) AS quotes,
       ARRAY(SELECT DISTINCT source.name FROM claims_statement AS statement
             JOIN claims_source AS source ON source.id = statement.source_id
             WHERE statement.claim_id = claim.id) AS sources
FROM claims_claim AS claim
LEFT JOIN claims_source AS claimant ON claimant.id = claim.claimant_id
LEFT JOIN auth_user AS assignee ON assignee.id = claim.assignee_id
WHERE claim.id = ANY(%s::uuid[])
"""


def claim_documents(ids: list[str]) -> list[ClaimDocument]:
    """What the index holds of these claims, as PostgreSQL has them now."""
    with connection.cursor() as cursor:
        cursor.execute(_DOCUMENTS, [ids])
        rows: list[Any] = cursor.fetchall()
        names = [column.name for column in cursor.description]
    return [ClaimDocument(**dict(zip(names, row, strict=True))) for row in rows]


def index_apply(index: ClaimIndex, *, batch: int = BATCH) -> int:
    """Apply the next changes (at most ``batch``) to ``index``; how many were applied."""
    position = index.position()
    with connection.cursor() as cursor:
        cursor.execute(_PENDING, [position.txid, position.row, batch])
        pending = cursor.fetchall()
    if not pending:
        return 0
    changed = sorted({claim_id for _, _, claim_id in pending})
    documents = claim_documents(changed)
    index.put(documents)
    index.remove(set(changed) - {document.id for document in documents})
    txid, row, _ = pending[-1]
    index.commit(Position(txid, row))
    return len(pending)


def index_follow(root: Path, *, until: Callable[[], bool] = lambda: False) -> None:
    """Apply changes as they come to the generation in use under ``root``, following a swap
    to a rebuilt one, until ``until()`` says stop."""
    index = ClaimIndex(generation_current(root), writable=True)
    while not until():
        if (current := generation_current(root)) != index.path:
            index.close()
            index = ClaimIndex(current, writable=True)
        if not index_apply(index):
            time.sleep(POLL_SECONDS)


def index_rebuild(
    root: Path,
    *,
    progress: Callable[[int, int], None] = lambda done, of: None,
    batch: int = BATCH,
) -> ClaimIndex:
    """Build a new generation from every claim in PostgreSQL beside the one in use, apply the
    changes made meanwhile, and swap it in; the indexer follows (search_rebuild)."""
    with connection.cursor() as cursor:
        # Where the log stands now: the new generation replays what comes after.
        cursor.execute(_LAST_POSITION)
        txid, row = cursor.fetchone() or (0, 0)
        cursor.execute("SELECT id::text FROM claims_claim ORDER BY id")
        ids = [claim_id for (claim_id,) in cursor.fetchall()]
    index = ClaimIndex(generation_new(root), writable=True)
    for start in range(0, len(ids), batch):
        index.put(claim_documents(ids[start : start + batch]))
        progress(min(start + batch, len(ids)), len(ids))
    index.commit(Position(txid, row))
    while index_apply(index):
        pass
    index.close()
    generation_swap(root, index.path)
    return index


@dataclass(frozen=True)
class Drift:
    """How an index differs from PostgreSQL: the ids of each kind of difference."""

    claims: int
    indexed: int
    missing: list[str]
    extra: list[str]
    stale: list[str]
    pending: int

    @property
    def in_step(self) -> bool:
        return not (self.missing or self.extra or self.stale)


def index_check(index: ClaimIndex) -> Drift:
    """Compare ``index`` with the claims in PostgreSQL: claims missing from it, documents of
    claims that are gone, documents built from an older version, and the changes pending."""
    indexed = index.versions()
    position = index.position()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id::text, version FROM claims_claim")
        claims = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FROM search_searchchange WHERE (txid, id) > (%s, %s)",
            [position.txid, position.row],
        )
        (pending,) = cursor.fetchone()
    return Drift(
        claims=len(claims),
        indexed=len(indexed),
        missing=sorted(set(claims) - set(indexed)),
        extra=sorted(set(indexed) - set(claims)),
        stale=sorted(key for key in set(claims) & set(indexed) if claims[key] != indexed[key]),
        pending=pending,
    )
