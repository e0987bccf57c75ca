"""The REST API: thin views over the same services the admin uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import generics, mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema
from api.etags import etag, not_modified, version_from_if_match
from api.filters import (
    REVIEW_FILTERS,
    ClaimFilter,
    SourceFilter,
    StatementFilter,
    StrictOrderingFilter,
    tag_name,
)
from api.negotiation import FileNegotiation
from api.pagination import ClaimPage
from api.parsers import BoundedJSONParser
from api.serializers import (
    AppearanceSerializer,
    ApproveInputSerializer,
    ClaimInputSerializer,
    ClaimLinkInputSerializer,
    ClaimLinkSerializer,
    ClaimSerializer,
    EvidenceCaptureSerializer,
    EvidenceInputSerializer,
    EvidencePublicInputSerializer,
    EvidenceSerializer,
    MergeInputSerializer,
    NoInputSerializer,
    PublishInputSerializer,
    RejectInputSerializer,
    SimilarQuerySerializer,
    SimilarResultsSerializer,
    SimilarScopeSerializer,
    SimilarSerializer,
    SourceSerializer,
    StatementInputSerializer,
    StatementSerializer,
    StatusChangeSerializer,
    TransitionInputSerializer,
    UnpublishInputSerializer,
    VerdictProposalSerializer,
    WithdrawInputSerializer,
)
from claims import selectors
from claims import services as claim_services
from claims.models import Appearance, Claim, ClaimLink, ClaimStatus, Source, Statement
from core import permissions
from matching import services as matching_services
from matching.selectors import Scope, claims_similar
from publishing import services as publishing_services
from publishing.selectors import public_condition
from search.backends import claim_search, found_rows
from search.index import Filters
from verification import capture
from verification import selectors as verification_selectors
from verification import services as verification_services
from verification.models import Channel, Evidence, EvidenceCapture, StatusChange, VerdictProposal
from verification.views import capture_file_response, evidence_file_response


def with_etag(request: Request, response: Response, version: int) -> Response:
    """``response`` with the ETag of what ``request``'s reader sees of ``version``."""
    response["ETag"] = etag(request, version)
    patch_vary_headers(response, ["Authorization"])  # what a reader sees depends on who it is
    return response


# --- Sources -------------------------------------------------------------------------------


