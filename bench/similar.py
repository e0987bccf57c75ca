"""Similar-claim lookups measured on the benchmark's corpus (``make bench``'s "similar"
scenario, or alone: ``python -m bench.similar [--scale N]``).

The similar-claim index of the corpus: embedding a million claims takes hours on two cores
(about 18 ms a text, measured here on a sample), so the bench embeds a sample of the corpus's
texts for real (``EMBEDDED``, timed: the rate of a real build) and gives every other claim a
vector near one of them (the sample's vector plus noise, of a cosine 0.65 to 0.95 with it): a
million vectors of the model's shape, built into the index by the same code
(``VectorIndex.put_embedded``), so that the nearest-neighbour search is timed on a million.
Reused while the corpus is the same (``bench-index.json``).

Then ``QUERIES`` lookups through ``matching.selectors.claims_similar``, in process, one at a
time: corpus claims' texts as they are, reworded (words added around them), and the labelled
set's claims in six languages. The lookup (the same text, the words' candidates from the
search index, the nearest vectors, the rows, the scores) is timed apart from the embedding of
the text, which is reported on its own; the index's build time and size too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import BASE_DIR, RESULTS, corpus_open, log
from bench.search import _corpus_identity, _size_mb, index_prepare, index_root, percentile

EMBEDDED = 3_000
QUERIES = 300
BATCH = 50_000
_BUILT = "bench-index.json"


def similar_root(scale: int) -> Path:
    """The bench's similar-claim index of a corpus of ``scale`` claims."""
    return Path(os.environ.get("VAR_DIR", BASE_DIR / "var")) / "bench" / f"similar-{scale}"


def vectors_prepare(
    bench_url: str, root: Path, stored: dict[str, Any], *, rebuild: bool = False
) -> dict[str, Any]:
    """The similar-claim index of the corpus in ``root``, built (see above) or reused."""
    import numpy
    from django.db import connection

    from matching.layers import embeddings
    from matching.vectors import VectorIndex
    from search.index import (
        ClaimDocument,
        Position,
        generation_current,
        generation_new,
        generation_swap,
    )
    from search.indexer import _LAST_POSITION

    identity = _corpus_identity(bench_url, stored)
    marker = root / _BUILT
    if not rebuild and marker.exists():
        built: dict[str, Any] = json.loads(marker.read_text())
        current = generation_current(root)
        if built.get("corpus") == identity and built.get("generation") == current.name:
            log(f"reusing the similar-claim index in {root}")
            figures = {k: v for k, v in built.items() if k not in ("corpus", "generation")}
            return {**figures, "size_mb": _size_mb(current), "reused": True}
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    with connection.cursor() as cursor:
        cursor.execute(_LAST_POSITION)
        txid, row = cursor.fetchone() or (0, 0)
        cursor.execute("SELECT id::text, text FROM claims_claim ORDER BY id")
        claims: list[tuple[str, str]] = cursor.fetchall()
    chance = random.Random(17)
    sample = sorted({text for _, text in chance.sample(claims, min(EMBEDDED * 2, len(claims)))})
    sample = sample[:EMBEDDED]
    log(f"similar-claim index: embedding {len(sample):,} of the corpus's texts for real")
    started = time.monotonic()
    real = embeddings(sample)
    embedding_seconds = time.monotonic() - started
    per_text_ms = embedding_seconds * 1000 / max(len(sample), 1)
    log(f"similar-claim index: {per_text_ms:.1f} ms a text; building {len(claims):,} vectors")
    directory = generation_new(root)
    index = VectorIndex(directory, writable=True)
    noise = numpy.random.default_rng(17)
    started = time.monotonic()
    for start in range(0, len(claims), BATCH):
        part = claims[start : start + BATCH]
        base = real[noise.integers(0, len(real), len(part))]
        spread = noise.uniform(0.017, 0.06, (len(part), 1)).astype(numpy.float32)
        vectors = base + noise.standard_normal(base.shape).astype(numpy.float32) * spread
        vectors /= numpy.linalg.norm(vectors, axis=1, keepdims=True)
        documents = [ClaimDocument(id=pk, language="", text=text) for pk, text in part]
        index.put_embedded(documents, vectors)
        done = start + len(part)
        log(f"similar-claim index: {done:,} of {len(claims):,} vectors")
    index.commit(Position(txid, row))
    build_seconds = round(time.monotonic() - started, 1)
    index.close()
    generation_swap(root, directory)
    figures = {
        "claims": len(claims),
        "embedded_for_real": len(sample),
        "embedding_ms_per_text": round(per_text_ms, 1),
        "embedding_hours_for_all": round(per_text_ms * len(claims) / 3_600_000, 1),
        "index_build_seconds": build_seconds,
        "size_mb": _size_mb(directory),
    }
    marker.write_text(
        json.dumps({**figures, "corpus": identity, "generation": directory.name}, indent=2)
    )
    log(f"similar-claim index: {json.dumps(figures)}")
    return {**figures, "reused": False}


