"""Admin: my subscriptions, Watch/Unwatch on the claim page, webhook endpoints, deliveries.

Every write goes through notifications.services, like the rest of the admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from claims.models import Claim
from core.admin import (
    KeySafeAdminMixin,
    ServiceModelForm,
    ServiceWriteAdmin,
    acting_user,
    service_refused,
)
from core.forms import SERVICE_ERRORS, service_error_text
from core.permissions import VIEW_CLAIM
from notifications import services
from notifications.models import (
    EVENT_TYPES_REQUIRED,
    SUBSCRIBABLE_EVENT_TYPES,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
    WebhookEndpoint,
)
from notifications.selectors import webhook_endpoint_list

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
    _TabularInline = admin.TabularInline[Any, Any]
else:
    _ModelAdmin = admin.ModelAdmin
    _TabularInline = admin.TabularInline


def _may_watch(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.has_perm(VIEW_CLAIM))


@admin.register(Subscription)
class SubscriptionAdmin(KeySafeAdminMixin, _ModelAdmin):
    """The signed-in user's own subscriptions ("my subscriptions")."""

    list_display = ["__str__", "target", "muted", "created_at"]
    list_filter = ["target", "muted"]
    fields = ["target", "claim", "tag", "source", "muted"]
    raw_id_fields = ["claim", "source"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        queryset = super().get_queryset(request).select_related("claim", "tag", "source")
        return queryset.filter(user_id=request.user.pk)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_watch(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_watch(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_watch(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # delete and add another instead

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_watch(request) and (obj is None or obj.user_id == request.user.pk)

    def save_model(self, request: HttpRequest, obj: Subscription, form: Any, change: bool) -> None:
        created = services.subscription_create(
            actor=request.user,
            target=obj.target,
            claim=obj.claim,
            tag=obj.tag,
            source=obj.source,
            muted=obj.muted,
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Subscription) -> None:
        services.subscription_delete(actor=request.user, subscription=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            services.subscription_delete(actor=request.user, subscription=subscription)

    def get_urls(self) -> list[URLPattern]:
        watch = path(
            "claim/<uuid:claim_id>/watch/",
            self.admin_site.admin_view(require_POST(self.watch_view)),
            name="notifications_claim_watch",
        )
        return [watch, *super().get_urls()]

    def watch_view(self, request: HttpRequest, claim_id: Any) -> HttpResponse:
        """The Watch/Unwatch button of the claim page."""
        claim = get_object_or_404(Claim, pk=claim_id)
        if request.POST.get("watch") == "1":
            services.claim_watch(actor=request.user, claim=claim)
            messages.success(request, "You now watch this claim.")
        else:
            services.claim_unwatch(actor=request.user, claim=claim)
            messages.success(
                request,
                "You no longer watch this claim: no email about it, even as its creator or "
                "assignee or through a tag, its claimant or every claim, until you watch it again.",
            )
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))


WEBHOOK_FORM_FIELDS = ["url", "description", "event_types", "active"]


class WebhookEndpointForm(ServiceModelForm):
    event_types = forms.MultipleChoiceField(
        choices=[(value, value) for value in SUBSCRIBABLE_EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": EVENT_TYPES_REQUIRED},
    )

    class Meta:
        model = WebhookEndpoint
        fields = WEBHOOK_FORM_FIELDS


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceWriteAdmin):
    form = WebhookEndpointForm
    list_display = [
        "url",
        "description",
        "active",
        "owner",
        "failing_since",
        "paused_reason",
        "created_at",
    ]
    list_filter = ["active"]
    readonly_fields = [
        "owner",
        "disabled_reason",
        "failing_since",
        "paused_reason",
        "paused_at",
        "created_at",
    ]
    actions = ["rotate_secret", "send_test_event"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        return webhook_endpoint_list(viewer=request.user)

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        actor = acting_user(request)
        data = {name: form.cleaned_data[name] for name in WEBHOOK_FORM_FIELDS}
        secret = None
        try:
            if change:
                saved = services.webhook_endpoint_update(actor=actor, endpoint=obj, data=data)
            else:
                saved, secret = services.webhook_endpoint_create(actor=actor, **data)
        except SERVICE_ERRORS as error:
            raise service_refused(error) from error
        # The admin goes on with ``obj`` (change message, redirect): make it the row.
        vars(obj).update(vars(saved))
        if secret is not None:
            messages.warning(
                request,
                f"The signing secret of {saved.url} is {secret} — copy it now, it is shown "
                "only this once.",
            )

    @admin.action(description="Rotate the signing secret (the old one stays valid a while)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            try:
                _, secret = services.webhook_secret_rotate(actor=request.user, endpoint=endpoint)
            except SERVICE_ERRORS as error:
                messages.error(request, service_error_text(error))
                continue
            messages.warning(
                request, f"New secret of {endpoint.url}: {secret} — shown only this once."
            )

    @admin.action(description="Send a test event")
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            try:
                event = services.webhook_test_send(actor=request.user, endpoint=endpoint)
            except SERVICE_ERRORS as error:
                messages.error(request, service_error_text(error))
                continue
            messages.success(request, f"Test event {event.pk} queued for {endpoint.url}.")


class DeliveryAttemptInline(_TabularInline):
    model = DeliveryAttempt
    fields = ("number", "at", "status_code", "duration_ms", "error", "response_body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(KeySafeAdminMixin, _ModelAdmin):
    list_display = [
        "event_type",
        "channel",
        "recipient",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "channel", "event__type"]
    list_select_related = ["event", "endpoint", "user"]
    readonly_fields = [
        "event",
        "channel",
        "endpoint",
        "user",
        "status",
        "attempt_count",
        "next_attempt_at",
        "locked_until",
        "queued_at",
        "last_error",
        "delivered_at",
        "created_at",
    ]
    inlines = [DeliveryAttemptInline]
    actions = ["replay"]

    @admin.display(description="event")
    def event_type(self, obj: Delivery) -> str:
        return obj.event.type

    @admin.display(description="recipient")
    def recipient(self, obj: Delivery) -> str:
        return str(obj.endpoint or obj.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(endpoint__owner_id=request.user.pk)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Replay (send again with the same event id)", permissions=["view"])
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done = 0
        for delivery in queryset.exclude(status=DeliveryStatus.PENDING):
            try:
                services.delivery_replay(actor=request.user, delivery=delivery)
                done += 1
            except SERVICE_ERRORS as error:
                messages.error(request, service_error_text(error))
        messages.success(request, f"{done} deliveries queued again.")
