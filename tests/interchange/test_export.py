"""Exporting claims: CSV, JSON Lines and ClaimReview, streamed, filtered and permission-bound,
from the API, the admin's claims list and the command line; ClaimReview reads back in."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from claims import services as claim_services
from claims.models import Claim
from interchange import exporting, services
from interchange.models import Import, ImportStatus, Review
from interchange.reading import ExternalReview, reviews_read
from interchange.selectors import REVIEW_ROW_FIELDS
from publishing.models import Publication
from publishing.selectors import public_url
from tests import factories as f
from tests.api.conftest import token_for
from tests.interchange.test_reading import review

pytestmark = pytest.mark.django_db
ADMIN_SITE = "admin"


# --- Claims as they come: scripts, quotes, commas, line breaks, a formula ------------------

ARABIC = "روسيا أمرت القوات بالعودة إلى قواعدها."
CYRILLIC = "Россия вернула войска на базы, «как и обещала»."
EMOJI = 'Troops 🪖 are back, he said: "all of them", really,\nand more.'
FORMULA = '=HYPERLINK("https://evil.example/","click me")'
IMPORTED = "Украина 🇺🇦 получила «все» самолёты, сказал он."


def _export(claims: Any = None, export_format: str = "csv", **kwargs: Any) -> str:
    return "".join(exporting.claims_export(claims or Claim.objects.all(), export_format, **kwargs))


def _feed(*items: dict[str, Any]) -> bytes:
    return json.dumps(list(items), ensure_ascii=False).encode()


def _import(content: bytes) -> Import:
    run = services.import_create(actor=f.editor(), source="reviews.json", content=content)
    run = services.import_run(run=run)
    assert (run.status, run.refused) == (ImportStatus.DONE, 0), run.refusals
    return run


def _external_reviews() -> list[dict[str, Any]]:
    return [
        review(
            url="https://fatabyyano.example.net/troops",
            claimReviewed=ARABIC,
            author={
                "@type": "Organization",
                "name": "فتبيّنوا",
                "url": "https://fatabyyano.example.net",
            },
            reviewRating={"@type": "Rating", "alternateName": "زائف"},
            inLanguage="ar",
            headline="هل أمرت روسيا القوات بالعودة؟",
            datePublished="2022-02-17T08:15:00+02:00",
        ),
        review(
            url="https://provereno.example.ru/bazy",
            claimReviewed=CYRILLIC,
            author={
                "@type": "Organization",
                "name": "Проверено",
                "url": "https://provereno.example.ru",
            },
            reviewRating={
                "@type": "Rating",
                "alternateName": "Ложь, «в целом»",
                "ratingValue": "1.5",
                "bestRating": 5,
                "worstRating": 1,
            },
            inLanguage="ru",
        ),
        review(  # creates its claim, with a claimant and appearances
            url="https://factcheck.example.org/ua-planes",
            claimReviewed=IMPORTED,
            reviewRating={"@type": "Rating", "alternateName": "Mostly false", "ratingValue": 2},
            itemReviewed={
                "@type": "Claim",
                "author": {"@type": "Organization", "name": "Міністерство оборони"},
                "datePublished": "2023-05-01",
                "firstAppearance": {"@type": "CreativeWork", "url": "https://example.org/tg/1"},
                "appearance": [{"@type": "CreativeWork", "url": "https://example.org/tg/2"}],
            },
        ),
    ]


@pytest.fixture
def corpus() -> dict[str, Claim]:
    """Four claims people made (one published, one with a verdict), reviews by others."""
    peskov = f.source(name="Дмитрий Песков", role="Kremlin spokesperson")
    arabic = f.claim(text=ARABIC, language="ar", tags=["ukraine", "troops"], claimant=peskov)
    cyrillic = f.claim(text=CYRILLIC, language="ru", tags=["ukraine"])
    emoji = f.claim(text=EMOJI, summary='Line one,\nline two; "quoted".', tags=["troops"])
    formula = f.claim(text=FORMULA, summary="-1 is not a formula here, @all")
    claim_services.appearance_add(
        actor=f.editor(),
        claim=arabic,
        url="https://example.org/tass/1",
        outlet="ТАСС",
        published_at=datetime(2022, 2, 15, 9, 30, tzinfo=UTC),
        quote="«Войска возвращаются»",
    )
    f.published(claim=arabic, status="false")
    f.verdict(claim=cyrillic, status="misleading")
    _import(_feed(*_external_reviews()))
    imported = Claim.objects.get(text=IMPORTED)
    return {
        "arabic": arabic,
        "cyrillic": cyrillic,
        "emoji": emoji,
        "formula": formula,
        "imported": imported,
    }


def _csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith(exporting.BYTE_ORDER_MARK)
    return list(csv.DictReader(io.StringIO(text.removeprefix(exporting.BYTE_ORDER_MARK))))


# --- Formats --------------------------------------------------------------------------------


def test_csv_has_a_row_per_claim_in_utf8_as_spreadsheets_read_it(corpus):
    text = _export()
    assert text.splitlines()[0].removeprefix(exporting.BYTE_ORDER_MARK) == ",".join(
        exporting.CSV_HEADER
    )
    rows = {row["id"]: row for row in _csv_rows(text)}
    assert len(rows) == 5
    arabic = rows[str(corpus["arabic"].pk)]
    publication = Publication.objects.get(claim=corpus["arabic"])
    assert arabic["text"] == ARABIC
    assert (arabic["claimant"], arabic["claimant_role"]) == (
        "Дмитрий Песков",
        "Kremlin spokesperson",
    )
    assert arabic["tags"] == "troops; ukraine"
    assert (arabic["publication_state"], arabic["published_verdict"]) == ("published", "false")
    assert arabic["published_rating"] == publication.rating_label
    assert arabic["public_url"] == public_url(corpus["arabic"].pk, publication.slug)
    assert arabic["first_appearance_url"] == "https://example.org/tass/1"
    # its own and the two the Arabic review named (no date: after the dated one)
    assert (arabic["appearances"], arabic["external_reviews"]) == ("3", "1")
    assert arabic["language"] == "ar"
    cyrillic = rows[str(corpus["cyrillic"].pk)]
    assert cyrillic["text"] == CYRILLIC
    assert (cyrillic["status"], cyrillic["publication_state"]) == ("misleading", "draft")
    assert cyrillic["published_verdict"] == cyrillic["public_url"] == ""
    emoji = rows[str(corpus["emoji"].pk)]
    assert emoji["text"] == EMOJI  # quotes, commas and the line break survive
    assert emoji["summary"] == 'Line one,\nline two; "quoted".'
    imported = rows[str(corpus["imported"].pk)]
    assert imported["imported_from"] == "reviews.json"
    assert imported["claimant"] == "Міністерство оборони"
    assert imported["first_seen_at"] == "2023-05-01T00:00:00Z"


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_quoted(corpus):
    formula = next(row for row in _csv_rows(_export()) if row["id"] == str(corpus["formula"].pk))
    assert formula["text"] == "'" + FORMULA
    assert formula["summary"] == "'-1 is not a formula here, @all"
    assert exporting.spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert exporting.spreadsheet_safe("+7 495") == "'+7 495"
    assert exporting.spreadsheet_safe("\tx") == "'\tx"
    assert exporting.spreadsheet_safe("a=b") == "a=b"


def test_json_lines_has_each_claim_with_its_tags_appearances_and_reviews(corpus):
    text = _export(export_format="jsonl")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == 5  # the line break in a claim's text is escaped
    claims = {item["id"]: item for item in map(json.loads, lines)}
    arabic = claims[str(corpus["arabic"].pk)]
    assert arabic["text"] == ARABIC
    assert arabic["tags"] == ["troops", "ukraine"]
    assert arabic["claimant"]["name"] == "Дмитрий Песков"
    assert len(arabic["appearances"]) == 3
    assert arabic["appearances"][0] == {
        "url": "https://example.org/tass/1",
        "outlet": "ТАСС",
        "published_at": "2022-02-15T09:30:00Z",
        "quote": "«Войска возвращаются»",
    }
    assert arabic["publication"]["state"] == "published"
    assert arabic["publication"]["public_url"].startswith(django_settings.SITE_URL)
    [external] = arabic["reviews"]
    assert external["publisher_name"] == "فتبيّنوا"
    assert (external["rating_label"], external["verdict"]) == ("زائف", "false")
    assert external["reviewed_at"] == "2022-02-17T06:15:00Z"
    cyrillic = claims[str(corpus["cyrillic"].pk)]["reviews"][0]
    assert (cyrillic["rating_label"], cyrillic["verdict"]) == ("Ложь, «в целом»", None)
    assert (cyrillic["rating_value"], cyrillic["best_rating"]) == (1.5, 5)
    assert claims[str(corpus["formula"].pk)]["text"] == FORMULA  # exact: no spreadsheet here
    assert claims[str(corpus["emoji"].pk)]["text"] == EMOJI
    assert claims[str(corpus["imported"].pk)]["imported_from"] == "reviews.json"


def test_claimreview_is_our_fact_checks_and_everyone_elses_reviews(corpus):
    text = _export(export_format="claimreview")
    items = json.loads(text)  # one JSON-LD document
    by_url = {item["url"]: item for item in items}
    publication = Publication.objects.get(claim=corpus["arabic"])
    ours = by_url[public_url(corpus["arabic"].pk, publication.slug)]
    assert ours["author"]["name"] == django_settings.PUBLISHER_NAME
    assert ours["reviewRating"]["alternateName"] == publication.rating_label
    assert ours["claimReviewed"] == ARABIC
    assert len(items) == 4  # ours and the three others'
    theirs = by_url["https://provereno.example.ru/bazy"]
    assert theirs["@type"] == "ClaimReview"
    assert theirs["author"] == {
        "@type": "Organization",
        "name": "Проверено",
        "url": "https://provereno.example.ru",
    }
    assert theirs["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Ложь, «в целом»",
        "ratingValue": 1.5,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert theirs["claimReviewed"] == CYRILLIC
    arabic = by_url["https://fatabyyano.example.net/troops"]
    assert arabic["headline"] == "هل أمرت روسيا القوات بالعودة؟"
    assert arabic["itemReviewed"]["author"]["name"] == "Дмитрий Песков"
    assert arabic["itemReviewed"]["firstAppearance"]["url"] == "https://example.org/tass/1"


def test_claimreview_reads_back_as_the_reviews_it_was_imported_from(corpus):
    exported = [
        read
        for read in reviews_read(_export(export_format="claimreview").encode())
        if isinstance(read, ExternalReview)
    ]
    assert len(exported) == 4
    [original] = [
        read
        for read in reviews_read(_feed(_external_reviews()[2]))
        if isinstance(read, ExternalReview)
    ]
    # The claim the import created, its claimant, first-seen date and appearances included.
    assert original in exported


def _reviews() -> set[tuple[Any, ...]]:
    return set(Review.objects.values_list("claim_id", *REVIEW_ROW_FIELDS))


def test_importing_the_claimreview_export_gives_the_same_reviews(corpus, settings):
    before = _reviews()
    exported = _export(export_format="claimreview").encode()
    Review.objects.all().delete()
    publication = Publication.objects.get(claim=corpus["arabic"])
    our_url = public_url(corpus["arabic"].pk, publication.slug)
    settings.SITE_URL = "https://another-tracker.example.net"  # read where it is not ours

    run = _import(exported)

    assert run.summary == "4 created, 0 updated, 0 unchanged, 0 refused"
    ours = Review.objects.get(url=our_url)
    assert (ours.claim_id, ours.publisher_name, ours.rating_label) == (
        corpus["arabic"].pk,
        django_settings.PUBLISHER_NAME,
        publication.rating_label,
    )
    assert _reviews() - {r for r in _reviews() if r[1] == ours.url} == before
    assert Review.objects.get(url="https://provereno.example.ru/bazy").rating_value == Decimal(
        "1.5"
    )
    again = _import(exported)
    assert again.summary == "0 created, 0 updated, 4 unchanged, 0 refused"


def test_our_own_fact_checks_read_back_here_are_not_other_publishers_reviews(corpus):
    exported = _export(export_format="claimreview").encode()
    run = services.import_run(
        run=services.import_create(actor=f.editor(), source="ours.json", content=exported)
    )
    assert run.summary == "0 created, 0 updated, 3 unchanged, 1 refused"
    assert run.refusals[0]["reason"] == f"url: {services.OWN_REVIEW_MESSAGE}"


def test_an_export_of_nothing_is_a_valid_empty_file(db):
    assert _export(export_format="claimreview") == "[\n]\n"
    assert _export(export_format="jsonl") == ""
    assert _csv_rows(_export()) == []


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="xml"):
        exporting.claims_export(Claim.objects.all(), "xml")


# --- Constant memory, a fixed number of queries ---------------------------------------------


def _claims_with_reviews(count: int, start: int = 0) -> None:
    _import(
        _feed(
            *[
                review(
                    url=f"https://factcheck.example.org/{number}",
                    claimReviewed=f"Claim number {number}: «{ARABIC}»",
                )
                for number in range(start, start + count)
            ]
        )
    )
    f.published(claim=Claim.objects.get(text__startswith=f"Claim number {start}:"))


def _queries(run: Callable[[], Any]) -> int:
    """The queries ``run`` sends, its transaction's own statements aside (the export's
    transaction is a savepoint inside the test's)."""
    with CaptureQueriesContext(connection) as captured:
        run()
    transaction_statements = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    return sum(not query["sql"].startswith(transaction_statements) for query in captured)


