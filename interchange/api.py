"""REST API of imports: /api/v1/imports/ (a file or a URL, run by a worker; 202, then poll)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.parsers import BoundedJSONParser
from api.serializers import KnownFieldsOnly, StrictBooleanField, WebAddressField
from core import permissions
from interchange import services
from interchange.models import Import

UUID_REGEX = "[0-9a-fA-F-]{36}"


class RefusalSerializer(serializers.Serializer[Any]):
    where = serializers.CharField(help_text="Where the item is in the source.")
    reason = serializers.CharField()


class SimilarBriefSerializer(serializers.Serializer[Any]):
    claim = serializers.UUIDField()
    text = serializers.CharField()
    status = serializers.CharField()
    match = serializers.CharField(help_text="text, wording or meaning.")
    reason = serializers.CharField()
    score = serializers.FloatField()


class DuplicateSerializer(serializers.Serializer[Any]):
    claim = serializers.UUIDField(help_text="A claim the import created.")
    text = serializers.CharField()
    similar = SimilarBriefSerializer(many=True, help_text="The claims it looks like, best first.")


class ImportSerializer(serializers.ModelSerializer[Import]):
    created_by = serializers.SlugRelatedField[Any](
        slug_field="username", read_only=True, allow_null=True
    )
    refusals = RefusalSerializer(
        many=True, read_only=True, help_text="The refused items (the first 1,000), and why."
    )
    duplicates = DuplicateSerializer(
        many=True,
        read_only=True,
        help_text="The new claims (of the first 500 it created) that look like claims already "
        "here, with the similar claims: suggestions, for a person to merge or not.",
    )
    summary = serializers.CharField(read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Import
        fields = [
            "id",
            "source",
            "url",
            "dry_run",
            "status",
            "error",
            "read",
            "created",
            "updated",
            "unchanged",
            "refused",
            "summary",
            "refusals",
            "duplicates",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
            "links",
        ]

    def get_links(self, run: Import) -> dict[str, str]:
        request = self.context["request"]
        return {
            "self": request.build_absolute_uri(reverse("api:import-detail", args=[run.pk])),
        }


class ImportInputSerializer(KnownFieldsOnly):
    file = serializers.FileField(
        required=False,
        allow_empty_file=False,
        help_text="ClaimReview JSON-LD, JSON Lines, an HTML page, a Fact Check Tools API "
        "response or a DataFeed (multipart/form-data); or give a url instead.",
    )
    url = WebAddressField(
        required=False, allow_blank=True, help_text="Where to read it from; or upload a file."
    )
    dry_run = StrictBooleanField(
        required=False, default=False, help_text="Read and report; change nothing."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        upload = attrs.get("file")
        services.import_source_check(
            file_size=None if upload is None else upload.size, url=attrs.get("url", "")
        )
        return attrs


@extend_schema_view(
    list=extend_schema(summary="Imports, the latest first"),
    create=extend_schema(
        summary="Import fact checks from a file or a URL",
        description="Reads schema.org ClaimReview (JSON-LD: an object, a list, an @graph, JSON "
        "Lines; HTML pages with JSON-LD or microdata), Fact Check Tools API `claims:search` "
        "responses and DataFeeds. Answers 202 at once: a worker runs the import; poll the "
        "import (`links.self`) for its status, counts and refused items. A review is "
        "identified by its URL: importing it again updates it in place or changes nothing.",
        request={
            "multipart/form-data": ImportInputSerializer,
            "application/json": ImportInputSerializer,
        },
        responses={202: ImportSerializer},
    ),
    retrieve=extend_schema(summary="An import: its status, counts and refused items"),
)
class ImportViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Import],
):
    """Imports of other publishers' fact checks."""

    serializer_class = ImportSerializer
    parser_classes = [BoundedJSONParser, MultiPartParser]
    lookup_value_regex = UUID_REGEX
    cursor_ordering = ("-created_at", "-id")
    required_perms = {
        "GET": [permissions.VIEW_IMPORT],
        "POST": [permissions.IMPORT_REVIEWS],
    }

    def get_queryset(self) -> QuerySet[Import]:
        return Import.objects.select_related("created_by").defer("content")

    def get_serializer_class(self) -> Any:
        return ImportInputSerializer if self.request.method == "POST" else ImportSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.get("file")
        run = services.import_create(
            actor=request.user,
            source=upload.name if upload else data["url"],
            content=upload.read() if upload else None,
            url=data.get("url", ""),
            dry_run=data["dry_run"],
        )
        services.import_queue(run=run)
        output = ImportSerializer(run, context=self.get_serializer_context()).data
        return Response(
            output, status=status.HTTP_202_ACCEPTED, headers={"Location": output["links"]["self"]}
        )
