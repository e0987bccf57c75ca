"""Reads of claims: the query shape of lists and of a claim's page (counts, histories)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
    Value,
)
from django.db.models.functions import Coalesce, JSONObject
from pghistory.models import Events

from claims.models import (
    Claim,
    ClaimLink,
    ClaimStatus,
    Source,
    Statement,
    StatementStance,
    Tag,
)
from core.queries import AnyOf, CompiledRows
from interchange.selectors import review_rows
from publishing.models import RatingLabel
from verification.models import Evidence
from verification.selectors import (
    evidence_captures_loaded,
    evidence_citable,
    proposal_pending_json,
)

# Claims a reviewer still has to look at.
NEEDS_REVIEW_STATUSES = (ClaimStatus.UNVERIFIED, ClaimStatus.IN_REVIEW)

# Bookkeeping columns that change on every edit; the history shows what a person changed.
_HISTORY_HIDDEN_FIELDS = frozenset(
    {"id", "updated_at", "created_at", "added_at", "version", "claim", "file"}
)
_HISTORY_USER_FIELDS = frozenset({"assignee", "created_by", "added_by", "withdrawn_by"})
_HISTORY_SOURCE_FIELDS = frozenset({"claimant", "source"})
EDIT_HISTORY_LIMIT = 200


def _count(queryset: QuerySet[Any]) -> Subquery:
    """A correlated count: computed only for the rows a page returns, unlike a join."""
    return Subquery(
        queryset.order_by().values("claim").annotate(n=Func("pk", function="COUNT")).values("n"),
        output_field=IntegerField(),
    )


def claim_list() -> QuerySet[Claim]:
    """Claims with what a list row shows: claimant, assignee and the counts of their parts."""
    statements = Statement.objects.filter(claim=OuterRef("pk"))
    return Claim.objects.select_related("claimant", "assignee").annotate(
        supporting_count=Coalesce(_count(statements.filter(stance=StatementStance.SUPPORTS)), 0),
        countering_count=Coalesce(_count(statements.filter(stance=StatementStance.COUNTERS)), 0),
        evidence_count=Coalesce(_count(evidence_citable(claim=OuterRef("pk"))), 0),
    )


# The columns of claim_rows(): the claim's own, its claimant's and assignee's, the counts.
CLAIM_ROW_FIELDS = (
    "id",
    "text",
    "summary",
    "status",
    "language",
    "first_seen_at",
    "version",
    "merged_into_id",
    "created_at",
    "updated_at",
    "claimant_id",
    "claimant__name",
    "claimant__role",
    "assignee__username",
    "supporting_count",
    "countering_count",
    "evidence_count",
    # Its publication (publishing.models.Publication), when it has one.
    "publication__slug",
    "publication__publish_at",
    "publication__unpublished_at",
    "publication__first_published_at",
    "publication__verdict",
    "publication__rating_label",
    "publication__rating_value",
    "publication__best_rating",
    "publication__worst_rating",
    # Where it was imported from, when an import created it (interchange.models.ImportedClaim).
    "imported__source",
)


def claim_rows() -> QuerySet[Claim, dict[str, Any]]:
    """claim_list() as dicts, tag names included: one query and no model instances.

    For reads that only show claims (the API): building model instances, prefetching tags and
    serializing field by field was most of a list request's time (bench/). Annotations added
    later (a search rank, a sort key) are in the rows too.
    """
    return _claim_rows().all()


@functools.cache
def _claim_rows() -> QuerySet[Claim, dict[str, Any]]:
    # Built once per process and cloned for each use, like a view's ``queryset`` attribute:
    # resolving the subqueries again for every request cost more than running them (bench/).
    tag_names = Tag.objects.filter(claims=OuterRef("pk")).order_by("name").values("name")
    # The active rating scale's label of the claim's verdict (none for other statuses).
    scale_rating = RatingLabel.objects.filter(scale__active=True, verdict=OuterRef("status"))
    scale_rating_json = scale_rating.values(
        json=JSONObject(
            label="label", value="value", best="scale__best_rating", worst="scale__worst_rating"
        )
    )[:1]
    return claim_list().values(
        *CLAIM_ROW_FIELDS,
        tag_names=ArraySubquery(tag_names),
        scale_rating=Subquery(scale_rating_json, output_field=JSONField()),
        review_list=review_rows(claim=OuterRef("pk")),
        pending_proposal=proposal_pending_json(claim=OuterRef("pk")),
    )


# The page of a search (search.backends.found_rows): its claims' rows by id, the query compiled
# once per process and planned once per connection (bench/).
_rows_by_id = CompiledRows(
    lambda ids: (
        _claim_rows()
        .order_by()
        .filter(AnyOf("id", Value(ids, output_field=ArrayField(UUIDField()))))
    )
)


def claim_rows_by_id(ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The rows of claim_rows() of the claims with these ids (those that exist), by id."""
    if not ids:
        return {}
    return {str(row["id"]): row for row in _rows_by_id.rows([UUID(i) for i in ids])}


