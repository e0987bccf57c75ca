"""Imports and the rating mapping in the admin; reviews on the claim page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from interchange.models import Import, RatingMapping, Review
from tests import factories as f
from tests.interchange.test_import import feed, run_import, second_publisher
from tests.interchange.test_reading import review

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/interchange/import/add/"


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_an_upload_is_imported_and_its_report_shown() -> None:
    client = signed_in(f.editor())
    assert client.get("/admin/interchange/import/").status_code == 200
    page = client.get(UPLOAD)
    assert page.status_code == 200
    content = feed(review(), second_publisher(), review(url=None))
    file = SimpleUploadedFile("fact-checks.json", content, content_type="application/json")

    response = client.post(UPLOAD, {"file": file}, follow=True)

    run = Import.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/interchange/import/{run.pk}/change/"
    html = response.content.decode()
    assert "Import of fact-checks.json: 2 created, 0 updated, 0 unchanged, 1 refused." in html
    assert "It has no url: a review is identified by its address." in html


def test_the_upload_page_refuses_in_the_apis_words(settings: Settings) -> None:
    client = signed_in(f.editor())
    response = client.post(UPLOAD, {})
    assert "Give a file or a url (one of them)." in response.content.decode()

    settings.IMPORT_MAX_BYTES = 10
    file = SimpleUploadedFile("big.json", b"[" + b" " * 20 + b"]")
    response = client.post(UPLOAD, {"file": file})
    assert "The file is larger than 10 bytes (the most an import reads)." in (
        response.content.decode()
    )

    response = client.post(UPLOAD, {"url": "javascript:alert(1)"})
    assert response.status_code == 200 and not Import.objects.exists()


def test_a_viewer_sees_imports_but_cannot_import() -> None:
    client = signed_in(f.viewer())
    assert client.get("/admin/interchange/import/").status_code == 200
    assert client.get(UPLOAD).status_code == 403


def test_the_claim_page_lists_other_publishers_reviews_escaped() -> None:
    hostile = review(
        headline="<script>alert('x')</script> Fact check",
        reviewRating={"@type": "Rating", "alternateName": "<b>زائف</b>"},
    )
    run_import(feed(hostile, second_publisher()))
    claim_id = Review.objects.first().claim_id  # type: ignore[union-attr]

    html = signed_in(f.viewer()).get(f"/admin/claims/claim/{claim_id}/change/").content.decode()

    assert "Other publishers&#x27; fact checks" in html or "Other publishers' fact checks" in html
    assert "Imported from reviews.json" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Fact check" in html
    assert "&lt;b&gt;زائف&lt;/b&gt;" in html
    assert "Engañoso" in html and "Misleading" in html
    assert "— (not mapped)" in html  # "<b>زائف</b>" is no label anyone mapped


def test_reviewers_map_labels_and_a_label_mapped_already_is_refused() -> None:
    assert signed_in(f.editor()).get("/admin/interchange/ratingmapping/add/").status_code == 403
    client = signed_in(f.reviewer())

    response = client.post(
        "/admin/interchange/ratingmapping/add/", {"label": "PANTS ON FIRE!", "verdict": "false"}
    )
    assert "“Pants on fire” is mapped already (to False)." in response.content.decode()

    response = client.post(
        "/admin/interchange/ratingmapping/add/",
        {"label": "Ni vrai ni faux", "verdict": "misleading", "language": "fr"},
    )
    assert response.status_code == 302
    assert RatingMapping.objects.get(key="ni vrai ni faux").verdict == "misleading"


def test_a_public_fact_check_lists_other_publishers_reviews() -> None:
    claim = f.claim(text="Russia has ordered troops back to their bases.")
    f.published(claim=claim)
    run_import(feed(review(headline="Troops back?"), second_publisher()))
    assert claim.reviews.count() == 2

    page = Client().get(f"/fact-checks/{claim.pk}/x/", follow=True)

    html = page.content.decode()
    assert "Other fact checks of this claim" in html
    assert (
        'href="https://verificado.example.mx/2022/tropas" rel="nofollow noopener">Verificado</a>: '
        "<bdi>Engañoso</bdi>" in html
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"url": "ftp://example.org/feed.json"},
        {"url": "example.org/feed.json"},
        {"url": 'https://example.org/"><script>'},
        {"url": "https://example.org/" + "a" * 2000},
        {"url": "https://example.org/feed.json", "file": "big"},
    ],
    ids=["nothing", "ftp", "no scheme", "quotes", "2,020 characters", "both"],
)
def test_the_admin_and_the_api_refuse_the_same_imports_in_the_same_words(
    data: dict[str, str], settings: Settings
) -> None:
    from rest_framework.test import APIClient

    from tests.api.conftest import token_for

    settings.IMPORT_MAX_BYTES = 10
    editor = f.editor()

    def body() -> dict[str, object]:
        sent: dict[str, object] = dict(data)
        if "file" in sent:
            sent["file"] = SimpleUploadedFile("a.json", b"[" + b" " * 20 + b"]")
        return sent

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(editor)}")
    response = api.post("/api/v1/imports/", body(), format="multipart")
    assert response.status_code == 400
    api_errors = response.json()["errors"]

    page = signed_in(editor).post(UPLOAD, body())
    form_errors = {name: list(errors) for name, errors in page.context["form"].errors.items()}

    assert form_errors == api_errors
    assert not Import.objects.exists()
