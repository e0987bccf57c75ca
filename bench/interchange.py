"""Imports and exports measured on the benchmark's corpus.

    python -m bench.interchange [--scale N] [--reviews N]

On the benchmark's database of ``scale`` claims (``make bench SCALE=N ONLY=list`` loads it):
writes a JSON Lines file of ``reviews`` ClaimReviews as publishers write them (half of them of
claims the corpus holds, with their text in other spacing; half of new claims; eight
languages, labels mapped and not, ratings as strings, numbers, empty or missing, author lists,
appearances), imports it with ``manage.py import_claimreviews`` (every review new), imports it
again (every review unchanged), then exports every claim in each format, timing the first
rows and the whole. The reviews it imported are removed first, so that it can run again.
Writes bench/results/interchange-<scale>.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, corpus_open, log

LABELS = [
    "False",
    "Mostly false",
    "Faux",
    "Falso",
    "Engañoso",
    "Фейк",
    "Маніпуляція",
    "زائف",
    "really_false",
    "Needs context",
    "Pants on Fire!",
    "Sem provas",
]
LANGUAGES = ["en", "fr", "es", "ru", "uk", "ar", "pt", "de"]
WORDS = ["войска", "القوات", "troops", "tropas", "військa", "troupes"]


def reviews_write(path: Path, *, count: int, texts: list[str], seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            if n < count // 2:
                text = texts[n % len(texts)]
                text = f"  {text} " if n % 5 == 0 else text
            else:
                text = f"Imported claim {n}: «{rng.choice(WORDS)}» {rng.random():.6f}"
            publisher = n % 37
            item = {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "url": f"https://checker{publisher}.example.org/{n}",
                "claimReviewed": text,
                "author": [
                    {"@type": "Person", "name": "A. Checker"},
                    {
                        "@type": "Organization",
                        "name": f"Checker {publisher}",
                        "url": f"https://www.checker{publisher}.example.org",
                    },
                ],
                "datePublished": rng.choice(
                    ["2021-08-24 14:41", "2021-7-16", "2022-02-16T09:30:00+02:00"]
                ),
                "inLanguage": rng.choice(LANGUAGES),
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": rng.choice(["1", 2, "", None]),
                    "bestRating": rng.choice(["5", ""]),
                    "alternateName": rng.choice(LABELS),
                },
                "itemReviewed": {
                    "@type": "Claim",
                    "author": {"@type": "Person", "name": f"Speaker {n % 500}"},
                    "datePublished": "2021-07-01",
                    "appearance": [
                        {"@type": "CreativeWork", "url": f"https://news{n % 11}.example.net/{n}"}
                    ],
                },
            }
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=int(os.environ.get("SCALE", 100_000)))
    parser.add_argument("--reviews", type=int, default=20_000)
    options = parser.parse_args()
    corpus_open(options.scale)
    from django.core.management import call_command

    from claims.models import Appearance, Claim
    from interchange import exporting
    from interchange.models import ImportedClaim, Review

    imported = ImportedClaim.objects.values("claim")
    Review.objects.all().delete()
    Appearance.objects.filter(claim__in=imported).delete()
    Claim.objects.filter(pk__in=imported).delete()  # and their import marks
    texts = list(Claim.objects.order_by("?").values_list("text", flat=True)[: options.reviews])
    path = RESULTS / f"interchange-{options.scale}.jsonl"
    RESULTS.mkdir(parents=True, exist_ok=True)
    reviews_write(path, count=options.reviews, texts=texts)
    results: dict[str, Any] = {
        "scale": options.scale,
        "reviews": options.reviews,
        "file_mb": round(path.stat().st_size / 1e6, 1),
    }
    for name in ("first", "again"):
        out = io.StringIO()
        started = time.perf_counter()
        call_command("import_claimreviews", str(path), stdout=out, stderr=io.StringIO())
        seconds = time.perf_counter() - started
        results[f"import_{name}"] = {
            "seconds": round(seconds, 1),
            "reviews_per_second": round(options.reviews / seconds),
            "summary": out.getvalue().strip().splitlines()[-1].split(": ", 1)[1],
        }
        log(f"import {name}: {json.dumps(results[f'import_{name}'])}")
    claims = Claim.objects.count()
    for export_format in exporting.FORMATS:
        started = time.perf_counter()
        first = None
        size = 0
        for number, part in enumerate(exporting.claims_export(Claim.objects.all(), export_format)):
            size += len(part.encode())
            if number == 1:  # the first rows (the CSV header and "[" come before any query)
                first = time.perf_counter() - started
        seconds = time.perf_counter() - started
        results[f"export_{export_format}"] = {
            "claims": claims,
            "mb": round(size / 1e6, 1),
            "first_rows_ms": round((first or seconds) * 1000),
            "seconds": round(seconds, 1),
            "claims_per_second": round(claims / seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        log(f"export {export_format}: {json.dumps(results[f'export_{export_format}'])}")
    path.unlink()
    report = RESULTS / f"interchange-{options.scale}.json"
    report.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
