"""``manage.py export_claims --format csv|jsonl|claimreview [--output FILE] [filters]``."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict

from api.filters import ClaimFilter
from claims.models import Claim
from interchange import exporting

# The options' help where the claims list's own would mislead.
_HELP = {
    "q": "Full-text search over claim text, summary, claimant, statement quotes and source "
    'names (PostgreSQL): words (all must match), "a phrase", or, -word. Every match.',
    "lang": "The language of --q (default en), for stemming it.",
    "status": "One of unverified, in_review, verified, false, misleading, unproven.",
}


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


class Command(BaseCommand):
    help = (
        "Export every claim the filters select (the API's claims list filters, as options) as "
        "CSV, JSON Lines or ClaimReview JSON-LD, to a file or stdout; progress on stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=exporting.FORMATS)
        parser.add_argument(
            "--output", "-o", metavar="FILE", help="Write to this file (default: stdout)."
        )
        # Every filter of the claims list, from the filter set that defines their rules.
        for name, definition in ClaimFilter.base_filters.items():
            repeatable = isinstance(definition, django_filters.MultipleChoiceFilter)
            help_text = str(_HELP.get(name) or definition.extra.get("help_text") or "")
            if repeatable:
                help_text = f"{help_text} Repeat for several.".strip()
            parser.add_argument(
                _option(name),
                dest=f"filter_{name}",
                action="append" if repeatable else "store",
                help=help_text.replace("%", "%%"),  # argparse formats help with %
            )

    def handle(self, *args: Any, **options: Any) -> None:
        export_format: str = options["format"]
        params = QueryDict(mutable=True)
        for name in ClaimFilter.base_filters:
            value = options.get(f"filter_{name}")
            if isinstance(value, list):
                params.setlist(name, value)
            elif value is not None:
                params[name] = value
        try:
            claims = exporting.claims_filtered(Claim.objects.all(), params)
        except ValidationError as error:
            raise CommandError(
                "; ".join(
                    f"{_option(name)}: {' '.join(messages)}"
                    for name, messages in error.message_dict.items()
                )
            ) from error
        total = claims.count()
        started = time.monotonic()

        def progress(written: int) -> None:
            rate = written / max(time.monotonic() - started, 1e-9)
            self.stderr.write(f"\r{written:,} of {total:,} claims ({rate:,.0f}/s)", ending="")
            self.stderr.flush()

        chunks = exporting.claims_export(claims, export_format, progress=progress)
        output = options["output"]
        written = self._write(chunks, Path(output)) if output else self._print(chunks)
        if total:
            self.stderr.write("")  # end the progress line
        elapsed = time.monotonic() - started
        label = exporting.EXPORT_FORMATS[export_format].label
        self.stderr.write(
            f"Exported {total:,} claims as {label} to {output or 'stdout'} "
            f"({written:,} characters) in {elapsed:.1f} s."
        )

    def _print(self, chunks: Iterator[str]) -> int:
        written = 0
        for text in chunks:
            self.stdout.write(text, ending="")
            written += len(text)
        self.stdout.flush()
        return written

    def _write(self, chunks: Iterator[str], path: Path) -> int:
        """Into a file beside ``path``, renamed to it once complete: an export that fails
        half-way leaves no half file under the name asked for."""
        directory = path.parent if str(path.parent) else Path()
        try:
            descriptor, partial = tempfile.mkstemp(
                dir=directory, prefix=f".{path.name}.", suffix=".part"
            )
        except OSError as error:
            raise CommandError(f"{path} cannot be written: {error.strerror or error}.") from error
        written = 0
        try:
            # A file as any other the user creates (mkstemp's is readable by its owner only).
            umask = os.umask(0)
            os.umask(umask)
            Path(partial).chmod(0o666 & ~umask)
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
                for text in chunks:
                    file.write(text)
                    written += len(text)
            Path(partial).replace(path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return written
