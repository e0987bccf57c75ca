"""Similar claims and merging in the admin: "Check for duplicates" on the add page, the claim
page's suggestions, and the merge page (refusing what the API refuses, in the same words)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from claims.models import Claim, ClaimLink
from matching.vectors import VectorIndex
from search.indexer import index_rebuild
from tests import factories as f
from tests.admin.browser import form_data

pytestmark = pytest.mark.django_db

TROOPS = "Russia has ordered troops near Ukraine's border back to their bases."
TROOPS_FR = (
    "La Russie a ordonné aux troupes proches de la frontière ukrainienne de regagner leurs bases"
)
ADD = reverse("admin:claims_claim_add")


def indexes_built() -> None:
    index_rebuild(settings.SEARCH_INDEX_DIR)
    index_rebuild(settings.SIMILAR_INDEX_DIR, kind=VectorIndex)


def test_check_for_duplicates_shows_the_claims_like_it_and_saves_nothing(
    editor_client: Client,
) -> None:
    existing = f.claim(text=TROOPS)
    f.published(claim=existing, status="false")
    f.claim(text="Vaccines cause autism in children")
    indexes_built()
    page = editor_client.get(ADD)
    data = {**form_data(page, "claim_form"), "text": TROOPS_FR, "language": "fr", "_similar": "1"}

    checked = editor_client.post(ADD, data)

    assert checked.status_code == 200
    html = checked.content.decode()
    assert Claim.objects.count() == 2  # nothing saved
    assert TROOPS_FR in html  # the form keeps what was typed
    suggestions = checked.context["similar"].suggestions
    assert [(s.claim["text"], s.reason) for s in suggestions] == [
        (TROOPS, "Same meaning in another language")
    ]
    assert 'id="similar-claims"' in html and "False" in html
    assert "Please correct" not in html

    saved = editor_client.post(
        ADD, {key: value for key, value in data.items() if key != "_similar"}
    )
    assert saved.status_code == 302
    assert Claim.objects.count() == 3


def test_the_claim_page_suggests_and_offers_the_merge(reviewer_client: Client) -> None:
    canonical = f.claim(text=TROOPS)
    duplicate = f.claim(text=f"BREAKING: {TROOPS}")
    indexes_built()

    page = reviewer_client.get(reverse("admin:claims_claim_change", args=[duplicate.pk]))

    html = page.content.decode()
    assert "Near-identical wording" in html
    merge_url = reverse("admin:claims_claim_merge", args=[duplicate.pk])
    assert f"{merge_url}?into={canonical.pk}" in html


def test_a_merge_in_the_admin_moves_everything_and_leaves_a_pointer(
    reviewer_client: Client,
) -> None:
    canonical, duplicate = f.claim(text=TROOPS), f.claim(text=TROOPS.upper())
    f.statement(claim=duplicate)
    url = reverse("admin:claims_claim_merge", args=[duplicate.pk]) + f"?into={canonical.pk}"
    page = reviewer_client.get(url)
    assert page.status_code == 200

    done = reviewer_client.post(url, form_data(page, "merge-form"))

    assert done.status_code == 302
    assert done["Location"] == reverse("admin:claims_claim_change", args=[canonical.pk])
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == canonical.pk
    assert canonical.statements.count() == 1
    pointer = reviewer_client.get(reverse("admin:claims_claim_change", args=[duplicate.pk]))
    assert 'id="merged-into"' in pointer.content.decode()
    assert "merge-link" not in pointer.content.decode()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("itself", "A claim cannot be merged into itself."),
        ("two verdicts", "The duplicate is false and the claim to keep is verified"),
        ("stale", "changed by someone else"),
        ("unknown", "There is no claim"),
    ],
)
def test_the_admin_refuses_a_merge_in_the_apis_words(
    reviewer_client: Client, case: str, message: str
) -> None:
    canonical, duplicate = f.claim(text=TROOPS), f.claim(text=TROOPS.upper())
    target = duplicate if case == "itself" else canonical
    if case == "two verdicts":
        f.verdict(claim=duplicate, status="false")
        f.verdict(claim=canonical, status="verified")
    url = reverse("admin:claims_claim_merge", args=[duplicate.pk]) + f"?into={target.pk}"
    data = form_data(reviewer_client.get(url), "merge-form")
    if case == "stale":
        f.statement(claim=canonical)  # someone changed the claim to keep meanwhile
    if case == "unknown":
        data["canonical"] = "00000000-0000-4000-8000-000000000000"

    refused = reviewer_client.post(url, data)

    assert refused.status_code == 200
    assert message in refused.content.decode().replace("&#x27;", "'")
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None


def test_only_reviewers_see_the_merge(editor_client: Client) -> None:
    canonical, duplicate = f.claim(text=TROOPS), f.claim(text=TROOPS.upper())
    url = reverse("admin:claims_claim_merge", args=[duplicate.pk]) + f"?into={canonical.pk}"
    assert editor_client.get(url).status_code == 403
    page = editor_client.get(reverse("admin:claims_claim_change", args=[duplicate.pk]))
    assert "merge-link" not in page.content.decode()


def test_bad_text_on_the_add_page_shows_the_forms_errors_and_no_suggestions(
    editor_client: Client,
) -> None:
    data: dict[str, Any] = {**form_data(editor_client.get(ADD), "claim_form")}
    data.update(text="abc\u202egnp.exe", _similar="1")

    checked = editor_client.post(ADD, data)

    assert checked.status_code == 200
    assert "right-to-left override" in checked.content.decode()
    assert checked.context["similar"] is None


def test_claims_are_linked_and_unlinked_from_the_claim_page(editor_client: Client) -> None:
    returning = f.claim(text=TROOPS)
    massing = f.claim(text="Russia is massing troops at the border")
    page = reverse("admin:claims_claim_change", args=[returning.pk])
    assert 'id="link-form"' in editor_client.get(page).content.decode()
    link = reverse("admin:claims_claim_link", args=[returning.pk])

    done = editor_client.post(link, {"link-claim": str(massing.pk), "link-kind": "contradicts"})

    assert done.status_code == 302
    other_side = editor_client.get(reverse("admin:claims_claim_change", args=[massing.pk]))
    assert "Contradicts" in other_side.content.decode()
    assert TROOPS.replace("'", "&#x27;") in other_side.content.decode()
    again = editor_client.post(
        link, {"link-claim": str(massing.pk), "link-kind": "related"}, follow=True
    )
    assert "Not linked: These claims are already linked." in again.content.decode()
    itself = editor_client.post(
        link, {"link-claim": str(returning.pk), "link-kind": "related"}, follow=True
    )
    assert "A claim cannot be linked with itself." in itself.content.decode()

    [made] = ClaimLink.objects.all()
    removed = editor_client.post(reverse("admin:claims_claim_unlink", args=[massing.pk, made.pk]))
    assert removed.status_code == 302
    assert not ClaimLink.objects.exists()
    assert editor_client.get(link).status_code == 405
