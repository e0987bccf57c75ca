"""The token's hand-written query gives a user exactly the permissions Django's ModelBackend
would: it fills ModelBackend's own per-user cache, so a difference would be silent."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User

from api.services import api_token_authenticate, api_token_create
from core import roles
from tests import factories as f

pytestmark = pytest.mark.django_db


def _users() -> dict[str, User]:
    """Every way a user comes by permissions: each role, several, their own, both, none."""
    extra = Group.objects.create(name="Desk editors")
    extra.permissions.add(Permission.objects.get(codename="delete_statement"))
    users: dict[str, User] = {}
    for role in roles.ROLE_PERMISSIONS:
        users[role] = f.UserFactory(groups=[role])
    users["two roles and a group"] = f.UserFactory(groups=[roles.VIEWER, roles.EDITOR, extra.name])
    own = f.UserFactory()
    own.user_permissions.add(*Permission.objects.filter(codename__in=["view_claim", "view_tag"]))
    users["own permissions"] = own
    both = f.UserFactory(groups=[roles.VIEWER])
    both.user_permissions.add(Permission.objects.get(codename="change_claim_status"))
    users["a role and one of its own"] = both
    users["nothing"] = f.UserFactory()
    users["superuser"] = f.UserFactory(is_superuser=True)
    return users


@pytest.mark.parametrize("prepared", [False, True], ids=["planned each time", "prepared"])
def test_the_tokens_permissions_are_model_backends_for_every_kind_of_user(prepared, request):
    if prepared:
        request.getfixturevalue("prepared_at_once")
    every = [
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    ]
    for kind, user in _users().items():
        _, raw = api_token_create(actor=user, user=user, name=kind)
        token = api_token_authenticate(raw)
        assert token is not None, kind
        fresh = User.objects.get(pk=user.pk)
        backend = ModelBackend()
        assert backend.get_all_permissions(token.user) == backend.get_all_permissions(fresh), kind
        granted = [name for name in every if token.user.has_perm(name)]
        assert granted == [name for name in every if fresh.has_perm(name)], kind
        assert bool(granted) is (kind != "nothing"), kind
