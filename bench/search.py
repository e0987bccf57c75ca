"""The search index measured on the benchmark's corpus: build, size, queries, freshness.

    python -m bench.search [--scale N] [--changes N] [--rate R]

On the benchmark's database of ``scale`` claims (bench/run.py loads it when missing):
``search_rebuild``'s build of the index (time, claims a second, size on disk); the benchmark's
19 search terms, top 50 and the exact total, through the index and through PostgreSQL
full-text (``claim_fulltext``), in process; then a real indexer (``manage.py search_index``)
while claims are changed by SQL at ``rate`` a second, each timed from its commit until a
search finds it. Writes bench/results/search-<scale>.json.

The index's pieces are shared with ``make bench`` (bench/run.py): the index's directory and
its build or reuse (``index_prepare``), the indexer process and its catching up, and the
freshness measurement (``freshness_measure``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import (
    BASE_DIR,
    RESULTS,
    SEARCH_TERMS,
    corpus_open,
    django_env,
    log,
    stop_process,
)

# Written beside the index once it is built and swapped in: which corpus it was built from.
_BUILT = "bench-index.json"
# The first change a way of searching must find in this time, or it is not measured (the
# API when it answers from PostgreSQL, whose documents a change by SQL does not refresh).
FIRST_CHANGE_SECONDS = 10.0
CHANGE_SECONDS = 30.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def timed(call: Any, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


# --- The index: its directory, build and indexer ----------------------------------------------


def index_root(scale: int) -> Path:
    """The bench's index of a corpus of ``scale`` claims (its SEARCH_INDEX_DIR)."""
    return Path(os.environ.get("VAR_DIR", BASE_DIR / "var")) / "bench" / f"search-{scale}"


def _size_mb(directory: Path) -> float:
    size = sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())
    return round(size / 1e6, 1)


def _corpus_identity(bench_url: str, stored: dict[str, Any]) -> str:
    """The database (recreated on a reload) and its corpus, and the index's schema."""
    import psycopg

    import search.index

    with psycopg.connect(bench_url) as conn:
        row = conn.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).fetchone()
    schema = getattr(search.index, "SCHEMA_VERSION", 1)
    identity = json.dumps([row[0] if row else None, stored, schema], sort_keys=True, default=str)
    return hashlib.sha256(identity.encode()).hexdigest()


def index_prepare(
    bench_url: str, root: Path, stored: dict[str, Any], *, rebuild: bool = False
) -> dict[str, Any]:
    """The index of the bench database in ``root``: reused when it was built, completely, from
    this corpus, else built afresh (``index_rebuild``, the code of ``search_rebuild``) with a
    progress line. Returns its build time, claims a second and size on disk."""
    from search.index import ClaimIndex, generation_current
    from search.indexer import index_rebuild

    identity = _corpus_identity(bench_url, stored)
    marker = root / _BUILT
    if not rebuild and marker.exists():
        built: dict[str, Any] = json.loads(marker.read_text())
        current = generation_current(root)  # a new, empty one when none: not the one built
        if built.get("corpus") == identity and built.get("generation") == current.name:
            try:
                ClaimIndex(current)  # tantivy refuses an index of another schema
            except ValueError as error:
                log(f"rebuilding the search index in {root}: {error}")
            else:
                log(f"reusing the search index in {root} (built in {built['build_seconds']} s)")
                figures = {k: v for k, v in built.items() if k not in ("corpus", "generation")}
                return {**figures, "size_mb": _size_mb(current), "reused": True}
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    log(f"building the search index in {root}")
    started = time.monotonic()
    shown = [started]

    def progress(done: int, of: int) -> None:
        now = time.monotonic()
        if done == of or now - shown[0] >= 10:
            shown[0] = now
            rate = done / max(now - started, 1e-9)
            share = done * 100 // max(of, 1)
            log(f"search index: {done:,} of {of:,} claims ({share}%, {rate:,.0f}/s)")

    index = index_rebuild(root, progress=progress)
    seconds = round(time.monotonic() - started, 1)
    claims = index.count()
    figures = {
        "claims": claims,
        "build_seconds": seconds,
        "build_claims_per_s": round(claims / max(seconds, 0.1)),
        "size_mb": _size_mb(index.path),
    }
    marker.write_text(
        json.dumps({**figures, "corpus": identity, "generation": index.path.name}, indent=2)
    )
    log(f"search index: built in {seconds} s, {figures['size_mb']} MB")
    return {**figures, "reused": False}


