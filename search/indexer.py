"""The indexer: applies the change log to an index, in order, from each claim's current state.

Two kinds of index follow the log, each in generations under a root directory of its own: the
search index (search.index.ClaimIndex, the default ``kind``) and the similar-claim index
(matching.vectors.VectorIndex). Both take documents (``put``, ``remove``), ``commit`` them
with the position of the last change applied, and say where they stand (``position``).

``index_apply`` reads the changes after the index's position, re-reads every changed claim from
PostgreSQL (a claim gone is removed), writes them and commits with the position of the last
change applied. Replays are harmless (a claim is replaced by its current state), so a process
killed between a commit and anything after it loses nothing; one killed before its commit
applies the same changes again when it restarts.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from search.index import (
    ClaimDocument,
    ClaimIndex,
    IndexUnavailableError,
    Position,
    generation_current,
    generation_new,
    generation_open,
    generation_swap,
)

logger = logging.getLogger(__name__)

BATCH = 1_000
# How often an idle indexer looks for changes (it commits at most every kind.COMMIT_SECONDS:
# a change waits at most that long after it is read).
POLL_SECONDS = 0.1
# How often an idle indexer opens its index as a reader would, to rebuild it if damaged.
CHECK_SECONDS = 10.0

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
       claim.created_at, claim.updated_at,
       COALESCE(claim.first_seen_at, claim.created_at) AS first_seen_at,  -- the API's order
       CASE WHEN publication.unpublished_at IS NULL THEN publication.publish_at END
           AS public_from,
       COALESCE(CASE WHEN publication.unpublished_at IS NULL THEN publication.verdict END, '')
           AS public_verdict,
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
LEFT JOIN publishing_publication AS publication ON publication.claim_id = claim.id
WHERE claim.id = ANY(%s::uuid[])
"""


def index_kind(name: str) -> tuple[Any, Path]:
    """The class of the index ``name`` of SEARCH_INDEXES, and its root directory."""
    try:
        path, setting = settings.SEARCH_INDEXES[name]
    except KeyError:
        raise ValueError(
            f"there is no index {name!r}; there are {', '.join(settings.SEARCH_INDEXES)}"
        ) from None
    return import_string(path), Path(getattr(settings, setting))


def claim_documents(ids: list[str]) -> list[ClaimDocument]:
    """What the index holds of these claims, as PostgreSQL has them now."""
    with connection.cursor() as cursor:
        cursor.execute(_DOCUMENTS, [ids])
        rows: list[Any] = cursor.fetchall()
        names = [column.name for column in cursor.description]
    return [ClaimDocument(**dict(zip(names, row, strict=True))) for row in rows]


def index_stage(index: Any, after: Position, *, batch: int = BATCH) -> tuple[int, Position]:
    """Write the changes after ``after`` (at most ``batch``) into ``index``, not committed:
    how many, and the position of the last (``after`` when there were none)."""
    with connection.cursor() as cursor:
        cursor.execute(_PENDING, [after.txid, after.row, batch])
        pending = cursor.fetchall()
    if not pending:
        return 0, after
    changed = sorted({claim_id for _, _, claim_id in pending})
    documents = claim_documents(changed)
    index.put(documents)
    index.remove(set(changed) - {document.id for document in documents})
    txid, row, _ = pending[-1]
    return len(pending), Position(txid, row)


def index_apply(index: Any, *, batch: int = BATCH) -> int:
    """Apply the next changes (at most ``batch``) to ``index`` and commit; how many."""
    applied, position = index_stage(index, index.position(), batch=batch)
    if applied:
        index.commit(position)
    return applied


def index_ready(root: Path, *, kind: Any = ClaimIndex) -> Any:
    """The index in use under ``root``, for writing; rebuilt first when there is none, when it
    is damaged or of another schema, or when the change log no longer covers it (it is not
    registered: never, or dropped for lagging beyond the log's retention)."""
    try:
        index = generation_open(root, writable=True, kind=kind)
    except IndexUnavailableError as error:
        return _index_replaced(root, None, str(error), kind)
    if not index_report(index):
        return _index_replaced(
            root,
            index,
            f"the change log no longer covers the {kind.NAME} in {index.path} (it is not "
            "registered, or fell behind by more than the log's retention)",
            kind,
        )
    return index


def _index_replaced(root: Path, index: Any, why: str, kind: Any) -> Any:
    """A rebuilt index in place of ``index`` (or of none), saying ``why`` in the logs."""
    logger.warning("Rebuilding the %s: %s.", kind.NAME, why)
    if index is not None:
        index.close()
        index_unregister(index.path)
    return index_rebuild(root, writable=True, kind=kind)


