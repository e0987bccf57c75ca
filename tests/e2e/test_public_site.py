"""A reader, in a real browser: the published fact checks, a fact check page, a search."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from publishing.models import Publication
from tests import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_reader_finds_and_reads_a_fact_check(live_server: Any, page: Any, settings: Any) -> None:
    settings.SEARCH_BACKEND = "postgres"  # no indexer runs beside the live server here
    claimant = f.source(name="Dmitry Peskov", role="Kremlin spokesperson")
    claim = f.claim(
        text="Russia has ordered troops near Ukraine's border back to their bases.",
        claimant=claimant,
    )
    f.statement(
        claim=claim,
        source=f.source(name="Dmytro Kuleba", role="Ukraine's foreign minister"),
        quote="We won\u2019t believe when we hear, we\u2019ll believe when we see.",
        stance="counters",
    )
    f.verdict(claim=claim, status="false", reason="Satellite images show the units in place.")
    claim.refresh_from_db()
    f.published(claim=claim)
    other = f.claim(text="Grain exports through the ports resumed in August.")
    f.verdict(claim=other, status="verified")
    other.refresh_from_db()
    f.published(claim=other)

    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    page.goto(f"{live_server.url}/")
    assert page.title().startswith("Fact checks")
    assert page.locator("main h2.claim-title").count() == 2

    # Search, without JavaScript needed: a plain GET form.
    page.fill("#q", "troops bases")
    page.click("form.search button")
    page.wait_for_url("**/?q=troops+bases*")
    titles = page.locator("main h2.claim-title")
    assert titles.count() == 1
    titles.first.locator("a").click()

    slug = Publication.objects.get(claim=claim).slug
    page.wait_for_url(f"**/fact-checks/{claim.pk}/{slug}/")
    assert page.locator("h1").inner_text() == claim.text
    assert page.locator(".verdict").first.inner_text() == "False"
    assert page.locator("text=We won\u2019t believe when we hear").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    markup = json.loads(page.locator('script[type="application/ld+json"]').inner_text())
    assert markup["@type"] == "ClaimReview"
    assert markup["reviewRating"]["alternateName"] == "False"

    # The claimant's page lists what they claimed.
    page.click("main article dl a")
    page.wait_for_url(f"**/claimants/{claimant.pk}/")
    assert page.locator("h1").inner_text() == "Dmitry Peskov"

    # Nothing came from another host; the browser reported no error.
    live = urlsplit(live_server.url).netloc
    assert {urlsplit(url).netloc for url in requested} == {live}
    assert errors == []


def test_the_page_reads_well_without_javascript(live_server: Any, browser: Any) -> None:
    claim = f.claim(text="Troops returned to barracks in Crimea.")
    f.verdict(claim=claim, status="misleading")
    claim.refresh_from_db()
    f.published(claim=claim)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/fact-checks/{claim.pk}/")  # redirects to the canonical URL
    assert page.locator("h1").inner_text() == claim.text
    # Nothing wider than a phone's screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    context.close()
