"""What the API accepts in a body: only the fields it can set, blank dates, unique sources."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from claims.models import Claim, Source
from tests import factories as f
from tests.api.test_claims_api import assert_problem

pytestmark = pytest.mark.django_db

CLAIMS, SOURCES = "/api/v1/claims/", "/api/v1/sources/"


@pytest.fixture
def admin_api(api) -> APIClient:
    return api(f.UserFactory(username="root", is_superuser=True))


def _write_calls() -> list[tuple[str, str, dict[str, Any]]]:
    """Every writable operation of the claims and sources, with a valid body."""
    source = f.source(name="Dmitry Peskov")
    claim = f.claim(text="Troops are going back to their bases.")
    evidence = f.evidence(claim=claim)
    one = f"{CLAIMS}{claim.pk}/"
    return [
        ("post", SOURCES, {"name": "Interfax", "kind": "agency"}),
        ("put", f"{SOURCES}{source.pk}/", {"name": "Dmitry Peskov"}),
        ("patch", f"{SOURCES}{source.pk}/", {"role": "Kremlin spokesperson"}),
        ("post", CLAIMS, {"text": "A new claim."}),
        ("patch", one, {"summary": "Context."}),
        ("post", f"{one}transitions/", {"status": "in_review", "reason": "Checking."}),
        ("post", f"{one}appearances/", {"url": "https://example.org/a"}),
        (
            "post",
            f"{one}statements/",
            {"source": str(source.pk), "quote": "No.", "stance": "counters"},
        ),
        ("post", f"{one}evidence/", {"kind": "web_page", "stance": "refutes", "url": "https://example.org/e"}),
        ("post", f"{one}evidence/{evidence.pk}/withdraw/", {"reason": "Wrong page."}),
    ]  # fmt: skip


def _if_match(method: str, url: str) -> dict[str, str]:
    """The current ETag of the source or claim a versioned write changes."""
    if method in ("put", "patch") and url.startswith(SOURCES):
        version = Source.objects.get(pk=url.split("/")[4]).version
    elif (method == "patch" and url.startswith(CLAIMS)) or url.endswith("/transitions/"):
        version = Claim.objects.get(pk=url.split("/")[4]).version
    else:
        return {}
    return {"HTTP_IF_MATCH": f'"v{version}"'}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"colour": "red"}, "Unknown field: this operation does not take it."),
        ({"id": "00000000-0000-4000-8000-000000000000"}, "This field is read-only."),
    ],
)
def test_unknown_and_read_only_keys_are_refused_naming_them(admin_api, extra, message):
    for method, url, body in _write_calls():
        response = getattr(admin_api, method)(
            url, {**body, **extra}, format="json", **_if_match(method, url)
        )
        expected = message
        if url.endswith(("/transitions/", "/withdraw/")):  # actions: they have no id
            expected = "Unknown field: this operation does not take it."
        problem = assert_problem(response, 400, field=next(iter(extra)))
        assert problem["errors"] == {next(iter(extra)): [expected]}, (method, url)


def test_the_same_bodies_without_the_extra_keys_succeed(admin_api):
    for method, url, body in _write_calls():
        response = getattr(admin_api, method)(url, body, format="json", **_if_match(method, url))
        assert response.status_code in (200, 201), (method, url, response.content)


def test_a_read_only_field_of_a_claim_is_named(admin_api):
    claim = f.claim()
    response = admin_api.patch(
        f"{CLAIMS}{claim.pk}/",
        {"summary": "Context.", "version": 7, "evidence_count": 3},
        format="json",
        HTTP_IF_MATCH='"v1"',
    )
    problem = assert_problem(response, 400)
    assert problem["errors"] == {
        "evidence_count": ["This field is read-only."],
        "version": ["This field is read-only."],
    }
    assert Claim.objects.get(pk=claim.pk).summary == ""


@pytest.mark.parametrize("field", ["first_seen_at"])
def test_a_blank_date_is_no_date(admin_api, field):
    created = admin_api.post(CLAIMS, {"text": "A new claim.", field: ""}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()[field] is None
    claim = Claim.objects.get(pk=created.json()["id"])
    claim_url = f"{CLAIMS}{claim.pk}/"
    source = f.source()
    said = admin_api.post(
        f"{claim_url}statements/",
        {"source": str(source.pk), "quote": "No.", "stance": "counters", "said_at": ""},
        format="json",
    )
    assert said.status_code == 201, said.content
    assert said.json()["said_at"] is None
    seen = admin_api.post(
        f"{claim_url}appearances/",
        {"url": "https://example.org/a", "published_at": ""},
        format="json",
    )
    assert seen.status_code == 201, seen.content
    assert seen.json()["published_at"] is None


SOURCE_EXISTS = "A source with this name and role already exists."


def test_a_source_that_exists_is_a_400_on_name_and_role(admin_api):
    f.source(name="Dmitry Peskov", role="Kremlin spokesperson")
    again = {"name": "dmitry peskov", "role": "Kremlin spokesperson"}
    problem = assert_problem(admin_api.post(SOURCES, again, format="json"), 400, field="name")
    assert problem["errors"] == {"name": [SOURCE_EXISTS], "role": [SOURCE_EXISTS]}
    other = f.source(name="Dmitry Peskov", role="Press secretary")
    renamed = admin_api.patch(
        f"{SOURCES}{other.pk}/",
        {"role": "Kremlin spokesperson"},
        format="json",
        HTTP_IF_MATCH='"v1"',
    )
    assert assert_problem(renamed, 400)["errors"] == {
        "name": [SOURCE_EXISTS],
        "role": [SOURCE_EXISTS],
    }
    assert Source.objects.get(pk=other.pk).role == "Press secretary"


def test_the_admin_refuses_a_source_that_exists_with_the_same_words(client):
    f.source(name="Dmitry Peskov", role="Kremlin spokesperson")
    admin: User = f.UserFactory(username="root", is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/claims/source/add/",
        {"name": "Dmitry Peskov", "kind": "person", "role": "Kremlin spokesperson"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["name"] == [SOURCE_EXISTS]
    assert Source.objects.count() == 1
