"""Reads of the reviewer's dashboard: a reviewer's own lists (live) and the team's figures.

The lists are a handful of small index reads. The figures (counts by status, verdicts per
week, time to a verdict, open claims per reviewer) aggregate every claim, so the admin's
front page keeps them for ``DASHBOARD_FIGURES_SECONDS`` (``dashboard.views``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from claims.models import Claim, ClaimStatus
from claims.selectors import claim_needing_review
from verification.models import StatusChange
from verification.selectors import proposals_awaiting
from verification.workflow import VERDICTS

LIST_LENGTH = 10  # rows in each of the dashboard's lists
WEEKS = 52  # verdicts per week: this week and the 51 before it
MONTHS = 12  # time to a verdict: this month and the 11 before it
REVIEWERS_SHOWN = 15  # open claims per reviewer: the busiest, the others summed


@dataclass(frozen=True)
class Listed:
    """The first rows of a list and how many it holds in all."""

    rows: list[Any]
    total: int


@dataclass(frozen=True)
class Desk:
    """A reviewer's own lists."""

    mine: Listed  # claims assigned to them that need work, longest untouched first
    awaiting: Listed | None  # proposals they may approve, oldest first; None if they may not
    recent: list[Claim]  # claims changed last, by anyone


@dataclass(frozen=True)
class Figures:
    """The team's figures at ``at``."""

    at: datetime
    status_counts: list[tuple[str, str, int]]  # (status, label, claims) in workflow order
    weeks: list[date]  # the first day of each week, oldest first
    verdicts_per_week: dict[str, list[int]]  # verdict → verdicts reached in each week
    months: list[date]  # the first day of each month, oldest first
    median_days: list[float | None]  # median days from first seen to verdict, each month
    verdicts_per_month: list[int]  # the verdicts each median is of
    median_days_year: float | None  # the same over the whole period
    open_per_reviewer: list[tuple[str, int]]  # (username, open claims), busiest first
    open_others: int  # open claims of the reviewers not shown
    open_unassigned: int

    @property
    def claims(self) -> int:
        return sum(count for _, _, count in self.status_counts)

    @property
    def week_rows(self) -> list[tuple[date, list[int]]]:
        """Each week and its verdicts, in VERDICTS' order: the chart's figures as a table."""
        return [
            (week, [self.verdicts_per_week[verdict][n] for verdict in VERDICTS])
            for n, week in enumerate(self.weeks)
        ]

    @property
    def month_rows(self) -> list[tuple[date, float | None, int]]:
        return list(zip(self.months, self.median_days, self.verdicts_per_month, strict=True))


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)`` of an expression (a number or an interval)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    name = "Median"


def _listed(queryset: QuerySet[Any]) -> Listed:
    """The first LIST_LENGTH rows, and the total: counted only when there are more."""
    rows = list(queryset[:LIST_LENGTH])
    total = len(rows) if len(rows) < LIST_LENGTH else queryset.order_by().count()
    return Listed(rows=rows, total=total)


def reviewer_desk(*, reviewer: Any, may_approve: bool) -> Desk:
    """What ``reviewer`` has to do: their open claims, the proposals awaiting their approval
    (when ``may_approve``), and what changed last. Three to five queries."""
    mine = claim_needing_review(Claim.objects.filter(assignee=reviewer)).order_by(
        "updated_at", "id"
    )
    awaiting = proposals_awaiting(reviewer=reviewer) if may_approve else None
    recent = (
        Claim.objects.select_related("assignee")
        .only("id", "text", "status", "updated_at", "assignee__username")
        .order_by("-updated_at", "-id")
    )
    return Desk(
        mine=_listed(mine.only("id", "text", "status", "updated_at")),
        awaiting=_listed(awaiting) if awaiting is not None else None,
        recent=list(recent[:LIST_LENGTH]),
    )


def _verdicts_since(start: datetime) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(to_status__in=VERDICTS, at__gte=start).order_by()


def dashboard_figures(*, now: datetime | None = None) -> Figures:
    """The team's figures: four aggregate queries over the claims and their verdicts."""
    now = now or timezone.localtime()
    counts = dict(
        Claim.objects.order_by().values("status").annotate(n=Count("*")).values_list("status", "n")
    )
    status_counts = [(s.value, str(s.label), counts.get(s.value, 0)) for s in ClaimStatus]

    this_week = (now - timedelta(days=now.weekday())).date()
    weeks = [this_week - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    per_week: dict[str, list[int]] = {verdict: [0] * WEEKS for verdict in VERDICTS}
    index = {week: n for n, week in enumerate(weeks)}
    rows = (
        _verdicts_since(_aware(weeks[0]))
        .annotate(week=TruncWeek("at"))
        .values("week", "to_status")
        .annotate(n=Count("*"))
        .values_list("week", "to_status", "n")
    )
    for week, verdict, n in rows:
        position = index.get(timezone.localtime(week).date())
        if position is not None:
            per_week[verdict][position] = n

    months = _months_back(now.date().replace(day=1), MONTHS)
    waited = ExpressionWrapper(
        F("at") - Coalesce("claim__first_seen_at", "claim__created_at"),
        output_field=DurationField(),
    )
    # Each month's median and the whole period's in one pass over the verdicts.
    starts = [_aware(month) for month in months]
    ends: list[datetime | None] = [*starts[1:], None]  # this month's runs on
    periods = list(zip(starts, ends, strict=True))
    medians = _verdicts_since(starts[0]).aggregate(
        year=Median(waited, output_field=DurationField()),
        **{
            f"median_{n}": Median(waited, output_field=DurationField(), filter=_between(*period))
            for n, period in enumerate(periods)
        },
        **{f"count_{n}": Count("pk", filter=_between(*period)) for n, period in enumerate(periods)},
    )

    open_rows = list(
        claim_needing_review(Claim.objects.order_by())
        .values("assignee__username")
        .annotate(n=Count("*"))
        .order_by("-n", "assignee__username")
        .values_list("assignee__username", "n")
    )
    assigned = [(name, n) for name, n in open_rows if name is not None]
    return Figures(
        at=now,
        status_counts=status_counts,
        weeks=weeks,
        verdicts_per_week=per_week,
        months=months,
        median_days=[_days(medians[f"median_{n}"]) for n in range(MONTHS)],
        verdicts_per_month=[medians[f"count_{n}"] for n in range(MONTHS)],
        median_days_year=_days(medians["year"]),
        open_per_reviewer=assigned[:REVIEWERS_SHOWN],
        open_others=sum(n for _, n in assigned[REVIEWERS_SHOWN:]),
        open_unassigned=sum(n for name, n in open_rows if name is None),
    )


def _aware(day: date) -> datetime:
    """The start of ``day`` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _between(start: datetime, end: datetime | None) -> Q:
    return Q(at__gte=start, at__lt=end) if end else Q(at__gte=start)


def _months_back(first: date, count: int) -> list[date]:
    """The first days of ``count`` months ending with ``first``'s, oldest first."""
    months = [first]
    while len(months) < count:
        previous = months[-1] - timedelta(days=1)
        months.append(previous.replace(day=1))
    return months[::-1]


def _days(waited: timedelta | None) -> float | None:
    return None if waited is None else round(waited.total_seconds() / 86400, 1)
