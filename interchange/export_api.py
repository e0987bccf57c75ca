"""``GET /api/v1/claims/export/``: every claim the claims list's filters select, as a file,
streamed (interchange.exporting)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request

from api.filters import ClaimFilter, StrictOrderingFilter
from api.negotiation import FileNegotiation
from api.schema import AutoSchema
from api.serializers import BLANK
from api.views import visible_claim_rows
from claims.models import Claim
from core import permissions
from interchange import exporting

FORMAT_PARAMETER = "format"
ORDERING_FIELDS = ["updated_at", "created_at", "first_seen_at"]


class _NoFormatOverride:
    """DRF's settings as the negotiation reads them: no query parameter names a renderer."""

    URL_FORMAT_OVERRIDE = None


class ExportNegotiation(FileNegotiation):
    """``?format=`` names the export's format here, not a renderer (DRF's override, which
    answers 404 for a format it has no renderer for): only Accept is negotiated, and only
    errors are rendered; the export is a file whatever Accept asks for."""

    settings = _NoFormatOverride()  # type: ignore[assignment]  # the one it reads


class ExportInputSerializer(serializers.Serializer[Any]):
    format = serializers.ChoiceField(
        choices=exporting.FORMATS,
        default=exporting.DEFAULT_FORMAT,
        error_messages={
            "invalid_choice": f"Export as one of {', '.join(exporting.FORMATS)}, not {{input!r}}."
        },
    )


class ClaimExportSchema(AutoSchema):
    """The claims list's filter parameters, on an operation that answers with a file."""

    def get_filter_backends(self) -> list[Any]:
        return [DjangoFilterBackend]


_FILE = "Every claim the filters select; sent as it is read, as an attachment."


class ClaimExportApi(generics.GenericAPIView[Claim]):
    """Exports the claims a reader may see: anonymous readers (with ``API_PUBLIC_VERDICTS``)
    the published fact checks only, as the claims list shows them."""

    queryset = Claim.objects.none()  # the schema's model; requests use visible_claim_rows
    filterset_class = ClaimFilter  # the filters it takes (claims_filtered applies them)
    ordering_fields = ORDERING_FIELDS
    pagination_class = None
    content_negotiation_class: type[BaseContentNegotiation] = ExportNegotiation
    schema = ClaimExportSchema()
    public_read = True
    required_perms = {"GET": [permissions.VIEW_CLAIM]}

    @extend_schema(
        summary="Export claims",
        description="Every claim the filters select (the claims list's, with no page and no "
        "cap: `q` finds every match, unranked), streamed as an attachment. `csv`: one row a "
        "claim, UTF-8 with a byte order mark; a text cell that begins with =, +, -, @, a tab or "
        "a carriage return gets a leading apostrophe (spreadsheets would run it as a formula). "
        "`jsonl`: one claim a line, with its tags, appearances and other publishers' reviews. "
        "`claimreview`: a JSON-LD array of schema.org ClaimReview, ours for each published fact "
        "check and one for each other publisher's review, which `POST /api/v1/imports/` reads "
        "back. Anonymous readers get no assignee (an empty cell, null) and may not filter by "
        "`assignee`.",
        operation_id="claims_export",
        parameters=[
            OpenApiParameter(
                FORMAT_PARAMETER,
                # Empty is no choice, as for the filters: the default.
                {"anyOf": [{"type": "string", "enum": list(exporting.FORMATS)}, dict(BLANK)]},
                OpenApiParameter.QUERY,
                default=exporting.DEFAULT_FORMAT,
                description=f"The file's format (default {exporting.DEFAULT_FORMAT}).",
            ),
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="Full-text search over claim text, summary, claimant, statement "
                'quotes and source names, in every language: words (all must match), "a '
                'phrase", `or`, `-word`. Every match, in the order of `ordering`.',
            ),
            OpenApiParameter(
                "lang",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="The language of `q` (default en), for stemming it.",
            ),
            OpenApiParameter(
                "ordering",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description=f"Order by {', '.join(ORDERING_FIELDS)}; several separated by "
                "commas, each prefixed with - for descending. Default created_at, the oldest "
                "first.",
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=_FILE),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description=_FILE),
            (200, "application/ld+json"): OpenApiResponse(
                {"type": "array", "items": {"type": "object"}}, description=_FILE
            ),
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        given = ExportInputSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        claims: QuerySet[Claim, Any] = exporting.claims_filtered(
            visible_claim_rows(request), request.query_params, request=request
        )
        ordering: list[str] = list(exporting.DEFAULT_ORDERING)
        if request.query_params.get("ordering", "").strip():
            ordering = StrictOrderingFilter().get_ordering(request, claims, self)
        return exporting.claims_export_response(
            claims,
            given.validated_data["format"],
            ordering=ordering,
            internal=request.user.is_authenticated,
        )
