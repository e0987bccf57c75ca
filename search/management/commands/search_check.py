"""``manage.py search_check``: how this host's search index differs from PostgreSQL."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from search.index import IndexUnavailableError, generation_open
from search.indexer import index_check

SHOWN = 10


class Command(BaseCommand):
    help = (
        "Compare the search index in SEARCH_INDEX_DIR with the claims in PostgreSQL: claims "
        "missing from it, documents of claims that are gone, documents out of date. Exits "
        "with status 1 when they differ (while changes are pending, they may be why)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            index = generation_open(settings.SEARCH_INDEX_DIR)
        except IndexUnavailableError as error:
            raise CommandError(
                f"No search index to check: {error}. The indexer (search_index) rebuilds it "
                "when it starts; search_rebuild builds one now."
            ) from error
        drift = index_check(index)
        self.stdout.write(
            f"{drift.claims} claims in the database, {drift.indexed} in the index; "
            f"{drift.pending} changes not yet applied."
        )
        for label, ids in (
            ("Missing from the index", drift.missing),
            ("In the index, not in the database", drift.extra),
            ("Out of date in the index", drift.stale),
        ):
            if ids:
                more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
                self.stdout.write(f"{label} ({len(ids)}): {', '.join(ids[:SHOWN])}{more}")
        if not drift.in_step:
            raise CommandError("The search index differs from the database (see above).")
        self.stdout.write("The search index is in step with the database.")