def index_follow(
    root: Path,
    *,
    kind: Any = ClaimIndex,
    until: Callable[[], bool] = lambda: False,
    ready: Callable[[Any], None] = lambda index: None,
) -> None:
    """Apply changes as they come to the generation in use under ``root`` (``ready`` is told
    when it is), following a swap to a rebuilt one, until ``until()`` says stop."""
    index = index_ready(root, kind=kind)
    ready(index)
    staged = index.position()  # written into the index; searchable once committed
    waiting = False  # changes written, not yet committed
    committed = checked = 0.0  # when the last commit, and the last check, were (monotonic)
    while not until():
        if generation_current(root) != index.path:  # search_rebuild swapped one in
            index.close()
            index_unregister(index.path)
            index = index_ready(root, kind=kind)
            staged, waiting = index.position(), False
        applied, staged = index_stage(index, staged)
        waiting = waiting or bool(applied)
        due = committed + kind.COMMIT_SECONDS - time.monotonic()
        if waiting and due <= 0:
            index.commit(staged)
            waiting, committed = False, time.monotonic()
            if not index_report(index):
                index.close()
                index = index_ready(root, kind=kind)
                staged = index.position()
        if not (applied or waiting) and time.monotonic() - checked >= CHECK_SECONDS:
            checked = time.monotonic()
            try:  # as the web processes open it: damage they would meet is mended here
                kind.built(index.path)
            except IndexUnavailableError as error:
                index = _index_replaced(root, index, str(error), kind)
                staged = index.position()
        if not applied:
            time.sleep(min(POLL_SECONDS, due) if waiting and due > 0 else POLL_SECONDS)
    if waiting:
        index.commit(staged)
        index_report(index)


def index_rebuild(
    root: Path,
    *,
    progress: Callable[[int, int], None] = lambda done, of: None,
    batch: int = BATCH,
    writable: bool = False,
    kind: Any = ClaimIndex,
) -> Any:
    """Build a new generation from every claim in PostgreSQL beside the one in use, apply the
    changes made meanwhile, and swap it in; the indexer follows (search_rebuild). The new
    generation is registered from the start, so the log keeps what it has to replay.
    ``writable``: keep writing it (the indexer), else give up its lock."""
    directory = generation_new(root)
    with connection.cursor() as cursor:
        # Where the log stands now: the new generation replays what comes after.
        cursor.execute(_LAST_POSITION)
        txid, row = cursor.fetchone() or (0, 0)
    index_register(directory, Position(txid, row))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id::text FROM claims_claim ORDER BY id")
        ids = [claim_id for (claim_id,) in cursor.fetchall()]
    index = kind(directory, writable=True)
    for start in range(0, len(ids), batch):
        index.put(claim_documents(ids[start : start + batch]))
        progress(min(start + batch, len(ids)), len(ids))
    index.commit(Position(txid, row))
    while index_apply(index):
        pass
    index_report(index)
    if not writable:
        index.close()
    generation_swap(root, index.path)
    return index


# --- The registry of indexes, and pruning the log -------------------------------------------


def index_name(directory: Path) -> str:
    """An index's name in the registry: this host's name and the index's directory."""
    return f"{socket.gethostname()}:{Path(directory).resolve()}"


def index_register(directory: Path, position: Position) -> None:
    """Keep the log from ``position`` on for the index in ``directory``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_searchindex (name, txid, row, seen_at) VALUES (%s, %s, %s, now())"
            " ON CONFLICT (name) DO UPDATE SET txid = EXCLUDED.txid, row = EXCLUDED.row,"
            " seen_at = EXCLUDED.seen_at",
            [index_name(directory), position.txid, position.row],
        )


def index_report(index: Any) -> bool:
    """Record where ``index`` stands; False when it is not registered (see SearchIndex)."""
    position = index.position()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_searchindex SET txid = %s, row = %s, seen_at = now() WHERE name = %s",
            [position.txid, position.row, index_name(index.path)],
        )
        return bool(cursor.rowcount)


def index_unregister(directory: Path) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_searchindex WHERE name = %s", [index_name(directory)])


@dataclass(frozen=True)
class Pruned:
    changes: int
    dropped: list[str]  # indexes left behind by more than the retention


def log_prune(*, retention: timedelta) -> Pruned:
    """Delete the changes every registered index has applied, and those older than
    ``retention`` whoever has not applied them: an index that had not is dropped from the
    registry, and its indexer rebuilds it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM search_searchindex AS ix
            WHERE (SELECT change.at FROM search_searchchange AS change
                   WHERE (change.txid, change.id) > (ix.txid, ix.row)
                   ORDER BY change.txid, change.id LIMIT 1) < now() - %s
            RETURNING ix.name
            """,
            [retention],  # type: ignore[list-item]  # psycopg sends an interval
        )
        dropped = sorted(name for (name,) in cursor.fetchall())
        cursor.execute(
            """
            DELETE FROM search_searchchange AS change
            WHERE change.at < now() - %s
               OR (change.txid, change.id) <= (SELECT ix.txid, ix.row FROM search_searchindex AS ix
                                               ORDER BY ix.txid, ix.row LIMIT 1)
            """,
            [retention],  # type: ignore[list-item]  # psycopg sends an interval
        )
        changes = cursor.rowcount
    for name in dropped:
        logger.warning(
            "Search index %s fell behind the change log by more than %s; its indexer rebuilds it.",
            name,
            retention,
        )
    return Pruned(changes=changes, dropped=dropped)


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
