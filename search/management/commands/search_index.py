"""``manage.py search_index``: the indexer, keeping this host's search index in step."""

from __future__ import annotations

import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from search.index import IndexBusyError
from search.indexer import index_apply, index_follow, index_kind, index_ready, index_report


class Command(BaseCommand):
    help = (
        "Apply the search change log to the index in SEARCH_INDEX_DIR (or, with --index "
        "similar, SIMILAR_INDEX_DIR), as changes come, until "
        "stopped (SIGTERM or Ctrl-C), following a rebuilt index when search_rebuild swaps it "
        "in. An index that is missing, damaged, of another version or no longer covered by "
        "the log is rebuilt first. One indexer per index: a second one exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Apply what is pending, then exit.")
        parser.add_argument(
            "--index",
            choices=list(settings.SEARCH_INDEXES),
            default="search",
            help="Which index: the search index (SEARCH_INDEX_DIR, the default) or the "
            "similar-claim index of the claims' embeddings (SIMILAR_INDEX_DIR).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind, root = index_kind(options["index"])
        try:
            if options["once"]:
                index = index_ready(root, kind=kind)
                applied = 0
                while done := index_apply(index):
                    applied += done
                index_report(index)
                self.stdout.write(f"Applied {applied} changes; the index is at {index.position()}.")
                return
            stopping = False

            def stop(signum: int, frame: Any) -> None:
                nonlocal stopping
                stopping = True

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            index_follow(
                root,
                kind=kind,
                until=lambda: stopping,
                ready=lambda index: self.stdout.write(
                    f"Indexing into {index.path}, from {index.position()}."
                ),
            )
        except IndexBusyError as error:
            raise CommandError(str(error)) from error
