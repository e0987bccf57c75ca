"""The OpenAPI description: every operation with its error responses, headers and bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from api import serializers
from api.etags import IF_MATCH_PATTERN
from api.serializers import BLANK
from core.problems import PROBLEM_CONTENT_TYPE
from verification.uploads import ALLOWED_TYPES

ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description='The version of the resource, e.g. "v3"; send it back in If-Match to change it.',
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    pattern=IF_MATCH_PATTERN,
    description='The ETag of the version you are changing, e.g. "v3". Missing: 428; '
    "not of this form: 400; not the current version: 412.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag you hold; if it is still current the answer is 304 with no body.",
)
PROBLEM_HEADERS = {
    412: {"ETag": {"schema": {"type": "string"}, "description": "The current ETag."}},
    429: {
        "Retry-After": {
            "schema": {"type": "integer"},
            "description": "Seconds to wait before the next request.",
        }
    },
}

# The operations that change a claim or a source, each behind If-Match.
CHANGE_CLAIM, CHANGE_STATUS = "claims_partial_update", "claims_transitions_create"
PUBLISH, UNPUBLISH = "claims_publish_create", "claims_unpublish_create"
APPROVE, REJECT = "claims_approve_create", "claims_reject_create"
LINK_CLAIMS, UNLINK_CLAIMS = "claims_links_create", "claims_link_destroy"
MERGE = "claims_merge_create"
REPLACE_SOURCE, CHANGE_SOURCE = "sources_update", "sources_partial_update"


def _etag_link(operation_id: str, id_parameter: str, description: str) -> dict[str, Any]:
    """An OpenAPI link: the answer's id and ETag are what the change needs (path and If-Match)."""
    return {
        "operationId": operation_id,
        "parameters": {
            f"path.{id_parameter}": "$response.body#/id",
            "header.If-Match": "$response.header.ETag",
        },
        "description": description,
    }


_CLAIM_LINKS = {
    "ChangeClaim": _etag_link(CHANGE_CLAIM, "id", "Change this version of the claim."),
    "ChangeStatus": {
        **_etag_link(CHANGE_STATUS, "claim_id", "Move this version of the claim along."),
        "requestBody": {"status": "$response.body#/allowed_transitions/0"},
    },
    "Publish": _etag_link(PUBLISH, "claim_id", "Publish this version's verdict."),
    "Unpublish": _etag_link(UNPUBLISH, "claim_id", "Take this version's fact check off the site."),
    "Approve": _etag_link(APPROVE, "claim_id", "Approve this version's proposed verdict."),
    "Reject": _etag_link(REJECT, "claim_id", "Reject this version's proposed verdict."),
    "Merge": _etag_link(MERGE, "claim_id", "Merge this version of the claim, a duplicate."),
}
_SOURCE_LINKS = {
    "ReplaceSource": _etag_link(REPLACE_SOURCE, "id", "Replace this version of the source."),
    "ChangeSource": _etag_link(CHANGE_SOURCE, "id", "Change this version of the source."),
}
# Links of the answers that carry a claim or a source with its ETag, by operation and status.
ETAG_LINKS: dict[str, dict[int, dict[str, Any]]] = {
    "claims_create": {201: _CLAIM_LINKS},
    "claims_retrieve": {200: _CLAIM_LINKS},
    CHANGE_CLAIM: {200: _CLAIM_LINKS},
    CHANGE_STATUS: {200: _CLAIM_LINKS},
    PUBLISH: {200: _CLAIM_LINKS},
    UNPUBLISH: {200: _CLAIM_LINKS},
    APPROVE: {200: _CLAIM_LINKS},
    REJECT: {200: _CLAIM_LINKS},
    "sources_create": {201: _SOURCE_LINKS},
    "sources_retrieve": {200: _SOURCE_LINKS},
    REPLACE_SOURCE: {200: _SOURCE_LINKS},
    CHANGE_SOURCE: {200: _SOURCE_LINKS},
    LINK_CLAIMS: {
        201: {
            "RemoveLink": {
                "operationId": UNLINK_CLAIMS,
                "parameters": {
                    "path.claim_id": "$request.path.claim_id",
                    "path.link_id": "$response.body#/id",
                },
                "description": "Remove this link.",
            }
        }
    },
}

