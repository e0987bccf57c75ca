"""Malformed input that only a crafted request sends gets a 4xx or a form error, never a 500."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/claims/claim/?status__exact=%00",
        "/admin/claims/claim/?q=troops%00",
        "/admin/claims/claim/?claimant__id__exact=%00",
        "/admin/claims/source/?q=%00",
        "/admin/autocomplete/?app_label=claims&model_name=claim&field_name=claimant&term=%00",
        "/admin/pghistory/events/?q=%00",
    ],
)
def test_a_nul_character_in_an_admin_query_is_a_400_saying_so(
    admin_client: Client, url: str
) -> None:
    factories.claim()

    response = admin_client.get(url)

    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize("debug", [False, True])
def test_a_nul_character_in_an_api_query_is_a_problem(client: Client, settings, debug) -> None:
    settings.DEBUG = debug  # the same answer, not Django's debug page

    response = client.get("/api/v1/claims/?status=verified&tag=a%00b")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "NUL character" in response.json()["detail"]


def _actions_with_rows() -> list[tuple[str, str]]:
    """(changelist URL, action name) of every admin's own actions, and a site-wide one."""
    rows = [(reverse("admin:notifications_subscription_changelist"), "delete_selected")]
    for model, model_admin in admin.site._registry.items():
        for name in getattr(model_admin, "actions", None) or []:
            if isinstance(name, str):
                info = (model._meta.app_label, model._meta.model_name)
                rows.append((reverse("admin:{}_{}_changelist".format(*info)), name))
    return rows


@pytest.mark.parametrize(("url", "action"), _actions_with_rows())
def test_an_action_on_a_selection_that_is_not_a_key_changes_nothing(
    admin_client: Client, url: str, action: str
) -> None:
    response = admin_client.post(
        url, {"action": action, "_selected_action": ["not-a-key"], "index": 0}, follow=True
    )

    assert response.status_code == 200
    assert "The selection is not one of the listed rows" in response.content.decode()


def test_a_claimant_that_is_not_a_key_is_a_form_error(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:claims_claim_add"),
        {"text": "Troops are withdrawing.", "claimant": "not-a-key", "language": "en"},
    )

    assert response.status_code == 200
    assert "“not-a-key” is not a valid UUID." in response.content.decode()
