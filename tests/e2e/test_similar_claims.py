"""Has this been checked before? In a real browser: a reviewer types a claim in another
language, checks for duplicates, finds the claim already reviewed, and merges a duplicate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from claims.models import Claim
from matching.vectors import VectorIndex
from search.indexer import index_rebuild
from tests import factories as f
from tests.e2e.test_claim_workspace import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TROOPS = "Russia has ordered troops near Ukraine's border back to their bases."
TROOPS_UK = "Росія наказала військам біля кордону з Україною повернутися на бази"


def test_a_reviewer_finds_the_claim_checked_before_and_merges_a_duplicate(
    live_server: Any, browser: Any, tmp_path: Path
) -> None:
    checked = f.claim(text=TROOPS)
    f.published(claim=checked, status="false")
    duplicate = f.claim(text=f"BREAKING: {TROOPS} #Ukraine")
    f.statement(claim=duplicate, quote="We will believe it when we see it.")
    f.claim(text="Vaccines cause autism in children")
    index_rebuild(settings.SEARCH_INDEX_DIR)
    index_rebuild(settings.SIMILAR_INDEX_DIR, kind=VectorIndex)
    rita = f.reviewer(username="rita")
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", rita.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")

    page.goto(live_server.url + reverse("admin:claims_claim_add"))
    page.fill("#id_text", TROOPS_UK)
    page.fill("#id_language", "uk")
    page.click("#check-similar")
    page.wait_for_selector("#similar-claims")
    page.screenshot(path=str(tmp_path / "add-check.png"), full_page=True)

    rows = page.locator("#similar-claims tr.similar-claim")
    assert rows.count() >= 1
    first = rows.first.inner_text()
    assert TROOPS in first and "False" in first
    assert "Same meaning in another language" in first
    assert page.input_value("#id_text") == TROOPS_UK  # what was typed is still there
    assert Claim.objects.count() == 3  # and nothing was saved

    page.goto(live_server.url + reverse("admin:claims_claim_change", args=[duplicate.pk]))
    suggestion = page.locator("#similar-claims tr.similar-claim", has_text=TROOPS).first
    assert "Near-identical wording" in suggestion.inner_text()
    suggestion.locator("a.merge-into-link").click()
    page.wait_for_selector("#merge-form")
    assert TROOPS in page.locator("#merge-canonical").inner_text()
    page.click("#merge-form input[type=submit]")
    page.wait_for_selector("ul.messagelist")

    assert "Merged" in page.locator("ul.messagelist").inner_text()
    assert page.url.endswith(reverse("admin:claims_claim_change", args=[checked.pk]))
    assert "We will believe it when we see it." in page.locator("#board-statements").inner_text()
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == checked.pk
    page.screenshot(path=str(tmp_path / "merged.png"), full_page=True)
