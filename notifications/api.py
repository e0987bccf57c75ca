"""REST API of notifications: /api/v1/subscriptions/ and /api/v1/webhooks/.

Thin views over notifications.services; errors are the API's problem details.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.serializers import KnownFieldsOnly, TextRelatedField
from claims.models import Claim, Source, Tag
from core import permissions
from core.permissions import VIEW_CLAIM
from notifications import services
from notifications.models import (
    EVENT_TYPES_REQUIRED,
    SUBSCRIBABLE_EVENT_TYPES,
    Delivery,
    DeliveryAttempt,
    Subscription,
    SubscriptionTarget,
    WebhookEndpoint,
)
from notifications.selectors import webhook_endpoint_list

UUID_REGEX = "[0-9a-fA-F-]{36}"

# --- Serializers ---------------------------------------------------------------------------


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    claim: serializers.PrimaryKeyRelatedField[Claim] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    tag: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True
    )
    source = serializers.PrimaryKeyRelatedField[Source](  # type: ignore[assignment]
        read_only=True, allow_null=True
    )

    class Meta:
        model = Subscription
        fields = ["id", "target", "claim", "tag", "source", "muted", "created_at"]


class SubscriptionInputSerializer(KnownFieldsOnly):
    target = serializers.ChoiceField(choices=SubscriptionTarget.choices)
    claim = serializers.PrimaryKeyRelatedField(queryset=Claim.objects.all(), required=False)
    tag = TextRelatedField(slug_field="name", queryset=Tag.objects.all(), required=False)
    source = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Source.objects.all(), required=False
    )
    muted = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With target claim: no emails about the claim, whatever else would send them.",
    )


class WebhookEndpointSerializer(KnownFieldsOnly, serializers.ModelSerializer[WebhookEndpoint]):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=[(t, t) for t in SUBSCRIBABLE_EVENT_TYPES]),
        allow_empty=False,
        error_messages={"empty": EVENT_TYPES_REQUIRED},
    )
    owner = serializers.CharField(source="owner.username", read_only=True)
    paused_reason = serializers.CharField(
        read_only=True,
        help_text="Why events are not sent: the owner could no longer see claims. Setting "
        "active to true clears it (once the owner may see claims again).",
    )
    paused_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "active",
            "owner",
            "disabled_reason",
            "failing_since",
            "paused_reason",
            "paused_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["disabled_reason", "failing_since", "created_at", "updated_at"]


# What a client reads back and may send again by mistake: refused as read-only, not unknown.
SubscriptionInputSerializer.read_only_names = frozenset(
    SubscriptionSerializer().fields
) - frozenset(SubscriptionInputSerializer().fields)
WebhookEndpointSerializer.read_only_names = frozenset({"secret", "previous_secret_expires_at"})


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret (whsec_…). Shown only this once."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class SecretSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(read_only=True, help_text="The new secret; shown once.")
    previous_secret_expires_at = serializers.DateTimeField(
        read_only=True, help_text="Until then deliveries carry a signature with the old one too."
    )


class EventQueuedSerializer(serializers.Serializer[Any]):
    event_id = serializers.UUIDField(read_only=True)


class DeliveryAttemptSerializer(serializers.ModelSerializer[DeliveryAttempt]):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "at", "status_code", "duration_ms", "error"]


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    event_id = serializers.UUIDField(read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempts = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "delivered_at",
            "last_error",
            "created_at",
            "attempts",
        ]


# --- Views ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="My subscriptions"),
    create=extend_schema(
        summary="Watch a claim, a tag, a source or every claim",
        request=SubscriptionInputSerializer,
        responses={201: SubscriptionSerializer},
    ),
    destroy=extend_schema(summary="Stop watching"),
)
class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Subscription],
):
    """The signed-in user's subscriptions. Creating one that exists returns it."""

    serializer_class = SubscriptionSerializer
    cursor_ordering = ("-created_at", "-id")
    required_perms = {"GET": [VIEW_CLAIM], "POST": [VIEW_CLAIM], "DELETE": [VIEW_CLAIM]}

    def get_queryset(self) -> QuerySet[Subscription]:
        user_id = cast(int, self.request.user.pk)
        return Subscription.objects.filter(user_id=user_id).select_related("tag")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = SubscriptionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        subscription = services.subscription_create(actor=request.user, **given.validated_data)
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Subscription) -> None:
        services.subscription_delete(actor=self.request.user, subscription=instance)


