from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests import factories


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_user(db: None) -> User:
    return factories.viewer(username="vera")


@pytest.fixture
def editor_user(db: None) -> User:
    return factories.editor(username="edith")


@pytest.fixture
def reviewer_user(db: None) -> User:
    return factories.reviewer(username="rita")


@pytest.fixture
def viewer_client(viewer_user: User) -> Client:
    return signed_in(viewer_user)


@pytest.fixture
def editor_client(editor_user: User) -> Client:
    return signed_in(editor_user)


@pytest.fixture
def reviewer_client(reviewer_user: User) -> Client:
    return signed_in(reviewer_user)