PROBLEM_DESCRIPTIONS = {
    400: "Invalid input: `errors` says which field and why.",
    401: "No credentials, or a wrong, expired or revoked token.",
    403: "Your role does not allow this.",
    404: "No such resource.",
    406: "Accept or ?format= asks for something other than JSON.",
    409: "The claim's state does not allow this: a transition the workflow forbids "
    "(`allowed_transitions` lists those it allows), a verdict awaiting approval, no "
    "proposal to decide on, nothing to publish.",
    412: "If-Match is not the current version; the response's ETag header is the current one.",
    413: "The body is too large (files go in multipart uploads, up to their own limit).",
    415: "The body is not in a media type this operation accepts.",
    428: "If-Match is required.",
    429: "Too many requests; see Retry-After.",
}


class AutoSchema(SpectacularAutoSchema):
    """Adds the problem-details error responses every operation can give."""

    def _problem_statuses(self) -> set[int]:
        statuses = {401, 403, 406, 429}
        method = self.method.upper()
        if method in ("POST", "PUT", "PATCH"):
            statuses |= {400, 413, 415}
        if self._get_filter_parameters() or self._get_pagination_parameters():
            statuses.add(400)  # an unknown filter value, ordering or cursor
        if "{" in self.path:
            statuses.add(404)
        statuses |= set(getattr(self.view, "problem_statuses", {}).get(method, ()))
        return statuses

    def _get_filter_parameters(self) -> Any:
        # An empty filter value is no filter (django-filter's rule): say so where a format
        # (a date-time, a uuid) or a list of choices would refuse it.
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and ("format" in schema or "enum" in schema):
                inner = {key: value for key, value in schema.items() if key != "description"}
                parameter["schema"] = {
                    "anyOf": [inner, dict(BLANK)],
                    **({"description": schema["description"]} if "description" in schema else {}),
                }
        return parameters

    def _map_serializer(
        self,
        serializer: Any,
        direction: Literal["request", "response"],
        bypass_extensions: bool = False,
    ) -> dict[str, Any]:
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, serializers.KnownFieldsOnly):
            schema["additionalProperties"] = False  # any other key is a 400 naming it
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        # drf-spectacular writes a blank-or-constrained text as oneOf; "" may match both
        # branches (a validator that checks no formats takes "" as a "uri"), and oneOf then
        # refuses it. A blank is meant as one more choice: anyOf.
        super()._insert_field_validators(field, schema)
        if BLANK in schema.get("oneOf", []):
            schema["anyOf"] = schema.pop("oneOf")
        for text in [schema, *schema.get("anyOf", [])]:
            _bound_apart(text)

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        problem = self.resolve_serializer(serializers.ProblemSerializer, "response").ref
        for status_code in sorted(self._problem_statuses()):
            response: dict[str, Any] = {
                "description": PROBLEM_DESCRIPTIONS[status_code],
                "content": {PROBLEM_CONTENT_TYPE: {"schema": problem}},
            }
            if status_code in PROBLEM_HEADERS:
                response["headers"] = PROBLEM_HEADERS[status_code]
            responses.setdefault(str(status_code), response)
        for status_code, links in ETAG_LINKS.get(self.get_operation_id(), {}).items():
            responses[str(status_code)]["links"] = links
        return responses


# Above this length a text's maxLength is stated apart from its pattern. Tools that fold the
# bound into the pattern (schemathesis: "[^...]+" becomes "[^...]{1,20000}") compile a regex
# of that many repetitions for each validator they build: generating the suite's cases took
# five times as long (150 s against 33 s). The two schemas accept the same strings.
LONG_TEXT = 1000


def _bound_apart(schema: dict[str, Any]) -> None:
    if "pattern" in schema and schema.get("maxLength", 0) > LONG_TEXT:
        schema["allOf"] = [{"maxLength": schema.pop("maxLength")}]


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-user API token: `manage.py create_api_token <username>`.",
        }


def _with_problem_statuses(**statuses: tuple[int, ...]) -> Callable[[Any], Any]:
    def decorate(view: Any) -> Any:
        view.problem_statuses = {method.upper(): codes for method, codes in statuses.items()}
        return view

    return decorate


