"""The public site: what readers and crawlers get, and what they never get."""

# ruff: noqa: S314 (the XML parsed is the site's own sitemap and feed)

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from itertools import pairwise
from urllib.parse import urlsplit

import html5lib
import pytest
from django.utils import timezone

from publishing.models import Publication
from publishing.services import claim_unpublish
from tests import factories as f
from verification.models import Channel

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _published(text: str, *, status: str = "false", claimant=None, **kwargs):
    claim = f.claim(text=text, claimant=claimant, language=kwargs.pop("language", "en"))
    f.verdict(claim=claim, status=status, reason=kwargs.pop("reason", "Checked."))
    claim.refresh_from_db()
    f.published(claim=claim, **kwargs)
    claim.refresh_from_db()
    return claim


def _page_path(claim) -> str:
    return f"/fact-checks/{claim.pk}/{Publication.objects.get(claim=claim).slug}/"


def _sitemap_locations(client) -> list[str]:
    index = ET.fromstring(client.get("/sitemap.xml").content)
    locations = []
    for sitemap in index.iter(f"{SITEMAP}loc"):
        section = client.get(urlsplit(sitemap.text).path)
        assert section.status_code == 200
        locations += [loc.text for loc in ET.fromstring(section.content).iter(f"{SITEMAP}loc")]
    return locations


def test_an_embargo_or_an_unpublished_claim_is_absent_from_every_public_surface(
    client, api, settings, search_engine
):
    settings.API_PUBLIC_VERDICTS = True
    peskov = f.source(name="Dmitry Peskov", role="Kremlin spokesperson")
    hidden_source = f.source(name="Anonymous Colonel")
    public = _published("Troops returned to their bases after the drills.", claimant=peskov)
    embargoed = _published(
        "Troops returned to barracks in Crimea.",
        claimant=hidden_source,
        publish_at=timezone.now() + timedelta(hours=6),
    )
    unpublished = _published("Troops returned home by train.", claimant=hidden_source)
    claim_unpublish(
        actor=f.reviewer(), claim=unpublished, reason="Source retracted.", channel=Channel.API
    )
    draft = f.claim(text="Troops returned with their tanks.", claimant=hidden_source)
    f.verdict(claim=draft, status="unproven")
    search_engine()

    hidden = [embargoed, unpublished, draft]
    pages = {
        "/": client.get("/"),
        "/?q=troops": client.get("/", {"q": "troops"}),
        "/?verdict=false": client.get("/", {"verdict": "false"}),
        "/?verdict=unproven": client.get("/", {"verdict": "unproven"}),
        "claimant": client.get(f"/claimants/{peskov.pk}/"),
        "claimant search": client.get(f"/claimants/{peskov.pk}/", {"q": "troops"}),
        "atom": client.get("/feed.atom"),
        "datafeed": client.get("/claimreview-feed.json"),
        "fact check": client.get(_page_path(public)),
    }
    bodies = {name: b"".join(response) for name, response in pages.items()}
    for name, response in pages.items():
        assert response.status_code == 200, name
    sitemap = _sitemap_locations(client)
    api_list = api().get("/api/v1/claims/").content
    api_search = api().get("/api/v1/claims/", {"q": "troops"})

    assert public.text.encode() in bodies["/"]
    assert public.text.encode() in bodies["/?q=troops"]
    assert any(str(public.pk) in location for location in sitemap)
    assert str(public.pk).encode() in api_list
    assert api_search.json()["count"] == 1
    for claim in hidden:
        for name, body in [*bodies.items(), ("api list", api_list)]:
            assert claim.text.encode() not in body, (claim.text, name)
            assert str(claim.pk).encode() not in body, (claim.text, name)
        assert not any(str(claim.pk) in location for location in sitemap)
        assert client.get(f"/fact-checks/{claim.pk}/").status_code == 404
        assert client.get(f"/fact-checks/{claim.pk}/some-slug/").status_code == 404
        assert api().get(f"/api/v1/claims/{claim.pk}/").status_code == 404
    assert hidden_source.name.encode() not in b"".join(bodies.values())
    assert client.get(f"/claimants/{hidden_source.pk}/").status_code == 404
    assert not any(str(hidden_source.pk) in location for location in sitemap)

    # A cached page is not served once unpublished: its ETag no longer answers 304.
    etag = pages["fact check"]["ETag"]
    assert client.get(_page_path(public), HTTP_IF_NONE_MATCH=etag).status_code == 304
    claim_unpublish(actor=f.reviewer(), claim=public, reason="Retracted.", channel=Channel.API)
    assert client.get(_page_path(public), HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert public.text.encode() not in client.get("/").content


def test_the_fact_check_page(client):
    kuleba = f.source(name="Dmytro Kuleba", role="Foreign minister of Ukraine")
    claim = _published(
        "Russia has ordered troops near Ukraine's border back to their bases.",
        claimant=f.source(name="Dmitry Peskov", role="Kremlin spokesperson"),
        reason="Satellite images show the units still in place.",
    )
    f.statement(
        claim=claim,
        source=kuleba,
        quote="We won\u2019t believe when we hear, we\u2019ll believe when we see.",
        stance="counters",
        url="https://example.org/kuleba",
    )
    shown = f.evidence(claim=claim, description="Satellite image, 16 February", public=True)
    internal = f.evidence(claim=claim, description="Reviewer's private notes")
    page = client.get(_page_path(claim))
    assert page.status_code == 200
    assert page["Cache-Control"] == "public, no-cache"
    assert page["ETag"]
    html = page.content.decode()
    assert (
        "<h1>Russia has ordered troops near Ukraine&#x27;s border back to their bases.</h1>" in html
    )
    assert 'class="verdict verdict-false">False</span>' in html
    assert "Satellite images show the units still in place." in html
    assert "Dmitry Peskov" in html and "Kremlin spokesperson" in html
    assert "We won\u2019t believe when we hear" in html and "counter-statement" in html
    assert shown.url in html and "Satellite image, 16 February" in html
    assert internal.url not in html and "private notes" not in html
    assert f'<link rel="canonical" href="http://127.0.0.1:8000{_page_path(claim)}">' in html
    assert 'property="og:title"' in html and 'property="og:url"' in html

    # Valid HTML (no parse error), landmarks, headings in order, nothing from another host.
    html5lib.HTMLParser(strict=True).parse(html)
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    levels = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in pairwise(levels))
    for tag, address in re.findall(
        r"<(script|link|img|iframe|style)[^>]*?(?:src|href)=\"([^\"]+)\"", html
    ):
        assert not address.startswith(("http:", "https:", "//")) or (
            tag == "link" and (address.startswith("http://127.0.0.1:8000/"))
        ), (tag, address)

    # A wrong slug, or none, leads to the canonical address.
    for path in (f"/fact-checks/{claim.pk}/", f"/fact-checks/{claim.pk}/old-slug/"):
        moved = client.get(path)
        assert moved.status_code == 301
        assert moved["Location"] == _page_path(claim)


