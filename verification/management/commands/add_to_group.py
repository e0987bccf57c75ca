"""``manage.py add_to_group <username> <group>``: give a user a role (or take it away)."""

from __future__ import annotations

from typing import Any

import pghistory
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.roles import ROLE_PERMISSIONS

ROLES = tuple(ROLE_PERMISSIONS)


def role_name(name: str) -> str:
    """The role called ``name`` (any case), or a CommandError listing the roles."""
    for role in ROLES:
        if role.lower() == name.strip().lower():
            return role
    raise CommandError(f"Unknown group {name!r}. Use one of: {', '.join(ROLES)}.")


class Command(BaseCommand):
    help = (
        f"Add a user to one of the groups {', '.join(ROLES)} (and let them sign in to the "
        "admin), or take them out of it with --remove."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("group", help=f"One of: {', '.join(ROLES)}.")
        parser.add_argument(
            "--remove", action="store_true", help="Take the user out of the group instead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        name = role_name(options["group"])
        with transaction.atomic(), pghistory.context(channel="command", command="add_to_group"):
            user = User.objects.select_for_update().filter(username=username).first()
            if user is None:
                raise CommandError(
                    f"No user called {username!r}. Create it first (manage.py createsuperuser, "
                    "or in the admin under Users)."
                )
            group = Group.objects.filter(name=name).first()
            if group is None:
                raise CommandError(
                    f"The group {name!r} does not exist yet. Run manage.py migrate to create it."
                )
            member = user.groups.filter(pk=group.pk).exists()
            if options["remove"]:
                if not member:
                    self.stdout.write(f"{username} is not in {name}: nothing to do.")
                    return
                user.groups.remove(group)
                self.stdout.write(f"Removed {username} from {name}.")
                return
            if member and user.is_staff:
                self.stdout.write(f"{username} is already in {name}: nothing to do.")
                return
            user.groups.add(group)
            if not user.is_staff:
                # Staff status is what lets the user sign in to the admin.
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            self.stdout.write(f"Added {username} to {name}.")
            if not user.is_active:
                self.stderr.write(
                    f"Note: {username} is inactive; they cannot sign in until activated."
                )
