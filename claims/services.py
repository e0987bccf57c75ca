"""Writes to claims, sources, appearances and statements. The only write path.

Every service takes the acting user, checks its permission, runs in a transaction, locks the
row it changes and bumps the claim's ``version`` so that ETags and stale-form checks see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from claims.models import (
    CLAIM_MAX_TAGS,
    SOURCE_UNIQUE_CONSTRAINT,
    TAG_MAX_LENGTH,
    TOO_MANY_TAGS,
    Appearance,
    Claim,
    ClaimLink,
    ClaimTag,
    LinkKind,
    Source,
    SourceKind,
    Statement,
    Tag,
    TagLengthValidator,
    source_exists_error,
)
from claims.search import claim_search_refresh, claim_search_refresh_for_source
from claims.text import text_clean
from core import permissions
from core.actors import Actor, require_perm
from core.errors import ClaimMergedError, StaleVersionError
from notifications.services import claim_assigned_record, claim_created_record

CLAIM_EDITABLE = frozenset(
    {"text", "summary", "claimant", "first_seen_at", "language", "assignee", "tags"}
)
SOURCE_EDITABLE = frozenset({"name", "kind", "role", "country", "url", "notes"})
APPEARANCE_EDITABLE = frozenset({"url", "outlet", "published_at", "quote"})
STATEMENT_EDITABLE = frozenset({"source", "quote", "stance", "said_at", "url"})
# Fields that feed the claim's search document (claims/search.py).
CLAIM_SEARCHED = frozenset({"text", "summary", "claimant", "language"})
STATEMENT_SEARCHED = frozenset({"source", "quote"})


def _check_assignee(assignee: User | None) -> None:
    """Claims are assigned to people who review in the admin: active staff users."""
    if assignee is not None and not (assignee.is_active and assignee.is_staff):
        raise ValidationError(
            {
                "assignee": f"{assignee.get_username()} cannot be assigned claims: only active"
                " staff users (people with a role) can."
            }
        )


def check_version(*, current: int, seen: int) -> None:
    if current != seen:
        raise StaleVersionError(current_version=current, seen_version=seen)


def _apply(obj: Model, data: Mapping[str, Any], editable: frozenset[str]) -> list[str]:
    unknown = set(data) - editable
    if unknown:
        raise ValidationError(
            {name: "This field cannot be changed here." for name in sorted(unknown)}
        )
    changed = [name for name, value in data.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, data[name])
    obj.full_clean()
    return changed


_Part = TypeVar("_Part", Appearance, Statement)


def _part_update(
    part: _Part, data: Mapping[str, Any], editable: frozenset[str]
) -> tuple[_Part, list[str]]:
    """Change a part of a claim under the claim's lock: the row as stored, not the caller's
    instance (a form may have changed that already); the claim is touched when it changed."""
    locked = claim_lock(claim_id=part.claim_id)
    stored = type(part).objects.get(pk=part.pk)
    changed = _apply(stored, data, editable)
    if changed:
        stored.save()
        claim_touch(claim=locked)
    return stored, changed


def _part_remove(part: Appearance | Statement) -> None:
    locked = claim_lock(claim_id=part.claim_id)
    part.delete()
    claim_touch(claim=locked)


def tags_resolve(names: Iterable[str]) -> list[Tag]:
    """Tags by name (trimmed, lower case), created when new."""
    cleaned = (text_clean(name, field="tags", multiline=False).lower() for name in names)
    normal = sorted({name for name in cleaned if name})
    if len(normal) > CLAIM_MAX_TAGS:
        raise ValidationError({"tags": TOO_MANY_TAGS})
    try:
        for name in normal:
            TagLengthValidator(TAG_MAX_LENGTH)(name)
    except ValidationError as error:
        raise ValidationError({"tags": error.messages}) from error
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=normal)}
    missing = [Tag(name=name) for name in normal if name not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=normal)}
    return [existing[name] for name in normal]


def _tags_set(claim: Claim, names: Iterable[str]) -> bool:
    wanted = {tag.pk: tag for tag in tags_resolve(names)}
    current = set(ClaimTag.objects.filter(claim=claim).values_list("tag_id", flat=True))
    removed = current - set(wanted)
    added = set(wanted) - current
    if removed:
        ClaimTag.objects.filter(claim=claim, tag_id__in=removed).delete()
    ClaimTag.objects.bulk_create([ClaimTag(claim=claim, tag=wanted[pk]) for pk in added])
    return bool(removed or added)


def claim_lock(*, claim_id: Any) -> Claim:
    """The claim, locked for the rest of the transaction; a claim merged into another is
    refused (``ClaimMergedError``): every change to a claim or its parts locks it first."""
    claim = Claim.objects.select_for_update(of=("self",)).get(pk=claim_id)
    if claim.merged_into_id is not None:
        raise ClaimMergedError(canonical_id=claim.merged_into_id)
    return claim


def claim_touch(*, claim: Claim) -> None:
    """Bump the version of a claim whose parts (statements, evidence, ...) changed."""
    Claim.objects.filter(pk=claim.pk).update(version=F("version") + 1, updated_at=timezone.now())


@transaction.atomic
def source_create(
    *,
    actor: Actor,
    name: str,
    kind: str = SourceKind.PERSON,
    role: str = "",
    country: str = "",
    url: str = "",
    notes: str = "",
) -> Source:
    """Create a source (a person or organisation that makes statements)."""
    require_perm(actor, permissions.ADD_SOURCE, "add sources")
    source = Source(name=name.strip(), kind=kind, role=role, country=country, url=url, notes=notes)
    source.full_clean()
    with _source_unique():
        source.save()
    return source


@contextmanager
def _source_unique() -> Iterator[None]:
    """A source written by another transaction since ``full_clean`` looked (it could not see
    one not yet committed) is refused as the check refuses it, not with a database error."""
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            yield
    except IntegrityError as error:
        if getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) == (
            SOURCE_UNIQUE_CONSTRAINT
        ):
            raise source_exists_error() from error
        raise


@transaction.atomic
def source_update(*, actor: Actor, source: Source, version: int, data: Mapping[str, Any]) -> Source:
    """Change a source's fields; ``version`` is the one the editor saw."""
    require_perm(actor, permissions.CHANGE_SOURCE, "change sources")
    # FOR NO KEY UPDATE: a claim write that holds its claim takes a foreign-key lock on this
    # source at commit; under FOR UPDATE it would wait for us while our refresh waits for it.
    locked = Source.objects.select_for_update(no_key=True).get(pk=source.pk)
    check_version(current=locked.version, seen=version)
    changed = _apply(locked, data, SOURCE_EDITABLE)
    if changed:
        locked.version += 1
        with _source_unique():
            locked.save()
    if "name" in changed:
        claim_search_refresh_for_source(source_id=locked.pk)
    if {"name", "role"} & set(changed):
        # Claims show their claimant's name and role: their ETags must change too.
        Claim.objects.filter(claimant=locked).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
    return locked


