"""Email headers built from what users typed are one safe line."""

from __future__ import annotations

import pytest
from django.core import mail

from claims.models import ClaimStatus as S
from notifications import services
from notifications.mail import HEADER_MAX_LENGTH, header_line
from notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    EventType,
    WebhookEndpoint,
)
from tests import factories as f

pytestmark = pytest.mark.django_db
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Troops\r\nwithdrawn", "Troops withdrawn"),
        ("a\rb\nc\u2028d\u2029e\x85f", "a b c d e f"),
        ("tab\there  and\x00nul\x1b[31m red\x7f", "tab here and nul [31m red"),
        ("  \r\n leading and trailing \r\n ", "leading and trailing"),
        ("Bcc: someone\r\nBcc: else@example.org", "Bcc: someone Bcc: else@example.org"),
        ("Сводка → Киев", "Сводка → Киев"),
        ("", ""),
    ],
)
def test_a_header_line_has_no_break_and_no_control_character(text, expected):
    assert header_line(text) == expected


def test_a_header_line_is_bounded():
    line = header_line("word " * 500)
    assert len(line) <= HEADER_MAX_LENGTH
    assert line.endswith("…")
    assert header_line("x" * 50, max_length=10) == "xxxxxxxxx…"


def test_a_claim_typed_with_crlf_and_other_breaks_is_emailed_normally():
    watcher = f.viewer()
    # What a claim's text may hold (claims refuse other control characters): line breaks as
    # typed, tabs, Unicode's line and paragraph separators.
    claim = f.claim(text="Troops are\r\nwithdrawn\u2028from the\tborder\u2029\r\n now.")
    services.claim_watch(actor=watcher, claim=claim)
    f.transition(claim=claim, status=S.IN_REVIEW)
    delivery = Delivery.objects.get(channel=DeliveryChannel.EMAIL, user=watcher)

    assert services.delivery_send(delivery_id=delivery.pk) == "succeeded"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    [message] = mail.outbox
    assert message.subject == (
        "[Claim tracker] unverified → in_review: Troops are withdrawn from the border now."
    )
    assert not set(message.subject) & set(LINE_BREAKS)


def test_the_endpoint_disabled_email_has_a_safe_subject(
    settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 0  # the first failure disables the endpoint
    owner = f.UserFactory(is_superuser=True)
    endpoint, _ = services.webhook_endpoint_create(
        actor=owner,
        url="http://127.0.0.1:9/hook",
        event_types=[EventType.CLAIM_CREATED],
        description="CMS",
    )
    # The text policy refuses this description today; an endpoint saved before
    # it (or written by SQL) may still hold one, and the email stays safe.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        description="CMS\r\nBcc: everyone@example.org"
    )
    f.claim()
    delivery = Delivery.objects.get(endpoint=endpoint)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_send(delivery_id=delivery.pk) == "retry"

    endpoint.refresh_from_db()
    assert not endpoint.active
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert message.subject == (
        "[Claim tracker] Webhook endpoint disabled: CMS Bcc: everyone@example.org"
    )
    assert message.bcc == []