WEBHOOK_PERMS = {
    "GET": [permissions.VIEW_WEBHOOK_ENDPOINT],
    "POST": [permissions.ADD_WEBHOOK_ENDPOINT],
    "PATCH": [permissions.CHANGE_WEBHOOK_ENDPOINT],
}


@extend_schema_view(
    list=extend_schema(summary="My webhook endpoints (a superuser's: every one)"),
    create=extend_schema(
        summary="Register a webhook endpoint",
        responses={201: WebhookEndpointCreatedSerializer},
    ),
    partial_update=extend_schema(summary="Change a webhook endpoint"),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[WebhookEndpoint],
):
    """Endpoints that receive signed events (Standard Webhooks). Their owner sees and manages
    them; a superuser sees and manages every one."""

    serializer_class = WebhookEndpointSerializer
    lookup_value_regex = UUID_REGEX
    cursor_ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_perms = WEBHOOK_PERMS

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return webhook_endpoint_list(viewer=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = WebhookEndpointSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(
            actor=request.user,
            url=given.validated_data["url"],
            event_types=given.validated_data["event_types"],
            description=given.validated_data.get("description", ""),
            active=given.validated_data.get("active", True),
        )
        data = {**WebhookEndpointSerializer(endpoint).data, "secret": secret}
        return Response(data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        given = WebhookEndpointSerializer(endpoint, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            actor=request.user, endpoint=endpoint, data=dict(given.validated_data)
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(summary="Rotate the signing secret", request=None, responses=SecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: Any = None) -> Response:
        endpoint, secret = services.webhook_secret_rotate(
            actor=request.user, endpoint=self.get_object()
        )
        return Response(
            {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}
        )

    @extend_schema(
        summary="Send a test event",
        request=None,
        responses={202: EventQueuedSerializer},
    )
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, pk: Any = None) -> Response:
        event = services.webhook_test_send(actor=request.user, endpoint=self.get_object())
        return Response({"event_id": event.pk}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(list=extend_schema(summary="Deliveries to an endpoint, with their attempts"))
class DeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Delivery]):
    """Deliveries to one of my endpoints (a superuser: any), newest first, with every attempt."""

    serializer_class = DeliverySerializer
    lookup_value_regex = "[0-9]+"  # anything else is a 404, not a query for a non-number
    cursor_ordering = ("-created_at", "-id")
    required_perms = {
        "GET": [permissions.VIEW_WEBHOOK_ENDPOINT],
        "POST": [permissions.CHANGE_WEBHOOK_ENDPOINT],
    }

    def get_endpoint(self) -> WebhookEndpoint:
        return get_object_or_404(
            webhook_endpoint_list(viewer=self.request.user), pk=self.kwargs["endpoint_id"]
        )

    def get_queryset(self) -> QuerySet[Delivery]:
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        return (
            Delivery.objects.filter(endpoint=self.get_endpoint())
            .select_related("event")
            .prefetch_related(Prefetch("attempts", DeliveryAttempt.objects.order_by("number")))
        )

    @extend_schema(
        summary="Send a delivery again (same webhook-id)",
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, endpoint_id: Any = None, pk: Any = None) -> Response:
        delivery = get_object_or_404(self.get_queryset(), pk=pk)
        services.delivery_replay(actor=request.user, delivery=delivery)
        fresh = self.get_queryset().get(pk=delivery.pk)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)
