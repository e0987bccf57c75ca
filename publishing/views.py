"""The public site: published fact checks, their claimants, and the feeds.

Every view starts from ``publishing.selectors.public_claims`` at the time of the request: a
claim under embargo or unpublished is a 404 everywhere. Pages carry an ETag and
``Cache-Control: public, no-cache`` (a cache asks again every time, so an unpublished fact
check is gone at the next request).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import conditional_page, require_safe

from claims.models import Claim, Source
from core.sites import site_url
from interchange.selectors import claim_reviews
from publishing import claimreview, selectors
from search.backends import MAX_RESULTS, claim_search
from search.index import Filters, query_problem
from verification.models import CaptureState, Evidence, EvidenceCapture
from verification.views import capture_file_response, evidence_file_response
from verification.workflow import VERDICTS

_Response = TypeVar("_Response", bound=HttpResponseBase)


def _public(response: _Response) -> _Response:
    patch_cache_control(response, public=True, no_cache=True)
    return response


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    body = render_to_string("public/bad_request.html", {"message": message}, request)
    return HttpResponseBadRequest(body)


@dataclass(frozen=True)
class Listing:
    """A page of fact checks (claims with their publication), and where the next ones are."""

    claims: list[Any]
    page: int
    has_next: bool
    total: int | None = None  # known for a search


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= 10_000:
        raise ValueError(f"page is a number from 1 to 10000, not {text[:20]!r}.")
    return int(text)


def _verdict(request: HttpRequest) -> str:
    verdict = request.GET.get("verdict", "")
    if verdict and verdict not in VERDICTS:
        raise ValueError(f"verdict is one of {', '.join(VERDICTS)}, not {verdict[:40]!r}.")
    return verdict


def _listing(
    request: HttpRequest, *, verdict: str, claimant: Source | None = None, q: str = ""
) -> Listing:
    size = settings.PUBLIC_PAGE_SIZE
    page = _page_number(request)
    offset = (page - 1) * size
    if not q:
        newest = selectors.public_list(verdict=verdict, claimant=claimant)
        claims = list(newest[offset : offset + size + 1])
        return Listing(claims[:size], page, len(claims) > size)
    found = claim_search(
        q,
        filters=Filters(
            public_at=timezone.now(),
            public_verdicts=[verdict] if verdict else (),
            claimant_id=str(claimant.pk) if claimant else "",
        ),
        limit=size,
        offset=offset,
    )
    # Read again through the same rule and filters: a claim changed since it was indexed
    # is shown as it is now, or left out.
    shown = selectors.public_list(verdict=verdict, claimant=claimant, ids=found.ids)
    rows = {str(claim.pk): claim for claim in shown}
    claims = [rows[claim_id] for claim_id in found.ids if claim_id in rows]
    return Listing(claims, page, offset + size < min(found.total, MAX_RESULTS), found.total)


def _list_page(
    request: HttpRequest, template: str, *, claimant: Source | None = None, **context: Any
) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    try:
        verdict = _verdict(request)
        if problem := query_problem(q):
            raise ValueError(problem)
        listing = _listing(request, verdict=verdict, claimant=claimant, q=q)
    except ValueError as error:
        return _bad_request(request, str(error))
    context |= {
        "listing": listing,
        "q": q,
        "verdict": verdict,
        "verdicts": [(value, value.label) for value in VERDICTS],
        "claimant": claimant,
    }
    return _public(render(request, template, context))


@require_safe
@conditional_page
def fact_check_list(request: HttpRequest) -> HttpResponse:
    """``/``: the published fact checks, newest first; filter by verdict, search."""
    return _list_page(request, "public/fact_check_list.html")


@require_safe
@conditional_page
def claimant_detail(request: HttpRequest, source_id: UUID) -> HttpResponse:
    """A claimant's published fact checks (404 for a source with none)."""
    source = get_object_or_404(Source, pk=source_id)
    if not selectors.public_claims().filter(claimant=source).exists():
        raise Http404("No published fact check of this claimant.")
    return _list_page(request, "public/claimant.html", claimant=source)


@require_safe
@conditional_page
def fact_check_detail(request: HttpRequest, claim_id: UUID, slug: str = "") -> HttpResponse:
    """A fact check's page, at its canonical address (another slug redirects there)."""
    fact_check = selectors.fact_check_get(claim_id)
    if fact_check is None:
        merged_into = (
            Claim.objects.filter(pk=claim_id, merged_into__isnull=False)
            .values_list("merged_into", flat=True)
            .first()
        )
        if merged_into is not None:  # a duplicate: its readers go to the claim it repeats
            return HttpResponsePermanentRedirect(
                reverse("public:fact-check-short", args=[merged_into])
            )
        raise Http404("No published fact check here.")
    if slug != fact_check.publication.slug:
        return HttpResponsePermanentRedirect(fact_check.path)
    context = {
        "fact_check": fact_check,
        "claim": fact_check.claim,
        "publication": fact_check.publication,
        "claim_review": claimreview.json_ld(claimreview.claim_review(fact_check)),
        "publisher": claimreview.publisher(),
        "external_reviews": claim_reviews(claim_id=claim_id),
    }
    return _public(render(request, "public/fact_check.html", context))


@require_safe
def public_evidence_file(request: HttpRequest, claim_id: UUID, evidence_id: UUID) -> FileResponse:
    """A file reviewers chose to show with a published fact check."""
    if not selectors.public_claims().filter(pk=claim_id).exists():
        raise Http404("No published fact check here.")
    evidence = get_object_or_404(
        Evidence, pk=evidence_id, claim_id=claim_id, public=True, withdrawn_at__isnull=True
    )
    return _public(evidence_file_response(evidence))


@require_safe
def public_capture_file(
    request: HttpRequest, claim_id: UUID, evidence_id: UUID, capture_id: UUID
) -> FileResponse:
    """The archived copy of a web page cited as public evidence, as a download."""
    if not selectors.public_claims().filter(pk=claim_id).exists():
        raise Http404("No published fact check here.")
    capture = get_object_or_404(
        EvidenceCapture,
        pk=capture_id,
        evidence_id=evidence_id,
        evidence__claim_id=claim_id,
        evidence__public=True,
        evidence__withdrawn_at__isnull=True,
        state=CaptureState.SUCCEEDED,
    )
    return _public(capture_file_response(capture, "content"))


def _data_feed() -> Iterator[str]:
    head = {
        "@context": claimreview.CONTEXT,
        "@type": "DataFeed",
        "name": f"{settings.PUBLISHER_NAME}: fact checks",
        "url": site_url(reverse("public:data-feed")),
        "dateModified": timezone.now().isoformat(),
        "publisher": claimreview.publisher(),
    }
    opening = claimreview.json_text(head)[:-1]
    yield opening + ',"dataFeedElement":['
    first = True
    for fact_check in selectors.fact_checks_stream():
        review = claimreview.claim_review(fact_check)
        review.pop("@context")
        yield ("" if first else ",") + claimreview.json_text(review)
        first = False
    yield "]}"


@require_safe
def data_feed(request: HttpRequest) -> StreamingHttpResponse:
    """Every published ClaimReview as one schema.org DataFeed (as Data Commons publishes)."""
    return _public(StreamingHttpResponse(_data_feed(), content_type="application/ld+json"))
