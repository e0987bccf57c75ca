"""The management commands add_to_group and ensure_admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from core import roles
from tests import factories

pytestmark = pytest.mark.django_db

ENV_NAMES = ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL")


def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def group_names(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


# add_to_group


def test_add_to_group_adds_the_user_and_gives_admin_access() -> None:
    user = factories.UserFactory(username="alice", is_staff=False)
    assert not user.has_perm("claims.change_claim_status")

    output = run("add_to_group", "alice", "Reviewer")

    assert output.strip() == "Added alice to Reviewer."
    user = User.objects.get(pk=user.pk)  # a fresh object: permissions are cached
    assert group_names(user) == [roles.REVIEWER]
    assert user.is_staff
    assert user.has_perm("claims.change_claim_status")


def test_add_to_group_accepts_any_case_and_is_idempotent() -> None:
    user = factories.editor(username="bob")

    first = run("add_to_group", "bob", "viewer")
    second = run("add_to_group", "bob", "VIEWER")

    assert first.strip() == "Added bob to Viewer."
    assert second.strip() == "bob is already in Viewer: nothing to do."
    assert group_names(user) == [roles.EDITOR, roles.VIEWER]


def test_add_to_group_remove_takes_the_user_out() -> None:
    user = factories.reviewer(username="carol")

    output = run("add_to_group", "carol", "Reviewer", "--remove")
    again = run("add_to_group", "carol", "Reviewer", "--remove")

    assert output.strip() == "Removed carol from Reviewer."
    assert again.strip() == "carol is not in Reviewer: nothing to do."
    user = User.objects.get(pk=user.pk)
    assert group_names(user) == []
    assert not user.has_perm("claims.change_claim_status")


def test_add_to_group_unknown_user_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="No user called 'nobody'"):
        run("add_to_group", "nobody", "Editor")


def test_add_to_group_unknown_group_lists_the_groups() -> None:
    user = factories.UserFactory(username="dave")

    with pytest.raises(CommandError, match=r"Unknown group 'Admins'\. Use one of: ") as error:
        run("add_to_group", "dave", "Admins")

    assert all(name in str(error.value) for name in (roles.VIEWER, roles.EDITOR, roles.REVIEWER))
    assert group_names(user) == []


# ensure_admin


@pytest.fixture
def no_superuser_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_ensure_admin_creates_admin_with_a_generated_password_shown_once(
    no_superuser_env: pytest.MonkeyPatch,
) -> None:
    output = run("ensure_admin")

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    password = output.split("with the password: ", 1)[1].split()[0]
    assert len(password) >= 30
    assert admin.check_password(password)

    again = run("ensure_admin")

    assert again.strip() == "Superuser admin exists; its password is left unchanged."
    assert password not in again
    assert User.objects.filter(is_superuser=True).count() == 1


def test_ensure_admin_uses_the_environment(no_superuser_env: pytest.MonkeyPatch) -> None:
    no_superuser_env.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    no_superuser_env.setenv("DJANGO_SUPERUSER_PASSWORD", "s3cret-from-env")
    no_superuser_env.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.org")

    output = run("ensure_admin")

    assert output.strip() == (
        "Created superuser root with the password from DJANGO_SUPERUSER_PASSWORD."
    )
    assert "s3cret-from-env" not in output
    root = User.objects.get(username="root")
    assert root.is_superuser and root.email == "root@example.org"
    assert root.check_password("s3cret-from-env")
    assert not User.objects.filter(username="admin").exists()


def test_ensure_admin_leaves_an_existing_password_alone(
    no_superuser_env: pytest.MonkeyPatch,
) -> None:
    User.objects.create_superuser(username="root", email="", password="the-old-one")
    no_superuser_env.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    no_superuser_env.setenv("DJANGO_SUPERUSER_PASSWORD", "a-new-one")

    output = run("ensure_admin")

    assert output.strip() == "Superuser root exists; its password is left unchanged."
    assert User.objects.get(username="root").check_password("the-old-one")


def test_ensure_admin_generates_a_password_when_only_the_username_is_set(
    no_superuser_env: pytest.MonkeyPatch,
) -> None:
    no_superuser_env.setenv("DJANGO_SUPERUSER_USERNAME", "ops")

    output = run("ensure_admin")

    password = output.split("with the password: ", 1)[1].split()[0]
    assert User.objects.get(username="ops").check_password(password)


def test_ensure_admin_is_satisfied_by_any_existing_superuser(
    no_superuser_env: pytest.MonkeyPatch,
) -> None:
    User.objects.create_superuser(username="alice", email="", password="x")

    output = run("ensure_admin")

    assert output.strip() == "Superuser alice exists; its password is left unchanged."
    assert not User.objects.filter(username="admin").exists()


def test_ensure_admin_refuses_to_promote_an_ordinary_user(
    no_superuser_env: pytest.MonkeyPatch,
) -> None:
    factories.editor(username="admin")

    with pytest.raises(CommandError, match="'admin' exists but is not one"):
        run("ensure_admin")
    no_superuser_env.setenv("DJANGO_SUPERUSER_USERNAME", "admin")
    with pytest.raises(CommandError, match="'admin' exists but is not a superuser"):
        run("ensure_admin")

    assert not User.objects.get(username="admin").is_superuser