def claim_needing_review(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    return queryset.filter(status__in=NEEDS_REVIEW_STATUSES)


@dataclass(frozen=True)
class HistoryChange:
    field: str
    old: str | None
    new: str


@dataclass(frozen=True)
class HistoryEvent:
    """One row of a claim's edit history, ready to show."""

    at: datetime
    subject: str
    action: str
    user: str
    channel: str
    url: str
    changes: list[HistoryChange] = field(default_factory=list)


def _label(model: str, action: str) -> tuple[str, str]:
    """What an event is about and what happened, e.g. ("Statement", "added")."""
    subject = model.rsplit(".", 1)[-1]
    subject = {"ClaimTag": "Tag"}.get(subject, subject)
    verb = {
        "insert": "added",
        "update": "changed",
        "delete": "removed",
        "tag.add": "added",
        "tag.remove": "removed",
    }.get(action, action)
    if subject == "Claim" and verb == "added":
        verb = "created"
    return subject, verb


def _field(column: str) -> str:
    """The field of an event column: pghistory stores foreign keys as ``<field>_id``."""
    return column[:-3] if column.endswith("_id") else column


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def claim_edit_history(*, claim: Claim, limit: int = EDIT_HISTORY_LIMIT) -> list[HistoryEvent]:
    """Field-level edits of the claim and its parts (appearances, statements, tags, evidence).

    Newest first. Reads the pghistory event tables; users, sources and tags named in the
    events are loaded in one query each, so the cost does not grow with the history.
    """
    rows = list(
        Events.objects.references(claim).order_by("-pgh_created_at", "-pgh_model", "-pgh_id")[
            :limit
        ]
    )
    user_ids: set[Any] = set()
    source_ids: set[Any] = set()
    tag_ids: set[Any] = set()
    for row in rows:
        context = row.pgh_context or {}
        if context.get("user") is not None:
            user_ids.add(context["user"])
        for column, value in (row.pgh_data or {}).items():
            name = _field(column)
            if value is None:
                continue
            if name in _HISTORY_USER_FIELDS:
                user_ids.add(value)
            elif name in _HISTORY_SOURCE_FIELDS:
                source_ids.add(value)
            elif name == "tag":
                tag_ids.add(value)
    user_model = get_user_model()
    users = {
        str(pk): name
        for pk, name in user_model.objects.filter(pk__in=user_ids).values_list(
            "pk", user_model.USERNAME_FIELD
        )
    }
    sources = {str(src.pk): str(src) for src in Source.objects.filter(pk__in=source_ids)}
    tags = {
        str(pk): name for pk, name in Tag.objects.filter(pk__in=tag_ids).values_list("pk", "name")
    }

    def readable(name: str, value: Any) -> str:
        if value is not None:
            if name in _HISTORY_USER_FIELDS:
                return users.get(str(value), f"user #{value}")
            if name in _HISTORY_SOURCE_FIELDS:
                return sources.get(str(value), str(value))
        return _show(value)

    events = []
    for row in rows:
        context = row.pgh_context or {}
        data = row.pgh_data or {}
        subject, action = _label(row.pgh_obj_model, row.pgh_label)
        changes: list[HistoryChange] = []
        if row.pgh_label in ("update",) and row.pgh_diff:
            changes = [
                HistoryChange(field=name, old=readable(name, old), new=readable(name, new))
                for name, (old, new) in ((_field(c), d) for c, d in row.pgh_diff.items())
                if name not in _HISTORY_HIDDEN_FIELDS
            ]
            if not changes:
                continue  # only bookkeeping moved (a part changed; that part has its own row)
        elif subject == "Tag":
            tag = data.get("tag_id")
            changes = [HistoryChange(field="tag", old=None, new=tags.get(str(tag), f"#{tag}"))]
        else:
            changes = [
                HistoryChange(field=name, old=None, new=readable(name, value))
                for name, value in ((_field(c), v) for c, v in data.items())
                if name not in _HISTORY_HIDDEN_FIELDS and value not in (None, "")
            ]
        user_id = context.get("user")
        events.append(
            HistoryEvent(
                at=row.pgh_created_at,
                subject=subject,
                action=action,
                user=users.get(str(user_id), "—") if user_id is not None else "—",
                channel=str(context.get("channel", "—")),
                url=str(context.get("url", "")),
                changes=changes,
            )
        )
    return events


# What the claim page's history can be narrowed to: the subjects of claim_edit_history.
HISTORY_SUBJECTS = ("Claim", "Appearance", "Statement", "Evidence", "Tag")


@dataclass(frozen=True)
class ReviewBoard:
    """The claim page's comparison: what was said about the claim beside what was found."""

    supporting: list[Statement]
    countering: list[Statement]
    context: list[Statement]
    evidence: list[Evidence]


def claim_board(*, claim: Claim) -> ReviewBoard:
    """The claim's statements by stance and its evidence (withdrawn last), oldest first, in
    three queries however many there are."""
    statements = list(
        Statement.objects.filter(claim=claim).select_related("source").order_by("created_at")
    )
    evidence = evidence_captures_loaded(
        Evidence.objects.filter(claim=claim).select_related("added_by", "withdrawn_by")
    )
    by_stance = {
        stance: [item for item in statements if item.stance == stance]
        for stance in StatementStance.values
    }
    return ReviewBoard(
        supporting=by_stance[StatementStance.SUPPORTS],
        countering=by_stance[StatementStance.COUNTERS],
        context=by_stance[StatementStance.CONTEXT],
        evidence=sorted(evidence.order_by("added_at"), key=lambda item: item.is_withdrawn),
    )


def claim_links(*, claim: Claim) -> list[dict[str, Any]]:
    """The claim's links (related, contradicts), each seen from the claim: ``claim`` is the
    other one, with its text and status."""
    links = ClaimLink.objects.filter(Q(claim=claim) | Q(other=claim)).select_related(
        "claim", "other", "created_by"
    )
    rows = []
    for link in links:
        other = link.other if link.claim_id == claim.pk else link.claim
        rows.append(
            {
                "id": link.pk,
                "claim": other.pk,
                "claim_text": other.text,
                "claim_status": other.status,
                "kind": link.kind,
                "created_by": link.created_by.username if link.created_by else None,
                "created_at": link.created_at,
            }
        )
    return rows