@pytest.mark.parametrize("export_format", exporting.FORMATS)
def test_the_queries_of_an_export_do_not_grow_with_the_claims(export_format):
    _claims_with_reviews(5)
    few = _queries(lambda: _export(export_format=export_format, chunk_size=10))
    _claims_with_reviews(55, start=5)
    # Six chunks of ten: the rows' query, and a fixed number for each chunk.
    many = _queries(lambda: _export(export_format=export_format, chunk_size=10))
    per_chunk = few - 1  # one chunk, with a published fact check
    assert many <= 1 + 6 * per_chunk
    assert per_chunk <= (8 if export_format == "claimreview" else 1)
    assert Claim.objects.count() == 60


# --- The API --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    cache.clear()


def _api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def _body(response: Any) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def _exported_ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {json.loads(line)["id"] for line in _body(response).splitlines()}


URL = "api:claim-export"


@pytest.mark.django_db(transaction=True)  # as served: autocommit, streamed after the view
def test_the_api_streams_each_format_as_an_attachment(corpus):
    client = _api(f.viewer())
    expected = {
        "csv": "text/csv; charset=utf-8",
        "jsonl": "application/x-ndjson",
        "claimreview": "application/ld+json",
    }
    for export_format, content_type in expected.items():
        response = client.get(reverse(URL), {"format": export_format})
        assert response.status_code == 200
        assert isinstance(response, StreamingHttpResponse)
        assert response["Content-Type"] == content_type
        disposition = response["Content-Disposition"]
        extension = exporting.EXPORT_FORMATS[export_format].extension
        assert disposition.startswith('attachment; filename="claims-')
        assert disposition.endswith(f'.{extension}"')
        body = _body(response)
        assert body == _export(export_format=export_format) or export_format == "csv"
    csv_text = _body(client.get(reverse(URL)))  # CSV unless asked otherwise (or left blank)
    assert _body(client.get(reverse(URL), {"format": ""})).startswith(exporting.BYTE_ORDER_MARK)
    assert {row["text"] for row in _csv_rows(csv_text)} >= {ARABIC, CYRILLIC, EMOJI}


