"""``manage.py ensure_admin``: make sure a superuser exists, for a first start or a deployment.

With ``DJANGO_SUPERUSER_USERNAME`` (and optionally ``DJANGO_SUPERUSER_PASSWORD`` and
``DJANGO_SUPERUSER_EMAIL``) that user is created when missing. Without it, any superuser will
do; when there is none, ``admin`` is created. A password that was not given is generated and
printed once, when the user is created. An existing user's password is never touched.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEFAULT_USERNAME = "admin"


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


class Command(BaseCommand):
    help = (
        "Make sure a superuser exists: DJANGO_SUPERUSER_USERNAME (default admin) with "
        "DJANGO_SUPERUSER_PASSWORD (default: generated and printed once) and "
        "DJANGO_SUPERUSER_EMAIL. An existing user is left as it is."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        username = _env("DJANGO_SUPERUSER_USERNAME")
        if username:
            existing = User.objects.filter(username=username).first()
            if existing is not None:
                if not existing.is_superuser:
                    raise CommandError(
                        f"The user {username!r} exists but is not a superuser. Choose another "
                        "DJANGO_SUPERUSER_USERNAME, or make it a superuser in the admin."
                    )
                self.stdout.write(f"Superuser {username} exists; its password is left unchanged.")
                return
        else:
            superuser = User.objects.filter(is_superuser=True).order_by("pk").first()
            if superuser is not None:
                self.stdout.write(
                    f"Superuser {superuser.username} exists; its password is left unchanged."
                )
                return
            username = DEFAULT_USERNAME
            if User.objects.filter(username=username).exists():
                raise CommandError(
                    f"There is no superuser, and the user {username!r} exists but is not one. "
                    "Set DJANGO_SUPERUSER_USERNAME to create a superuser under another name."
                )

        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(24)
        User.objects.create_superuser(
            username=username, email=_env("DJANGO_SUPERUSER_EMAIL"), password=password
        )
        if generated:
            self.stdout.write(
                f"Created superuser {username} with the password: {password}\n"
                "It is shown only this once; store it now (or change it with "
                f"manage.py changepassword {username})."
            )
        else:
            self.stdout.write(
                f"Created superuser {username} with the password from DJANGO_SUPERUSER_PASSWORD."
            )
