"""``manage.py search_rebuild``: a fresh search (or similar-claim) index from PostgreSQL,
swapped in."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from search.indexer import index_kind, index_rebuild


class Command(BaseCommand):
    help = (
        "Build a new search index from every claim in PostgreSQL beside the one in use (which "
        "goes on answering), apply the changes made meanwhile, and swap it in atomically; a "
        "running indexer follows it. For a lost, damaged or drifting index (search_check)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--index",
            choices=list(settings.SEARCH_INDEXES),
            default="search",
            help="Which index: the search index (the default) or the similar-claim index.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind, root = index_kind(options["index"])
        started = time.monotonic()
        shown = [0.0]

        def progress(done: int, of: int) -> None:
            now = time.monotonic()
            if done == of or now - shown[0] >= 1:
                shown[0] = now
                rate = done / max(now - started, 1e-9)
                self.stdout.write(
                    f"\r{done:,} of {of:,} claims ({done * 100 // max(of, 1)}%, {rate:,.0f}/s)",
                    ending="",
                )
                self.stdout.flush()

        index = index_rebuild(root, progress=progress, kind=kind)
        self.stdout.write("")
        self.stdout.write(
            f"Rebuilt in {time.monotonic() - started:.1f} s: {index.count():,} claims in "
            f"{index.path}, at {index.position()}; it is the index in use."
        )
