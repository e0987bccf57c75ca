"""Exporting claims: every claim a query selects, as CSV, JSON Lines or ClaimReview, streamed.

The one home of the export formats; the API (``GET /api/v1/claims/export/``), the admin's
Export button and ``manage.py export_claims`` all call ``claims_export``. The claims are read
with a server-side cursor, ``CHUNK_SIZE`` at a time, inside one transaction (outside one,
Django holds the cursor and PostgreSQL computes the whole result before the first row: at a
million claims the download would wait for all of them; inside, rows come as they are
written, and the export is one consistent snapshot), and what each chunk needs besides its rows
(appearances; for ClaimReview the claimants and our published fact checks) is loaded in a fixed
number of queries per chunk: memory stays flat and the number of queries does not grow with
the number of claims. Tags, counts and other publishers' reviews come in the rows themselves
(``claims.selectors.claim_rows``, the rows the API shows).

Formats:

- ``csv``: a header and one row per claim, UTF-8 with a byte order mark. Excel takes a CSV
  without one for the computer's legacy code page and shows Arabic or Cyrillic text as
  mojibake; with it, Excel, LibreOffice and Numbers all read UTF-8 (a program reading the file
  should decode it as ``utf-8-sig``). A text cell that begins with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return gets a leading apostrophe (``spreadsheet_safe``): a spreadsheet
  would run it as a formula (``=HYPERLINK(...)``: formula injection). The CSV is for
  spreadsheets; JSON Lines and ClaimReview carry the text exactly.
- ``jsonl``: one JSON object per claim and line, with its tags, appearances and other
  publishers' reviews (with the verdict each label maps to).
- ``claimreview``: schema.org ClaimReview JSON-LD, one object per review: ours for each fact
  check published now (``publishing.claimreview``, as its page and the DataFeed say it) and one
  for each other publisher's review we hold, with its own URL, publisher, headline and rating
  as written. A JSON array of them, one a line: a single JSON-LD document (JSON Lines is not
  JSON-LD), which ``interchange.reading.reviews_read`` reads as it reads any list, so that
  importing the file into another tracker reproduces the reviews and their claims.

An anonymous reader (the API's, with ``API_PUBLIC_VERDICTS``) is not shown who is assigned a
claim, as in the API's claims: the CSV's ``assignee`` is empty, JSON Lines' null (ClaimReview
names no reviewer: its author is the publisher).

Dates are ISO 8601 in UTC (``2022-02-15T09:30:00Z``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from rest_framework.request import Request

from api.filters import ClaimFilter
from claims.models import Appearance, Claim, Source
from claims.search import claim_fulltext
from claims.selectors import claim_rows
from publishing.claimreview import (
    CONTEXT,
    claim_review,
    json_ld_appearance,
    json_ld_author,
    json_ld_compact,
    json_ld_date,
    json_text,
)
from publishing.models import PublicationState
from publishing.selectors import FactCheck, fact_checks, public_url, publication_state


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    content_type: str
    extension: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "CSV", "text/csv; charset=utf-8", "csv"),
    "jsonl": ExportFormat("jsonl", "JSON Lines", "application/x-ndjson", "jsonl"),
    "claimreview": ExportFormat(
        "claimreview", "ClaimReview", "application/ld+json", "claimreview.json"
    ),
}
FORMATS = tuple(EXPORT_FORMATS)
DEFAULT_FORMAT = "csv"
# A stable order: the claims as they were recorded.
DEFAULT_ORDERING = ("created_at", "id")
# Claims read and written per round trip to the database.
CHUNK_SIZE = 500

Progress = Callable[[int], None]


def unknown_format_message(name: str) -> str:
    return f"There is no export format {name[:40]!r}; use one of: {', '.join(FORMATS)}."


def export_filename(export_format: str, *, now: datetime | None = None) -> str:
    """``claims-20250301-142500.csv``: the time of the export, in UTC."""
    moment = (now or timezone.now()).astimezone(UTC)
    return f"claims-{moment:%Y%m%d-%H%M%S}.{EXPORT_FORMATS[export_format].extension}"


# --- Which claims ---------------------------------------------------------------------------


def claims_filtered(
    claims: QuerySet[Claim, Any], params: Mapping[str, Any], *, request: Request | None = None
) -> QuerySet[Claim, Any]:
    """``claims`` narrowed by the claims list's filters (``api.filters.ClaimFilter``, the one
    home of their rules), given as query parameters by ``request``'s reader (none: the
    command line's). ``q`` searches PostgreSQL's full text (``claims.search.claim_fulltext``):
    every match, unranked, with no cap on their number. ``ValidationError`` naming each
    refused parameter."""
    filterset = ClaimFilter(params, queryset=claims, request=request)
    if not filterset.is_valid():
        raise ValidationError({name: list(messages) for name, messages in filterset.errors.items()})
    given = filterset.form.cleaned_data
    return claim_fulltext(filterset.qs, q=given.get("q") or "", language=given.get("lang"))


def _rows(claims: QuerySet[Claim, Any], ordering: Sequence[str]) -> QuerySet[Claim, Any]:
    # Whatever the caller's queryset holds (the API's rows, the admin's models, a search), the
    # export reads the same rows: the claims it selects, by id.
    return claim_rows().filter(pk__in=claims.values("pk")).order_by(*ordering)


# --- Chunks ---------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """Claims' rows and what they need besides, loaded for all of them at once."""

    rows: list[dict[str, Any]]
    internal: bool  # whether the reader is signed in (anonymous: not shown the assignee)
    appearances: dict[UUID, list[Appearance]] = field(default_factory=dict)
    claimants: dict[UUID, Source] = field(default_factory=dict)
    fact_checks: dict[UUID, FactCheck] = field(default_factory=dict)