@transaction.atomic
def claim_create(
    *,
    actor: Actor,
    text: str,
    summary: str = "",
    claimant: Source | None = None,
    first_seen_at: datetime | None = None,
    language: str = "en",
    tags: Iterable[str] = (),
    assignee: Any = None,
) -> Claim:
    """Create an unverified claim."""
    user = require_perm(actor, permissions.ADD_CLAIM, "add claims")
    _check_assignee(assignee)
    claim = Claim(
        text=text.strip(),
        summary=summary,
        claimant=claimant,
        first_seen_at=first_seen_at,
        language=language,
        assignee=assignee,
        created_by=user,
    )
    claim.full_clean()
    claim.save()
    _tags_set(claim, tags)
    claim_search_refresh(claim_ids=[claim.pk])
    claim_created_record(claim=claim, actor=user)
    if assignee is not None:
        claim_assigned_record(claim=claim, previous=None, actor=user)
    return claim


@transaction.atomic
def claim_update(*, actor: Actor, claim: Claim, version: int, data: Mapping[str, Any]) -> Claim:
    """Change a claim's fields (never its status); ``version`` is the one the editor saw.

    ``data`` may hold ``tags`` as a list of tag names.
    """
    user = require_perm(actor, permissions.CHANGE_CLAIM, "change claims")
    locked = claim_lock(claim_id=claim.pk)
    check_version(current=locked.version, seen=version)
    fields = {name: value for name, value in data.items() if name != "tags"}
    previous_assignee = locked.assignee
    if "assignee" in fields and fields["assignee"] != previous_assignee:
        _check_assignee(fields["assignee"])
    changed_fields = _apply(locked, fields, CLAIM_EDITABLE)
    changed = bool(changed_fields)
    if "tags" in data:
        changed = _tags_set(locked, data["tags"]) or changed
    if changed:
        locked.version += 1
        locked.save()
    if CLAIM_SEARCHED.intersection(changed_fields):
        claim_search_refresh(claim_ids=[locked.pk])
    if "assignee" in changed_fields:
        claim_assigned_record(claim=locked, previous=previous_assignee, actor=user)
    return locked


@transaction.atomic
def claim_assign(*, actor: Actor, claim: Claim, assignee: Any) -> Claim:
    """Assign a claim to a user (or to nobody with ``None``); both are told (outbox)."""
    user = require_perm(actor, permissions.CHANGE_CLAIM, "assign claims")
    locked = claim_lock(claim_id=claim.pk)
    previous = locked.assignee
    if locked.assignee_id != (assignee.pk if assignee else None):
        _check_assignee(assignee)
        locked.assignee = assignee
        locked.version += 1
        locked.save(update_fields=["assignee", "version", "updated_at"])
        claim_assigned_record(claim=locked, previous=previous, actor=user)
    return locked