def test_a_page_in_ukrainian_is_marked_so_and_has_a_readable_address(client):
    claim = _published("Росія відвела війська від кордону України.", language="uk", status="false")
    slug = Publication.objects.get(claim=claim).slug
    assert slug == "росія-відвела-війська-від-кордону-україни"
    page = client.get(_page_path(claim))
    assert page.status_code == 200
    assert page.content.decode().startswith('<!doctype html>\n<html lang="uk">')


HOSTILE = '</script><script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def test_hostile_text_is_escaped_everywhere(client):
    claimant = f.source(name=f"Evil {HOSTILE}")
    claim = _published(f"Claim {HOSTILE}", claimant=claimant, reason=f"Because {HOSTILE}")
    f.statement(claim=claim, quote=f"Quote {HOSTILE}", stance="counters")
    for path in (
        _page_path(claim),
        "/",
        "/?q=claim",
        f"/claimants/{claimant.pk}/",
        "/feed.atom",
        "/claimreview-feed.json",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response).decode()
        assert '<script>alert("x")' not in body, path
        assert "<img src=x" not in body, path
    page = client.get(_page_path(claim)).content.decode()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 1  # the JSON-LD block, whole
    data = json.loads(scripts[0])
    assert data["claimReviewed"] == f"Claim {HOSTILE}"
    assert data["itemReviewed"]["author"]["name"] == f"Evil {HOSTILE}"
    assert data["reviewRating"]["ratingExplanation"] == f"Because {HOSTILE}"
    feed = json.loads(b"".join(client.get("/claimreview-feed.json")))
    assert feed["dataFeedElement"][0]["claimReviewed"] == f"Claim {HOSTILE}"
    atom = ET.fromstring(client.get("/feed.atom").content)  # well-formed
    [summary] = [entry.findtext(f"{ATOM}summary") for entry in atom.iter(f"{ATOM}entry")]
    assert "<img" not in summary  # a feed reader shows it as text
    assert "&lt;img src=x" in summary


def test_lists_paginate_filter_and_refuse_bad_input(client):
    for number in range(23):
        _published(f"Troop claim number {number}.", status="false" if number % 2 else "verified")
    first = client.get("/").content.decode()
    assert first.count('class="claim-title"') == 20
    assert 'rel="next" href="?page=2"' in first
    second = client.get("/", {"page": 2}).content.decode()
    assert second.count('class="claim-title"') == 3
    assert "Troop claim number 0." in second  # the oldest last
    titles = [
        entry.findtext(f"{ATOM}title")
        for entry in ET.fromstring(client.get("/feed.atom").content).iter(f"{ATOM}entry")
    ]
    assert titles[:2] == ["True: Troop claim number 22.", "False: Troop claim number 21."]
    false_only = client.get("/", {"verdict": "false"}).content.decode()
    assert false_only.count('class="claim-title"') == 11
    assert 'class="verdict verdict-verified"' not in false_only

    for params, message in (
        ({"page": "two"}, "page is a number"),
        ({"page": "0"}, "page is a number"),
        ({"page": "\u00b2"}, "page is a number from 1 to 10000, not &#x27;\u00b2&#x27;."),
        ({"page": "99999999999999999999"}, "page is a number"),
        ({"verdict": "fake"}, "verdict is one of"),
        ({"q": " ".join(["word"] * 40)}, "words"),
    ):
        response = client.get("/", params)
        assert response.status_code == 400, params
        assert message in response.content.decode(), params


def test_public_evidence_files_only(client):
    claim = _published("Troops crossed the river.")
    shown = f.evidence(claim=claim, file=f.png_upload("bridge.png"), public=True)
    internal = f.evidence(claim=claim, file=f.png_upload("notes.png"))
    download = client.get(f"/fact-checks/{claim.pk}/evidence/{shown.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == f.PNG_BYTES
    assert client.get(f"/fact-checks/{claim.pk}/evidence/{internal.pk}/").status_code == 404
    claim_unpublish(actor=f.reviewer(), claim=claim, reason="Retracted.", channel=Channel.API)
    assert client.get(f"/fact-checks/{claim.pk}/evidence/{shown.pk}/").status_code == 404