def _chunks(
    rows: QuerySet[Claim, Any],
    *,
    size: int,
    with_reviews: bool,
    internal: bool,
    progress: Progress | None,
) -> Iterator[_Chunk]:
    now = timezone.now()
    read = 0
    iterator = rows.iterator(chunk_size=size)
    while batch := list(islice(iterator, size)):
        ids = [row["id"] for row in batch]
        chunk = _Chunk(rows=batch, internal=internal)
        for appearance in Appearance.objects.filter(claim_id__in=ids):
            chunk.appearances.setdefault(appearance.claim_id, []).append(appearance)
        if with_reviews:
            claimant_ids = {row["claimant_id"] for row in batch if row["claimant_id"]}
            chunk.claimants = Source.objects.in_bulk(claimant_ids) if claimant_ids else {}
            public = [row["id"] for row in batch if _state(row, now) == PublicationState.PUBLISHED]
            if public:
                published = fact_checks(Claim.objects.filter(pk__in=public))
                chunk.fact_checks = {check.claim.pk: check for check in published}
        yield chunk
        read += len(batch)
        if progress is not None:
            progress(read)


def _state(row: Mapping[str, Any], now: datetime | None = None) -> PublicationState:
    return publication_state(
        publish_at=row["publication__publish_at"],
        unpublished_at=row["publication__unpublished_at"],
        now=now,
    )