def test_the_api_export_takes_the_claims_lists_filters(corpus):
    client = _api(f.viewer())
    ids = {name: str(claim.pk) for name, claim in corpus.items()}

    def exported(**params: Any) -> set[str]:
        return _exported_ids(client.get(reverse(URL), {"format": "jsonl", **params}))

    assert exported(status="false") == {ids["arabic"]}
    assert exported(status=["false", "misleading"]) == {ids["arabic"], ids["cyrillic"]}
    assert exported(tag="Ukraine") == {ids["arabic"], ids["cyrillic"]}
    assert exported(q="войска") == {ids["cyrillic"]}
    assert exported(q="troops", tag="troops") == {ids["emoji"]}
    assert exported(claimant=str(corpus["arabic"].claimant_id)) == {ids["arabic"]}
    assert exported(has_reviews="true") == {ids["arabic"], ids["cyrillic"], ids["imported"]}
    assert exported(review_verdict="false") == {ids["arabic"], ids["imported"]}
    assert len(exported()) == 5


def test_the_api_export_is_in_the_order_asked(corpus):
    client = _api(f.viewer())
    response = client.get(reverse(URL), {"format": "jsonl", "ordering": "-created_at"})
    newest_first = [json.loads(line)["id"] for line in _body(response).splitlines()]
    assert newest_first[-1] == str(corpus["arabic"].pk)
    oldest_first = [json.loads(line)["id"] for line in _export(export_format="jsonl").splitlines()]
    assert oldest_first[0] == str(corpus["arabic"].pk)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"format": "xml"}, "format"),
        ({"format": "csv", "status": "bogus"}, "status"),
        ({"format": "jsonl", "created_after": "yesterday"}, "created_after"),
        ({"format": "jsonl", "claimant": "not-a-uuid"}, "claimant"),
        ({"format": "jsonl", "ordering": "text"}, "ordering"),
    ],
)
def test_a_bad_format_or_filter_is_a_400_naming_it(params, named):
    response = _api(f.viewer()).get(reverse(URL), params, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert named in response.json()["errors"]


def test_anonymous_readers_export_only_published_fact_checks_and_only_if_allowed(
    corpus, settings: Settings
):
    settings.API_PUBLIC_VERDICTS = False
    assert _api().get(reverse(URL), {"format": "jsonl"}).status_code == 401
    settings.API_PUBLIC_VERDICTS = True
    assert _exported_ids(_api().get(reverse(URL), {"format": "jsonl"})) == {
        str(corpus["arabic"].pk)
    }
    everything = _exported_ids(_api(f.viewer()).get(reverse(URL), {"format": "jsonl"}))
    assert everything == {str(claim.pk) for claim in corpus.values()}
    nobody = f.UserFactory(username="no-role")
    assert _api(nobody).get(reverse(URL), {"format": "jsonl"}).status_code == 403


@pytest.mark.parametrize("export_format", exporting.FORMATS)
def test_the_api_exports_any_number_of_claims_in_the_same_queries(
    export_format, django_assert_max_num_queries
):
    client = _api(f.viewer())
    client.get(reverse(URL), {"format": "jsonl", "tag": "warm-up"})  # the token's first use
    _claims_with_reviews(5)
    with CaptureQueriesContext(connection) as few:
        _body(client.get(reverse(URL), {"format": export_format}))
    _claims_with_reviews(55, start=5)
    with django_assert_max_num_queries(len(few)):
        rows = _body(client.get(reverse(URL), {"format": export_format}))
    assert "Claim number 59" in rows


# --- The command ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # autocommit: the cursor outlives its transaction
def test_the_command_writes_a_file_and_shows_its_progress(corpus, tmp_path: Path):
    output = tmp_path / "claims.csv"
    progress = io.StringIO()
    call_command(
        "export_claims",
        "--format",
        "csv",
        "--output",
        str(output),
        "--status",
        "false",
        "--status",
        "misleading",
        stderr=progress,
    )
    rows = _csv_rows(output.read_text(encoding="utf-8"))
    assert {row["text"] for row in rows} == {ARABIC, CYRILLIC}
    shown = progress.getvalue()
    assert "2 of 2 claims" in shown
    assert "Exported 2 claims as CSV to " in shown.splitlines()[-1]
    assert [p.name for p in tmp_path.iterdir()] == ["claims.csv"]  # no partial file left


def test_the_command_writes_to_stdout_with_the_list_filters(corpus):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_claims", "--format", "jsonl", "--q", "войска", stdout=out, stderr=err)
    [line] = out.getvalue().splitlines()
    assert json.loads(line)["text"] == CYRILLIC
    assert "Exported 1 claims as JSON Lines to stdout" in err.getvalue()
    out = io.StringIO()
    call_command("export_claims", "--format=claimreview", "--has-reviews=true", stdout=out)
    assert len(json.loads(out.getvalue())) == 4


@pytest.mark.parametrize(
    ("option", "value"),
    [("--status", "bogus"), ("--created-after", "yesterday"), ("--claimant", "nobody")],
)
def test_the_command_refuses_a_bad_filter_naming_its_option(db, option, value):
    with pytest.raises(CommandError, match=f"^{option}: "):
        call_command("export_claims", "--format", "csv", option, value, stdout=io.StringIO())


# --- The admin ------------------------------------------------------------------------------


def _admin_url(name: str) -> str:
    return reverse(f"admin:claims_claim_{name}", current_app=ADMIN_SITE)


def test_the_admin_exports_exactly_the_filtered_and_searched_list(corpus, client: Client):
    client.force_login(f.viewer())
    listed = client.get(_admin_url("changelist"), {"status__exact": "false"})
    assert listed.status_code == 200
    assert f'href="{_admin_url("export")}?status__exact=false"' in listed.content.decode()

    only_false = client.get(_admin_url("export"), {"status__exact": "false"})
    assert only_false["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["text"] for row in _csv_rows(_body(only_false))] == [ARABIC]
    searched = client.get(_admin_url("export"), {"q": "войска", "format": "jsonl"})
    assert [json.loads(line)["text"] for line in _body(searched).splitlines()] == [CYRILLIC]
    tagged = client.get(_admin_url("export"), {"tags__id__exact": "-1", "format": "jsonl"})
    assert _body(tagged) == ""
    everything = client.get(_admin_url("export"), {"format": "claimreview"})
    assert len(json.loads(_body(everything))) == 4


def test_the_admin_export_needs_the_view_permission_and_a_known_format(corpus, client: Client):
    client.force_login(f.UserFactory(username="staff-without-role"))
    assert client.get(_admin_url("export")).status_code == 403
    client.force_login(f.viewer())
    assert client.get(_admin_url("export"), {"format": "xml"}).status_code == 400
    wrong = client.get(_admin_url("export"), {"no_such_field": "1"})
    assert wrong.status_code == 302
    assert wrong["Location"].endswith("?e=1")