def indexer_start(bench_url: str, root: Path) -> subprocess.Popen[bytes]:
    """``manage.py search_index`` on the bench database and the index in ``root``."""
    env = {**django_env(bench_url), "SEARCH_INDEX_DIR": str(root)}
    return subprocess.Popen(
        [sys.executable, "manage.py", "search_index"], cwd=BASE_DIR, env=env,
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def indexer_caught_up(
    bench_url: str, root: Path, indexer: subprocess.Popen[bytes], timeout: float = 3600
) -> float:
    """Wait until the indexer has applied every change in the log, and a change made now (so
    that it is known to be running, not only the index up to date); the seconds waited."""
    import psycopg

    from search.index import ClaimIndex, generation_current

    started = shown = time.monotonic()
    with psycopg.connect(bench_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE claims_claim SET summary = summary WHERE id = (SELECT id FROM claims_claim"
            " WHERE status NOT IN ('unverified', 'in_review') LIMIT 1)"
        )
        mark = conn.execute(
            "SELECT txid, id FROM search_searchchange ORDER BY txid DESC, id DESC LIMIT 1"
        ).fetchone()
        while True:
            position = ClaimIndex(generation_current(root)).position()
            waited = time.monotonic() - started
            if mark is None or (position.txid, position.row) >= tuple(mark):
                return round(waited, 1)
            if indexer.poll() is not None:
                raise RuntimeError(f"the indexer exited ({indexer.returncode}); see above")
            if waited > timeout:
                raise RuntimeError(f"the indexer has not caught up after {timeout} s")
            if time.monotonic() - shown >= 10:
                shown = time.monotonic()
                row = conn.execute(
                    "SELECT count(*) FROM search_searchchange WHERE (txid, id) > (%s, %s)",
                    [position.txid, position.row],
                ).fetchone()
                log(f"indexer: {int(row[0]) if row else 0:,} changes to apply")
            time.sleep(0.2)


# --- Freshness ----------------------------------------------------------------------------


def freshness_measure(
    bench_url: str,
    probes: dict[str, Callable[[str], bool]],
    *,
    changes: int = 200,
    rate: float = 20.0,
) -> dict[str, Any]:
    """Change → searchable: ``changes`` claims' summaries set by SQL to a word of their own,
    at ``rate`` a second, each timed from its commit until each probe, in turn, finds it
    (a probe: a way of searching, a word -> found). A probe that does not find the first
    change within FIRST_CHANGE_SECONDS is left out, and said so. The summaries are put back
    at the end.

    The claims changed have a verdict: the transition scenario changes only claims unverified
    or in review, and counts a version that is not one more than their status changes as a
    lost update."""
    import psycopg

    latencies: dict[str, list[float]] = {name: [] for name in probes}
    notes = []
    active = dict(probes)
    with psycopg.connect(bench_url, autocommit=True) as conn:
        changed = conn.execute(
            "SELECT id, summary FROM claims_claim WHERE status NOT IN ('unverified', 'in_review')"
            " ORDER BY random() LIMIT %s",
            [changes],
        ).fetchall()
        try:
            for number, (claim_id, _) in enumerate(changed):
                marker = f"freshness{number}x{time.time_ns()}"
                conn.execute(
                    "UPDATE claims_claim SET summary = %s, version = version + 1 WHERE id = %s",
                    [marker, claim_id],
                )
                committed = time.monotonic()  # autocommit: committed when execute returns
                limit = FIRST_CHANGE_SECONDS if number == 0 else CHANGE_SECONDS
                for name, found in list(active.items()):
                    while not found(marker):
                        if time.monotonic() - committed > limit:
                            if number:
                                raise RuntimeError(f"change {number} not found through {name}")
                            notes.append(f"{name}: the first change not found within {limit:g} s")
                            del active[name]
                            break
                        time.sleep(0.002)
                    else:
                        latencies[name].append((time.monotonic() - committed) * 1000)
                if not active:
                    raise RuntimeError(f"no way of searching found the first change: {notes}")
                time.sleep(max(0.0, 1 / rate - (time.monotonic() - committed)))
        finally:
            with conn.cursor() as cursor:
                cursor.executemany(
                    "UPDATE claims_claim SET summary = %s, version = version + 1 WHERE id = %s",
                    [(summary, claim_id) for claim_id, summary in changed],
                )
    by_probe = {
        name: {
            "changes": len(values),
            "p50_ms": percentile(values, 0.5),
            "p95_ms": percentile(values, 0.95),
            "max_ms": round(max(values), 1),
            "mean_ms": round(statistics.fmean(values), 1),
        }
        for name, values in latencies.items()
        if values
    }
    through = list(by_probe)[-1]  # the last probe: the furthest from the index
    return {"rate_per_s": rate, "through": through, **by_probe[through], "by_probe": by_probe,
            "notes": notes}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=int(os.environ.get("SCALE", 100_000)))
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    bench_url, stored = corpus_open(options.scale)
    from claims.models import Claim
    from claims.search import claim_fulltext
    from search.index import ClaimIndex, generation_current

    root = index_root(options.scale)
    results: dict[str, Any] = {
        "scale": options.scale,
        **index_prepare(bench_url, root, stored, rebuild=True),
    }

    reader = ClaimIndex(generation_current(root))
    index_ms: list[float] = []
    postgres_ms: list[float] = []
    totals = {}
    for language, terms in SEARCH_TERMS.items():
        for term in terms:
            totals[term] = reader.search(term).total
            index_ms += timed(lambda term=term: reader.search(term, limit=50), options.repeat)

            def postgres(term: str = term, language: str = language) -> None:
                found = claim_fulltext(Claim.objects.all(), q=term, language=language)
                list(found.order_by("-rank", "-id").values_list("id", flat=True)[:50])
                found.count()

            postgres_ms += timed(postgres, max(options.repeat // 5, 1))
    results["queries"] = {
        "terms": sum(len(terms) for terms in SEARCH_TERMS.values()),
        "index_p50_ms": percentile(index_ms, 0.5),
        "index_p95_ms": percentile(index_ms, 0.95),
        "postgres_p50_ms": percentile(postgres_ms, 0.5),
        "postgres_p95_ms": percentile(postgres_ms, 0.95),
        "totals": totals,
    }
    log(f"queries: {json.dumps(results['queries'])}")

    indexer = indexer_start(bench_url, root)
    try:
        indexer_caught_up(bench_url, root, indexer)

        def through_index(word: str) -> bool:
            return reader.search(word, limit=1).total > 0

        results["freshness"] = freshness_measure(
            bench_url, {"index": through_index}, changes=options.changes, rate=options.rate
        )
    finally:
        stop_process(indexer)
    log(f"freshness: {json.dumps(results['freshness'])}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"search-{options.scale}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