@schema.source_viewset
class SourceViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Source],
):
    """People and organisations that make statements."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    filterset_class = SourceFilter
    cursor_ordering = ("name", "id")
    required_perms = {
        "GET": [permissions.VIEW_SOURCE],
        "POST": [permissions.ADD_SOURCE],
        "PUT": [permissions.CHANGE_SOURCE],
        "PATCH": [permissions.CHANGE_SOURCE],
    }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = claim_services.source_create(actor=request.user, **serializer.validated_data)
        return with_etag(
            request,
            Response(self.get_serializer(source).data, status=status.HTTP_201_CREATED),
            source.version,
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        source = self.get_object()
        if not_modified(request, source.version):
            return with_etag(request, Response(status=status.HTTP_304_NOT_MODIFIED), source.version)
        return with_etag(request, Response(self.get_serializer(source).data), source.version)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        source = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = self.get_serializer(source, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)  # an invalid body is a 400 whatever its If-Match
        version = version_from_if_match(request)
        source = claim_services.source_update(
            actor=request.user, source=source, version=version, data=serializer.validated_data
        )
        return with_etag(request, Response(self.get_serializer(source).data), source.version)


# --- Claims --------------------------------------------------------------------------------


def visible_claim_rows(request: Request) -> QuerySet[Claim, dict[str, Any]]:
    """The claims the request may read, as the rows ClaimSerializer shows."""
    queryset = selectors.claim_rows()
    if not request.user.is_authenticated:
        queryset = queryset.filter(public_condition())  # published fact checks only
    return queryset


def search_filters(request: Request, given: dict[str, Any]) -> Filters:
    """The list's filters as the search engine applies them (an anonymous reader's within the
    published fact checks)."""
    statuses = set(given.get("status") or ClaimStatus.values)
    claimant = given.get("claimant")
    return Filters(
        public_at=None if request.user.is_authenticated else timezone.now(),
        statuses=sorted(statuses) if statuses != set(ClaimStatus.values) else (),
        tags=[tag_name(given["tag"])] if given.get("tag") else [],
        claimant_id=str(claimant) if claimant else "",
        assignee=given.get("assignee") or "",
        updated_since=given.get("updated_since"),
        created_after=given.get("created_after"),
        created_before=given.get("created_before"),
    )


def claim_response(
    request: Request, claim_id: Any, status_code: int = status.HTTP_200_OK
) -> Response:
    """The claim as stored now, with its ETag."""
    row = visible_claim_rows(request).get(pk=claim_id)
    data = ClaimSerializer(row, context={"request": request}).data
    return with_etag(request, Response(data, status=status_code), row["version"])


@schema.claim_viewset
class ClaimViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Claim],
):
    """Claims. Their status changes only through ``transitions/``."""

    serializer_class = ClaimSerializer
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    filterset_class = ClaimFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["updated_at", "created_at", "first_seen_at"]
    # Cursor pages need a value in every row: a claim first seen at no stated time was at
    # the latest first seen when it was recorded.
    ordering_annotations = {"first_seen_at": Coalesce("first_seen_at", "created_at")}
    ordering = ["-updated_at"]
    pagination_class = ClaimPage
    http_method_names = ["get", "post", "patch", "head", "options"]
    public_read = True
    required_perms = {
        "GET": [permissions.VIEW_CLAIM],
        "POST": [permissions.ADD_CLAIM],
        "PATCH": [permissions.CHANGE_CLAIM],
    }

    def get_queryset(self) -> QuerySet[Claim, Any]:
        if self.request.method == "PATCH":
            return Claim.objects.all()  # the claim itself, for the service
        return visible_claim_rows(self.request)

    def filter_queryset(self, queryset: QuerySet[Claim, Any]) -> QuerySet[Claim, Any]:
        # The filters and ordering are the list's; one claim is found by its id alone (and
        # building the filter set for it was a tenth of a detail request, bench/).
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self) -> Any:
        if self.request.method in ("POST", "PATCH"):
            return ClaimInputSerializer
        return ClaimSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not request.query_params.get("q", "").strip():
            return super().list(request, *args, **kwargs)
        filterset = ClaimFilter(request.query_params, self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        given = filterset.form.cleaned_data
        q = given["q"]
        combined = [name for name in REVIEW_FILTERS if given.get(name) not in (None, "")]
        if combined:
            raise ValidationError(
                {
                    combined[0]: [
                        f"{combined[0]} cannot be combined with q: the search index does not "
                        "hold other publishers' reviews. Filter without q, or export."
                    ]
                }
            )
        # A search: a page of ids from the search engine, in its order, then their rows from
        # PostgreSQL as they are now (found_rows).
        ordering = StrictOrderingFilter().get_ordering(request, filterset.queryset, self)
        order = ordering[0].removesuffix("_sort_key") if ordering[0] != "-rank" else ""
        page = cast("ClaimPage", self.paginator)
        offset, limit = page.search_window(request, order)
        filters = search_filters(request, given)
        found = claim_search(
            q,
            filters=filters,
            order=order,
            language=given.get("lang") or "",
            limit=limit,
            offset=offset,
        )
        shown = found_rows(found, filters)
        data = ClaimSerializer(shown, many=True, context=self.get_serializer_context()).data
        return page.search_response(data, found, offset)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = claim_services.claim_create(actor=request.user, **serializer.validated_data)
        response = claim_response(request, claim.pk, status.HTTP_201_CREATED)
        response["Location"] = response.data["links"]["self"]
        scope = SimilarScopeSerializer(data={})
        scope.is_valid(raise_exception=True)
        given = {**scope.validated_data, "exclude": str(claim.pk)}
        similar, _ = similar_results(request, claim.text, claim.language, given)
        response.data["similar"] = SimilarSerializer(similar, many=True).data
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = cast("dict[str, Any]", self.get_object())  # a row of claim_rows()
        if row["merged_into_id"] is not None:
            return merged_redirect(request, row["id"], row["merged_into_id"])
        if not_modified(request, row["version"]):
            return with_etag(request, Response(status=status.HTTP_304_NOT_MODIFIED), row["version"])
        data = ClaimSerializer(row, context=self.get_serializer_context()).data
        return with_etag(request, Response(data), row["version"])

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)  # an invalid body is a 400 whatever its If-Match
        version = version_from_if_match(request)
        claim_services.claim_update(
            actor=request.user, claim=claim, version=version, data=serializer.validated_data
        )
        return claim_response(request, claim.pk)


def merged_redirect(request: Request, claim_id: Any, canonical_id: Any) -> Response:
    """A read of a merged claim (or of its parts): 301 to the same under the canonical claim."""
    path = request.path.replace(str(claim_id), str(canonical_id), 1)
    query = request.META.get("QUERY_STRING", "")
    response = Response({"merged_into": str(canonical_id)}, status.HTTP_301_MOVED_PERMANENTLY)
    response["Location"] = request.build_absolute_uri(f"{path}?{query}" if query else path)
    return response


class _MergedClaimRead(Exception):
    def __init__(self, claim: Claim) -> None:
        self.claim = claim


class ClaimPartApi(generics.GenericAPIView[Any]):
    """Base of the lists under one claim: the claim must exist and be visible. Reads of a
    merged claim's parts are redirected to the canonical claim's; writes are refused (409)."""

    @cached_property
    def claim(self) -> Claim:
        return get_object_or_404(Claim, pk=self.kwargs["claim_id"])

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.claim  # noqa: B018 (a missing claim is a 404 before the body is looked at)
        if self.claim.merged_into_id is not None and request.method in ("GET", "HEAD"):
            raise _MergedClaimRead(self.claim)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _MergedClaimRead):
            return merged_redirect(self.request, exc.claim.pk, exc.claim.merged_into_id)
        return super().handle_exception(exc)


@schema.claim_transitions
class ClaimTransitionApi(ClaimPartApi):
    """Moves a claim along the workflow."""

    serializer_class = TransitionInputSerializer
    required_perms = {"POST": [permissions.VIEW_CLAIM, permissions.CHANGE_CLAIM_STATUS]}

    def post(self, request: Request, claim_id: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # an invalid body is a 400 whatever its If-Match
        version = version_from_if_match(request)
        data = serializer.validated_data
        done = verification_services.claim_transition(
            actor=request.user,
            claim=self.claim,
            status=data["status"],
            reason=data["reason"],
            evidence=data["evidence"],
            channel=Channel.API,
            version=version,
        )
        if isinstance(done, VerdictProposal):  # second approval: the verdict awaits another
            output = VerdictProposalSerializer(done, context=self.get_serializer_context())
            return with_etag(
                request, Response(output.data, status.HTTP_202_ACCEPTED), done.claim.version
            )
        return claim_response(request, self.claim.pk)


@schema.claim_proposals
class ClaimProposalsApi(ClaimPartApi, generics.ListAPIView[VerdictProposal]):
    """Every verdict proposal of the claim and its outcome, oldest first."""

    queryset = VerdictProposal.objects.none()
    serializer_class = VerdictProposalSerializer
    cursor_ordering = ("proposed_at", "id")
    required_perms = {"GET": [permissions.VIEW_CLAIM, permissions.VIEW_VERDICT_PROPOSAL]}

    def get_queryset(self) -> QuerySet[VerdictProposal]:
        return verification_selectors.claim_proposals(claim=self.claim)


class VerdictDecisionApi(ClaimPartApi):
    """Base of approve/ and reject/: a decision on the claim's pending verdict proposal."""

    required_perms = {"POST": [permissions.VIEW_CLAIM, permissions.CHANGE_CLAIM_STATUS]}
    decide: Callable[..., Any]  # the service

    def post(self, request: Request, claim_id: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # an invalid body is a 400 whatever its If-Match
        version = version_from_if_match(request)
        type(self).decide(
            actor=request.user,
            claim=self.claim,
            reason=serializer.validated_data["reason"],
            channel=Channel.API,
            version=version,
        )
        return claim_response(request, self.claim.pk)


@schema.claim_approve
class ClaimApproveApi(VerdictDecisionApi):
    """Approves the verdict proposed for the claim: it becomes the claim's status."""

    serializer_class = ApproveInputSerializer
    decide = staticmethod(verification_services.verdict_approve)


@schema.claim_reject
class ClaimRejectApi(VerdictDecisionApi):
    """Rejects the verdict proposed for the claim, with a reason for its author."""

    serializer_class = RejectInputSerializer
    decide = staticmethod(verification_services.verdict_reject)


@schema.claim_publish
class ClaimPublishApi(ClaimPartApi):
    """Publishes a claim's verdict on the public site, now or at ``publish_at``."""

    serializer_class = PublishInputSerializer
    required_perms = {"POST": [permissions.VIEW_CLAIM, permissions.PUBLISH_CLAIM]}

    def post(self, request: Request, claim_id: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # an invalid body is a 400 whatever its If-Match
        version = version_from_if_match(request)
        publishing_services.claim_publish(
            actor=request.user,
            claim=self.claim,
            publish_at=serializer.validated_data.get("publish_at"),
            reason=serializer.validated_data["reason"],
            channel=Channel.API,
            version=version,
        )
        return claim_response(request, self.claim.pk)


@schema.claim_unpublish
class ClaimUnpublishApi(ClaimPartApi):
    """Takes a published or scheduled fact check off the public site, with a reason."""

    serializer_class = UnpublishInputSerializer
    required_perms = {"POST": [permissions.VIEW_CLAIM, permissions.PUBLISH_CLAIM]}

    def post(self, request: Request, claim_id: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = version_from_if_match(request)
        publishing_services.claim_unpublish(
            actor=request.user,
            claim=self.claim,
            reason=serializer.validated_data["reason"],
            channel=Channel.API,
            version=version,
        )
        return claim_response(request, self.claim.pk)


@schema.claim_appearances
class ClaimAppearancesApi(ClaimPartApi, generics.ListCreateAPIView[Appearance]):
    """Where the claim was published; the earliest is its origin."""

    queryset = Appearance.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = AppearanceSerializer
    cursor_ordering = ("created_at", "id")
    required_perms = {
        "GET": [permissions.VIEW_CLAIM, permissions.VIEW_APPEARANCE],
        "POST": [permissions.VIEW_CLAIM, permissions.ADD_APPEARANCE],
    }

    def get_queryset(self) -> QuerySet[Appearance]:
        return Appearance.objects.filter(claim=self.claim)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appearance = claim_services.appearance_add(
            actor=request.user, claim=self.claim, **serializer.validated_data
        )
        return Response(self.get_serializer(appearance).data, status=status.HTTP_201_CREATED)


@schema.claim_statements
class ClaimStatementsApi(ClaimPartApi, generics.ListCreateAPIView[Statement]):
    """What sources said about the claim: supporting, countering or context."""

    queryset = Statement.objects.none()
    filterset_class = StatementFilter
    cursor_ordering = ("created_at", "id")
    required_perms = {
        "GET": [permissions.VIEW_CLAIM, permissions.VIEW_STATEMENT],
        "POST": [permissions.VIEW_CLAIM, permissions.ADD_STATEMENT],
    }

    def get_queryset(self) -> QuerySet[Statement]:
        return Statement.objects.filter(claim=self.claim).select_related("source")

    def get_serializer_class(self) -> Any:
        return StatementInputSerializer if self.request.method == "POST" else StatementSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        statement = claim_services.statement_add(
            actor=request.user, claim=self.claim, **serializer.validated_data
        )
        return Response(StatementSerializer(statement).data, status=status.HTTP_201_CREATED)


@schema.claim_evidence
class ClaimEvidenceApi(ClaimPartApi, generics.ListCreateAPIView[Evidence]):
    """Evidence collected for the claim, withdrawn pieces included."""

    queryset = Evidence.objects.none()
    parser_classes = [BoundedJSONParser, MultiPartParser]
    cursor_ordering = ("added_at", "id")
    required_perms = {
        "GET": [permissions.VIEW_CLAIM, permissions.VIEW_EVIDENCE],
        "POST": [permissions.VIEW_CLAIM, permissions.ADD_EVIDENCE],
    }

    def get_queryset(self) -> QuerySet[Evidence]:
        evidence = Evidence.objects.filter(claim=self.claim)
        return verification_selectors.evidence_captures_loaded(
            evidence.select_related("added_by", "withdrawn_by")
        )

    def get_serializer_class(self) -> Any:
        return EvidenceInputSerializer if self.request.method == "POST" else EvidenceSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        evidence = verification_services.evidence_add(
            actor=request.user,
            claim=self.claim,
            kind=data["kind"],
            stance=data["stance"],
            description=data.get("description", ""),
            file=data.get("file"),
            url=data.get("url", ""),
            public=data["public"],
        )
        output = EvidenceSerializer(evidence, context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)


class EvidencePartApi(ClaimPartApi):
    """Base of the operations on one piece of the claim's evidence: it must be the claim's."""

    @cached_property
    def evidence(self) -> Evidence:
        return get_object_or_404(Evidence, claim=self.claim, pk=self.kwargs["evidence_id"])

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.evidence  # noqa: B018 (missing evidence is a 404 before the body is looked at)


@schema.evidence_withdraw
class EvidenceWithdrawApi(EvidencePartApi):
    """Withdraws evidence with a reason; it stays on record and can no longer be cited."""

    serializer_class = WithdrawInputSerializer
    required_perms = {"POST": [permissions.VIEW_CLAIM, permissions.CHANGE_EVIDENCE]}

    def post(self, request: Request, claim_id: Any, evidence_id: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = verification_services.evidence_withdraw(
            actor=request.user, evidence=self.evidence, reason=serializer.validated_data["reason"]
        )
        return Response(EvidenceSerializer(evidence, context={"request": request}).data)


@schema.evidence_public
class EvidencePublicApi(EvidencePartApi):
    """Shows the evidence with the published fact check, or keeps it internal."""

    serializer_class = EvidencePublicInputSerializer
    required_perms = {"POST": [permissions.VIEW_CLAIM, permissions.CHANGE_EVIDENCE]}

    def post(self, request: Request, claim_id: Any, evidence_id: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = verification_services.evidence_public_set(
            actor=request.user, evidence=self.evidence, public=serializer.validated_data["public"]
        )
        return Response(EvidenceSerializer(evidence, context={"request": request}).data)


@schema.evidence_capture
class EvidenceCaptureApi(EvidencePartApi):
    """Captures a URL evidence item's page again (earlier captures are kept): 202."""

    serializer_class = NoInputSerializer
    required_perms = {"POST": [permissions.VIEW_CLAIM, permissions.ADD_EVIDENCE]}

    def post(self, request: Request, claim_id: Any, evidence_id: Any) -> Response:
        self.get_serializer(data=request.data).is_valid(raise_exception=True)
        pending = capture.capture_request(actor=request.user, evidence=self.evidence)
        output = EvidenceCaptureSerializer(pending, context={"request": request})
        return Response(output.data, status=status.HTTP_202_ACCEPTED)


@schema.capture_download
class CaptureDownloadApi(ClaimPartApi):
    """A captured page's bytes or its WARC record, as a download."""

    content_negotiation_class = FileNegotiation
    required_perms = {"GET": [permissions.VIEW_CLAIM, permissions.VIEW_EVIDENCE]}

    def get(
        self, request: Request, claim_id: Any, evidence_id: Any, capture_id: Any, which: str
    ) -> FileResponse:
        found = get_object_or_404(
            EvidenceCapture, evidence__claim=self.claim, evidence_id=evidence_id, pk=capture_id
        )
        return capture_file_response(found, which)


@schema.evidence_download
class EvidenceDownloadApi(EvidencePartApi):
    """The stored file of a piece of evidence (a URL has none: 404)."""

    content_negotiation_class = FileNegotiation
    required_perms = {"GET": [permissions.VIEW_CLAIM, permissions.VIEW_EVIDENCE]}

    def get(self, request: Request, claim_id: Any, evidence_id: Any) -> FileResponse:
        return evidence_file_response(self.evidence)


@schema.claim_history
class ClaimHistoryApi(ClaimPartApi, generics.ListAPIView[StatusChange]):
    """Every status change of the claim, oldest first."""

    queryset = StatusChange.objects.none()
    serializer_class = StatusChangeSerializer
    cursor_ordering = ("at", "id")
    required_perms = {"GET": [permissions.VIEW_CLAIM, permissions.VIEW_STATUS_CHANGE]}

    def get_queryset(self) -> QuerySet[StatusChange]:
        return (
            StatusChange.objects.filter(claim=self.claim)
            .select_related("actor", "proposal__proposed_by")
            .prefetch_related("evidence")
        )


def similar_response(request: Request, text: str, language: str, given: dict[str, Any]) -> Response:
    """The claims most like ``text``, within the scope ``given`` (SimilarScopeSerializer's)."""
    results, unavailable = similar_results(request, text, language, given)
    data = {
        "results": results,
        "thresholds": {"text": 1.0, **settings.SIMILAR_THRESHOLDS},
        "unavailable": unavailable,
    }
    return Response(SimilarResultsSerializer(data).data)


def similar_results(
    request: Request, text: str, language: str, given: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The suggestions for ``text`` as the API writes them (SimilarSerializer's), and the
    layers that were unavailable."""
    scope = Scope(
        external=given["external"],
        since_days=given.get("since_days"),
        min_score=given["min_score"],
        limit=given["limit"],
        exclude=given.get("exclude", ""),
    )
    similar = claims_similar(text, language=language, scope=scope)
    results = [
        {
            "claim": {
                **found.claim,
                "url": request.build_absolute_uri(
                    reverse("api:claim-detail", args=[found.claim["id"]])
                ),
            },
            "match": found.layer,
            "reason": found.reason,
            "score": found.score,
            "scores": found.scores,
        }
        for found in similar.suggestions
    ]
    return results, similar.unavailable


@schema.claims_similar
class ClaimsSimilarApi(APIView):
    """Has this been checked before? The claims most like a text not saved as a claim."""

    required_perms = {"GET": [permissions.VIEW_CLAIM]}

    def get(self, request: Request) -> Response:
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        given = query.validated_data
        return similar_response(request, given["text"], given.get("lang", ""), given)


@schema.claim_similar
class ClaimSimilarApi(ClaimPartApi):
    """The claims most like a saved claim (itself left out)."""

    required_perms = {"GET": [permissions.VIEW_CLAIM]}

    def get(self, request: Request, claim_id: Any) -> Response:
        query = SimilarScopeSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        given = {**query.validated_data, "exclude": str(self.claim.pk)}
        return similar_response(request, self.claim.text, self.claim.language, given)


@schema.claim_merge
class ClaimMergeApi(ClaimPartApi):
    """Merges this claim, a duplicate, into the claim to keep (matching/services.py)."""

    queryset = Claim.objects.none()
    serializer_class = MergeInputSerializer
    required_perms = {
        "POST": [permissions.VIEW_CLAIM, permissions.CHANGE_CLAIM, permissions.CHANGE_CLAIM_STATUS]
    }

    def post(self, request: Request, claim_id: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # an invalid body is a 400 whatever its If-Match
        version = version_from_if_match(request)
        data = serializer.validated_data
        canonical = matching_services.claim_merge(
            actor=request.user,
            duplicate=self.claim,
            canonical=data["canonical"],
            version=version,
            canonical_version=data["canonical_version"],
        )
        response = claim_response(request, canonical.pk)
        response["Content-Location"] = response.data["links"]["self"]
        return response


@schema.claim_links
class ClaimLinksApi(ClaimPartApi):
    """The claims linked with this one (related, contradicts): not duplicates."""

    queryset = ClaimLink.objects.none()
    serializer_class = ClaimLinkInputSerializer
    pagination_class = None  # a claim has few links: all of them, unpaged
    filter_backends: list[Any] = []
    required_perms = {
        "GET": [permissions.VIEW_CLAIM],
        "POST": [permissions.VIEW_CLAIM, permissions.CHANGE_CLAIM],
    }

    def get(self, request: Request, claim_id: Any) -> Response:
        return Response(
            ClaimLinkSerializer(selectors.claim_links(claim=self.claim), many=True).data
        )

    def post(self, request: Request, claim_id: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        link = claim_services.claim_link(
            actor=request.user, claim=self.claim, other=data["claim"], kind=data["kind"]
        )
        row = next(row for row in selectors.claim_links(claim=self.claim) if row["id"] == link.pk)
        return Response(ClaimLinkSerializer(row).data, status=status.HTTP_201_CREATED)


@schema.claim_link
class ClaimLinkApi(ClaimPartApi):
    """One link of the claim: DELETE removes it."""

    queryset = ClaimLink.objects.none()
    required_perms = {"DELETE": [permissions.VIEW_CLAIM, permissions.CHANGE_CLAIM]}

    def delete(self, request: Request, claim_id: Any, link_id: Any) -> Response:
        link = get_object_or_404(
            ClaimLink.objects.filter(Q(claim=self.claim) | Q(other=self.claim)), pk=link_id
        )
        claim_services.claim_unlink(actor=request.user, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiRootApi(APIView):
    required_perms: dict[str, list[str]] = {"GET": []}
    public_read = True
    schema = None

    def get(self, request: Request) -> Response:
        return Response(
            {
                "claims": request.build_absolute_uri("claims/"),
                "sources": request.build_absolute_uri("sources/"),
                "schema": request.build_absolute_uri("/api/schema/"),
                "docs": request.build_absolute_uri("/api/docs/"),
            }
        )
