"""Subscriptions, webhook endpoints and the outbox of events and their deliveries."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from claims.models import URL_MAX_LENGTH, Claim, Source, Tag
from claims.text import SingleLineTextField, WebAddressField


class EventType(models.TextChoices):
    CLAIM_STATUS_CHANGED = "claim.status_changed", "Claim status changed"
    CLAIM_CREATED = "claim.created", "Claim created"
    CLAIM_ASSIGNED = "claim.assigned", "Claim assigned (or unassigned)"
    EVIDENCE_ADDED = "evidence.added", "Evidence added"
    CLAIM_PUBLISHED = "claim.published", "Fact check published"
    CLAIM_UNPUBLISHED = "claim.unpublished", "Fact check unpublished"
    CLAIM_VERDICT_PROPOSED = "claim.verdict_proposed", "Verdict proposed for approval"
    CLAIM_VERDICT_REJECTED = "claim.verdict_rejected", "Verdict proposal rejected"
    CLAIM_MERGED = "claim.merged", "Claim merged into another (a duplicate)"
    WEBHOOK_TEST = "webhook.test", "Test event"


# The types an endpoint may subscribe to (a test event goes to the endpoint it was sent to).
SUBSCRIBABLE_EVENT_TYPES = [
    EventType.CLAIM_STATUS_CHANGED,
    EventType.CLAIM_CREATED,
    EventType.CLAIM_ASSIGNED,
    EventType.EVIDENCE_ADDED,
    EventType.CLAIM_PUBLISHED,
    EventType.CLAIM_UNPUBLISHED,
    EventType.CLAIM_VERDICT_PROPOSED,
    EventType.CLAIM_VERDICT_REJECTED,
    EventType.CLAIM_MERGED,
]
# An endpoint subscribes to something: said alike by the admin, the API and the service.
EVENT_TYPES_REQUIRED = "Choose one or more of: " + ", ".join(SUBSCRIBABLE_EVENT_TYPES) + "."


class SubscriptionTarget(models.TextChoices):
    CLAIM = "claim", "One claim"
    TAG = "tag", "A tag"
    SOURCE = "source", "A source"
    ALL = "all", "Every claim"


class Subscription(models.Model):
    """A user watching one claim, a tag, a source or every claim."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    target = models.CharField(max_length=10, choices=SubscriptionTarget.choices)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, null=True, blank=True)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, null=True, blank=True)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, null=True, blank=True)
    muted = models.BooleanField(
        default=False,
        help_text="One claim only: no emails about it, whatever else would send them (its "
        "creator or assignee, a tag, a source, every claim).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="subscription_muted_only_a_claim",
                condition=Q(muted=False) | Q(target="claim"),
            ),
            models.CheckConstraint(
                name="subscription_target_matches",
                condition=(
                    Q(target="claim", claim__isnull=False, tag__isnull=True, source__isnull=True)
                    | Q(target="tag", claim__isnull=True, tag__isnull=False, source__isnull=True)
                    | Q(target="source", claim__isnull=True, tag__isnull=True, source__isnull=False)
                    | Q(target="all", claim__isnull=True, tag__isnull=True, source__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "claim"],
                condition=Q(target="claim"),
                name="subscription_claim_once",
            ),
            models.UniqueConstraint(
                fields=["user", "tag"], condition=Q(target="tag"), name="subscription_tag_once"
            ),
            models.UniqueConstraint(
                fields=["user", "source"],
                condition=Q(target="source"),
                name="subscription_source_once",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(target="all"), name="subscription_all_once"
            ),
        ]

    def __str__(self) -> str:
        if self.target == SubscriptionTarget.ALL:
            return "Every claim"
        subject = self.claim or self.tag or self.source
        return f"{'Muted' if self.muted else self.get_target_display()}: {subject}"


class WebhookEndpoint(models.Model):
    """A URL that receives signed events (Standard Webhooks)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = WebAddressField(max_length=URL_MAX_LENGTH)
    description = SingleLineTextField(max_length=200, blank=True)
    event_types = ArrayField(
        models.CharField(max_length=40, choices=EventType.choices),
        default=list,
        help_text="The event types sent to this endpoint.",
    )
    active = models.BooleanField(default=True)
    # Fernet-encrypted (notifications/secrets.py): signing needs the secret itself.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Paused when an event was due while its owner could not see claims; cleared on enabling.
    paused_reason = models.CharField(max_length=300, blank=True, editable=False)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="webhook_previous_secret_expires",
                condition=Q(previous_secret_encrypted="")
                | Q(previous_secret_expires_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    DEAD = "dead", "Dead"
    # Not sent: the recipient (the user, or the endpoint's owner) could not see claims then.
    WITHHELD = "withheld", "Withheld"


class Event(models.Model):
    """Something that happened; its id is the webhook-id and the idempotency key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    claim = models.ForeignKey(Claim, on_delete=models.SET_NULL, null=True, blank=True)
    payload = models.JSONField()
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["occurred_at"], name="event_occurred_at")]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    """One event to one recipient on one channel: the outbox row a worker sends."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_deliveries",
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker holds the delivery until then; a crashed worker's lease runs out.
    locked_until = models.DateTimeField(null=True, blank=True)
    # When a task was last queued for it; the sweeper re-queues what looks lost.
    queued_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                name="delivery_recipient_matches_channel",
                condition=Q(channel="email", user__isnull=False, endpoint__isnull=True)
                | Q(channel="webhook", user__isnull=True, endpoint__isnull=False),
            ),
            models.CheckConstraint(
                name="delivery_succeeded_has_time",
                condition=~Q(status="succeeded") | Q(delivered_at__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["event", "endpoint"],
                condition=Q(channel="webhook"),
                name="delivery_once_per_endpoint",
            ),
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(channel="email"),
                name="delivery_once_per_user",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due",
            ),
        ]

    def __str__(self) -> str:
        recipient = self.endpoint if self.endpoint_id else self.user
        return f"{self.event.type} to {recipient}"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: what came back, how long it took, what went wrong."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    response_body = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_number_once"),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number}: {self.status_code or self.error[:40]}"