@transaction.atomic
def appearance_add(
    *,
    actor: Actor,
    claim: Claim,
    url: str,
    outlet: str = "",
    published_at: datetime | None = None,
    quote: str = "",
) -> Appearance:
    """Record where a claim was published."""
    require_perm(actor, permissions.ADD_APPEARANCE, "add appearances")
    locked = claim_lock(claim_id=claim.pk)
    appearance = Appearance(
        claim=locked, url=url, outlet=outlet, published_at=published_at, quote=quote
    )
    appearance.full_clean()
    appearance.save()
    claim_touch(claim=locked)
    return appearance


@transaction.atomic
def appearance_update(
    *, actor: Actor, appearance: Appearance, data: Mapping[str, Any]
) -> Appearance:
    require_perm(actor, permissions.CHANGE_APPEARANCE, "change appearances")
    appearance, _ = _part_update(appearance, data, APPEARANCE_EDITABLE)
    return appearance


@transaction.atomic
def appearance_remove(*, actor: Actor, appearance: Appearance) -> None:
    """Remove a wrongly recorded appearance (the edit history keeps it)."""
    require_perm(actor, permissions.DELETE_APPEARANCE, "remove appearances")
    _part_remove(appearance)


@transaction.atomic
def statement_add(
    *,
    actor: Actor,
    claim: Claim,
    source: Source,
    quote: str,
    stance: str,
    said_at: datetime | None = None,
    url: str = "",
) -> Statement:
    """Record what a source said about a claim; ``counters`` makes a counter-statement."""
    user = require_perm(actor, permissions.ADD_STATEMENT, "add statements")
    locked = claim_lock(claim_id=claim.pk)
    statement = Statement(
        claim=locked,
        source=source,
        quote=quote.strip(),
        stance=stance,
        said_at=said_at,
        url=url,
        created_by=user,
    )
    statement.full_clean()
    statement.save()
    claim_touch(claim=locked)
    claim_search_refresh(claim_ids=[locked.pk])
    return statement


@transaction.atomic
def statement_update(*, actor: Actor, statement: Statement, data: Mapping[str, Any]) -> Statement:
    require_perm(actor, permissions.CHANGE_STATEMENT, "change statements")
    statement, changed = _part_update(statement, data, STATEMENT_EDITABLE)
    if STATEMENT_SEARCHED.intersection(changed):
        claim_search_refresh(claim_ids=[statement.claim_id])
    return statement


@transaction.atomic
def statement_remove(*, actor: Actor, statement: Statement) -> None:
    """Remove a wrongly recorded statement (the edit history keeps it)."""
    require_perm(actor, permissions.DELETE_STATEMENT, "remove statements")
    _part_remove(statement)
    claim_search_refresh(claim_ids=[statement.claim_id])


@transaction.atomic
def claim_link(*, actor: Actor, claim: Claim, other: Any, kind: str) -> ClaimLink:
    """Link ``claim`` with the claim ``other`` names, as ``related`` or ``contradicts`` (a
    pair of claims is linked once, whichever way); both claims' versions move."""
    user = require_perm(actor, permissions.CHANGE_CLAIM, "link claims")
    other_id = other.pk if isinstance(other, Claim) else other
    if str(other_id) == str(claim.pk):
        raise ValidationError({"claim": "A claim cannot be linked with itself."})
    if not Claim.objects.filter(pk=other_id).exists():
        raise ValidationError({"claim": f"There is no claim {other_id}."})
    if kind not in LinkKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(LinkKind.values)}."})
    for locking in sorted([str(claim.pk), str(other_id)]):  # in one order: never a deadlock
        claim_lock(claim_id=locking)
    pair = Q(claim=claim, other_id=other_id) | Q(claim_id=other_id, other=claim)
    if ClaimLink.objects.filter(pair).exists():
        raise ValidationError({"claim": "These claims are already linked."})
    link = ClaimLink.objects.create(claim=claim, other_id=other_id, kind=kind, created_by=user)
    Claim.objects.filter(pk__in=[claim.pk, other_id]).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    return link


@transaction.atomic
def claim_unlink(*, actor: Actor, link: ClaimLink) -> None:
    require_perm(actor, permissions.CHANGE_CLAIM, "unlink claims")
    for locking in sorted([str(link.claim_id), str(link.other_id)]):
        claim_lock(claim_id=locking)
    link.delete()
    Claim.objects.filter(pk__in=[link.claim_id, link.other_id]).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