def _conditional_get(summary: str, operation_id: str, serializer: Any) -> Any:
    """A read answered with an ETag, or with 304 when If-None-Match names the current one."""
    return extend_schema(
        summary=summary,
        operation_id=operation_id,
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: serializer, 304: OpenApiResponse(description="Not modified.")},
    )


def source_viewset(view: Any) -> Any:
    view = _with_problem_statuses(put=(412, 428), patch=(412, 428))(view)
    return extend_schema_view(
        list=extend_schema(summary="List sources"),
        create=extend_schema(
            summary="Create a source", operation_id="sources_create", parameters=[ETAG_HEADER]
        ),
        retrieve=_conditional_get("Get a source", "sources_retrieve", serializers.SourceSerializer),
        update=extend_schema(
            summary="Replace a source",
            operation_id=REPLACE_SOURCE,
            parameters=[IF_MATCH, ETAG_HEADER],
        ),
        partial_update=extend_schema(
            summary="Change a source",
            operation_id=CHANGE_SOURCE,
            parameters=[IF_MATCH, ETAG_HEADER],
        ),
    )(view)


def claim_viewset(view: Any) -> Any:
    view = _with_problem_statuses(patch=(412, 428))(view)
    return extend_schema_view(
        list=extend_schema(
            summary="List and search claims", responses=serializers.ClaimSerializer(many=True)
        ),
        create=extend_schema(
            summary="Create a claim",
            operation_id="claims_create",
            description="Answers with the claim and, in `similar`, the claims most like it "
            "already here (as claims/{id}/similar/ lists them): has this been checked before?",
            request=serializers.ClaimInputSerializer,
            responses={201: serializers.ClaimCreatedSerializer},
            parameters=[ETAG_HEADER],
        ),
        retrieve=_conditional_get("Get a claim", "claims_retrieve", serializers.ClaimSerializer),
        partial_update=extend_schema(
            summary="Change a claim's fields (not its status)",
            operation_id=CHANGE_CLAIM,
            request=serializers.ClaimInputSerializer,
            responses={200: serializers.ClaimSerializer},
            parameters=[IF_MATCH, ETAG_HEADER],
        ),
    )(view)


def claim_transitions(view: Any) -> Any:
    view = _with_problem_statuses(post=(409, 412, 428))(view)
    return extend_schema_view(
        post=extend_schema(
            summary="Change a claim's status",
            operation_id=CHANGE_STATUS,
            description="Moves the claim along the workflow. Every change needs a reason; "
            "verified, false and misleading need cited evidence. With second approval "
            "(VERDICT_APPROVAL_REQUIRED, on by default) a move to a verdict is a proposal: "
            "the answer is 202 with the proposal awaiting another reviewer's approval "
            "(approve/, reject/), and the claim keeps its status until then. While a proposal "
            "awaits, no transition is allowed (409).",
            request=serializers.TransitionInputSerializer,
            responses={
                200: serializers.ClaimSerializer,
                202: OpenApiResponse(
                    serializers.VerdictProposalSerializer,
                    description="The verdict was proposed; it awaits another reviewer.",
                ),
            },
            parameters=[IF_MATCH, ETAG_HEADER],
            examples=[
                OpenApiExample(
                    "Re-open for review",
                    value={
                        "status": "in_review",
                        "reason": "New satellite images.",
                        "evidence": [],
                    },
                    request_only=True,
                )
            ],
        )
    )(view)


def claim_proposals(view: Any) -> Any:
    return extend_schema_view(
        get=extend_schema(summary="A claim's verdict proposals and their outcomes")
    )(view)


def claim_approve(view: Any) -> Any:
    view = _with_problem_statuses(post=(409, 412, 428))(view)
    return extend_schema_view(
        post=extend_schema(
            summary="Approve the verdict proposed for a claim",
            operation_id=APPROVE,
            description="The proposed verdict becomes the claim's status (a status change "
            "with the proposal's reason and evidence, and you as its actor). Only another "
            "reviewer than the proposer may approve, whatever their role: superusers too "
            "(403). No proposal awaiting approval: 409.",
            request=serializers.ApproveInputSerializer,
            responses={200: serializers.ClaimSerializer},
            parameters=[IF_MATCH, ETAG_HEADER],
        )
    )(view)


