"""The API's search (``q``) through each engine: order, totals, pages, filters, fallback."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.utils.urls import remove_query_param

from claims import services as claim_services
from publishing.services import claim_unpublish
from search import backends
from search.index import QUERY_MAX_WORDS, Filters, generation_current
from search.indexer import index_rebuild
from tests import factories as f
from verification.models import Channel

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


def found(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [claim["text"] for claim in response.json()["results"]]


@pytest.fixture
def viewer_api(api: Callable[..., APIClient]) -> APIClient:
    return api(f.viewer())


def test_best_match_first_with_an_exact_count(
    viewer_api: APIClient, search_engine: Callable[[], None]
) -> None:
    in_quote = f.claim(text="Convoys head north.")
    f.statement(claim=in_quote, quote="The satellite saw them.")
    f.claim(text="Troops stay.", summary="A satellite photo disagrees.")
    f.claim(text="Satellite images show the troops have gone.")
    f.claim(text="Nothing to do with space.")
    search_engine()

    response = viewer_api.get(CLAIMS, {"q": "satellite"})

    assert found(response) == [
        "Satellite images show the troops have gone.",
        "Troops stay.",
        "Convoys head north.",
    ]
    assert (response.json()["count"], response.json()["count_exact"]) == (3, True)


def test_pages_follow_the_search_order_to_the_last(
    viewer_api: APIClient, search_engine: Callable[[], None]
) -> None:
    for number in range(7):
        f.claim(text=f"Convoy {number} " + "convoy " * number)
    f.claim(text="A column of tanks.")
    search_engine()
    everything = found(viewer_api.get(CLAIMS, {"q": "convoy"}))

    pages, link = [], f"{CLAIMS}?q=convoy&page_size=3"
    while link:
        body = viewer_api.get(link).json()
        assert body["count"] == 7
        pages.append([claim["text"] for claim in body["results"]])
        link = body["next"]

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [text for page in pages for text in page] == everything
    second = viewer_api.get(f"{CLAIMS}?q=convoy&page_size=3").json()["next"]
    back = viewer_api.get(viewer_api.get(second).json()["previous"])
    assert found(back) == pages[0]


def test_filters_apply_to_the_search(
    viewer_api: APIClient, search_engine: Callable[[], None]
) -> None:
    peskov, rita = f.source(name="Dmitry Peskov"), f.reviewer(username="rita")
    early = f.claim(text="Troops return to bases in Crimea.", claimant=peskov, tags=["crimea"])
    between = timezone.now()
    assigned = f.claim(text="Troops return home.", assignee=rita, tags=["Russia"])
    reviewed = f.claim(text="Troops are moving west.")
    f.transition(claim=reviewed, status="in_review")
    f.claim(text="Ships return to port.", tags=["crimea"])
    search_engine()

    def texts(**params: str) -> set[str]:
        return set(found(viewer_api.get(CLAIMS, {"q": "troops", **params})))

    assert texts(status="in_review") == {reviewed.text}
    assert texts(status="unverified") == {early.text, assigned.text}
    assert texts(tag="Crimea") == {early.text}
    assert texts(claimant=str(peskov.pk)) == {early.text}
    assert texts(assignee="rita") == {assigned.text}
    assert texts(created_after=between.isoformat()) == {assigned.text, reviewed.text}
    assert texts(created_before=between.isoformat()) == {early.text}
    assert texts(updated_since=timezone.now().isoformat()) == set()
    response = viewer_api.get(CLAIMS, {"q": "troops", "tag": "crimea", "status": "unverified"})
    assert response.json()["count"] == 1


def test_a_search_ordered_by_a_date(
    viewer_api: APIClient, search_engine: Callable[[], None]
) -> None:
    texts = [f.claim(text=f"Drills number {n}.").text for n in range(4)]
    f.claim(text="Unrelated.")
    search_engine()

    assert found(viewer_api.get(CLAIMS, {"q": "drills", "ordering": "created_at"})) == texts
    newest = found(viewer_api.get(CLAIMS, {"q": "drills", "ordering": "-created_at"}))
    assert newest == texts[::-1]
    bad = viewer_api.get(CLAIMS, {"q": "drills", "ordering": "rank"})
    assert bad.status_code == 400
    assert "Cannot order by rank" in bad.json()["errors"]["ordering"][0]


def test_anonymous_readers_find_published_fact_checks_only(
    api: Callable[..., APIClient], settings: Any, search_engine: Callable[[], None]
) -> None:
    settings.API_PUBLIC_VERDICTS = True
    f.claim(text="Troops return, says the ministry.")
    false = f.claim(text="Troops returned to bases, said Moscow.")
    f.published(claim=false, status="false")
    unpublished_verdict = f.claim(text="Troops returned by train.")
    f.verdict(claim=unpublished_verdict, status="false")
    search_engine()
    anonymous = api(None)

    assert found(anonymous.get(CLAIMS, {"q": "troops"})) == [false.text]
    assert anonymous.get(CLAIMS, {"q": "troops"}).json()["count"] == 1
    hidden = anonymous.get(CLAIMS, {"q": "troops", "status": "unverified"})
    assert (found(hidden), hidden.json()["count"]) == ([], 0)


def test_what_a_page_shows_is_the_claim_as_it_is_now(viewer_api: APIClient, settings: Any) -> None:
    editor = f.editor()
    claim = f.claim(text="Convoys head north.", actor=editor)
    moved = f.claim(text="Convoys head south.", actor=editor)
    index_rebuild(settings.SEARCH_INDEX_DIR)
    # Changed after the index was built, with no indexer running: the index is behind.
    claim_services.claim_update(
        actor=editor, claim=claim, version=claim.version, data={"summary": "Seen at dawn."}
    )
    f.transition(claim=moved, status="in_review")

    rows = viewer_api.get(CLAIMS, {"q": "convoys", "status": "unverified"}).json()["results"]

    assert [(row["text"], row["summary"]) for row in rows] == [
        ("Convoys head north.", "Seen at dawn.")
    ]


def test_a_fact_check_taken_off_the_site_leaves_the_public_search_at_once(
    api: Callable[..., APIClient], settings: Any
) -> None:
    settings.API_PUBLIC_VERDICTS = True
    claim = f.claim(text="Troops returned to bases, said Moscow.")
    f.published(claim=claim, status="false")
    f.published(status="false", claim=f.claim(text="Troops massed at the border."))
    index_rebuild(settings.SEARCH_INDEX_DIR)
    anonymous = api(None)
    assert len(found(anonymous.get(CLAIMS, {"q": "troops"}))) == 2
    # Taken off the site with no indexer running: the index still has it as public.
    claim_unpublish(actor=f.reviewer(), claim=claim, reason="Retracted.", channel=Channel.API)

    assert found(anonymous.get(CLAIMS, {"q": "troops"})) == ["Troops massed at the border."]
    assert found(api(f.viewer()).get(CLAIMS, {"q": "troops bases"})) == [claim.text]


@pytest.mark.parametrize(
    ("lang", "refused"),
    [
        ("ru", ""),
        ("pt-BR", ""),
        ("zh", ""),
        ("xx", "Unknown language 'xx'"),
        ("EN", "Give an ISO 639 code such as en, ru or uk"),
        ("русский", "Give an ISO 639 code such as en, ru or uk"),
    ],
)
def test_the_language_of_a_search_is_one_a_claim_could_have(
    viewer_api: APIClient, lang: str, refused: str
) -> None:
    f.claim(text="Troops return.")

    response = viewer_api.get(CLAIMS, {"q": "troops", "lang": lang})

    if not refused:
        assert response.status_code == 200, response.content
        return
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["lang"]
    assert refused in errors["lang"][0]


def test_multilingual_claims_through_the_index(viewer_api: APIClient, settings: Any) -> None:
    f.claim(text="Россия отвела войска от границы.", language="ru")
    f.claim(text="Військові повернулися до казарм.", language="uk")
    f.claim(text="Les troupes sont rentrées à leurs bases.", language="fr")
    f.claim(text="إسرائيل تعلن انسحاب القوات", language="ar")
    f.claim(text="部队已经返回基地", language="zh")
    index_rebuild(settings.SEARCH_INDEX_DIR)

    def texts(q: str) -> list[str]:
        return found(viewer_api.get(CLAIMS, {"q": q}))

    assert texts("войсками") == ["Россия отвела войска от границы."]  # stemmed
    assert texts("військовий") == ["Військові повернулися до казарм."]  # lemmatised
    assert texts("troupe bases") == ["Les troupes sont rentrées à leurs bases."]
    assert texts("rentrees") == ["Les troupes sont rentrées à leurs bases."]  # accents
    assert texts("القوات") == ["إسرائيل تعلن انسحاب القوات"]
    assert texts("部队已经返回基地") == ["部队已经返回基地"]


@pytest.mark.parametrize(
    "q",
    ['text:"', "troops AND -", "\u202etroops", "troops%00", "((", "*", "https://x.example/a?b=1"],
)
def test_what_is_typed_is_never_query_syntax(
    viewer_api: APIClient, search_engine: Callable[[], None], q: str
) -> None:
    f.claim(text="Troops stay at https://x.example/a?b=1 text.")
    search_engine()
    response = viewer_api.get(CLAIMS, {"q": q})
    assert response.status_code == 200, response.content
    assert response.json()["count"] in (0, 1)


def test_a_search_cursor_is_an_offset_the_api_gave(
    viewer_api: APIClient, search_engine: Callable[[], None]
) -> None:
    for number in range(3):
        f.claim(text=f"Drills {number}.")
    search_engine()
    link = viewer_api.get(CLAIMS, {"q": "drills", "page_size": 1}).json()["next"]
    assert viewer_api.get(link).status_code == 200
    assert viewer_api.get(link.replace("drills", "other")).status_code == 200  # same offset
    # The cursor of a search is no cursor of the list without q, nor in another order.
    assert viewer_api.get(remove_query_param(link, "q")).status_code == 400
    assert viewer_api.get(f"{link}&ordering=created_at").status_code == 400


def test_the_query_count_does_not_grow_with_the_page(
    viewer_api: APIClient, search_engine: Callable[[], None], settings: Any
) -> None:
    for number in range(30):
        claim = f.claim(text=f"Drills {number}.", tags=["a", "b"])
        f.statement(claim=claim)
    search_engine()

    def queries(page_size: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = viewer_api.get(CLAIMS, {"q": "drills", "page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(captured.captured_queries)

    queries(1)  # the first request of a token records its use
    # The token with its user, then the page's rows; PostgreSQL's search adds ids and count.
    expected = {"index": 2, "postgres": 4}[settings.SEARCH_BACKEND]
    assert queries(1) == queries(30) == expected


def test_postgres_counts_up_to_a_cap_and_pages_on(
    viewer_api: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SEARCH_BACKEND = "postgres"
    monkeypatch.setattr(backends, "POSTGRES_COUNT_CAP", 2)
    for number in range(4):
        f.claim(text=f"Drills {number}.")

    body = viewer_api.get(CLAIMS, {"q": "drills", "page_size": 3}).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (2, False, 3)
    rest = viewer_api.get(body["next"]).json()
    assert len(rest["results"]) == 1
    assert rest["next"] is None


# --- When the index is unavailable ----------------------------------------------------------


def damage_meta(root: Path) -> None:
    (generation_current(root) / "meta.json").write_text("{ not json")


def older_schema(root: Path) -> None:
    position = generation_current(root) / "position.json"
    position.write_text(json.dumps({**json.loads(position.read_text()), "schema": 1}))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (None, "there is no search index"),
        (damage_meta, "is damaged"),
        (older_schema, "built by another version"),
    ],
)
def test_an_unavailable_index_falls_back_to_postgres_and_says_so(
    viewer_api: APIClient,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], None] | None,
    reason: str,
) -> None:
    f.claim(text="Troops return to their bases.")
    if damage is not None:
        index_rebuild(settings.SEARCH_INDEX_DIR)
        damage(settings.SEARCH_INDEX_DIR)
    backends._warned.clear()

    with caplog.at_level(logging.WARNING, logger="search.backends"):
        response = viewer_api.get(CLAIMS, {"q": "troop"})

    assert found(response) == ["Troops return to their bases."]
    assert reason in caplog.text and "Searching PostgreSQL" in caplog.text
    ready = Client().get("/readyz").json()
    assert ready["search"] == "postgres"
    assert reason in ready["search_state"] and ready["search_state"].startswith("warning")

    index_rebuild(settings.SEARCH_INDEX_DIR)  # what the indexer does when it starts
    assert (Client().get("/readyz").json()["search"], found(response)) == (
        "index",
        ["Troops return to their bases."],
    )


def test_search_backend_postgres_uses_no_index(viewer_api: APIClient, settings: Any) -> None:
    settings.SEARCH_BACKEND = "postgres"
    f.claim(text="Troops return to their bases.")
    assert found(viewer_api.get(CLAIMS, {"q": "troop"})) == ["Troops return to their bases."]
    ready = Client().get("/readyz").json()
    assert (ready["search"], ready["search_state"]) == ("postgres", "ok")
    assert not Path(settings.SEARCH_INDEX_DIR).exists()


def test_recent_changes_are_searched_by_their_time(
    viewer_api: APIClient, search_engine: Callable[[], None]
) -> None:
    """Dates inside the index keep their microseconds: "since" is not rounded to a second."""
    first = f.claim(text="Drills begin.")
    since = first.created_at + timedelta(microseconds=1)
    second = f.claim(text="Drills end.")
    search_engine()
    after = found(viewer_api.get(CLAIMS, {"q": "drills", "created_after": since.isoformat()}))
    assert after == [second.text]


def test_a_search_of_too_many_words_is_refused_alike_in_the_api_and_the_admin(
    viewer_api: APIClient, admin_client: Client
) -> None:
    words = " ".join(f"word{number}" for number in range(QUERY_MAX_WORDS + 1))
    response = viewer_api.get(CLAIMS, {"q": words})
    assert response.status_code == 400
    assert response.json()["errors"]["q"] == [f"Search with at most {QUERY_MAX_WORDS} words."]
    page = admin_client.get("/admin/claims/claim/", {"q": words})
    assert f"Search with at most {QUERY_MAX_WORDS} words." in page.content.decode()
    at_most = " ".join(f"word{number}" for number in range(QUERY_MAX_WORDS))
    assert viewer_api.get(CLAIMS, {"q": at_most}).status_code == 200


def test_both_engines_match_nothing_for_a_claimant_that_cannot_exist(
    search_engine: Callable[[], None],
) -> None:
    f.claim(text="Troops return.", claimant=f.source(name="Dmitry Peskov"))
    search_engine()
    found_none = backends.claim_search("troops", filters=Filters(claimant_id="not-a-uuid"))
    assert (found_none.ids, found_none.total) == ([], 0)
    assert backends.claim_search("troops").total == 1
