"""A webhook endpoint's description and URL follow the project's text policy (claims/text.py)."""

from __future__ import annotations

import pytest

from notifications.models import WebhookEndpoint
from tests.api.conftest import api  # noqa: F401 (fixture)
from tests.notifications.test_api_admin import webhook_manager

pytestmark = pytest.mark.django_db
HOOK = {"url": "http://127.0.0.1:9/h", "event_types": ["claim.status_changed"]}


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("description", "CMS\u202egnp.exe", "right-to-left override (U+202E)"),
        ("description", "CMS\r\nBcc: someone@example.org", "carriage return (U+000D)"),
        ("description", "CMS\x1b[31m", "U+001B"),
        ("url", 'http://127.0.0.1:9/h"><script>', "quotes or angle brackets"),
    ],
)
def test_a_description_or_url_the_policy_refuses_is_a_400_naming_the_field(
    api,  # noqa: F811
    field,
    value,
    words,
):
    answer = api(webhook_manager()).post("/api/v1/webhooks/", {**HOOK, field: value})
    assert answer.status_code == 400, answer.data
    assert words in str(answer.json()["errors"][field])
    assert not WebhookEndpoint.objects.exists()


def test_a_description_in_any_script_is_stored_as_nfc(api):  # noqa: F811
    created = api(webhook_manager()).post(
        "/api/v1/webhooks/", {**HOOK, "description": "Cafe\u0301 — خبر — समाचार — 新闻"}
    )
    assert created.status_code == 201, created.data
    assert WebhookEndpoint.objects.get().description == "Café — خبر — समाचार — 新闻"