def claim_reject(view: Any) -> Any:
    view = _with_problem_statuses(post=(409, 412, 428))(view)
    return extend_schema_view(
        post=extend_schema(
            summary="Reject the verdict proposed for a claim",
            operation_id=REJECT,
            description="The proposal is closed as rejected with your reason, which its author "
            "is emailed; the claim stays in review. The proposer may reject their own "
            "proposal (to withdraw it). No proposal awaiting approval: 409.",
            request=serializers.RejectInputSerializer,
            responses={200: serializers.ClaimSerializer},
            parameters=[IF_MATCH, ETAG_HEADER],
        )
    )(view)


def claim_publish(view: Any) -> Any:
    view = _with_problem_statuses(post=(409, 412, 428))(view)
    return extend_schema_view(
        post=extend_schema(
            summary="Publish a claim's fact check",
            operation_id=PUBLISH,
            description="Publishes the claim's verdict on the public site (with ClaimReview "
            "markup), now or at a future `publish_at` (an embargo until then). Only a claim "
            "with a verdict can be published (409). Publishing a public fact check again with "
            "another verdict corrects it: readers see the correction and its reason.",
            request=serializers.PublishInputSerializer,
            responses={200: serializers.ClaimSerializer},
            parameters=[IF_MATCH, ETAG_HEADER],
            examples=[
                OpenApiExample(
                    "Under embargo until a time",
                    value={"publish_at": "2030-01-01T06:00:00Z"},
                    request_only=True,
                )
            ],
        )
    )(view)


def claim_unpublish(view: Any) -> Any:
    view = _with_problem_statuses(post=(409, 412, 428))(view)
    return extend_schema_view(
        post=extend_schema(
            summary="Unpublish a claim's fact check",
            operation_id=UNPUBLISH,
            description="Takes the fact check off the public site (every page, feed and "
            "anonymous read). A reason is required; it stays in the publication history.",
            request=serializers.UnpublishInputSerializer,
            responses={200: serializers.ClaimSerializer},
            parameters=[IF_MATCH, ETAG_HEADER],
        )
    )(view)


def claim_appearances(view: Any) -> Any:
    return extend_schema_view(
        get=extend_schema(summary="List where a claim appeared"),
        post=extend_schema(summary="Record where a claim appeared"),
    )(view)


def claim_statements(view: Any) -> Any:
    return extend_schema_view(
        get=extend_schema(summary="List statements about a claim"),
        post=extend_schema(
            summary="Add a statement (stance counters: a counter-statement)",
            request=serializers.StatementInputSerializer,
            responses={201: serializers.StatementSerializer},
        ),
    )(view)


def claim_evidence(view: Any) -> Any:
    return extend_schema_view(
        get=extend_schema(summary="List a claim's evidence"),
        post=extend_schema(
            summary="Attach evidence: upload a file (multipart) or give a URL (JSON)",
            request={
                "multipart/form-data": serializers.EvidenceInputSerializer,
                "application/json": serializers.EvidenceInputSerializer,
            },
            responses={201: serializers.EvidenceSerializer},
        ),
    )(view)


def evidence_withdraw(view: Any) -> Any:
    return extend_schema_view(
        post=extend_schema(
            summary="Withdraw evidence (it is never deleted)",
            request=serializers.WithdrawInputSerializer,
            responses={200: serializers.EvidenceSerializer},
        )
    )(view)


def evidence_public(view: Any) -> Any:
    return extend_schema_view(
        post=extend_schema(
            summary="Show evidence on the public fact check, or keep it internal",
            request=serializers.EvidencePublicInputSerializer,
            responses={200: serializers.EvidenceSerializer},
        )
    )(view)


def evidence_download(view: Any) -> Any:
    # Served with the type detected from its bytes at upload (one of those accepted).
    file = OpenApiResponse(OpenApiTypes.BINARY, description="The file, as an attachment.")
    media_types = ["application/octet-stream", *sorted(ALLOWED_TYPES)]
    return extend_schema_view(
        get=extend_schema(
            summary="Download an evidence file",
            responses={(200, media_type): file for media_type in media_types},
        )
    )(view)


