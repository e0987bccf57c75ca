"""The API and admin of notifications."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.utils.html import escape

from claims.text import WEB_ADDRESS_MESSAGE
from notifications.models import Delivery, DeliveryStatus, EventType, Subscription, WebhookEndpoint
from tests import factories as f
from tests.api.conftest import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def webhook_manager():
    user = f.editor()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="notifications", codename__endswith="webhookendpoint"
        )
    )
    return user


def test_subscriptions_api(api):  # noqa: F811
    user = f.viewer()
    claim = f.claim()
    client = api(user)
    created = client.post("/api/v1/subscriptions/", {"target": "claim", "claim": str(claim.pk)})
    assert created.status_code == 201, created.data
    again = client.post("/api/v1/subscriptions/", {"target": "claim", "claim": str(claim.pk)})
    assert again.data["id"] == created.data["id"]
    listed = client.get("/api/v1/subscriptions/")
    assert [item["claim"] for item in listed.data["results"]] == [claim.pk]
    bad = client.post("/api/v1/subscriptions/", {"target": "tag"})
    assert bad.status_code == 400
    other = api(f.viewer()).get("/api/v1/subscriptions/")
    assert other.data["results"] == []
    assert client.delete(f"/api/v1/subscriptions/{created.data['id']}/").status_code == 204
    assert not Subscription.objects.exists()


def test_webhooks_api_flow(api):  # noqa: F811
    client = api(webhook_manager())
    created = client.post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/h", "event_types": ["claim.status_changed"]},
    )
    assert created.status_code == 201, created.data
    assert created.data["secret"].startswith("whsec_")
    hook = f"/api/v1/webhooks/{created.data['id']}/"
    assert "secret" not in client.get(hook).data
    rotated = client.post(f"{hook}rotate-secret/")
    assert rotated.data["secret"] != created.data["secret"]
    assert client.patch(hook, {"description": "CMS"}).data["description"] == "CMS"
    assert client.post(f"{hook}test/").status_code == 202
    deliveries = client.get(f"{hook}deliveries/").data["results"]
    assert [d["event_type"] for d in deliveries] == [EventType.WEBHOOK_TEST]
    redeliver = f"{hook}deliveries/{deliveries[0]['id']}/redeliver/"
    assert client.post(redeliver).status_code == 400  # still pending
    assert client.post(f"{hook}deliveries/not-a-number/redeliver/").status_code == 404
    Delivery.objects.update(status=DeliveryStatus.DEAD)
    assert client.post(redeliver).data["status"] == DeliveryStatus.PENDING
    bad = client.post("/api/v1/webhooks/", {"url": "http://127.0.0.1/", "event_types": ["x"]})
    assert bad.status_code == 400
    assert api(f.viewer()).get("/api/v1/webhooks/").status_code == 403


def test_watch_button_on_the_claim_page(client):
    user = f.editor()
    claim = f.claim()
    client.force_login(user)
    page = client.get(f"/admin/claims/claim/{claim.pk}/change/")
    assert b'class="watch-button"' in page.content and b">Watch<" in page.content
    client.post(f"/admin/notifications/subscription/claim/{claim.pk}/watch/", {"watch": "1"})
    assert Subscription.objects.filter(user=user, claim=claim).exists()
    assert b">Unwatch<" in client.get(f"/admin/claims/claim/{claim.pk}/change/").content
    assert client.get("/admin/notifications/subscription/").status_code == 200
    client.post(f"/admin/notifications/subscription/claim/{claim.pk}/watch/", {"watch": "0"})
    assert Subscription.objects.get(user=user, claim=claim).muted
    assert b">Watch<" in client.get(f"/admin/claims/claim/{claim.pk}/change/").content


def test_the_creator_of_a_claim_unwatches_it_from_its_page(client):
    creator = f.editor()
    claim = f.claim(actor=creator)
    client.force_login(creator)
    page = f"/admin/claims/claim/{claim.pk}/change/"
    assert b">Unwatch<" in client.get(page).content  # watching as its creator
    done = client.post(
        f"/admin/notifications/subscription/claim/{claim.pk}/watch/", {"watch": "0"}, follow=True
    )
    assert "even as its creator or assignee" in done.content.decode()
    assert b">Watch<" in done.content
    mute = Subscription.objects.get(user=creator, claim=claim)
    assert mute.muted and str(mute).startswith("Muted: ")
    client.post(f"/admin/notifications/subscription/claim/{claim.pk}/watch/", {"watch": "1"})
    assert not Subscription.objects.get(pk=mute.pk).muted
    assert b">Unwatch<" in client.get(page).content


def test_a_claim_is_muted_and_unmuted_over_the_api(api):  # noqa: F811
    user = f.viewer()
    claim = f.claim(actor=f.editor(), tags=["nato"])
    client = api(user)
    client.post("/api/v1/subscriptions/", {"target": "tag", "tag": "nato"})
    body = {"target": "claim", "claim": str(claim.pk)}
    muted = client.post("/api/v1/subscriptions/", {**body, "muted": True}, format="json")
    assert (muted.status_code, muted.data["muted"]) == (201, True)
    watching = client.post("/api/v1/subscriptions/", body, format="json")
    assert (watching.data["id"], watching.data["muted"]) == (muted.data["id"], False)
    bad = client.post("/api/v1/subscriptions/", {"target": "tag", "tag": "nato", "muted": True})
    assert bad.status_code == 400
    assert "Only one claim can be muted" in bad.json()["errors"]["muted"][0]


def test_webhook_endpoints_are_added_in_the_admin_with_their_secret_shown_once(client):
    client.force_login(webhook_manager())
    add = "/admin/notifications/webhookendpoint/add/"
    form = {
        "url": "127.0.0.1:9/hook",
        "description": "Newsroom CMS",
        "event_types": ["claim.status_changed"],
        "active": "on",
    }
    refused = client.post(add, form)  # as in the API: an address names its scheme
    assert escape(WEB_ADDRESS_MESSAGE) in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()
    form["url"] = "https://127.0.0.1:9/hook"
    page = client.post(add, form, follow=True).content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert "shown only this once" in page and "whsec_" in page

    refused = client.post(add, {**form, "url": "https://user:secret@127.0.0.1:9/hook"})
    assert refused.status_code == 200  # the form again, with the service's reason
    assert "Put no user name or password in the URL" in refused.content.decode()
    assert WebhookEndpoint.objects.count() == 1

    change = f"/admin/notifications/webhookendpoint/{endpoint.pk}/change/"
    assert client.post(change, {**form, "description": "CMS (staging)"}).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.description == "CMS (staging)"
    refused = client.post(change, {**form, "url": "ftp://127.0.0.1:9/hook"})
    assert escape(WEB_ADDRESS_MESSAGE) in refused.content.decode()  # the API's words too
    endpoint.refresh_from_db()
    assert endpoint.url == "https://127.0.0.1:9/hook"


def test_webhook_and_subscription_bodies_refuse_keys_they_cannot_set(api):  # noqa: F811
    """As everywhere in the API: a key the operation does not take is a 400 naming it, never
    silently ignored (a misspelt event_type would have registered an endpoint for nothing)."""
    client = api(webhook_manager())
    url = "http://127.0.0.1:9/h"
    refused = client.post(
        "/api/v1/webhooks/",
        {"url": url, "event_types": ["claim.status_changed"], "event_type": "x", "owner": "eve"},
        format="json",
    )
    assert refused.status_code == 400, refused.content
    assert refused.json()["errors"] == {
        "event_type": ["Unknown field: this operation does not take it."],
        "owner": ["This field is read-only."],
    }
    assert not WebhookEndpoint.objects.exists()
    created = client.post(
        "/api/v1/webhooks/", {"url": url, "event_types": ["claim.status_changed"]}, format="json"
    )
    hook = f"/api/v1/webhooks/{created.json()['id']}/"
    for key, value in (("secret", "whsec_mine"), ("paused_reason", ""), ("id", "x")):
        changed = client.patch(hook, {key: value, "description": "CMS"}, format="json")
        assert changed.status_code == 400, (key, changed.content)
        assert changed.json()["errors"] == {key: ["This field is read-only."]}
    assert WebhookEndpoint.objects.get().description == ""

    watcher = api(f.viewer())
    claim = f.claim()
    body = {"target": "claim", "claim": str(claim.pk), "mute": True}
    refused = watcher.post("/api/v1/subscriptions/", body, format="json")
    assert refused.status_code == 400, refused.content
    assert refused.json()["errors"] == {"mute": ["Unknown field: this operation does not take it."]}
    body = {"target": "claim", "claim": str(claim.pk), "created_at": "2022-02-15T00:00:00Z"}
    refused = watcher.post("/api/v1/subscriptions/", body, format="json")
    assert refused.json()["errors"] == {"created_at": ["This field is read-only."]}
    assert not Subscription.objects.exists()
