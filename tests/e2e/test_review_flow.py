"""Two reviewers, in a real browser: one attaches evidence to a claim and proposes a verdict,
the other approves it and publishes the fact check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from claims.models import Claim, ClaimStatus
from tests import factories as f
from verification.models import Channel, StatusChange

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def test_reviewer_proposes_a_verdict_and_another_approves_it(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    reviewer = f.reviewer(username="rita")
    approver = f.reviewer(username="marc")
    claim = f.claim(
        text="Russia has ordered troops near Ukraine's border back to their bases.",
        claimant=f.source(name="Dmitry Peskov", role="Kremlin spokesperson"),
    )
    f.statement(
        claim=claim,
        source=f.source(name="Dmytro Kuleba", role="Ukraine's foreign minister"),
        quote="We won\u2019t believe when we hear, we\u2019ll believe when we see.",
        stance="counters",
    )
    f.transition(claim=claim, status=ClaimStatus.IN_REVIEW)

    sign_in(page, live_server, reviewer.username)

    # Find the claim in the list and open it.
    page.goto(f"{live_server.url}{reverse('admin:claims_claim_changelist')}?q=bases")
    page.click("text=Russia has ordered troops")
    page.wait_for_selector("text=We won\u2019t believe when we hear")

    # Attach a satellite image as evidence.
    file_input = page.locator("input[type=file]:not([name*=__prefix__])")
    prefix = file_input.get_attribute("name").removesuffix("-file")
    file_input.set_input_files(
        {"name": "satellite-crimea.png", "mimeType": "image/png", "buffer": f.PNG_BYTES}
    )
    page.select_option(f"select[name='{prefix}-kind']", "image")
    page.select_option(f"select[name='{prefix}-stance']", "refutes")
    page.fill(f"textarea[name='{prefix}-description']", "No convoys leaving Crimea on 16 Feb.")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert page.locator("text=satellite-crimea.png").count() >= 1

    # Propose a verdict, citing that evidence: the status waits for a second reviewer.
    page.click("a.change-status-link >> nth=0")
    page.wait_for_selector("#change-status-form")
    offered = page.locator("select[name=status] option").all_inner_texts()
    assert "Verified" in offered and "In review" not in offered
    page.select_option("select[name=status]", "misleading")
    page.fill("textarea[name=reason]", "Imagery shows no withdrawal from Crimea.")
    page.check("input[name=evidence]")
    page.click("#change-status-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "Proposed Misleading" in page.locator(".messagelist .success").inner_text()
    proposal = page.locator("#pending-proposal")
    assert "proposed by rita" in proposal.inner_text()
    assert "You proposed it" in proposal.inner_text()
    assert proposal.locator("a.approve-link").count() == 0
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW
    page.screenshot(path=str(tmp_path / "claim-proposed.png"), full_page=True)

    # Another reviewer finds it awaiting their approval, and approves it.
    page.click("#logout-form button")
    sign_in(page, live_server, approver.username)
    page.goto(f"{live_server.url}{reverse('admin:verification_verdictproposal_changelist')}")
    page.click("text=Awaiting my approval")
    page.click("#result_list >> text=Russia has ordered troops")
    page.wait_for_selector("#pending-proposal")
    page.click("#pending-proposal a.approve-link")
    page.wait_for_selector("#verdict-decision-form")
    assert "Imagery shows no withdrawal from Crimea." in page.locator("#proposal").inner_text()
    page.fill("textarea[name=reason]", "Checked the imagery myself.")
    page.click("#verdict-decision-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "Approved: the status is now Misleading." in page.locator(".messagelist").inner_text()
    page.screenshot(path=str(tmp_path / "claim-after-review.png"), full_page=True)

    # What the reviewers see, and what was recorded.
    assert page.locator(".claim-status-bar").inner_text().count("Misleading") == 1
    assert page.locator("#pending-proposal").count() == 0
    page.click("#histories > summary")  # the histories are folded
    assert "rita, approved by marc" in page.locator("#status-history").inner_text()
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.status == ClaimStatus.MISLEADING
    change = StatusChange.objects.filter(claim=claim).latest("at")
    assert (change.from_status, change.to_status) == ("in_review", "misleading")
    assert change.actor == approver
    assert change.proposal.proposed_by == reviewer
    assert change.channel == Channel.ADMIN
    assert [e.original_name for e in change.evidence.all()] == ["satellite-crimea.png"]

    # Publish the verdict: the page is public at once, with the explanation.
    page.click("#publication-bar a.publish-link")
    page.wait_for_selector("#publication-form")
    page.click("#publication-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "Published as “Misleading”" in page.locator(".messagelist .success").inner_text()
    page.click("#publication-bar >> text=View the fact check")
    page.wait_for_selector("main h1")
    assert page.locator("main h1").inner_text() == claim.text
    assert page.locator("text=Imagery shows no withdrawal from Crimea.").is_visible()
    assert page.locator(".verdict").first.inner_text() == "Misleading"
