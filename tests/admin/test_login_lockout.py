"""The admin's login locks a username out, from one address, after repeated wrong passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from api.services import api_token_create
from tests import factories

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def editor(db: None) -> User:
    user = factories.editor(username="edith")
    user.set_password(PASSWORD)
    user.save()
    return user


def login(client: Client, password: str, address: str = "203.0.113.7") -> object:
    return client.post(LOGIN, {"username": "edith", "password": password}, REMOTE_ADDR=address)


def fail_until_locked(client: Client) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, "wrong password")
    # The last wrong password is the one that locks.
    assert response.status_code == 429


def test_the_right_password_is_refused_after_repeated_wrong_ones(editor: User) -> None:
    client = Client()
    response = login(client, "wrong password")
    assert response.status_code == 200  # the login form again, with its error
    assert "Please enter the correct username and password" in response.content.decode()

    fail_until_locked(client)
    response = login(client, PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page
    assert "minutes" in page
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still signed out


def test_another_address_can_still_sign_in(editor: User) -> None:
    fail_until_locked(Client())

    client = Client()
    response = login(client, PASSWORD, address="198.51.100.20")

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_lock_ends_after_the_cool_off(editor: User) -> None:
    from axes.models import AccessAttempt

    client = Client()
    fail_until_locked(client)
    assert login(client, PASSWORD).status_code == 429

    # The failures are as old as the cool-off: as if that much time had passed.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )
    response = login(client, PASSWORD)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_api_tokens_still_work_for_a_locked_out_user(editor: User) -> None:
    """Tools calling the API keep working while someone guesses the user's password."""
    _, raw = api_token_create(actor=editor, user=editor, name="newsroom CMS")
    fail_until_locked(Client())

    response = Client().get(
        "/api/v1/claims/", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="203.0.113.7"
    )

    assert response.status_code == 200
