"""Has this been checked before? claims/similar/ and claims/{id}/similar/ over real indexes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from claims.models import Claim
from interchange.models import ImportedClaim, Review
from matching.vectors import VectorIndex
from search.indexer import index_rebuild
from tests import factories as f

pytestmark = pytest.mark.django_db

SIMILAR = "/api/v1/claims/similar/"
TROOPS = "Russia has ordered troops near Ukraine's border back to their bases."


@pytest.fixture
def viewer_api(api: Callable[..., APIClient]) -> APIClient:
    return api(f.viewer())


def indexes_built() -> None:
    index_rebuild(settings.SEARCH_INDEX_DIR)
    index_rebuild(settings.SIMILAR_INDEX_DIR, kind=VectorIndex)


def suggested(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content
    return [(found["claim"]["text"], found["match"]) for found in response.json()["results"]]


@pytest.fixture
def claims() -> dict[str, Claim]:
    made = {
        "troops": f.claim(text=TROOPS, language="en"),
        "vaccines": f.claim(text="Vaccines cause autism in children", language="en"),
        "grain": f.claim(
            text="Большая часть зерна из украинских портов ушла в богатые страны, а не в Африку",
            language="ru",
        ),
    }
    indexes_built()
    return made


def test_the_same_text_near_identical_wording_and_the_same_meaning_are_suggested(
    viewer_api: APIClient, claims: dict[str, Claim]
) -> None:
    same = viewer_api.get(
        SIMILAR, {"text": "“russia has ordered troops near Ukraine’s border back to their bases”"}
    )
    assert suggested(same) == [(TROOPS, "text")]
    assert same.json()["results"][0]["reason"] == "Same text"
    assert same.json()["results"][0]["claim"]["status"] == "unverified"

    worded = viewer_api.get(SIMILAR, {"text": f"BREAKING: {TROOPS} #Ukraine", "lang": "en"})
    assert suggested(worded) == [(TROOPS, "wording")]

    translated = viewer_api.get(
        SIMILAR,
        {
            "text": "La Russie a ordonné aux troupes proches de la frontière ukrainienne de "
            "regagner leurs bases",
            "lang": "fr",
        },
    )
    assert suggested(translated)[0] == (TROOPS, "meaning")
    best = translated.json()["results"][0]
    assert best["reason"] == "Same meaning in another language"
    assert best["score"] >= settings.SIMILAR_THRESHOLDS["meaning"]
    assert best["claim"]["url"].endswith(f"/api/v1/claims/{claims['troops'].pk}/")

    arabic = viewer_api.get(
        SIMILAR,
        {
            "text": "معظم الحبوب المشحونة من الموانئ الأوكرانية ذهبت إلى الدول الغنية "
            "وليس إلى أفريقيا",
            "lang": "ar",
        },
    )
    assert [text for text, _ in suggested(arabic)][:1] == [claims["grain"].text]


def test_unrelated_claims_are_not_suggested(
    viewer_api: APIClient, claims: dict[str, Claim]
) -> None:
    response = viewer_api.get(SIMILAR, {"text": "The Eiffel Tower was sold for scrap in 1925"})
    assert suggested(response) == []
    assert response.json()["unavailable"] == {}


def test_a_saved_claim_is_not_its_own_suggestion(
    viewer_api: APIClient, claims: dict[str, Claim]
) -> None:
    copy = f.claim(text=f"{TROOPS}!", language="en")
    indexes_built()

    response = viewer_api.get(f"/api/v1/claims/{claims['troops'].pk}/similar/")

    assert suggested(response) == [(copy.text, "text")]


def test_scope_external_reviews_recent_claims_and_minimum_score(
    viewer_api: APIClient, claims: dict[str, Claim]
) -> None:
    imported = f.claim(text="Vaccines are causing autism among children.", language="en")
    ImportedClaim.objects.create(claim=imported, source="https://factcheck.example/feed.json")
    Review.objects.create(
        claim=imported,
        url="https://factcheck.example/vaccines-autism",
        publisher_name="Factcheck Example",
        publisher_site="factcheck.example",
        rating_label="Pants on Fire",
    )
    Claim.objects.filter(pk=claims["vaccines"].pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    indexes_built()
    text = {"text": "Vaccines cause autism in kids", "lang": "en"}

    everything = viewer_api.get(SIMILAR, text)
    assert {found for found, _ in suggested(everything)} == {
        claims["vaccines"].text,
        imported.text,
    }
    reviews = {
        found["claim"]["text"]: found["claim"]["reviews"] for found in everything.json()["results"]
    }
    assert reviews[imported.text][0]["rating_label"] == "Pants on Fire"

    own = viewer_api.get(SIMILAR, {**text, "external": "false"})
    assert [found for found, _ in suggested(own)] == [claims["vaccines"].text]
    recent = viewer_api.get(SIMILAR, {**text, "since_days": 30})
    assert [found for found, _ in suggested(recent)] == [imported.text]
    assert suggested(viewer_api.get(SIMILAR, {**text, "min_score": 0.999})) == []


def test_without_the_similar_claim_index_the_text_layers_still_answer(
    viewer_api: APIClient,
) -> None:
    f.claim(text=TROOPS)
    index_rebuild(settings.SEARCH_INDEX_DIR)  # the similar-claim index is never built

    response = viewer_api.get(SIMILAR, {"text": TROOPS.upper()})

    assert suggested(response) == [(TROOPS, "text")]
    unavailable = response.json()["unavailable"]["meaning"]
    assert unavailable.startswith("there is no similar-claim index in ")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({}, "text", "This field is required."),
        ({"text": "   "}, "text", "This field may not be blank."),
        ({"text": "x" * 10_001}, "text", "at most 10000 characters (it has 10001)"),
        ({"text": "Troops", "lang": "xx"}, "lang", "Unknown language 'xx'"),
        ({"text": "Troops", "lang": "qq-BR"}, "lang", "Unknown language 'qq-BR'"),
        # Refused as a claim's language is, in the same words.
        ({"text": "Troops", "lang": "EN"}, "lang", "Give an ISO 639 code such as en, ru or uk"),
        ({"text": "Troops", "lang": "zh-Hant-TW"}, "lang", "(with a region if need be: pt-BR)"),
        ({"text": "Troops", "lang": ""}, "lang", "This field may not be blank."),
        ({"text": "Troops", "limit": "0"}, "limit", "greater than or equal to 1"),
        ({"text": "Troops", "since_days": ""}, "since_days", "This field may not be blank."),
        ({"text": "Troops", "limit": "51"}, "limit", "less than or equal to 50"),
        ({"text": "Troops", "since_days": "soon"}, "since_days", "A valid integer is required."),
        ({"text": "Troops", "min_score": "2"}, "min_score", "less than or equal to 1"),
        ({"text": "abc\u202egnp.exe"}, "text", "right-to-left override"),
    ],
)
def test_bad_queries_are_refused_naming_the_parameter(
    viewer_api: APIClient, query: dict[str, str], field: str, message: str
) -> None:
    response = viewer_api.get(SIMILAR, query)

    assert response.status_code == 400, response.content
    assert message in str(response.json()), response.json()
    assert field in str(response.json())


@pytest.mark.parametrize("lang", ["zh", "zh-TW", "tl", "am", "so", "pt-BR", "fil", "ckb"])
def test_any_language_a_claim_may_be_in_is_taken(viewer_api: APIClient, lang: str) -> None:
    """Chinese, Tagalog, Amharic, Somali, Filipino, Sorani: languages of fact-checkers too."""
    response = viewer_api.get(SIMILAR, {"text": "台湾称大陆军演规模创新高。", "lang": lang})

    assert response.status_code == 200, response.content


def test_only_those_who_may_read_claims_are_answered(
    api: Callable[..., APIClient], claims: dict[str, Claim]
) -> None:
    from django.contrib.auth.models import User

    assert api(None).get(SIMILAR, {"text": TROOPS}).status_code == 401
    nobody = User.objects.create_user("nobody", password="x")
    assert api(nobody).get(SIMILAR, {"text": TROOPS}).status_code == 403
    assert api(nobody).get(f"/api/v1/claims/{claims['troops'].pk}/similar/").status_code == 403


def test_the_lookup_takes_a_fixed_number_of_queries(
    viewer_api: APIClient,
    claims: dict[str, Claim],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    for number in range(5):
        f.claim(text=f"{TROOPS} Report {number}.")
    indexes_built()
    viewer_api.get(SIMILAR, {"text": TROOPS})  # the model is loaded once per process

    with django_assert_num_queries(4):  # the token, the same text, the rows, their reviews
        response = viewer_api.get(SIMILAR, {"text": TROOPS, "limit": 10})

    assert len(suggested(response)) == 6


def test_a_claim_created_through_the_api_comes_with_the_claims_like_it(
    api: Callable[..., APIClient], claims: dict[str, Claim]
) -> None:
    response = api(f.editor()).post(
        "/api/v1/claims/",
        {"text": "Росія наказала військам біля кордону з Україною повернутися на бази",
         "language": "uk"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    assert [(s["claim"]["text"], s["match"]) for s in response.json()["similar"]][:1] == [
        (TROOPS, "meaning")
    ]


def test_readyz_says_whether_claims_are_matched_by_meaning(client: Any) -> None:
    missing = client.get("/readyz").json()["similar_state"]
    assert missing.startswith("warning: there is no similar-claim index in ")
    index_rebuild(settings.SIMILAR_INDEX_DIR, kind=VectorIndex)
    assert client.get("/readyz").json()["similar_state"] == "ok"


@pytest.mark.parametrize("text", ["!!!", "🙂🙂", "“…”", "-", "___"])
def test_a_text_without_words_is_answered_not_a_500(viewer_api: APIClient, text: str) -> None:
    f.claim(text="!!!")  # no words, and no text once its end punctuation is set aside
    f.claim(text="Troops are back.")

    response = viewer_api.get(SIMILAR, {"text": text})

    assert response.status_code == 200, response.content
    assert suggested(response) == []
