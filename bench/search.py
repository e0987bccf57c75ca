"""The search index measured on the benchmark's corpus: build, size, queries, freshness.

    python -m bench.search [--scale N] [--changes N] [--rate R]

On the benchmark's database of ``scale`` claims (bench/run.py loads it when missing):
``search_rebuild``'s build of the index (time, claims a second, size on disk); the benchmark's
19 search terms, top 50 and the exact total, through the index and through PostgreSQL
full-text (``claim_fulltext``, the API's search today), in process; then a real indexer
(``manage.py search_index``) while claims are changed by SQL at ``rate`` a second, each timed
from its commit until a search finds it. Writes bench/results/search-<scale>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.run import (
    BASE_DIR,
    RESULTS,
    SEARCH_TERMS,
    django_env,
    log,
    prepare_database,
    server_url,
    setup_django,
)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=int(os.environ.get("SCALE", 100_000)))
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    bench_url, stored = prepare_database(server_url(), options.scale, reload=False)
    if stored is None:
        raise SystemExit(f"Load the corpus first: make bench SCALE={options.scale} ONLY=list")
    setup_django(bench_url)
    from django.core.management import call_command
    from django.db import connection

    from claims.models import Claim
    from claims.search import claim_fulltext
    from search.index import ClaimIndex, generation_current
    from search.indexer import index_rebuild

    call_command("migrate", verbosity=0)
    root = Path(os.environ.get("VAR_DIR", BASE_DIR / "var")) / f"bench-search-{options.scale}"
    log(f"building the index of {options.scale:,} claims in {root}")
    started = time.monotonic()
    index = index_rebuild(root)
    build_seconds = round(time.monotonic() - started, 1)
    size = sum(path.stat().st_size for path in index.path.rglob("*") if path.is_file())
    results: dict[str, Any] = {
        "scale": options.scale,
        "build_seconds": build_seconds,
        "build_claims_per_s": round(options.scale / build_seconds),
        "size_mb": round(size / 1e6, 1),
    }
    log(f"built in {build_seconds} s, {results['size_mb']} MB")

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

    env = {**django_env(bench_url), "SEARCH_INDEX_DIR": str(root)}
    indexer = subprocess.Popen(
        [sys.executable, "manage.py", "search_index"], cwd=BASE_DIR, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM claims_claim ORDER BY random() LIMIT %s", [options.changes]
            )
            ids = [row[0] for row in cursor.fetchall()]
        latencies = []
        for number, claim_id in enumerate(ids):
            marker = f"freshness{number}x{time.time_ns()}"
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE claims_claim SET summary = %s, version = version + 1 WHERE id = %s",
                    [marker, claim_id],
                )
            committed = time.monotonic()  # autocommit: committed when execute returns
            while not reader.search(marker).total:
                if time.monotonic() - committed > 30:
                    raise SystemExit(f"change {number} not searchable after 30 s")
                time.sleep(0.002)
            latencies.append((time.monotonic() - committed) * 1000)
            time.sleep(max(0.0, 1 / options.rate - (time.monotonic() - committed)))
    finally:
        os.killpg(indexer.pid, signal.SIGTERM)
        indexer.wait(30)
    results["freshness"] = {
        "changes": len(latencies),
        "rate_per_s": options.rate,
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "max_ms": round(max(latencies), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }
    log(f"freshness: {json.dumps(results['freshness'])}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"search-{options.scale}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
