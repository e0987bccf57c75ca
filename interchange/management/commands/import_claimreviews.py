"""``manage.py import_claimreviews SOURCE...``: fact checks from files and URLs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from interchange import services
from interchange.models import Import, ImportStatus


class Command(BaseCommand):
    help = (
        "Import schema.org ClaimReview fact checks (JSON-LD, JSON Lines, HTML pages, Fact Check "
        "Tools API responses, DataFeeds) from files or http(s) URLs. A review is known by its "
        "URL: importing again updates it in place or changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="+", metavar="SOURCE", help="A file path or a URL.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and report; change nothing."
        )
        parser.add_argument(
            "--user",
            help="Import as this user (who must have the import permission); the imported "
            "claims are created by them. Without it, by nobody: the command line is trusted.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._user(options["user"]) if options["user"] else None
        failed = 0
        for source in options["sources"]:
            run = self._import(source, actor=actor, dry_run=options["dry_run"])
            failed += run.status == ImportStatus.FAILED
        if failed:
            raise CommandError(f"{failed} of {len(options['sources'])} sources could not be read.")

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist as error:
            raise CommandError(f"There is no user {username!r}.") from error

    def _import(self, source: str, *, actor: User | None, dry_run: bool) -> Import:
        is_url = source.startswith(("http://", "https://"))
        content = None if is_url else self._read(source)
        try:
            run = services.import_create(
                actor=actor,
                source=source,
                content=content,
                url=source if is_url else "",
                dry_run=dry_run,
            )
        except (PermissionDenied, ValidationError) as error:
            reason = " ".join(getattr(error, "messages", [str(error)]))
            raise CommandError(f"{source}: {reason}") from error
        started = time.monotonic()

        def progress(run: Import) -> None:
            rate = run.read / max(time.monotonic() - started, 1e-9)
            self.stderr.write(
                f"\r{source}: {run.read:,} read ({rate:,.0f}/s): {run.summary}", ending=""
            )
            self.stderr.flush()

        run = services.import_run(run=run, progress=progress)
        self.stderr.write("")
        for refusal in run.refusals:
            self.stdout.write(f"  refused {refusal['where']}: {refusal['reason']}")
        if run.refused > len(run.refusals):
            self.stdout.write(f"  … and {run.refused - len(run.refusals):,} more refused")
        prefix = "(dry run, nothing saved) " if dry_run else ""
        if run.status == ImportStatus.FAILED:
            self.stderr.write(self.style.ERROR(f"{source}: {run.error}"))
        self.stdout.write(f"{source}: {prefix}{run.summary}")
        return run

    def _read(self, path: str) -> bytes:
        file = Path(path)
        try:
            size = file.stat().st_size
            if size > settings.IMPORT_MAX_BYTES:
                raise CommandError(
                    f"{path} is larger than {settings.IMPORT_MAX_BYTES:,} bytes (IMPORT_MAX_BYTES)."
                )
            return file.read_bytes()
        except OSError as error:
            raise CommandError(f"{path} cannot be read: {error.strerror or error}.") from error