def _moment(value: datetime | str | None) -> str | None:
    """A date-time (or one written in PostgreSQL's JSON) in UTC, ISO 8601."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return json_ld_date(value)


# --- CSV ------------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"
TAG_SEPARATOR = "; "


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet shows it rather than runs it: a leading apostrophe before a
    formula's first character (OWASP's advice on CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _public_url(row: Mapping[str, Any], state: PublicationState) -> str | None:
    if state != PublicationState.PUBLISHED:
        return None
    return public_url(row["id"], row["publication__slug"])


def _first_url(appearances: list[Appearance]) -> str | None:
    return appearances[0].url if appearances else None


def _csv_values(row: Mapping[str, Any], chunk: _Chunk) -> list[Any]:
    state = _state(row)
    published = state == PublicationState.PUBLISHED
    appearances = chunk.appearances.get(row["id"], [])
    return [
        row["id"],
        row["text"],
        row["summary"],
        row["status"],
        row["language"],
        row["claimant__name"],
        row["claimant__role"],
        row["first_seen_at"],
        TAG_SEPARATOR.join(row["tag_names"]),
        row["assignee__username"] if chunk.internal else None,
        state.value,
        row["publication__verdict"] if published else None,
        row["publication__rating_label"] if published else None,
        _public_url(row, state),
        _first_url(appearances),
        len(appearances),
        len(row["review_list"]),
        row["supporting_count"],
        row["countering_count"],
        row["evidence_count"],
        row["imported__source"],
        row["created_at"],
        row["updated_at"],
    ]


CSV_HEADER = (
    "id",
    "text",
    "summary",
    "status",
    "language",
    "claimant",
    "claimant_role",
    "first_seen_at",
    "tags",
    "assignee",
    "publication_state",
    "published_verdict",
    "published_rating",
    "public_url",
    "first_appearance_url",
    "appearances",
    "external_reviews",
    "supporting_statements",
    "countering_statements",
    "evidence",
    "imported_from",
    "created_at",
    "updated_at",
)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return json_ld_date(value)
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return value  # numbers, ids


def _csv(chunks: Iterable[_Chunk]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: commas, quoted fields, doubled quotes, CRLF

    def written() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_HEADER)
    yield BYTE_ORDER_MARK + written()  # at once, before the first query
    for chunk in chunks:
        writer.writerows([_cell(v) for v in _csv_values(row, chunk)] for row in chunk.rows)
        yield written()


# --- JSON Lines -----------------------------------------------------------------------------


def _appearance_json(appearance: Appearance) -> dict[str, Any]:
    return {
        "url": appearance.url,
        "outlet": appearance.outlet,
        "published_at": _moment(appearance.published_at),
        "quote": appearance.quote,
    }


def _claim_json(row: Mapping[str, Any], chunk: _Chunk) -> dict[str, Any]:
    state = _state(row)
    claimant_id = row["claimant_id"]
    return {
        "id": str(row["id"]),
        "text": row["text"],
        "summary": row["summary"],
        "status": row["status"],
        "language": row["language"],
        "claimant": None
        if claimant_id is None
        else {"id": str(claimant_id), "name": row["claimant__name"], "role": row["claimant__role"]},
        "first_seen_at": _moment(row["first_seen_at"]),
        "tags": row["tag_names"],
        "assignee": row["assignee__username"] if chunk.internal else None,
        "publication": {
            "state": state.value,
            "verdict": row["publication__verdict"],
            "rating_label": row["publication__rating_label"],
            "published_at": _moment(row["publication__first_published_at"]),
            "public_url": _public_url(row, state),
        },
        "appearances": [_appearance_json(item) for item in chunk.appearances.get(row["id"], [])],
        "reviews": [
            {**review, "reviewed_at": _moment(review["reviewed_at"])}
            for review in row["review_list"]
        ],
        "supporting_count": row["supporting_count"],
        "countering_count": row["countering_count"],
        "evidence_count": row["evidence_count"],
        "imported_from": row["imported__source"],
        "version": row["version"],
        "created_at": _moment(row["created_at"]),
        "updated_at": _moment(row["updated_at"]),
    }


def _jsonl(chunks: Iterable[_Chunk]) -> Iterator[str]:
    for chunk in chunks:
        yield "".join(
            json.dumps(_claim_json(row, chunk), ensure_ascii=False) + "\n" for row in chunk.rows
        )


# --- ClaimReview ----------------------------------------------------------------------------


def _claimant_json(source: Source) -> dict[str, Any]:
    author = json_ld_author(source)
    # Our page of the claimant lists only their published fact checks: not a reference here.
    author.pop("sameAs", None)
    return author


def _item_reviewed(
    row: Mapping[str, Any], claimant: Source | None, appearances: list[Appearance]
) -> dict[str, Any]:
    """The claim as schema.org Claim: the same properties as our own ClaimReview's."""
    first = appearances[0] if appearances else None
    return json_ld_compact(
        {
            "@type": "Claim",
            "author": _claimant_json(claimant) if claimant else None,
            "datePublished": json_ld_date(
                row["first_seen_at"] or (first.published_at if first else None)
            ),
            "appearance": [json_ld_appearance(item) for item in appearances],
            "firstAppearance": json_ld_appearance(first) if first else None,
        }
    )


