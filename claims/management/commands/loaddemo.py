"""``manage.py loaddemo``: the demo claims of 15 February 2022, loaded once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from claims.demo import APPROVER_USERNAME, EDITOR_USERNAME, REVIEWER_USERNAME, demo_load
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Load the demo data (claims, sources, statements, evidence and status history from the "
        "article of 15 February 2022). Safe to run again: what exists is skipped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo_load()
        except PermissionDenied as exc:
            raise CommandError(
                f"{exc} Check that the users {EDITOR_USERNAME!r}, {REVIEWER_USERNAME!r} and "
                f"{APPROVER_USERNAME!r} are active staff users in the Editor and Reviewer "
                "groups, or delete them to let loaddemo create them."
            ) from exc
        except (ValidationError, DomainError) as exc:
            raise CommandError(f"The demo data could not be loaded: {exc}") from exc
        if options["verbosity"] > 1:
            for text in result.skipped_claims:
                self.stdout.write(f"Skipped (already there): {text}")
        self.stdout.write(result.summary())
