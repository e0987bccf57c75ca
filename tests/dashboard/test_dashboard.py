"""The admin's front page: a reviewer's lists, the team's figures and charts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from claims import services as claim_services
from claims.models import Claim
from dashboard.selectors import LIST_LENGTH, WEEKS, dashboard_figures
from tests import factories
from tests.admin.conftest import signed_in
from verification import services as verification_services
from verification.models import Channel

pytestmark = pytest.mark.django_db
INDEX = reverse("admin:index")


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<section class="module" id="{section_id}".*?</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def _proposed(claim: Claim, proposer: User) -> None:
    """``claim`` taken into review and given a verdict proposal by ``proposer``."""
    factories.transition(claim=claim, status="in_review", actor=proposer)
    claim.refresh_from_db()
    verification_services.claim_transition(
        actor=proposer,
        claim=claim,
        status="unproven",
        reason="Nothing either way yet.",
        channel=Channel.ADMIN,
    )


def test_my_open_claims_and_only_mine(reviewer_user: User, reviewer_client: Client) -> None:
    other = factories.reviewer(username="oksana")
    mine = factories.claim(text="Troops returned to their bases", assignee=reviewer_user)
    in_review = factories.claim(text="Войска отведены от границы", assignee=reviewer_user)
    factories.transition(claim=in_review, status="in_review", actor=reviewer_user)
    done = factories.claim(text="A claim with a verdict already", assignee=reviewer_user)
    factories.verdict(claim=done, status="false")
    factories.claim(text="Someone else's claim", assignee=other)
    factories.claim(text="Nobody's claim")

    mine_section = _section(reviewer_client.get(INDEX).content.decode(), "dash-mine")

    assert "Assigned to me, needing work (2)" in mine_section
    assert mine.text in mine_section and in_review.text in mine_section
    assert "verdict already" not in mine_section
    assert "Someone else" not in mine_section and "Nobody" not in mine_section
    # Longest untouched first.
    assert mine_section.index(mine.text) < mine_section.index(in_review.text)
    assert reverse("admin:claims_claim_change", args=[mine.pk]) in mine_section


def test_a_long_list_shows_its_first_rows_and_links_to_all(
    reviewer_user: User, reviewer_client: Client
) -> None:
    for n in range(LIST_LENGTH + 3):
        factories.claim(text=f"Claim number {n} about the border", assignee=reviewer_user)

    mine_section = _section(reviewer_client.get(INDEX).content.decode(), "dash-mine")

    assert f"Assigned to me, needing work ({LIST_LENGTH + 3})" in mine_section
    assert mine_section.count("Claim number") == LIST_LENGTH
    assert "?assigned=me&amp;needs_review=yes" in mine_section
    assert f"All {LIST_LENGTH + 3} →" in mine_section


def test_proposals_awaiting_my_approval_not_my_own(
    reviewer_user: User, reviewer_client: Client, settings: Settings
) -> None:
    settings.VERDICT_APPROVAL_REQUIRED = True
    olena = factories.reviewer(username="olena")
    theirs = factories.claim(text="Russia ordered troops back to their bases")
    mine = factories.claim(text="Sanctions were lifted overnight")
    for claim, proposer in ((theirs, olena), (mine, reviewer_user)):
        _proposed(claim, proposer)

    page = reviewer_client.get(INDEX).content.decode()
    awaiting = _section(page, "dash-awaiting")

    assert "Verdicts awaiting my approval (1)" in awaiting
    assert theirs.text in awaiting and "proposed by olena" in awaiting
    assert mine.text not in awaiting
    assert "Unproven" in awaiting


def test_a_viewer_sees_no_approvals_and_a_user_without_claims_sees_no_dashboard(
    viewer_client: Client, db: None
) -> None:
    factories.claim(text="Troops returned to their bases")

    page = viewer_client.get(INDEX).content.decode()
    assert 'id="dash-mine"' in page and 'id="dash-awaiting"' not in page

    stranger = User.objects.create_user("webhooks-admin", is_staff=True)
    page = signed_in(stranger).get(INDEX).content.decode()
    assert 'id="dash-' not in page and "pygal-chart" not in page
    assert "Troops returned" not in page
    assert "You don’t have permission to view or edit anything." in page


def test_recently_changed_claims(reviewer_user: User, reviewer_client: Client) -> None:
    older = factories.claim(text="An older claim")
    newer = factories.claim(text="A newer claim")
    claim_services.claim_assign(actor=reviewer_user, claim=older, assignee=reviewer_user)

    recent = _section(reviewer_client.get(INDEX).content.decode(), "dash-recent")

    assert recent.index(older.text) < recent.index(newer.text)  # assigning changed it last
    assert "assigned to rita" in recent and "unassigned" in recent


def test_counts_by_status_link_to_the_list(reviewer_client: Client) -> None:
    for _ in range(3):
        factories.claim()
    factories.verdict(claim=factories.claim(), status="misleading")

    page = reviewer_client.get(INDEX).content.decode()

    assert "Claims by status (4)" in page
    changelist = reverse("admin:claims_claim_changelist")
    for status, label, count in (("unverified", "Unverified", 3), ("misleading", "Misleading", 1),
                                 ("verified", "Verified", 0)):  # fmt: skip
        link = f'<a href="{changelist}?status__exact={status}"><strong>{count}</strong>{label}</a>'
        assert link in page


def test_verdicts_per_week_and_median_time_to_verdict() -> None:
    now = timezone.now()
    for days, status in ((2, "false"), (10, "false"), (30, "verified")):
        claim = factories.claim(first_seen_at=now - timedelta(days=days))
        factories.verdict(claim=claim, status=status)
    # One claim that was never given a first sighting: its creation counts.
    factories.verdict(claim=factories.claim(), status="unproven")

    figures = dashboard_figures()
    this_week = (timezone.localtime(now) - timedelta(days=now.weekday())).date()

    assert len(figures.weeks) == WEEKS and figures.weeks[-1] == this_week
    assert figures.verdicts_per_week["false"][-1] == 2
    assert figures.verdicts_per_week["verified"][-1] == 1
    assert figures.verdicts_per_week["unproven"][-1] == 1
    assert sum(map(sum, figures.verdicts_per_week.values())) == 4
    assert figures.verdicts_per_month[-1] == 4
    # Medians of 0, 2, 10 and 30 days.
    assert figures.median_days[-1] == 6.0
    assert figures.median_days_year == 6.0
    assert figures.median_days[:-1] == [None] * 11

    # Three weeks on, the same verdicts are in the week they were reached, and the months
    # without verdicts have no median.
    later = dashboard_figures(now=timezone.localtime(now) + timedelta(weeks=3))
    assert later.verdicts_per_week["false"][-4] == 2
    assert sum(later.verdicts_per_week["false"][-3:]) == 0


def test_a_year_ago_is_out_of_the_figures() -> None:
    factories.verdict(claim=factories.claim(), status="false")

    next_year = dashboard_figures(now=timezone.localtime() + timedelta(days=400))

    assert sum(map(sum, next_year.verdicts_per_week.values())) == 0
    assert next_year.median_days_year is None
    assert next_year.status_counts[2:4] == [("verified", "Verified", 0), ("false", "False", 1)]


def test_open_claims_per_reviewer(reviewer_user: User, reviewer_client: Client) -> None:
    dmytro = factories.reviewer(username="Дмитро")
    for _ in range(3):
        factories.claim(assignee=dmytro)
    factories.claim(assignee=reviewer_user)
    factories.verdict(claim=factories.claim(assignee=reviewer_user), status="false")
    factories.claim()
    factories.claim()

    figures = dashboard_figures()
    assert figures.open_per_reviewer == [("Дмитро", 3), ("rita", 1)]
    assert figures.open_unassigned == 2 and figures.open_others == 0

    page = reviewer_client.get(INDEX).content.decode()
    chart = re.search(r'<figure class="dash-chart" id="dash-reviewers">.*?</figure>', page, re.S)
    assert chart
    assert "Дмитро" in chart.group(0) and ">3<" in chart.group(0)
    assert "?assigned=nobody&amp;needs_review=yes" in chart.group(0)


def test_charts_are_static_svg_with_no_script_and_claim_text_escaped(
    reviewer_user: User, reviewer_client: Client
) -> None:
    hostile = '<script>alert("x")</script> & "quoted"'
    factories.verdict(claim=factories.claim(text=hostile, assignee=reviewer_user), status="false")
    factories.claim(text=hostile, assignee=reviewer_user)

    page = reviewer_client.get(INDEX).content.decode()

    charts = re.findall(r'<svg [^>]*class="pygal-chart".*?</svg>', page, re.S)
    assert len(charts) == 3
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    for svg in charts:
        assert "<script" not in svg
        assert 'role="img"' in svg
        assert "kozea.github.io" not in svg and "//cdn" not in svg
    assert 'aria-label="Verdicts per week over the last year, by verdict"' in charts[0]


def test_figures_are_kept_and_the_lists_stay_live(
    reviewer_user: User, reviewer_client: Client, settings: Settings
) -> None:
    settings.DASHBOARD_FIGURES_SECONDS = 60
    factories.claim(text="First claim", assignee=reviewer_user)
    assert "Claims by status (1)" in reviewer_client.get(INDEX).content.decode()

    factories.claim(text="Second claim", assignee=reviewer_user)
    page = reviewer_client.get(INDEX).content.decode()
    assert "Claims by status (1)" in page  # the figures kept
    assert "Assigned to me, needing work (2)" in page  # the list live
    assert "computed again at most every 60 seconds" in page

    settings.DASHBOARD_FIGURES_SECONDS = 0
    assert "Claims by status (2)" in reviewer_client.get(INDEX).content.decode()


@pytest.mark.parametrize("claims", [2, LIST_LENGTH + 5])
def test_query_count_is_pinned(
    claims: int,
    reviewer_user: User,
    django_assert_num_queries: DjangoAssertNumQueries,
    settings: Settings,
) -> None:
    settings.DASHBOARD_FIGURES_SECONDS = 60
    settings.VERDICT_APPROVAL_REQUIRED = True
    proposer = factories.reviewer(username="olena")
    for n in range(claims):
        _proposed(factories.claim(text=f"Claim {n}", assignee=reviewer_user), proposer)
    client = Client()
    client.force_login(reviewer_user)
    # Each list counts its rows only when it shows fewer than it holds.
    counted = 2 if claims > LIST_LENGTH else 0

    # The session, the user, their permissions (2); my claims, proposals awaiting me, recent
    # changes; the figures: counts by status, verdicts per week, the medians (by month and
    # over the year, in one query), open claims per reviewer.
    with django_assert_num_queries(4 + 3 + counted + 4):
        assert client.get(INDEX).status_code == 200
    # Kept figures: the lists only.
    with django_assert_num_queries(4 + 3 + counted):
        assert client.get(INDEX).status_code == 200


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [(0, [0, 1]), (2, [0, 1, 2]), (9, [0, 2, 4, 6, 8, 10]), (2800, list(range(0, 3001, 500)))],
)
def test_count_axes_have_whole_number_ticks(largest: int, ticks: list[int]) -> None:
    from dashboard.charts import _count_ticks

    assert _count_ticks(largest) == ticks