def evidence_capture(view: Any) -> Any:
    return extend_schema_view(
        post=extend_schema(
            summary="Capture a URL evidence item's page again (earlier captures are kept)",
            description="The server fetches the page in the background (through the outbound "
            "guard: public addresses only, every redirect re-checked, at most 5; a timeout; a "
            "byte cap; an allowed media type) and keeps its bytes and a WARC record. Answers "
            "202 with the pending capture (the one already pending, if any); poll the "
            "evidence for its state. A file, or withdrawn evidence: 400.",
            request=serializers.NoInputSerializer,
            responses={202: serializers.EvidenceCaptureSerializer},
        )
    )(view)


def capture_download(view: Any) -> Any:
    file = OpenApiResponse(OpenApiTypes.BINARY, description="The file, as an attachment.")
    return extend_schema_view(
        get=extend_schema(
            summary="Download a captured page (content/: its bytes, as their type) or its "
            "WARC record (warc/: application/warc, gzipped)",
            responses={
                (200, "application/octet-stream"): file,
                (200, "application/warc"): file,
                **{(200, media_type): file for media_type in settings.CAPTURE_CONTENT_TYPES},
            },
        )
    )(view)


def claim_history(view: Any) -> Any:
    return extend_schema_view(get=extend_schema(summary="A claim's status history"))(view)


def claims_similar(view: Any) -> Any:
    view = _with_problem_statuses(get=(400,))(view)
    return extend_schema_view(
        get=extend_schema(
            summary="Has this been checked before? The claims most like a text",
            operation_id="claims_similar_to_text",
            description="Suggestions, best first: the same text, near-identical wording "
            "(trigram similarity), the same meaning in any language (multilingual "
            "embeddings), each with its score and why it matched, the claim's status and "
            "other publishers' fact checks of it. A person decides what is a duplicate.",
            parameters=[serializers.SimilarQuerySerializer],
            responses={200: serializers.SimilarResultsSerializer},
        )
    )(view)


def claim_similar(view: Any) -> Any:
    view = _with_problem_statuses(get=(400,))(view)
    return extend_schema_view(
        get=extend_schema(
            summary="The claims most like a claim (itself left out)",
            operation_id="claim_similar",
            parameters=[serializers.SimilarScopeSerializer],
            responses={200: serializers.SimilarResultsSerializer},
        )
    )(view)


def claim_merge(view: Any) -> Any:
    view = _with_problem_statuses(post=(409, 412, 428))(view)
    return extend_schema_view(
        post=extend_schema(
            summary="Merge this claim, a duplicate, into the claim to keep",
            operation_id=MERGE,
            description="If-Match: this claim's ETag; canonical_version: the other's. Its "
            "statements, appearances, evidence, other publishers' fact checks, tags and "
            "watchers move to the claim kept; it keeps its history and becomes a read-only "
            "pointer (merged_into; a GET of it, or of its parts, answers 301 there), and its "
            "watchers are told (claim.merged). Refused with 409, nothing changed: a claim "
            "already merged, two different outcomes (unless one is still unverified), a "
            "verdict awaiting approval, a published duplicate, too many tags together; with "
            "400: into itself, into a merged claim. Answers with the claim kept.",
            request=serializers.MergeInputSerializer,
            responses={200: serializers.ClaimSerializer},
            parameters=[IF_MATCH, ETAG_HEADER],
        )
    )(view)


def claim_links(view: Any) -> Any:
    view = _with_problem_statuses(post=(409,))(view)
    return extend_schema_view(
        get=extend_schema(
            summary="The claims linked with a claim (related, contradicts)",
            responses={200: serializers.ClaimLinkSerializer(many=True)},
        ),
        post=extend_schema(
            summary="Link a claim with another: related, or contradicts (not duplicates)",
            operation_id=LINK_CLAIMS,
            request=serializers.ClaimLinkInputSerializer,
            responses={201: serializers.ClaimLinkSerializer},
        ),
    )(view)


def claim_link(view: Any) -> Any:
    view = _with_problem_statuses(delete=(409,))(view)
    return extend_schema_view(
        delete=extend_schema(
            summary="Remove a link between two claims",
            operation_id=UNLINK_CLAIMS,
            responses={204: None},
        )
    )(view)