def similar_scenario(
    bench_url: str, scale: int, stored: dict[str, Any], search_root: Path
) -> dict[str, Any]:
    """Lookups of similar claims at ``scale``: their time without and with the embedding."""
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    from matching.evaluation import SET
    from matching.layers import embeddings
    from matching.selectors import claims_similar

    root = similar_root(scale)
    figures = vectors_prepare(bench_url, root, stored)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT text, language FROM claims_claim TABLESAMPLE SYSTEM (1) REPEATABLE (7) "
            "LIMIT %s",
            [QUERIES],
        )
        corpus = cursor.fetchall()
    labelled = [
        (variant["text"], variant["lang"])
        for cluster in json.loads(SET.read_text())["clusters"]
        for variant in cluster["variants"]
    ]
    third = QUERIES // 3
    queries = [
        *corpus[:third],
        *((f"BREAKING: {text} (via Telegram)", language) for text, language in corpus[third:]),
    ][: QUERIES - len(labelled[:third])] + labelled[:third]
    lookup_ms, embed_ms, found = [], [], 0
    with override_settings(SEARCH_INDEX_DIR=search_root, SIMILAR_INDEX_DIR=root):
        claims_similar("warm up", language="en")  # the model and both indexes opened
        with CaptureQueriesContext(connection) as sql:
            claims_similar(queries[0][0], language=queries[0][1])
        for text, language in queries:
            started = time.perf_counter()
            vector = embeddings([text])[0]
            embedded = time.perf_counter()
            similar = claims_similar(text, language=language, vector=vector)
            done = time.perf_counter()
            embed_ms.append((embedded - started) * 1000)
            lookup_ms.append((done - embedded) * 1000)
            found += bool(similar.suggestions)
            if similar.unavailable:
                raise RuntimeError(f"a layer was unavailable: {similar.unavailable}")
    result = {
        "index": figures,
        "lookups": len(queries),
        "queries": len(sql.captured_queries),  # SQL queries a lookup
        "with_suggestions": found,
        "p50_ms": percentile(lookup_ms, 0.5),  # the lookup, the embedding apart
        "p95_ms": percentile(lookup_ms, 0.95),
        "p99_ms": percentile(lookup_ms, 0.99),
        "embedding_p50_ms": percentile(embed_ms, 0.5),
        "embedding_p95_ms": percentile(embed_ms, 0.95),
        "total_p95_ms": percentile([a + b for a, b in zip(lookup_ms, embed_ms, strict=True)], 0.95),
    }
    log(f"similar: {json.dumps(result)}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=int(os.environ.get("SCALE", 100_000)))
    options = parser.parse_args()
    bench_url, stored = corpus_open(options.scale)
    search_root = index_root(options.scale)
    index_prepare(bench_url, search_root, stored)
    result = similar_scenario(bench_url, options.scale, stored, search_root)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"similar-{options.scale}.json"
    path.write_text(json.dumps({"scale": options.scale, **result}, indent=2) + "\n")
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
