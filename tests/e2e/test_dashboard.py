"""The reviewer's dashboard in a real browser with JavaScript off: its lists, counts and
charts are there and readable, nothing wider than the page, at 1280 and 1920 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests import factories as f
from tests.e2e.test_claim_workspace import PASSWORD
from verification.models import Channel
from verification.services import claim_transition

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def a_team_at_work() -> Any:
    rita, olena = f.reviewer(username="rita"), f.reviewer(username="Олена")
    texts = [
        "Russia has ordered troops near Ukraine's border back to their bases after drills.",
        "Войска Южного военного округа возвращаются в пункты постоянной дислокации.",
        "Les troupes russes se retirent de la frontière ukrainienne, selon Moscou.",
        "قالت روسيا إن بعض قواتها تعود إلى قواعدها بعد التدريبات " * 3,
    ]
    for text in texts:
        f.claim(text=text, assignee=rita)
    for n, status in enumerate(["false", "misleading", "verified", "false", "unproven"]):
        f.verdict(claim=f.claim(text=f"Checked claim {n}", assignee=olena), status=status)
    proposed = f.claim(
        text="NATO says it has seen no sign of de-escalation on the ground.", assignee=olena
    )
    f.transition(claim=proposed, status="in_review", actor=olena)
    proposed.refresh_from_db()
    claim_transition(
        actor=olena, claim=proposed, status="false", reason="Satellite images show no withdrawal.",
        evidence=[f.evidence(claim=proposed, actor=olena)], channel=Channel.ADMIN,
    )  # fmt: skip
    return rita


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_dashboard_reads_without_javascript(
    live_server: Any, browser: Any, tmp_path: Path, width: int
) -> None:
    rita = a_team_at_work()
    context = browser.new_context(
        viewport={"width": width, "height": 1000}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", rita.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#dash-mine")
    page.screenshot(path=str(tmp_path / f"dashboard-{width}.png"), full_page=True)

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert "Assigned to me, needing work (4)" in page.locator("#dash-mine").inner_text()
    assert "Войска Южного" in page.locator("#dash-mine").inner_text()
    awaiting = page.locator("#dash-awaiting").inner_text()
    assert "NATO says" in awaiting and "proposed by Олена" in awaiting
    assert "Claims by status (10)" in page.content()
    for chart in ("#dash-verdicts", "#dash-median", "#dash-reviewers"):
        box = page.locator(f"{chart} svg").bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, chart
    # The charts' words are text in the page: the reviewers, the verdicts' names.
    reviewers = page.locator("#dash-reviewers svg").text_content() or ""
    assert "rita" in reviewers and "Олена" in reviewers
    assert "False" in (page.locator("#dash-verdicts svg").text_content() or "")
    # The figures behind a chart, as a table, open without a script.
    page.click("#dash-verdicts summary")
    assert page.locator("#dash-verdicts details table").is_visible()
    # The list of everything is still there.
    assert page.locator("#content-related a", has_text="Claims").first.is_visible()
    page.click("#dash-mine a >> nth=0")
    assert page.url.startswith(live_server.url + reverse("admin:claims_claim_changelist"))
    assert page.url.endswith("/change/")
    context.close()
