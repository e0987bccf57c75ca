from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.services import MAX_EXPIRY_DAYS, api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it once (only its digest is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (default never)."
        )

    def handle(
        self, *args: Any, username: str, name: str, expires_days: int | None, **options: Any
    ) -> None:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as error:
            raise CommandError(f"No user {username!r}.") from error
        if not user.is_active:
            raise CommandError(f"{username!r} is inactive; activate the user first.")
        if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
            raise CommandError(f"--expires-days must be from 1 to {MAX_EXPIRY_DAYS}.")
        try:
            token, raw = api_token_create(
                actor=user,
                user=user,
                name=name,
                expires_in=timedelta(days=expires_days) if expires_days else None,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        expiry = (
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC"
            if token.expires_at
            else "never expires"
        )
        self.stderr.write(
            f"Token {token.name!r} for {username} ({expiry}). Shown once; store it now:"
        )
        self.stdout.write(raw)
