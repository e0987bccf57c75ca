"""Reading ClaimReview from every shape the world publishes it in, messy markup included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from interchange.reading import (
    ExternalReview,
    Refused,
    moment_parse,
    number_parse,
    reviews_read,
)
from tests import factories as f


def review(**overrides: object) -> dict[str, object]:
    """A ClaimReview as Google documents it; ``overrides`` replace or (None) remove keys."""
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://factcheck.example.org/2022/02/troops-bases",
        "claimReviewed": "Russia has ordered troops back to their bases.",
        "author": {
            "@type": "Organization",
            "name": "Example Check",
            "url": "https://www.example.org",
        },
        "datePublished": "2022-02-16",
        "inLanguage": "en",
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 1,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "False",
        },
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": "Dmitry Peskov"},
            "datePublished": "2022-02-15",
            "appearance": [{"@type": "CreativeWork", "url": "https://example.org/interfax/1"}],
            "firstAppearance": {"@type": "CreativeWork", "url": "https://example.org/tass/0"},
        },
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def only(content: bytes | str) -> ExternalReview:
    [read] = list(reviews_read(content))
    assert isinstance(read, ExternalReview), read
    return read


def test_a_documented_claim_review() -> None:
    read = only(json.dumps(review()))
    assert read == ExternalReview(
        url="https://factcheck.example.org/2022/02/troops-bases",
        claim_text="Russia has ordered troops back to their bases.",
        publisher_name="Example Check",
        publisher_site="example.org",
        rating_label="False",
        rating_value=Decimal(1),
        best_rating=Decimal(5),
        worst_rating=Decimal(1),
        reviewed_at=datetime(2022, 2, 16, tzinfo=UTC),
        language="en",
        claimant="Dmitry Peskov",
        claimant_is_person=True,
        claim_date=datetime(2022, 2, 15, tzinfo=UTC),
        appearances=("https://example.org/tass/0", "https://example.org/interfax/1"),
    )


@pytest.mark.parametrize(
    ("rating", "value", "best", "label"),
    [
        (
            {"ratingValue": "2", "bestRating": "5", "alternateName": "Mostly false"},
            2,
            5,
            "Mostly false",
        ),
        (
            {"ratingValue": 2.5, "bestRating": "", "alternateName": "Half true"},
            Decimal("2.5"),
            None,
            "Half true",
        ),
        ({"ratingValue": "3,5", "alternateName": "Misleading"}, Decimal("3.5"), None, "Misleading"),
        ({"alternateName": "really_false"}, None, None, "really_false"),
        (
            {"ratingValue": "", "bestRating": "-1", "alternateName": "Pants on Fire!"},
            None,
            -1,
            "Pants on Fire!",
        ),
        (
            {"ratingValue": "false", "alternateName": "  Ce que dit  le ministre   est faux.  "},
            None,
            None,
            "Ce que dit le ministre est faux.",
        ),
        ({"name": "Fake", "ratingValue": 1}, 1, None, "Fake"),
    ],
)
def test_ratings_as_publishers_write_them(rating, value, best, label) -> None:
    read = only(json.dumps(review(reviewRating={"@type": "Rating", **rating})))
    assert read.rating_label == label
    assert read.rating_value == (None if value is None else Decimal(value))
    assert read.best_rating == (None if best is None else Decimal(best))


@pytest.mark.parametrize(
    "context",
    [None, "http://schema.org", "https://schema.org/", {"@vocab": "http://schema.org/"}],
    ids=["missing", "http", "https with a slash", "vocab"],
)
def test_any_context(context) -> None:
    assert only(json.dumps(review(**{"@context": context}))).rating_label == "False"


@pytest.mark.parametrize(
    "kind",
    [
        "ClaimReview",
        "schema:ClaimReview",
        "http://schema.org/ClaimReview",
        ["Review", "ClaimReview"],
    ],
)
def test_the_type_however_it_is_named(kind) -> None:
    assert only(json.dumps(review(**{"@type": kind}))).url.endswith("troops-bases")


def test_author_as_a_list_the_organisation_is_the_publisher() -> None:
    authors = [
        {"@type": "Person", "name": "Anna Kovalenko"},
        {"@type": "Organization", "name": "StopFake", "url": "https://www.stopfake.org/uk/"},
    ]
    read = only(json.dumps(review(author=authors)))
    assert (read.publisher_name, read.publisher_site) == ("StopFake", "stopfake.org")
    # With no author at all, the review's own site names the publisher.
    read = only(json.dumps(review(author=None)))
    assert (read.publisher_name, read.publisher_site) == ("", "factcheck.example.org")


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2021-08-24 14:41", datetime(2021, 8, 24, 14, 41, tzinfo=UTC)),
        ("2021-7-16", datetime(2021, 7, 16, tzinfo=UTC)),
        ("2021-07-16T09:30:15Z", datetime(2021, 7, 16, 9, 30, 15, tzinfo=UTC)),
        (
            "2021-07-16T09:30:15.123456789+03:00",
            datetime(2021, 7, 16, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=3))),
        ),
        (
            "2021-07-16T09:30-0530",
            datetime(2021, 7, 16, 9, 30, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("2021-02-30", None),
        ("16 July 2021", None),
        ("", None),
        (20210716, None),
        ("2021-07-16T09:30+99:00", None),
    ],
)
def test_dates_as_publishers_write_them(text, moment) -> None:
    assert moment_parse(text) == moment


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (1, Decimal(1)),
        ("4", Decimal(4)),
        ("4.5", Decimal("4.5")),
        (True, None),
        ("NaN", None),
        ("Infinity", None),
        (None, None),
        ([3], Decimal(3)),
    ],
)
def test_numbers(value, number) -> None:
    assert number_parse(value) == number


@pytest.mark.parametrize(
    ("language", "claim", "label"),
    [
        ("ar", "روسيا أعادت قواتها إلى قواعدها", "زائف"),
        ("hi", "रूस ने सैनिकों को वापस बुला लिया है", "झूठ"),
        ("zh", "俄罗斯已下令部队返回基地", "错误"),
        ("uk", "Росія відвела війська від кордону", "Неправда"),
        ("ru", "Россия отвела войска", "Фейк"),
    ],
)
def test_claims_and_labels_in_any_script(language, claim, label) -> None:
    read = only(
        json.dumps(
            review(
                claimReviewed=claim,
                inLanguage={"@type": "Language", "name": "x", "alternateName": language},
                reviewRating={"@type": "Rating", "alternateName": label},
            ),
            ensure_ascii=language == "ar",
        ).encode()
    )
    assert (read.claim_text, read.rating_label, read.language) == (claim, label, language)


def test_a_graph_with_its_context_on_the_parent() -> None:
    first = review()
    second = review(url="https://factcheck.example.org/two", claimReviewed="Second claim.")
    for node in (first, second):
        node.pop("@context")
    graph = {
        "@context": "https://schema.org",
        "@graph": [{"@type": "WebPage", "name": "Home"}, first, second],
    }
    reads = list(reviews_read(json.dumps(graph)))
    assert [type(read).__name__ for read in reads] == [
        "Refused",
        "ExternalReview",
        "ExternalReview",
    ]
    assert reads[0] == Refused("the document, @graph, item 1", "It is not a ClaimReview (WebPage).")
    assert reads[2].claim_text == "Second claim."


def test_a_list_and_json_lines_with_bad_items_refused_alone() -> None:
    items = [
        review(),
        review(url=None),
        review(url="javascript:alert(1)"),
        review(claimReviewed="  "),
    ]
    reads = list(reviews_read(json.dumps(items)))
    assert isinstance(reads[0], ExternalReview)
    assert reads[1:] == [
        Refused("the document, item 2", "It has no url: a review is identified by its address."),
        Refused("the document, item 3", "Its url 'javascript:alert(1)' is not an http(s) address."),
        Refused("the document, item 4", "It names no claim (claimReviewed is missing or empty)."),
    ]
    lines = "\n".join(
        [json.dumps(review()), "{not json", "", json.dumps(review(url="https://a.example/2"))]
    )
    reads = list(reviews_read(lines))
    assert [type(read).__name__ for read in reads] == [
        "ExternalReview",
        "Refused",
        "ExternalReview",
    ]
    assert reads[1].where == "line 2"


def test_a_fact_check_tools_api_response() -> None:
    response = {
        "claims": [
            {
                "text": "Россия отвела войска от границы",
                "claimant": "Минобороны России",
                "claimDate": "2022-02-15T10:00:00Z",
                "claimReview": [
                    {
                        "publisher": {"name": "StopFake", "site": "stopfake.org"},
                        "url": "https://www.stopfake.org/ru/fejk-vojska/",
                        "title": "Фейк: войска отведены",
                        "reviewDate": "2022-02-17T00:00:00Z",
                        "textualRating": "Фейк",
                        "languageCode": "ru",
                    },
                    {"publisher": {"name": "Other"}, "textualRating": "False"},
                ],
            },
            {"text": "No reviews here."},
        ],
        "nextPageToken": "abc",
    }
    reads = list(reviews_read(json.dumps(response, ensure_ascii=False)))
    assert reads[0] == ExternalReview(
        url="https://www.stopfake.org/ru/fejk-vojska/",
        claim_text="Россия отвела войска от границы",
        publisher_name="StopFake",
        publisher_site="stopfake.org",
        title="Фейк: войска отведены",
        rating_label="Фейк",
        reviewed_at=datetime(2022, 2, 17, tzinfo=UTC),
        language="ru",
        claimant="Минобороны России",
        claim_date=datetime(2022, 2, 15, 10, tzinfo=UTC),
    )
    assert reads[1] == Refused(
        "the document, claims[0].claimReview[1]",
        "It has no url: a review is identified by its address.",
    )
    assert reads[2] == Refused("the document, claims[1]", "It has no claimReview.")


def test_a_data_feed_with_reviews_or_items_wrapping_them() -> None:
    feed = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dataFeedElement": [
            review(**{"@context": None}),
            {"@type": "DataFeedItem", "item": review(url="https://factcheck.example.org/wrapped")},
        ],
    }
    reads = list(reviews_read(json.dumps(feed)))
    assert [read.url for read in reads if isinstance(read, ExternalReview)] == [
        "https://factcheck.example.org/2022/02/troops-bases",
        "https://factcheck.example.org/wrapped",
    ]


def test_claim_review_embedded_in_a_page_as_json_ld_and_as_microdata() -> None:
    ld = json.dumps(review()).replace("</", "<\\/")
    page = f"""<!doctype html><html><head><title>Fact check</title>
    <script type="application/ld+json">{ld}</script>
    <script type="application/ld+json">{{"@type": "Organization", "name": "Example Check"}}</script>
    </head><body>
    <div itemscope itemtype="https://schema.org/ClaimReview">
      <link itemprop="url" href="https://factcheck.example.org/micro">
      <meta itemprop="claimReviewed" content="Grain exports resumed in August.">
      <meta itemprop="datePublished" content="2022-8-9">
      <div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">
        <meta itemprop="ratingValue" content="5"><meta itemprop="alternateName" content="True">
      </div>
      <div itemprop="author" itemscope itemtype="https://schema.org/Organization">
        <meta itemprop="name" content="Micro Check">
      </div>
    </div></body></html>"""
    reads = list(reviews_read(page.encode(), base_url="https://factcheck.example.org/page"))
    found = [read for read in reads if isinstance(read, ExternalReview)]
    assert [(read.url, read.rating_label) for read in found] == [
        ("https://factcheck.example.org/2022/02/troops-bases", "False"),
        ("https://factcheck.example.org/micro", "True"),
    ]
    assert found[1].publisher_name == "Micro Check"
    assert found[1].reviewed_at == datetime(2022, 8, 9, tzinfo=UTC)
    assert found[1].rating_value == Decimal(5)


def test_what_is_not_a_source_of_reviews_is_said() -> None:
    assert list(reviews_read(b"")) == [Refused("the source", "It is empty.")]
    assert list(reviews_read(b"plain text")) == [
        Refused("the source", "It is not JSON, JSON Lines or HTML.")
    ]
    assert list(reviews_read(b"<html><body>No markup</body></html>")) == [
        Refused("the page", "It holds no ClaimReview (JSON-LD or microdata).")
    ]
    assert list(reviews_read(b"42")) == [Refused("the document", "It is not a JSON object.")]
    assert list(reviews_read('\ufeff{"@type": "Claim"}'.encode())) == [
        Refused("the document", "It is not a ClaimReview (Claim).")
    ]


@pytest.mark.django_db
def test_our_own_feed_reads_back(client) -> None:
    """What /claimreview-feed.json publishes is what this reads (the round trip)."""
    claim = f.claim(text="Troops returned to their bases.", claimant=f.source(name="Peskov"))
    f.published(claim=claim, status="false")
    feed = b"".join(client.get("/claimreview-feed.json"))
    [read] = reviews_read(feed)
    assert isinstance(read, ExternalReview)
    assert (read.claim_text, read.rating_label, read.claimant) == (
        "Troops returned to their bases.",
        "False",
        "Peskov",
    )
    assert read.rating_value == Decimal(1) and read.best_rating == Decimal(5)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than Python's JSON parser goes
        '{"@graph":' * 25 + "1" + "}" * 25,
        "[" * 25 + json.dumps(review()) + "]" * 25,
        "[1]\n" + "[" * 5000 + "]" * 5000,
    ],
    ids=["lists beyond the parser", "graphs", "a review too deep", "a JSON line"],
)
def test_nesting_beyond_any_feed_is_refused(text: str) -> None:
    reads = list(reviews_read(text))
    assert any(
        isinstance(read, Refused) and read.reason.startswith("It is nested more than 20 levels")
        for read in reads
    )
    assert all(len(read.where) < 400 for read in reads)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("[]", Refused("the source", "It holds no ClaimReview.")),
        ('{"@graph": []}', Refused("the source", "It holds no ClaimReview.")),
        ('{"claims": []}', Refused("the source", "It holds no ClaimReview.")),
        ("{}", Refused("the document", "It is not a ClaimReview (no @type).")),
    ],
)
def test_a_source_without_reviews_says_so(text: str, refused: Refused) -> None:
    assert list(reviews_read(text)) == [refused]
