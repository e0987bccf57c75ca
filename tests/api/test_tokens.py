"""API tokens: created once (command, admin), stored as a digest, expiring, revocable."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke
from core import roles
from tests import factories as f
from tests.api.conftest import token_for

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def assert_unauthorized(response, detail: str | None = None) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    if detail is not None:
        assert response.json()["detail"] == detail


# --- manage.py create_api_token ---------------------------------------------------------------


def create_api_token(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_the_token_once_and_stores_only_its_digest():
    f.viewer(username="cms")
    out, err = create_api_token("cms", "--name", "newsroom CMS")

    raw = out.strip()
    assert re.fullmatch(r"ct_[A-Za-z0-9_-]{43}", raw)
    assert raw not in err
    assert "newsroom CMS" in err and "never expires" in err
    token = ApiToken.objects.get()
    assert (token.user.username, token.name, token.expires_at) == ("cms", "newsroom CMS", None)
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.digest, token.prefix, token.name}
    assert raw.startswith(token.prefix) and len(token.prefix) < len(raw) // 4

    assert bearer(raw).get(CLAIMS).status_code == 200


def test_the_command_sets_an_expiry():
    f.viewer(username="bot")
    before = timezone.now()
    _, err = create_api_token("bot", "--expires-days", "30")
    token = ApiToken.objects.get()
    assert token.name == "command line"
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)
    assert f"expires {token.expires_at:%Y-%m-%d}" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody",), "No user 'nobody'."),
        (("bot", "--expires-days", "0"), "--expires-days must be from 1 to 3650."),
        (("bot", "--expires-days", "1000000000"), "--expires-days must be from 1 to 3650."),
        (("bot", "--name", "   "), "Give the token a name saying what it is for."),
        (("sleeper",), "'sleeper' is inactive; activate the user first."),
    ],
)
def test_the_command_refuses_what_it_cannot_do(args, message):
    f.viewer(username="bot")
    f.viewer(username="sleeper", is_active=False)
    with pytest.raises(CommandError, match=re.escape(message)):
        create_api_token(*args)
    assert not ApiToken.objects.exists()


# --- Tokens in use ----------------------------------------------------------------------------


def test_an_expired_token_is_refused():
    user = f.viewer()
    token, raw = api_token_create(actor=user, user=user, name="dashboard", expires_in=timedelta(1))
    assert bearer(raw).get(CLAIMS).status_code == 200

    # A day later (the expiry moved back rather than the clock forward).
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_unauthorized(bearer(raw).get(CLAIMS), "The token is wrong, expired or revoked.")


def test_a_revoked_token_is_refused_at_once_and_others_keep_working():
    user = f.editor()
    token, raw = api_token_create(actor=user, user=user, name="cms")
    other = token_for(user)
    client = bearer(raw)
    assert client.get(CLAIMS).status_code == 200

    revoked = api_token_revoke(actor=user, token=token)

    assert revoked.revoked_at is not None
    assert_unauthorized(client.get(CLAIMS), "The token is wrong, expired or revoked.")
    assert_unauthorized(client.post(CLAIMS, {"text": "Troops are leaving."}))
    assert bearer(other).get(CLAIMS).status_code == 200
    api_token_revoke(actor=user, token=token)  # revoking twice keeps the first time
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked.revoked_at


def test_only_the_user_or_a_superuser_revokes_or_creates_a_token():
    owner, stranger = f.editor(), f.reviewer()
    token, _ = api_token_create(actor=owner, user=owner, name="cms")
    with pytest.raises(ValidationError):
        api_token_revoke(actor=stranger, token=token)
    with pytest.raises(ValidationError):
        api_token_create(actor=stranger, user=owner, name="mine now")
    api_token_revoke(actor=f.UserFactory(is_superuser=True), token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_the_token_of_a_deactivated_user_is_refused():
    user = f.editor()
    raw = token_for(user)
    user.is_active = False
    user.save()
    assert_unauthorized(bearer(raw).get(CLAIMS))


def test_permissions_come_with_the_token_and_are_current_on_every_request(
    django_assert_num_queries,
):
    """The token's query loads the user's own and group permissions; nothing is kept between
    requests, so a permission granted or taken away counts from the next request."""
    user = f.UserFactory()  # in no group
    client = bearer(token_for(user))
    client.get("/api/v1/")  # the token's last use is recorded once a minute
    assert client.get(CLAIMS).status_code == 403
    view_claim = Permission.objects.get(codename="view_claim")
    user.user_permissions.add(view_claim)
    with django_assert_num_queries(2):  # the token with the permissions; the page
        assert client.get(CLAIMS).status_code == 200
    add_claim = {"text": "Troops were ordered back to their bases."}
    assert client.post(CLAIMS, add_claim, format="json").status_code == 403
    user.groups.add(Group.objects.get(name=roles.EDITOR))
    assert client.post(CLAIMS, add_claim, format="json").status_code == 201
    user.user_permissions.remove(view_claim)
    user.groups.clear()
    assert client.get(CLAIMS).status_code == 403


def test_a_superusers_token_has_every_permission():
    user = f.UserFactory(is_superuser=True)
    response = bearer(token_for(user)).post(CLAIMS, {"text": "A claim."}, format="json")
    assert response.status_code == 201


def test_last_use_is_recorded_at_most_once_a_minute():
    user = f.viewer()
    token, raw = api_token_create(actor=user, user=user, name="monitor")
    assert token.last_used_at is None

    bearer(raw).get(CLAIMS)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    bearer(raw).get(CLAIMS)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    bearer(raw).get(CLAIMS)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ct_not-a-token",
        "Bearer ",
        "Bearer two words",
        "bearer ct_lowercase-scheme-wrong-token",
    ],
)
def test_a_wrong_or_malformed_token_is_refused(header):
    f.viewer()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_unauthorized(client.get(CLAIMS))


def test_a_token_is_not_accepted_in_another_scheme():
    raw = token_for(f.viewer())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert_unauthorized(client.get(CLAIMS), "Authentication credentials were not provided.")


def test_anonymous_requests_are_refused_by_default():
    assert_unauthorized(APIClient().get(CLAIMS), "Authentication credentials were not provided.")
    assert_unauthorized(APIClient().get("/api/v1/sources/"))


# --- Sessions -------------------------------------------------------------------------------


def test_a_signed_in_admin_user_uses_the_api_with_the_session_and_csrf():
    user = f.editor()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get(CLAIMS).status_code == 200

    refused = browser.post(CLAIMS, {"text": "No CSRF token."}, content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert "CSRF" in refused.json()["detail"]


# --- The admin ------------------------------------------------------------------------------


def test_a_token_created_in_the_admin_is_shown_once_and_revoked_there():
    admin = f.UserFactory(is_superuser=True)
    user = f.editor(username="cms-bot")
    browser = Client()
    browser.force_login(admin)

    created = browser.post(
        "/admin/api/apitoken/add/",
        {"user": user.pk, "name": "newsroom CMS", "expires_in_days": "90"},
        follow=True,
    )

    assert created.status_code == 200
    too_far = browser.post(
        "/admin/api/apitoken/add/",
        {"user": user.pk, "name": "forever", "expires_in_days": "3000000"},
    )
    assert "less than or equal to 3650" in too_far.content.decode()
    token = ApiToken.objects.get()
    shown = [str(message) for message in created.context["messages"]]
    raw = re.search(r"\bct_[A-Za-z0-9_-]{43}\b", " ".join(shown))
    assert raw is not None
    assert token.digest == hashlib.sha256(raw.group().encode()).hexdigest()
    assert token.expires_at is not None
    assert token.expires_at - timezone.now() > timedelta(days=89)
    page = browser.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert raw.group() not in page
    assert bearer(raw.group()).get(CLAIMS).status_code == 200

    browser.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert_unauthorized(bearer(raw.group()).get(CLAIMS))


def test_in_the_admin_a_user_sees_and_creates_only_their_own_tokens():
    editor, other = f.editor(), f.editor()
    token_for(other)
    browser = Client()
    browser.force_login(editor)

    assert "tests" not in browser.get("/admin/api/apitoken/").content.decode()
    refused = browser.post("/admin/api/apitoken/add/", {"user": other.pk, "name": "stolen"})
    assert refused.status_code == 200  # the form again, with the error
    assert not ApiToken.objects.filter(name="stolen").exists()
    browser.post("/admin/api/apitoken/add/", {"user": editor.pk, "name": "mine"})
    assert ApiToken.objects.get(name="mine").user == editor
