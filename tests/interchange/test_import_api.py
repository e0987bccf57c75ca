"""Imports through the API (202, then the import's report), reviews on claims, their filters."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.fixtures import Settings

from interchange import services
from interchange.models import Import, ImportStatus, Review
from tests import factories as f
from tests.api.conftest import api  # noqa: F401 (fixture)
from tests.interchange.conftest import Site
from tests.interchange.test_import import CLAIM, feed, run_import, second_publisher
from tests.interchange.test_reading import review
from tests.notifications.conftest import Workers, wait_for, workers

__all__ = ["workers"]  # fixtures

IMPORTS = "/api/v1/imports/"


def upload(content: bytes, name: str = "reviews.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/json")


@pytest.mark.django_db
def test_an_upload_is_accepted_at_once_and_its_report_read_back(api) -> None:  # noqa: F811
    editor = f.editor()
    client = api(editor)
    bad = review(url="mailto:someone@example.org")
    response = client.post(
        IMPORTS, {"file": upload(feed(review(), second_publisher(), bad))}, format="multipart"
    )

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert response["Location"] == body["links"]["self"]
    assert body["links"]["self"].endswith(f"{IMPORTS}{body['id']}/")

    services.import_run(run=Import.objects.get(pk=body["id"]))  # what the worker does

    report = client.get(response["Location"]).json()
    assert (report["status"], report["summary"]) == (
        "done",
        "2 created, 0 updated, 0 unchanged, 1 refused",
    )
    assert report["refusals"] == [
        {
            "where": "the document, item 3",
            "reason": "Its url 'mailto:someone@example.org' is not an http(s) address.",
        }
    ]
    assert report["created_by"] == editor.username


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "file", "Give a file or a url (one of them)."),
        ({"url": "https://example.org/a", "file": "x"}, "file", None),
        ({"url": "ftp://example.org/feed"}, "url", None),
        ({"url": "https://example.org/a", "dry_run": "yes"}, "dry_run", None),
        ({"url": "https://example.org/a", "unknown": 1}, "unknown", None),
    ],
)
def test_a_bad_request_is_a_400_naming_what_was_wrong(api, data, field, message) -> None:  # noqa: F811
    response = api(f.editor()).post(IMPORTS, data, format="multipart")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert not Import.objects.exists()


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused_before_it_is_read(api, settings: Settings) -> None:  # noqa: F811
    settings.IMPORT_MAX_BYTES = 50
    response = api(f.editor()).post(
        IMPORTS, {"file": upload(b"[" + b" " * 60 + b"]")}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == [
        "The file is larger than 50 bytes (the most an import reads)."
    ]


@pytest.mark.django_db
def test_who_may_import_and_read_imports(api) -> None:  # noqa: F811
    assert api(f.viewer()).post(IMPORTS, {"url": "https://example.org/a"}).status_code == 403
    assert api(f.viewer()).get(IMPORTS).status_code == 200
    assert api(None).get(IMPORTS).status_code == 401


@pytest.mark.django_db
def test_a_claim_shows_its_reviews_and_where_it_was_imported_from(api) -> None:  # noqa: F811
    item = review(
        reviewRating={
            "@type": "Rating",
            "alternateName": "Faux",
            "ratingValue": "1",
            "bestRating": "5",
        }
    )
    run_import(feed(item, second_publisher(datePublished="2022-02-18T10:00:00+02:00")))
    claim_id = Review.objects.first().claim_id  # type: ignore[union-attr]

    body = api(f.viewer()).get(f"/api/v1/claims/{claim_id}/").json()

    assert body["imported_from"] == "reviews.json"
    assert body["reviews"] == [
        {
            "url": "https://verificado.example.mx/2022/tropas",
            "publisher_name": "Verificado",
            "publisher_site": "verificado.example.mx",
            "title": "",
            "rating_label": "Engañoso",
            "rating_value": None,
            "best_rating": None,
            "worst_rating": None,
            "verdict": "misleading",
            "reviewed_at": "2022-02-18T08:00:00Z",
            "language": "es",
        },
        {
            "url": "https://factcheck.example.org/2022/02/troops-bases",
            "publisher_name": "Example Check",
            "publisher_site": "example.org",
            "title": "",
            "rating_label": "Faux",
            "rating_value": 1.0,
            "best_rating": 5.0,
            "worst_rating": None,
            "verdict": "false",
            "reviewed_at": "2022-02-16T00:00:00Z",
            "language": "en",
        },
    ]


@pytest.mark.django_db
def test_claims_filtered_by_their_reviews(api, django_assert_max_num_queries) -> None:  # noqa: F811
    mine = f.claim(text="A claim nobody else checked.")
    run_import(feed(review(), second_publisher()))
    run_import(
        feed(
            review(
                url="https://other.example.net/1",
                author={"@type": "Organization", "name": "Other"},
                claimReviewed="Another claim.",
                reviewRating={"@type": "Rating", "alternateName": "really_false"},
            )
        )
    )
    client = api(f.viewer())

    def texts(query: str) -> list[str]:
        response = client.get(f"/api/v1/claims/?{query}")
        assert response.status_code == 200, response.content
        return sorted(row["text"] for row in response.json()["results"])

    assert texts("has_reviews=true") == ["Another claim.", CLAIM]
    assert texts("has_reviews=false") == [mine.text]
    assert texts("review_publisher=verificado.example.mx") == [CLAIM]
    assert texts("review_publisher=EXAMPLE%20CHECK") == [CLAIM]
    assert texts("review_verdict=misleading") == [CLAIM]
    assert texts("review_verdict=false") == [CLAIM]  # "False" maps; "really_false" does not
    assert texts("review_publisher=verificado.example.mx&review_verdict=false") == []
    with django_assert_max_num_queries(6):
        client.get("/api/v1/claims/?has_reviews=true")

    refused = client.get("/api/v1/claims/?q=troops&review_verdict=false")
    assert refused.status_code == 400
    assert "cannot be combined with q" in refused.json()["errors"]["review_verdict"][0]
    assert client.get("/api/v1/claims/?review_verdict=maybe").status_code == 400


def test_an_import_queued_through_the_api_is_run_by_a_real_worker(
    api,  # noqa: F811
    workers: Workers,
    site: Site,
) -> None:
    """The API answers at once; a worker (real Celery, real broker) fetches the URL (a real
    local web site) and imports; the report is read back through the API."""
    url = site.put("/feed.json", feed(review(), second_publisher()))
    workers.start()
    client = api(f.editor())

    response = client.post(IMPORTS, {"url": url}, format="json")
    assert response.status_code == 202, response.content

    def finished() -> dict[str, object] | None:
        report = client.get(response["Location"]).json()
        return report if report["status"] in ("done", "failed") else None

    report = wait_for(finished, "the worker to run the import")
    assert (report["status"], report["summary"], report["error"]) == (
        ImportStatus.DONE,
        "2 created, 0 updated, 0 unchanged, 0 refused",
        "",
    )
    assert site.requests == ["/feed.json"]
    assert json.loads(feed(review()))[0]["url"] in set(Review.objects.values_list("url", flat=True))
