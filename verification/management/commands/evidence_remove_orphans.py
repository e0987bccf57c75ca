"""``manage.py evidence_remove_orphans``: delete evidence files no evidence refers to."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from verification.services import evidence_orphans_remove


class Command(BaseCommand):
    help = (
        "Delete stored evidence files that no evidence refers to (left by rolled-back saves), "
        "stored more than --older-than-hours ago. Beat runs it daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=settings.EVIDENCE_ORPHAN_HOURS,
            help="Keep files younger than this (default EVIDENCE_ORPHAN_HOURS, %(default)s).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List them; delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        names = evidence_orphans_remove(
            older_than=timedelta(hours=options["older_than_hours"]), dry_run=options["dry_run"]
        )
        verb = "Would delete" if options["dry_run"] else "Deleted"
        for name in names:
            self.stdout.write(f"{verb} {name}")
        self.stdout.write(f"{verb} {len(names)} orphaned evidence file(s).")