def _external_review(
    row: Mapping[str, Any], review: Mapping[str, Any], item_reviewed: dict[str, Any]
) -> dict[str, Any]:
    """Another publisher's review, as its ClaimReview said it (``interchange.reading``)."""
    site = review["publisher_site"]
    return json_ld_compact(
        {
            "@context": CONTEXT,
            "@type": "ClaimReview",
            "url": review["url"],
            "claimReviewed": row["text"],
            "author": json_ld_compact(
                {
                    "@type": "Organization",
                    "name": review["publisher_name"],
                    "url": f"https://{site}" if site else None,
                }
            ),
            "headline": review["title"],
            "datePublished": _moment(review["reviewed_at"]),
            "inLanguage": review["language"],
            "reviewRating": json_ld_compact(
                {
                    "@type": "Rating",
                    "alternateName": review["rating_label"],  # as the publisher wrote it
                    "ratingValue": review["rating_value"],
                    "bestRating": review["best_rating"],
                    "worstRating": review["worst_rating"],
                }
            ),
            "itemReviewed": item_reviewed,
        }
    )


def _claim_reviews(row: Mapping[str, Any], chunk: _Chunk) -> Iterator[dict[str, Any]]:
    fact_check = chunk.fact_checks.get(row["id"])
    if fact_check is not None:
        yield claim_review(fact_check)
    if row["review_list"]:
        claimant = chunk.claimants.get(row["claimant_id"]) if row["claimant_id"] else None
        item = _item_reviewed(row, claimant, chunk.appearances.get(row["id"], []))
        for review in row["review_list"]:
            yield _external_review(row, review, item)


def _claimreview(chunks: Iterable[_Chunk]) -> Iterator[str]:
    yield "["
    separator = "\n"
    for chunk in chunks:
        parts = []
        for row in chunk.rows:
            for review in _claim_reviews(row, chunk):
                parts.append(separator + json_text(review))
                separator = ",\n"
        if parts:
            yield "".join(parts)
    yield "\n]\n"


_WRITERS: dict[str, Callable[[Iterable[_Chunk]], Iterator[str]]] = {
    "csv": _csv,
    "jsonl": _jsonl,
    "claimreview": _claimreview,
}


# --- Exports --------------------------------------------------------------------------------


def claims_export(
    claims: QuerySet[Claim, Any],
    export_format: str,
    *,
    ordering: Sequence[str] = DEFAULT_ORDERING,
    internal: bool = True,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
) -> Iterator[str]:
    """The claims ``claims`` selects (any queryset of claims: its rows, ordering and
    annotations do not matter), in ``export_format`` (one of ``FORMATS``; ``ValueError``
    otherwise), ordered by ``ordering``: the text, chunk by chunk. ``internal`` is false for
    an anonymous reader, who is not shown who is assigned each claim (as in the API's
    claims). ``progress`` is called with the number of claims written so far after each
    chunk. Nothing is read before the first chunk is asked for."""
    if export_format not in _WRITERS:
        raise ValueError(unknown_format_message(export_format))
    chunks = _chunks(
        _rows(claims, ordering),
        size=chunk_size,
        with_reviews=export_format == "claimreview",
        internal=internal,
        progress=progress,
    )
    return _in_one_transaction(_WRITERS[export_format](chunks))


def _in_one_transaction(texts: Iterator[str]) -> Iterator[str]:
    """``texts``, read in one transaction: ended (rolled back, nothing was written) when the
    last is sent or the download is abandoned (the generator is closed)."""
    with transaction.atomic():
        yield from texts


def claims_export_response(
    claims: QuerySet[Claim, Any],
    export_format: str,
    *,
    ordering: Sequence[str] = DEFAULT_ORDERING,
    internal: bool = True,
) -> StreamingHttpResponse:
    """The export as a download, streamed (the API's and the admin's)."""
    response = StreamingHttpResponse(
        claims_export(claims, export_format, ordering=ordering, internal=internal),
        content_type=EXPORT_FORMATS[export_format].content_type,
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export_filename(export_format)
    )
    # A proxy that buffers responses (nginx does by default) would hold it back until the end.
    response["X-Accel-Buffering"] = "no"
    return response
