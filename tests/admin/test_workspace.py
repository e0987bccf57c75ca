"""The claim page's review board and folded, filterable history (the layout itself is checked
in a browser: tests/e2e/test_claim_workspace.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def page_of(client: Client, claim, query: str = "") -> str:
    url = reverse("admin:claims_claim_change", args=[claim.pk]) + query
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_what_was_said_is_grouped_by_stance_beside_what_was_found(viewer_client: Client) -> None:
    claim = factories.claim(text="Troops are going back to their bases.")
    factories.statement(claim=claim, quote="They are leaving.", stance="supports")
    factories.statement(claim=claim, quote="We see no sign of it.", stance="counters")
    withdrawn = factories.evidence(claim=claim, description="An old photo.")
    factories.evidence(claim=claim, description="Satellite image of 16 February.")
    from verification.services import evidence_withdraw

    evidence_withdraw(actor=factories.editor(), evidence=withdrawn, reason="From 2014.")

    text = page_of(viewer_client, claim)
    said = text.split('id="board-statements"')[1].split('id="board-evidence"')[0]
    found = text.split('id="board-evidence"')[1].split("</section>")[0]
    assert said.index("Supporting (1)") < said.index("They are leaving.")
    assert said.index("Counter-statements (1)") < said.index("We see no sign of it.")
    assert "Context (0)" in said
    # Evidence that stands first, the withdrawn last and marked so.
    assert found.index("Satellite image of 16 February.") < found.index("An old photo.")
    assert "ws-withdrawn" in found and "From 2014." in found


def test_the_history_is_folded_and_narrowed_on_request(editor_client: Client) -> None:
    claim = factories.claim()
    factories.statement(claim=claim, quote="A quote for the history.")
    factories.evidence(claim=claim)

    folded = page_of(editor_client, claim)
    assert '<details class="claim-histories" id="histories">' in folded
    narrowed = page_of(editor_client, claim, "?history=Statement")
    assert '<details class="claim-histories" id="histories" open>' in narrowed
    edits = narrowed.split('id="edit-history"')[1]
    assert "Statement added" in edits
    assert "Evidence added" not in edits and "Claim created" not in edits
    # Anything else shows everything (and never fails).
    for other in ("?history=nonsense", "?history=", "?history=statement", "?history=Claim%20"):
        assert "Claim created" in page_of(editor_client, claim, other).split('id="edit-history"')[1]
