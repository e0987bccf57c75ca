"""Claims over HTTP: filters, pagination, ETags, transitions, query counts, errors, throttling
and public verdicts."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.fields import DateTimeField
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from api.pagination import CursorPage
from claims.models import Claim, ClaimStatus, Source
from claims.services import appearance_add
from tests import factories as f
from verification.models import Channel, StatusChange
from verification.services import evidence_withdraw

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"
PROBLEM = "application/problem+json"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [claim["id"] for claim in response.json()["results"]]


def assert_problem(response, status: int, *, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    if field is not None:
        assert body["type"] == "urn:claimtracker:problem:invalid"
        assert body["errors"][field], body
    return body


def moved(claim: Claim, *statuses: str) -> Claim:
    """The claim moved along the workflow (verdicts cite a new piece of evidence)."""
    for status in statuses:
        evidence = (
            [f.evidence(claim=claim)] if status in ("verified", "false", "misleading") else []
        )
        f.transition(claim=claim, status=status, evidence=evidence)
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def viewer_api(api) -> APIClient:
    return api(f.viewer())


# --- The representation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "first_seen"),
    [("UTC", "2022-02-15T09:30:00Z"), ("Europe/Kyiv", "2022-02-15T11:30:00+02:00")],
)
def test_a_claim_reads_the_same_in_the_list_and_alone(viewer_api, settings, zone, first_seen):
    """Every field of the hand-written representation (ClaimSerializer shapes rows itself)."""
    settings.TIME_ZONE = zone
    peskov, rita = f.source(name="Dmitry Peskov", role="Kremlin spokesman"), f.reviewer()
    claim = f.claim(
        text="Russia ordered troops near Ukraine's border back to their bases.",
        claimant=peskov,
        tags=["troops", "Russia"],
        assignee=rita,
        first_seen_at=datetime(2022, 2, 15, 9, 30, tzinfo=UTC),
    )
    f.statement(claim=claim, stance="supports")
    f.statement(claim=claim, stance="counters")
    f.statement(claim=claim, stance="counters")
    withdrawn = f.evidence(claim=claim)
    evidence_withdraw(actor=f.editor(), evidence=withdrawn, reason="Wrong photo.")
    claim = moved(claim, "in_review", "false")
    publication = f.published(claim=claim)
    claim.refresh_from_db()
    date = DateTimeField().to_representation
    url = f"http://testserver/api/v1/claims/{claim.pk}/"

    alone = viewer_api.get(url).json()

    assert alone == {
        "id": str(claim.pk),
        "text": claim.text,
        "summary": "",
        "status": "false",
        "allowed_transitions": ["in_review"],
        "proposal": None,
        "review_rating": {
            "rating_value": 1,
            "best_rating": 5,
            "worst_rating": 1,
            "alternate_name": "False",
        },
        "claimant": {"id": str(peskov.pk), "name": "Dmitry Peskov", "role": "Kremlin spokesman"},
        "assignee": rita.username,
        "tags": ["russia", "troops"],
        "language": "en",
        "first_seen_at": first_seen,
        "supporting_count": 1,
        "countering_count": 2,
        "evidence_count": 1,  # the withdrawn piece is not counted
        "reviews": [],  # imported: tests/interchange/test_import_api.py
        "imported_from": None,
        "version": claim.version,
        "created_at": date(claim.created_at),
        "updated_at": date(claim.updated_at),
        "publication": {
            "state": "published",
            "publish_at": date(publication.publish_at),
            "published_at": date(publication.first_published_at),
            "unpublished_at": None,
            "verdict": "false",
        },
        "public_url": "http://127.0.0.1:8000/fact-checks/"
        f"{claim.pk}/russia-ordered-troops-near-ukraines-border-back-to-their-bases/",
        "links": {
            "self": url,
            "appearances": url + "appearances/",
            "statements": url + "statements/",
            "evidence": url + "evidence/",
            "history": url + "history/",
            "transitions": url + "transitions/",
            "proposals": url + "proposals/",
            "approve": url + "approve/",
            "reject": url + "reject/",
            "publish": url + "publish/",
            "unpublish": url + "unpublish/",
            "similar": url + "similar/",
            "merge": url + "merge/",
            "linked": url + "links/",
        },
        "merged_into": None,
    }
    assert viewer_api.get(CLAIMS).json()["results"] == [alone]
    bare = f.claim(text="No claimant, no tags.")
    read = viewer_api.get(f"{CLAIMS}{bare.pk}/").json()
    assert (read["claimant"], read["assignee"], read["tags"]) == (None, None, [])
    assert (read["first_seen_at"], read["review_rating"]) == (None, None)
    assert read["publication"] == {
        "state": "draft",
        "publish_at": None,
        "published_at": None,
        "unpublished_at": None,
        "verdict": None,
    }
    assert read["public_url"] is None


# --- Filters --------------------------------------------------------------------------------


@pytest.fixture
def claims() -> dict[str, Any]:
    peskov, kuleba = f.source(name="Dmitry Peskov"), f.source(name="Dmytro Kuleba")
    rita = f.reviewer(username="rita")
    troops = f.claim(
        text="Russia ordered troops near Ukraine's border back to their bases.",
        claimant=peskov,
        tags=["Russia", "Troops"],
        assignee=rita,
    )
    between = timezone.now()
    drills = f.claim(text="The drills in Crimea are over.", claimant=peskov, tags=["crimea"])
    nato = f.claim(text="NATO sees no sign of de-escalation.", claimant=kuleba, tags=["nato"])
    moved(drills, "in_review")
    moved(nato, "in_review", "false")
    return {"troops": troops, "drills": drills, "nato": nato, "between": between, "peskov": peskov}


def test_filter_by_status_repeatable(viewer_api, claims):
    assert ids(viewer_api.get(CLAIMS, {"status": "in_review"})) == [str(claims["drills"].pk)]
    both = viewer_api.get(f"{CLAIMS}?status=in_review&status=false")
    assert set(ids(both)) == {str(claims["drills"].pk), str(claims["nato"].pk)}


def test_filter_by_claimant_tag_and_assignee(viewer_api, claims):
    peskov = viewer_api.get(CLAIMS, {"claimant": str(claims["peskov"].pk)})
    assert set(ids(peskov)) == {str(claims["troops"].pk), str(claims["drills"].pk)}
    assert ids(viewer_api.get(CLAIMS, {"tag": "  RUSSIA "})) == [str(claims["troops"].pk)]
    assert ids(viewer_api.get(CLAIMS, {"assignee": "rita"})) == [str(claims["troops"].pk)]
    assert ids(viewer_api.get(CLAIMS, {"assignee": "nobody"})) == []


def test_filter_by_creation_and_update_times(viewer_api, claims):
    between = claims["between"]
    before = viewer_api.get(CLAIMS, {"created_before": between.isoformat()})
    after = viewer_api.get(CLAIMS, {"created_after": between.isoformat()})
    assert ids(before) == [str(claims["troops"].pk)]
    assert set(ids(after)) == {str(claims["drills"].pk), str(claims["nato"].pk)}

    since = timezone.now()
    f.statement(claim=claims["troops"])
    assert ids(viewer_api.get(CLAIMS, {"updated_since": since.isoformat()})) == [
        str(claims["troops"].pk)
    ]
    # The same instant in another zone, and offsets Python takes but PostgreSQL would not.
    kyiv = since.astimezone(timezone.get_fixed_timezone(120)).isoformat()
    assert ids(viewer_api.get(CLAIMS, {"updated_since": kyiv})) == [str(claims["troops"].pk)]
    far_east = viewer_api.get(CLAIMS, {"created_after": "2022-02-15T12:00:00+17:58"})
    assert len(ids(far_east)) == 3


def test_full_text_search(viewer_api, claims, search_engine):
    search_engine()  # more in tests/api/test_claim_search.py
    found = viewer_api.get(CLAIMS, {"q": "troop"})
    assert ids(found) == [str(claims["troops"].pk)]
    assert found.json()["count"] == 1
    assert ids(viewer_api.get(CLAIMS, {"q": "Peskov", "status": "in_review"})) == [
        str(claims["drills"].pk)
    ]
    assert ids(viewer_api.get(CLAIMS, {"q": "zeppelin"})) == []


def test_ordering(viewer_api, claims):
    oldest_first = [str(claims[name].pk) for name in ("troops", "drills", "nato")]
    assert ids(viewer_api.get(CLAIMS, {"ordering": "created_at"})) == oldest_first
    assert ids(viewer_api.get(CLAIMS, {"ordering": "-created_at"})) == oldest_first[::-1]
    f.statement(claim=claims["troops"])  # the most recently updated comes first by default
    assert ids(viewer_api.get(CLAIMS))[0] == str(claims["troops"].pk)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"status": ["false", "maybe"]}, "status"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"created_after": "2022-02-30T10:00:00Z"}, "created_after"),
        ({"created_before": "15/02/2022"}, "created_before"),
        ({"claimant": "peskov"}, "claimant"),
        ({"ordering": "text"}, "ordering"),
        ({"ordering": "-created_at,status"}, "ordering"),
        ({"ordering": "--created_at"}, "ordering"),
        ({"ordering": "first_seen_at_sort_key"}, "ordering"),
        ({"cursor": "garbage"}, "cursor"),
        ({"q": "troops " * 100}, "q"),
    ],
)
def test_an_unknown_filter_value_is_a_400_not_an_empty_list(viewer_api, params, field):
    f.claim()
    body = assert_problem(viewer_api.get(CLAIMS, params), 400, field=field)
    assert body["detail"] == "The request has invalid fields; see errors."


# --- Pagination -----------------------------------------------------------------------------


def walk(client: APIClient, url: str, params: dict[str, Any]) -> list[list[str]]:
    """Every page of a list, following the next links."""
    pages = [ids(client.get(url, params))]
    response = client.get(url, params).json()
    while response["next"]:
        response = client.get(response["next"]).json()
        pages.append([item["id"] for item in response["results"]])
    return pages


def test_cursor_pages_cover_every_claim_once(viewer_api):
    created = {str(f.claim().pk) for _ in range(7)}
    pages = walk(viewer_api, CLAIMS, {"page_size": 3})
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sorted(chain(*pages)) == sorted(created)

    second = viewer_api.get(viewer_api.get(CLAIMS, {"page_size": 3}).json()["next"]).json()
    back = viewer_api.get(second["previous"])
    assert ids(back) == pages[0]


def test_pages_keep_their_filters(viewer_api):
    for _ in range(3):
        moved(f.claim(), "in_review")
    f.claim()
    pages = walk(viewer_api, CLAIMS, {"page_size": 2, "status": "in_review"})
    assert [len(page) for page in pages] == [2, 1]


def test_ordering_by_first_seen_pages_claims_without_a_date_too(viewer_api):
    now = timezone.now()
    dated = [f.claim(first_seen_at=now - timedelta(days=days)) for days in (3, 1, 2)]
    undated = [f.claim(), f.claim()]
    for ordering in ("first_seen_at", "-first_seen_at"):
        pages = walk(viewer_api, CLAIMS, {"page_size": 1, "ordering": ordering})
        assert len(pages) == 5
        assert sorted(chain(*pages)) == sorted(str(c.pk) for c in dated + undated)
    ascending = list(
        chain(*walk(viewer_api, CLAIMS, {"page_size": 2, "ordering": "first_seen_at"}))
    )
    assert ascending[:3] == [str(dated[i].pk) for i in (0, 2, 1)]


def test_page_size_is_limited(viewer_api, monkeypatch):
    assert CursorPage.max_page_size == settings.API_MAX_PAGE_SIZE
    assert CursorPage.page_size == settings.API_PAGE_SIZE
    monkeypatch.setattr(CursorPage, "max_page_size", 3)
    for _ in range(5):
        f.claim()
    full = viewer_api.get(CLAIMS, {"page_size": 3})
    assert len(ids(full)) == 3
    assert full.json()["next"]
    assert len(ids(viewer_api.get(CLAIMS, {"page_size": 2}))) == 2
    assert len(ids(viewer_api.get(CLAIMS))) == 3  # the default is never above the limit
    body = assert_problem(viewer_api.get(CLAIMS, {"page_size": 4}), 400, field="page_size")
    assert "3" in body["errors"]["page_size"][0]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1.5", "", " 2", "201"])
@pytest.mark.parametrize("url", [CLAIMS, "/api/v1/sources/"])
def test_a_page_size_that_is_not_a_whole_number_in_range_is_a_400(viewer_api, url, value):
    body = assert_problem(viewer_api.get(url, {"page_size": value}), 400, field="page_size")
    assert body["errors"]["page_size"] == [
        f"Give a whole number from 1 to {settings.API_MAX_PAGE_SIZE}."
    ]


def test_an_empty_cursor_is_the_first_page(viewer_api):
    f.claim(), f.claim()
    first = viewer_api.get(CLAIMS, {"page_size": 1})
    assert ids(viewer_api.get(CLAIMS, {"page_size": 1, "cursor": ""})) == ids(first)


def test_a_cursor_the_api_did_not_give_out_is_a_400(viewer_api):
    for _ in range(3):
        f.claim()
    next_link = viewer_api.get(CLAIMS, {"page_size": 1}).json()["next"]
    cursor = parse_qs(urlsplit(next_link).query)["cursor"][0]
    assert viewer_api.get(next_link).status_code == 200
    # DRF's own encoding of a position that PostgreSQL cannot compare with a timestamp.
    forged = base64.b64encode(b"p=2022-02-15 12:00:00+17:58").decode()
    for bad in (forged, cursor[:-2], cursor + "x", "cD0x"):
        assert_problem(viewer_api.get(CLAIMS, {"cursor": bad, "page_size": 1}), 400, field="cursor")
    # A cursor is a position in one list in one order: a date is no position among ranks.
    for other in ({"q": "claim"}, {"ordering": "created_at"}):
        response = viewer_api.get(CLAIMS, {**other, "cursor": cursor, "page_size": 1})
        assert_problem(response, 400, field="cursor")
    f.source(name="Dmitry Peskov")
    f.source(name="Jens Stoltenberg")
    sources_next = viewer_api.get("/api/v1/sources/", {"page_size": 1}).json()["next"]
    sources_cursor = parse_qs(urlsplit(sources_next).query)["cursor"][0]
    response = viewer_api.get(CLAIMS, {"cursor": sources_cursor, "page_size": 1})
    assert_problem(response, 400, field="cursor")


# --- ETags and conditional requests ---------------------------------------------------------


def test_every_claim_response_has_an_etag_and_if_none_match_gives_304(api):
    editor = api(f.editor())
    created = editor.post(CLAIMS, {"text": "Troops are going back to their bases."})
    assert created.status_code == 201
    assert created["ETag"] == '"v1"' and created.json()["version"] == 1
    url = created["Location"]

    current = editor.get(url)
    assert current["ETag"] == '"v1"'
    for header in ('"v1"', 'W/"v1"', '"v0", "v1"', "*"):
        fresh = editor.get(url, HTTP_IF_NONE_MATCH=header)
        assert fresh.status_code == 304, header
        assert fresh.content == b""
        assert fresh["ETag"] == '"v1"'
    assert editor.get(url, HTTP_IF_NONE_MATCH='"v0"').status_code == 200

    f.statement(claim=Claim.objects.get(pk=created.json()["id"]))  # a part changes the claim
    changed = editor.get(url, HTTP_IF_NONE_MATCH='"v1"')
    assert changed.status_code == 200
    assert changed["ETag"] == '"v2"'
    assert changed.json()["countering_count"] == 1


def test_patch_needs_the_current_etag(api):
    claim = f.claim(text="Troops are leaving.")
    editor = api(f.editor(username="edith"))
    url = f"{CLAIMS}{claim.pk}/"

    missing = editor.patch(url, {"summary": "Peskov, 15 February."})
    body = assert_problem(missing, 428)
    assert body["type"] == "urn:claimtracker:problem:precondition_required"

    f.statement(claim=claim)  # someone else changed it: now version 2
    stale = editor.patch(url, {"summary": "Peskov, 15 February."}, HTTP_IF_MATCH='"v1"')
    body = assert_problem(stale, 412)
    assert body["type"] == "urn:claimtracker:problem:stale_version"
    assert stale["ETag"] == '"v2"'
    assert Claim.objects.get(pk=claim.pk).summary == ""

    source = f.source(name="Dmitry Peskov")
    changed = editor.patch(
        url,
        {"summary": "Peskov, 15 February.", "claimant": str(source.pk), "tags": ["Russia"]},
        HTTP_IF_MATCH=stale["ETag"],
    )
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"v3"'
    assert changed.json()["summary"] == "Peskov, 15 February."
    assert changed.json()["claimant"]["name"] == "Dmitry Peskov"
    assert changed.json()["tags"] == ["russia"]
    same = editor.patch(url, {"summary": "Peskov, 15 February."}, HTTP_IF_MATCH='"v3"')
    assert same.status_code == 200 and same["ETag"] == '"v3"'  # nothing changed


def test_the_status_is_not_a_field_of_patch_or_create(api):
    claim = f.claim()
    editor = api(f.editor())
    patched = editor.patch(f"{CLAIMS}{claim.pk}/", {"status": "verified"}, HTTP_IF_MATCH='"v1"')
    assert "transitions/" in assert_problem(patched, 400, field="status")["errors"]["status"][0]
    assert_problem(editor.post(CLAIMS, {"text": "New.", "status": "false"}), 400, field="status")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.UNVERIFIED


def test_sources_have_etags_and_need_if_match_too(api):
    source = f.source(name="Dmitry Peskov")
    editor = api(f.editor())
    url = f"/api/v1/sources/{source.pk}/"
    assert editor.get(url)["ETag"] == '"v1"'
    assert editor.get(url, HTTP_IF_NONE_MATCH='"v1"').status_code == 304
    assert_problem(editor.patch(url, {"role": "Kremlin spokesperson"}), 428)
    done = editor.put(url, {"name": "Dmitry Peskov", "role": "Spokesperson"}, HTTP_IF_MATCH='"v1"')
    assert done.status_code == 200 and done["ETag"] == '"v2"'
    stale = editor.patch(url, {"role": "Kremlin spokesperson"}, HTTP_IF_MATCH='"v1"')
    assert_problem(stale, 412)
    assert stale["ETag"] == '"v2"'


@pytest.mark.parametrize("malformed", ["v2", 'W/"v2"', "*", '"v1", "v2"', '"v"', "2", '"v2'])
def test_an_if_match_not_of_the_form_of_an_etag_is_a_400_naming_the_header(api, malformed):
    """A header of the wrong form is an error of form (400); 412 is for a stale version."""
    claim, source = f.claim(), f.source(name="Dmitry Peskov")
    editor, reviewer = api(f.editor()), api(f.reviewer())
    writes = [
        (editor.patch, f"{CLAIMS}{claim.pk}/", {"summary": "Peskov, 15 February."}),
        (editor.patch, f"/api/v1/sources/{source.pk}/", {"role": "Kremlin spokesperson"}),
        (editor.put, f"/api/v1/sources/{source.pk}/", {"name": "Dmitry Peskov"}),
        (reviewer.post, f"{CLAIMS}{claim.pk}/transitions/", {"status": "in_review", "reason": "x"}),
    ]
    for send, url, body in writes:
        refused = assert_problem(send(url, body, HTTP_IF_MATCH=malformed), 400, field="If-Match")
        assert refused["errors"]["If-Match"] == [
            'If-Match must be one ETag this API gave you, quotes included, like "v3".'
        ], url
    assert Claim.objects.get(pk=claim.pk).version == 1
    assert Source.objects.get(pk=source.pk).version == 1


# --- Transitions ----------------------------------------------------------------------------


@pytest.fixture
def reviewing(api) -> tuple[APIClient, Claim, str]:
    claim = f.claim(text="Troops are going back to their bases.")
    return api(f.reviewer(username="rita")), claim, f"{CLAIMS}{claim.pk}/transitions/"


def test_a_transition_answers_the_claim_with_its_new_etag(reviewing):
    client, claim, url = reviewing
    done = client.post(url, {"status": "in_review", "reason": "Checking."}, HTTP_IF_MATCH='"v1"')
    assert done.status_code == 200
    assert done["ETag"] == '"v2"'
    assert done.json()["status"] == "in_review"
    assert done.json()["version"] == 2
    assert done.json()["allowed_transitions"] == [
        "verified", "false", "misleading", "unproven", "unverified"
    ]  # fmt: skip
    change = StatusChange.objects.get(claim=claim)
    assert (change.channel, change.actor.username, change.reason) == (
        Channel.API,
        "rita",
        "Checking.",
    )


def test_transition_preconditions_and_conflicts(reviewing):
    client, _, url = reviewing
    body = {"status": "in_review", "reason": "Checking."}

    assert_problem(client.post(url, body), 428)
    stale = client.post(url, body, HTTP_IF_MATCH='"v7"')
    assert assert_problem(stale, 412)["detail"].startswith("This was changed by someone else")
    assert stale["ETag"] == '"v1"'
    conflict = client.post(url, {"status": "verified", "reason": "x"}, HTTP_IF_MATCH='"v1"')
    problem = assert_problem(conflict, 409)
    assert problem["type"] == "urn:claimtracker:problem:transition_not_allowed"
    assert problem["allowed_transitions"] == ["in_review"]
    assert "in_review" in problem["detail"]
    assert not StatusChange.objects.exists()


def test_transition_input_errors(api, reviewing):
    client, claim, url = reviewing
    moved(claim, "in_review")
    elsewhere = f.evidence(claim=f.claim())
    withdrawn = f.evidence(claim=claim)
    f.evidence(claim=claim)
    withdraw = f"{CLAIMS}{claim.pk}/evidence/{withdrawn.pk}/withdraw/"
    assert api(f.editor()).post(withdraw, {"reason": "Forged."}).status_code == 200
    etag = client.get(f"{CLAIMS}{claim.pk}/")["ETag"]

    cases = [
        ({"status": "false", "reason": "No withdrawal seen."}, "evidence"),
        ({"status": "false", "reason": "x", "evidence": [str(elsewhere.pk)]}, "evidence"),
        ({"status": "false", "reason": "x", "evidence": [str(withdrawn.pk)]}, "evidence"),
        ({"status": "false", "reason": "x", "evidence": ["not-a-uuid"]}, "evidence.0"),
        ({"status": "false", "reason": "x", "evidence": "all"}, "evidence"),
        ({"status": "false", "reason": "   "}, "reason"),
        ({"status": "false"}, "reason"),
        ({"status": "debunked", "reason": "x"}, "status"),
        ({"reason": "x"}, "status"),
    ]
    for body, field in cases:
        assert_problem(client.post(url, body, HTTP_IF_MATCH=etag), 400, field=field)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_transition_refusals(api, reviewing):
    _, _, url = reviewing
    body = {"status": "in_review", "reason": "Checking."}
    assert_problem(api(f.editor()).post(url, body, HTTP_IF_MATCH='"v1"'), 403)
    assert_problem(api(f.viewer()).post(url, body, HTTP_IF_MATCH='"v1"'), 403)
    assert_problem(api().post(url, body, HTTP_IF_MATCH='"v1"'), 401)
    nowhere = f"{CLAIMS}00000000-0000-4000-8000-000000000000/transitions/"
    assert_problem(api(f.reviewer()).post(nowhere, body, HTTP_IF_MATCH='"v1"'), 404)


def test_reopening_a_verdict_needs_a_reason(reviewing):
    client, claim, url = reviewing
    claim = moved(claim, "in_review", "false")
    etag = f'"v{claim.version}"'
    assert_problem(client.post(url, {"status": "in_review"}, HTTP_IF_MATCH=etag), 400)
    reopened = client.post(
        url, {"status": "in_review", "reason": "New satellite images."}, HTTP_IF_MATCH=etag
    )
    assert reopened.status_code == 200
    assert reopened.json()["review_rating"] is None


def test_transition_query_count(api, reviewing, django_assert_max_num_queries):
    client, claim, url = reviewing
    client.get(CLAIMS)  # the token's last use is recorded once a minute, not on every request
    evidence = [str(f.evidence(claim=claim).pk) for _ in range(3)]
    moved(claim, "in_review")
    etag = client.get(f"{CLAIMS}{claim.pk}/")["ETag"]
    with django_assert_max_num_queries(20):  # 17 when pinned; citing more adds none
        done = client.post(
            url, {"status": "false", "reason": "No.", "evidence": evidence}, HTTP_IF_MATCH=etag
        )
    assert done.status_code == 202  # proposed
    approver = api(f.reviewer())
    with django_assert_max_num_queries(22):  # 19 when pinned; citing more adds none
        done = approver.post(f"{CLAIMS}{claim.pk}/approve/", {}, HTTP_IF_MATCH=done["ETag"])
    assert done.status_code == 200


# --- Query counts ---------------------------------------------------------------------------


def test_list_endpoints_run_a_fixed_number_of_queries(api, django_assert_num_queries):
    """Pinned for pages of 1 and of 100: 100 claims; 25 of each part under the first."""
    sources = [f.source(name=name) for name in ("Peskov", "Interfax", "Kuleba")]
    editor, rita = f.editor(), f.reviewer(username="rita")
    claims = [
        f.claim(
            actor=editor,
            claimant=sources[i % 3] if i % 5 else None,
            tags=["russia", f"tag{i % 7}"],
            assignee=rita if i % 2 else None,
        )
        for i in range(100)
    ]
    first = claims[0]
    for i in range(PARTS):
        f.statement(claim=first, actor=editor, source=sources[i % 3], stance="supports")
        f.evidence(claim=first, actor=editor)
        appearance_add(actor=editor, claim=first, url=f"https://interfax.ru/{i}")
    cited = f.evidence(claim=first, actor=editor)
    for i in range(PARTS):
        to_status = "in_review" if i % 2 == 0 else "unverified"
        f.transition(claim=first, actor=rita, status=to_status, evidence=[cited])
    client = api(f.viewer())
    client.get("/api/v1/")  # the token's last use is recorded once a minute, not every time

    for url, list_queries, rows in LISTS:
        url = url.format(first=first.pk)
        for page_size in (1, 100):
            with django_assert_num_queries(AUTH_QUERIES + list_queries):
                response = client.get(url, {"page_size": page_size})
            rows = rows or Source.objects.count()
            assert len(response.json()["results"]) == min(page_size, rows), url
        next_page = client.get(url, {"page_size": 2}).json()["next"]
        with django_assert_num_queries(AUTH_QUERIES + list_queries):
            assert client.get(next_page).status_code == 200


PARTS = 25
# Every request: the token, with its user and the user's permissions (own and groups').
AUTH_QUERIES = 1
LISTS = [
    # (list, its queries: the page and what it prefetches; for a claim's parts the claim too)
    ("/api/v1/claims/", 1, 100),  # claims with claimant, assignee, counts and tags
    ("/api/v1/claims/?status=unverified&tag=russia&ordering=-first_seen_at", 1, 100),
    ("/api/v1/sources/", 1, None),  # as many as there are
    ("/api/v1/claims/{first}/appearances/", 2, PARTS),
    ("/api/v1/claims/{first}/statements/", 2, PARTS),  # with their sources
    ("/api/v1/claims/{first}/evidence/", 3, PARTS + 1),  # with who added and withdrew it; captures
    ("/api/v1/claims/{first}/history/", 3, PARTS),  # with actors; the evidence cited
]


# --- Errors ---------------------------------------------------------------------------------


def test_malformed_json_is_a_400_problem(api):
    client = api(f.editor())
    for raw in ('{"text": ', "{'text': 'single quotes'}", '{"text": "x"} trailing', "NaN"):
        response = client.generic("POST", CLAIMS, raw, content_type="application/json")
        assert assert_problem(response, 400)["detail"].startswith("JSON parse error"), raw
    bad_utf8 = client.generic("POST", CLAIMS, b'{"text": "\xff"}', content_type="application/json")
    assert_problem(bad_utf8, 400)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"text": ["a list"]}, ["text"]),
        ({"text": {"an": "object"}}, ["text"]),
        ({"text": None}, ["text"]),
        ({"text": ""}, ["text"]),
        ({}, ["text"]),
        ({"text": "x", "tags": "russia"}, ["tags"]),
        ({"text": "x", "tags": [["nested"]]}, ["tags.0"]),
        ({"text": "x", "tags": ["x" * 51]}, ["tags.0"]),
        ({"text": "x", "first_seen_at": 1645000000}, ["first_seen_at"]),
        ({"text": "x", "first_seen_at": "0001-01-01T00:00:00+01:00"}, ["first_seen_at"]),
        ({"text": "x", "claimant": 42}, ["claimant"]),
        ({"text": "x", "claimant": "not-a-uuid"}, ["claimant"]),
        ({"text": "x", "assignee": "nobody"}, ["assignee"]),
        ({"text": "x", "language": "English"}, ["language"]),
        ({"text": "nul \x00 byte"}, ["text"]),
        ({"text": ["a"], "tags": "b", "assignee": 3}, ["text", "tags", "assignee"]),
    ],
)
def test_wrong_types_are_a_400_with_every_field_named(api, body, fields):
    response = api(f.editor()).post(CLAIMS, body, format="json")
    problem = assert_problem(response, 400)
    assert sorted(problem["errors"]) == sorted(fields)
    assert all(
        isinstance(message, str) for messages in problem["errors"].values() for message in messages
    )


def test_a_user_without_a_role_is_not_assigned_claims(api):
    f.UserFactory(username="outsider", is_staff=False)
    editor = api(f.editor())
    created = editor.post(CLAIMS, {"text": "x", "assignee": "outsider"}, format="json")
    problem = assert_problem(created, 400, field="assignee")
    assert "outsider cannot be assigned claims" in problem["errors"]["assignee"][0]
    claim = f.claim()
    url = f"{CLAIMS}{claim.pk}/"
    changed = editor.patch(url, {"assignee": "outsider"}, format="json", HTTP_IF_MATCH='"v1"')
    assert_problem(changed, 400, field="assignee")
    assert editor.get(url).json()["assignee"] is None


def test_a_lone_surrogate_is_a_400(api):
    raw = '{"text": "lone \\ud800 surrogate"}'
    response = api(f.editor()).generic("POST", CLAIMS, raw, content_type="application/json")
    assert_problem(response, 400, field="text")


@pytest.mark.parametrize("raw", ["[]", '"text"', "null", "42"])
def test_a_body_that_is_not_an_object_is_a_400(api, raw):
    response = api(f.editor()).generic("POST", CLAIMS, raw, content_type="application/json")
    assert_problem(response, 400)


def test_other_client_errors_are_problems_too(api, settings):
    client = api(f.editor())
    form = client.generic(
        "POST", CLAIMS, "text=x", content_type="application/x-www-form-urlencoded"
    )
    assert_problem(form, 415)
    assert_problem(client.get(CLAIMS, HTTP_ACCEPT="application/xml"), 406)
    wrong_format = assert_problem(client.get(CLAIMS, {"format": "xml"}), 406)
    assert "use one of: api, json" in wrong_format["detail"]
    assert client.get(CLAIMS, {"format": "json"}).status_code == 200
    assert_problem(client.get("/api/v1/nothing-here/"), 404)
    assert_problem(client.get(f"{CLAIMS}00000000-0000-4000-8000-000000000000/"), 404)
    assert_problem(client.get(f"{CLAIMS}not-a-uuid/"), 404)
    assert_problem(client.delete(CLAIMS), 405)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    huge = client.post(CLAIMS, {"text": "x" * 2000}, format="json")
    assert "1000" in assert_problem(huge, 413)["detail"]


# --- Throttling -----------------------------------------------------------------------------


@pytest.fixture
def rates(monkeypatch):
    """Set throttle rates (DRF copies them into its throttle classes when imported)."""

    def set_rates(**rates: str) -> None:
        for scope, rate in rates.items():
            throttle = {"user": UserRateThrottle, "anon": AnonRateThrottle}[scope]
            monkeypatch.setitem(throttle.THROTTLE_RATES, scope, rate)

    return set_rates


def test_each_user_is_throttled_with_retry_after(api, rates):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"]  # configurable
    rates(user="3/minute")
    first, second = api(f.viewer()), api(f.viewer())
    for _ in range(3):
        assert first.get(CLAIMS).status_code == 200
    throttled = first.get(CLAIMS)
    assert_problem(throttled, 429)
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert second.get(CLAIMS).status_code == 200


def test_anonymous_clients_are_throttled_per_address(settings, rates):
    settings.API_PUBLIC_VERDICTS = True
    rates(anon="2/minute")
    client = APIClient()
    for _ in range(2):
        assert client.get(CLAIMS, REMOTE_ADDR="203.0.113.7").status_code == 200
    throttled = client.get(CLAIMS, REMOTE_ADDR="203.0.113.7")
    assert_problem(throttled, 429)
    assert int(throttled["Retry-After"]) > 0
    assert client.get(CLAIMS, REMOTE_ADDR="198.51.100.1").status_code == 200


def test_anonymous_clients_cannot_dodge_throttling_with_x_forwarded_for(settings, rates):
    settings.API_PUBLIC_VERDICTS = True
    rates(anon="2/minute")
    client = APIClient()
    statuses = [
        client.get(
            CLAIMS, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize(
    "credentials",
    [{}, {"HTTP_AUTHORIZATION": "Bearer not-a-token"}, {"HTTP_AUTHORIZATION": "Bearer a b"}],
    ids=["none", "wrong token", "malformed header"],
)
def test_refused_anonymous_requests_are_throttled_too(rates, credentials):
    """Requests without valid credentials count against the address before their 401."""
    rates(anon="2/minute")
    client = APIClient()
    for _ in range(2):
        assert_problem(client.get(CLAIMS, REMOTE_ADDR="203.0.113.7", **credentials), 401)
    throttled = client.get(CLAIMS, REMOTE_ADDR="203.0.113.7", **credentials)
    assert_problem(throttled, 429)
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert_problem(client.get(CLAIMS, REMOTE_ADDR="198.51.100.1", **credentials), 401)


def test_a_valid_token_is_not_throttled_by_the_failures_of_its_address(api, rates):
    rates(anon="2/minute")
    anonymous = APIClient()
    for _ in range(3):
        anonymous.get(CLAIMS, REMOTE_ADDR="203.0.113.7")
    assert api(f.viewer()).get(CLAIMS, REMOTE_ADDR="203.0.113.7").status_code == 200


# --- Public verdicts: the published fact checks ------------------------------------------


@pytest.fixture
def verdicts() -> dict[str, Claim]:
    claims = {
        "unverified": f.claim(text="Unchecked."),
        "in_review": moved(f.claim(text="Being checked."), "in_review"),
        "false": moved(f.claim(text="Troops are going back."), "in_review", "false"),
        "unproven": moved(f.claim(text="Drills ended."), "in_review", "unproven"),
        "not published": moved(f.claim(text="Tanks left."), "in_review", "misleading"),
    }
    for name in ("false", "unproven"):
        f.published(claim=claims[name])
        claims[name].refresh_from_db()
    return claims


def test_anonymous_reads_nothing_by_default(verdicts):
    anonymous = APIClient()
    assert_problem(anonymous.get(CLAIMS), 401)
    assert_problem(anonymous.get(f"{CLAIMS}{verdicts['false'].pk}/"), 401)
    assert_problem(anonymous.get("/api/v1/"), 401)


def test_public_verdicts_open_the_published_fact_checks_only(settings, verdicts):
    settings.API_PUBLIC_VERDICTS = True
    anonymous = APIClient()
    listed = anonymous.get(CLAIMS)
    assert set(ids(listed)) == {str(verdicts["false"].pk), str(verdicts["unproven"].pk)}
    assert ids(anonymous.get(CLAIMS, {"status": "in_review"})) == []

    public = anonymous.get(f"{CLAIMS}{verdicts['false'].pk}/")
    assert public.status_code == 200
    assert public["ETag"] == f'"v{verdicts["false"].version}-public"'
    assert public.json()["review_rating"]["alternate_name"] == "False"
    for hidden in ("unverified", "in_review", "not published"):
        assert_problem(anonymous.get(f"{CLAIMS}{verdicts[hidden].pk}/"), 404)

    assert_problem(anonymous.post(CLAIMS, {"text": "Anonymous claim."}), 401)
    false = verdicts["false"].pk
    assert_problem(anonymous.patch(f"{CLAIMS}{false}/", {"summary": "x"}), 401)
    for part in ("statements", "evidence", "history", "appearances"):
        assert_problem(anonymous.get(f"{CLAIMS}{false}/{part}/"), 401)
    assert_problem(anonymous.get("/api/v1/sources/"), 401)
