"""The claim page as a review workspace, in a real browser at 1280 and 1920 px: the claim and
its verdict panel on top, what was said beside what was found, nothing wider than the content
column (long URLs, long quotes, other scripts), the histories folded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from claims import services as claim_services
from tests import factories as f
from verification.models import Channel
from verification.services import claim_transition

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
LONG_URL = "https://example.org/" + "very-long-path-segment-" * 12 + "?" + "q=troops&" * 20

# Every element of the content column, with its right edge; those past the column's edge.
OVERFLOWING = """() => {
  const column = document.querySelector('#content-main').getBoundingClientRect();
  return [...document.querySelectorAll('#content-main *')]
    .filter(e => {
      const r = e.getBoundingClientRect();
      return r.width && r.right > column.right + 1;
    })
    .slice(0, 10)
    .map(e => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`);
}"""


def a_claim_under_review() -> Any:
    editor, reviewer = f.editor(), f.reviewer(username="olena")
    claim = f.claim(
        actor=editor,
        text="Russia has ordered troops near Ukraine's border back to their bases after drills.",
        claimant=f.source(name="Dmitry Peskov", role="Kremlin spokesperson"),
        assignee=reviewer,
    )
    quotes = [
        ("supports", "Interfax", "Подразделения Южного военного округа возвращаются в пункты "
         "постоянной дислокации после учений."),
        ("counters", "Dmytro Kuleba", "Ми не віримо, коли чуємо, ми віримо, коли бачимо. " * 6),
        ("counters", "NATO", "So far we have not seen any sign of de-escalation on the ground."),
        ("context", "Al Jazeera", "قالت روسيا إن بعض قواتها تعود إلى قواعدها بعد التدريبات."),
    ]  # fmt: skip
    for stance, name, quote in quotes:
        f.statement(claim=claim, source=f.source(name=name), quote=quote, stance=stance,
                    url=LONG_URL, actor=editor)  # fmt: skip
    claim_services.appearance_add(
        actor=editor, claim=claim, url=LONG_URL, outlet="Example News", quote="x " * 300
    )
    evidence = [
        f.evidence(claim=claim, url=LONG_URL, description="Satellite imagery " * 30, actor=editor),
        f.evidence(claim=claim, file=f.png_upload("crimea-" + "x" * 150 + ".png"), actor=editor),
    ]
    f.transition(claim=claim, status="in_review", actor=reviewer)
    claim.refresh_from_db()
    claim_transition(
        actor=reviewer, claim=claim, status="false", reason="No withdrawal visible. " * 20,
        evidence=evidence, channel=Channel.ADMIN,
    )  # fmt: skip
    return claim


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_claim_page_fits_its_column_and_puts_the_review_on_top(
    live_server: Any, browser: Any, tmp_path: Path, width: int
) -> None:
    claim = a_claim_under_review()
    approver = f.reviewer(username="marc")
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", approver.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")

    page.goto(live_server.url + reverse("admin:claims_claim_change", args=[claim.pk]))
    page.wait_for_selector("#review-workspace")
    page.screenshot(path=str(tmp_path / f"claim-page-{width}.png"), full_page=True)

    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # On top: the claim, who said it, the assignee, the verdict panel with its actions.
    top = page.locator("#review-workspace")
    assert "Russia has ordered troops" in top.inner_text()
    assert "Dmitry Peskov" in page.locator("#claim-summary").inner_text()
    assert "olena" in page.locator("#claim-assignee").inner_text()
    assert page.locator("#verdict-panel a.approve-link").is_visible()
    workspace_bottom = top.bounding_box()["y"] + top.bounding_box()["height"]
    assert workspace_bottom < page.locator("#claim_form fieldset").first.bounding_box()["y"]
    # What was said beside what was found.
    said, found = (page.locator(s).bounding_box() for s in ("#board-statements", "#board-evidence"))
    assert said["y"] == found["y"] and said["x"] + said["width"] <= found["x"]
    assert page.locator("#board-statements .ws-card").count() == 4
    assert page.locator("#board-evidence .ws-card").count() == 2
    # The histories folded until asked for.
    assert page.locator("#histories").get_attribute("open") is None
    assert not page.locator("#status-history").is_visible()
    page.click("#histories > summary")
    assert page.locator("#status-history").is_visible()
    assert page.evaluate(OVERFLOWING) == []
    page.click("#edit-history .history-filter >> text=statements")
    page.wait_for_selector("#histories[open]")
    rows = page.locator("#edit-history tbody tr").all_inner_texts()
    assert rows and all("Statement" in row for row in rows)
    context.close()
