"""What anonymous readers (``API_PUBLIC_VERDICTS``) learn of the people behind a fact check:
nothing. A claim's assignee is a username, half of a login to the admin: they are not shown
it, in the claims, searches or exports, nor may they probe for one with the ``assignee``
filter."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from api.filters import ASSIGNEE_FILTER_SIGNED_IN_ONLY
from claims.models import Claim
from interchange import exporting
from tests import factories as f
from tests.api.test_claims_api import assert_problem

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"
EXPORT = "/api/v1/claims/export/"
ASSIGNEE = "rita.assigned"
# Everyone who had a hand in the fact check, by a name that could not occur by chance.
STAFF = (ASSIGNEE, "ed.recorded", "pat.published")


@pytest.fixture
def fact_check(settings: Settings) -> Claim:
    """A published fact check assigned to a reviewer, with anonymous reads on."""
    settings.API_PUBLIC_VERDICTS = True
    claim = f.claim(
        text="Troops returned to their bases, said Moscow.",
        assignee=f.reviewer(username=ASSIGNEE),
        actor=f.editor(username=STAFF[1]),
    )
    f.published(claim=claim, status="false", actor=f.reviewer(username=STAFF[2]))
    return claim


def _text(response: Any) -> str:
    assert response.status_code == 200, response.content
    if isinstance(response, StreamingHttpResponse):
        return response.getvalue().decode()
    return response.content.decode()


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix(exporting.BYTE_ORDER_MARK))))


def _names_no_one(text: str) -> None:
    for username in STAFF:
        assert username not in text


# --- What they read -------------------------------------------------------------------------


def test_anonymous_readers_see_no_assignee_in_the_list_or_a_claim(
    api: Callable[..., APIClient], fact_check: Claim
) -> None:
    anonymous = api(None)
    listed = anonymous.get(CLAIMS)
    alone = anonymous.get(f"{CLAIMS}{fact_check.pk}/")

    assert [row["assignee"] for row in listed.json()["results"]] == [None]
    assert alone.json()["assignee"] is None
    for response in (listed, alone):
        _names_no_one(_text(response))


def test_anonymous_searches_show_no_assignee(
    api: Callable[..., APIClient], fact_check: Claim, search_engine: Callable[[], None]
) -> None:
    search_engine()
    found = api(None).get(CLAIMS, {"q": "troops"})

    assert [row["assignee"] for row in found.json()["results"]] == [None]
    _names_no_one(_text(found))


def test_anonymous_exports_leave_the_assignee_out(
    api: Callable[..., APIClient], fact_check: Claim
) -> None:
    anonymous = api(None)
    exported = {name: _text(anonymous.get(EXPORT, {"format": name})) for name in exporting.FORMATS}

    rows = _csv_rows(exported["csv"])
    assert [(row["id"], row["assignee"]) for row in rows] == [(str(fact_check.pk), "")]
    lines = [json.loads(line) for line in exported["jsonl"].splitlines()]
    assert [(line["id"], line["assignee"]) for line in lines] == [(str(fact_check.pk), None)]
    assert json.loads(exported["claimreview"])  # ours, published
    for text in exported.values():
        _names_no_one(text)


def test_signed_in_readers_still_see_the_assignee(
    api: Callable[..., APIClient], fact_check: Claim, search_engine: Callable[[], None]
) -> None:
    search_engine()
    viewer = api(f.viewer())

    assert [row["assignee"] for row in viewer.get(CLAIMS).json()["results"]] == [ASSIGNEE]
    assert viewer.get(f"{CLAIMS}{fact_check.pk}/").json()["assignee"] == ASSIGNEE
    found = viewer.get(CLAIMS, {"q": "troops"}).json()["results"]
    assert [row["assignee"] for row in found] == [ASSIGNEE]
    exported = _text(viewer.get(EXPORT, {"format": "csv"}))
    assert [row["assignee"] for row in _csv_rows(exported)] == [ASSIGNEE]
    exported = _text(viewer.get(EXPORT, {"format": "jsonl"}))
    assert [json.loads(line)["assignee"] for line in exported.splitlines()] == [ASSIGNEE]


def test_an_anonymous_copy_is_never_confirmed_fresh_to_a_signed_in_reader(
    api: Callable[..., APIClient], fact_check: Claim
) -> None:
    """The two readers see two representations of one version: each has its own ETag."""
    url = f"{CLAIMS}{fact_check.pk}/"
    anonymous, viewer = api(None), api(f.viewer())
    public, internal = anonymous.get(url), viewer.get(url)

    fact_check.refresh_from_db()
    version = fact_check.version
    assert (public["ETag"], internal["ETag"]) == (f'"v{version}-public"', f'"v{version}"')
    assert "Authorization" in public["Vary"] and "Authorization" in internal["Vary"]
    assert anonymous.get(url, HTTP_IF_NONE_MATCH=public["ETag"]).status_code == 304
    assert viewer.get(url, HTTP_IF_NONE_MATCH=internal["ETag"]).status_code == 304
    signed_in_later = viewer.get(url, HTTP_IF_NONE_MATCH=public["ETag"])
    assert signed_in_later.status_code == 200
    assert signed_in_later.json()["assignee"] == ASSIGNEE
    assert anonymous.get(url, HTTP_IF_NONE_MATCH=internal["ETag"]).status_code == 200


def test_an_etag_read_while_signed_out_still_names_the_version_to_change(
    api: Callable[..., APIClient], fact_check: Claim
) -> None:
    url = f"{CLAIMS}{fact_check.pk}/"
    public = api(None).get(url)["ETag"]
    editor = api(f.editor())

    changed = editor.patch(url, {"summary": "Moscow, 15 February."}, HTTP_IF_MATCH=public)
    again = editor.patch(url, {"summary": "Moscow, 16 February."}, HTTP_IF_MATCH=public)

    assert changed.status_code == 200, changed.content
    fact_check.refresh_from_db()
    assert changed["ETag"] == f'"v{fact_check.version}"'
    assert again.status_code == 412  # that version is no longer the current one


# --- What they may ask ----------------------------------------------------------------------

ASKED = [
    pytest.param(CLAIMS, {}, id="list"),
    pytest.param(CLAIMS, {"q": "troops"}, id="search"),
    pytest.param(EXPORT, {"format": "jsonl"}, id="export"),
]


@pytest.mark.parametrize(("path", "params"), ASKED)
def test_anonymous_readers_cannot_filter_by_assignee(
    api: Callable[..., APIClient], fact_check: Claim, path: str, params: dict[str, str]
) -> None:
    """Refused alike whether the username exists or not: the answer tells nothing."""
    anonymous = api(None)
    answers = [
        assert_problem(anonymous.get(path, {**params, "assignee": name}), 400, field="assignee")
        for name in (ASSIGNEE, "nobody.here")
    ]

    assert answers[0] == answers[1]
    assert answers[0]["errors"] == {"assignee": [ASSIGNEE_FILTER_SIGNED_IN_ONLY]}
    _names_no_one(json.dumps(answers[0]))
    # An empty value, as a form sends it, is no filter.
    assert anonymous.get(path, {**params, "assignee": ""}).status_code == 200


@pytest.mark.parametrize(("path", "params"), ASKED)
def test_signed_in_readers_still_filter_by_assignee(
    api: Callable[..., APIClient], fact_check: Claim, path: str, params: dict[str, str]
) -> None:
    f.claim(text="Troops are moving west.")
    viewer = api(f.viewer())

    assigned = _text(viewer.get(path, {**params, "assignee": ASSIGNEE}))
    nobodys = _text(viewer.get(path, {**params, "assignee": "nobody.here"}))

    assert str(fact_check.pk) in assigned
    assert "Troops are moving west." not in assigned
    assert str(fact_check.pk) not in nobodys
