"""Importing the world's fact checks: each review attached to the claim it reviews.

A review is identified by its URL: importing it again changes nothing, or updates it in place
(its history keeps the earlier version). Its claim is the claim with the same text (matched by
``claim_text_key``: case, quotes and end punctuation aside), so that several publishers'
reviews of one claim meet on one claim; a claim nobody has recorded is created, marked as
imported, with its claimant, appearances and first-seen date from the markup. An existing
claim only gains what it lacks (a claimant, appearances, an earlier first-seen date): what a
reviewer wrote is never overwritten. Imports notify nobody: no reviewer changed anything.

Each item is saved in its own savepoint: an item the database or the text policy refuses is
counted with its reason and the rest go on.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import F, Func, Value
from django.db.models.functions import Lower
from django.db.models.sql import Query
from django.utils import timezone

from claims.models import (
    LANGUAGE_CODE_PATTERN,
    URL_MAX_LENGTH,
    Appearance,
    Claim,
    Source,
    SourceKind,
)
from claims.models import claim_text_key as text_key
from claims.search import claim_search_refresh
from claims.services import claim_touch
from claims.text import web_address_normalise
from core import outbound, permissions
from core.actors import Actor, require_perm
from core.queueing import task_send_after_commit
from core.sites import site_url
from interchange.models import (
    PUBLISHER_NAME_MAX_LENGTH,
    RATING_DIGITS,
    RATING_PLACES,
    REFUSALS_KEPT,
    Import,
    ImportedClaim,
    ImportStatus,
    Review,
    rating_key,
)
from interchange.reading import ExternalReview, Refused, reviews_read
from matching.selectors import IMPORT_CHECKED, import_duplicates

logger = logging.getLogger(__name__)

Outcome = Literal["created", "updated", "unchanged"]
Progress = Callable[[Import], None]

# What a review's import may change of it; the claim it belongs to is decided apart.
_REVIEW_FIELDS = (
    "publisher_name",
    "publisher_site",
    "title",
    "rating_label",
    "rating_key",
    "rating_value",
    "best_rating",
    "worst_rating",
    "reviewed_at",
    "language",
)
# A review's foreign keys: rows the import has just read (checking them is a query each).
_READ_ROWS = ["claim", "imported_by"]
# Items saved in one transaction.
BATCH = 100
# How often a running import writes its counts (GET /api/v1/imports/{id}/ shows them).
_COUNTS_EVERY_SECONDS = 1.0
IMPORT_RUN_TASK = "interchange.import_run_task"
# A queued import not started after this long is queued again (the broker was down).
IMPORT_REQUEUE_AFTER_SECONDS = 60
# Starts of an import before it fails: a file that kills the worker reading it is not retried
# for ever.
IMPORT_ATTEMPTS = 3
# The namespace of the imports' locks (PostgreSQL advisory locks: this, and the import's id).
IMPORT_LOCK_CLASS = "interchange.import"
# What an attempt reports, from nothing.
_COUNTS_CLEARED: dict[str, Any] = {
    "read": 0,
    "created": 0,
    "updated": 0,
    "unchanged": 0,
    "refused": 0,
    "refusals": [],
    "duplicates": [],
    "error": "",
}
# An unknown or unwritten language: ISO 639-2's "undetermined".
UNDETERMINED_LANGUAGE = "und"


class _DryRun(Exception):
    """Rolls a dry run's writes back."""


class _Abandoned(Exception):
    """An import whose process stopped ``IMPORT_ATTEMPTS`` times: not started again."""


# A refused field, named as the markup names it.
_MARKUP_NAMES = {
    "text": "claimReviewed",
    "title": "headline",
    "publisher_name": "author.name",
    "publisher_site": "author.url",
    "rating_label": "reviewRating.alternateName",
    "name": "itemReviewed.author.name",  # the claimant's
    "language": "inLanguage",
}


def _refusal(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{_MARKUP_NAMES.get(name, name)}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def _rating(value: Decimal | None) -> Decimal | None:
    """A rating number as stored (4 places); None for one no rating scale has."""
    if value is None or abs(value) >= Decimal(10) ** (RATING_DIGITS - RATING_PLACES):
        return None
    return value.quantize(Decimal(1).scaleb(-RATING_PLACES), rounding=ROUND_HALF_UP)


def _language(code: str) -> str:
    """A claim's language from the markup's: an ISO 639 code (``pt-BR``), else undetermined."""
    candidate = code.strip().replace("_", "-")
    parts = candidate.split("-", 1)
    candidate = "-".join([parts[0].lower(), *parts[1:]])
    return candidate if re.match(LANGUAGE_CODE_PATTERN, candidate) else UNDETERMINED_LANGUAGE


def _claim_find(text: str) -> Claim | None:
    return (
        Claim.objects.alias(key=text_key(F("text")))
        .filter(key=text_key(Value(text)))
        .order_by("created_at", "id")
        .first()
    )


def _claim_lock_key(text: str) -> None:
    """Two imports of one new claim text create one claim: the second waits, then finds it.
    The lock is on the key claims are matched by, so texts that match share it."""
    query = Query(None)
    key = Func(text_key(Value(text)), Value(7), function="hashtextextended")
    sql, params = key.resolve_expression(query).as_sql(
        query.get_compiler(connection=connection), connection
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_xact_lock({sql})", params)


def _claimant(name: str, is_person: bool | None) -> Source:
    """The source of that name without a role, created if need be."""
    same = Source.objects.alias(lower_name=Lower("name")).filter(
        lower_name=Lower(Value(name)), role=""
    )
    found = same.first()
    if found is not None:
        return found
    kind = SourceKind.ORGANISATION if is_person is False else SourceKind.PERSON
    source = Source(name=name, kind=kind)
    source.full_clean()
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError:  # another import created it since we looked
        return same.get()
    return source


def _claim_for(
    text: str, read: ExternalReview, run: Import | None, actor: User | None
) -> tuple[Claim, bool]:
    """The claim ``read`` reviews (``text``, as checked), locked: the one with its text, or a
    new, imported one (with the markup's claimant and first-seen date); whether it is new."""
    found = _claim_find(text)
    if found is None:
        _claim_lock_key(text)
        found = _claim_find(text)
    if found is not None:
        return Claim.objects.select_for_update(of=("self",)).get(pk=found.pk), False
    claim = Claim(
        text=text,
        language=_language(read.language),
        first_seen_at=read.claim_date,
        created_by=actor,
    )
    if read.claimant:
        claim.claimant = _claimant(read.claimant[:200], read.claimant_is_person)
    # The fields' rules (the text policy, lengths, the language code); the table's own
    # constraints are the database's to check (a refusal is the item's, in its savepoint), and
    # the rows it refers to were just read.
    claim.full_clean(
        exclude=["claimant", "created_by"], validate_unique=False, validate_constraints=False
    )
    claim.save()
    claim_search_refresh(claim_ids=[claim.pk])
    ImportedClaim.objects.create(claim=claim, source=run.source if run else "", imported_by=run)
    return claim, True


def _claim_complete(claim: Claim, read: ExternalReview) -> bool:
    """Give an existing claim what the markup says and the claim lacks; whether it changed."""
    changed_fields = []
    if read.claimant and claim.claimant_id is None:
        claim.claimant = _claimant(read.claimant[:200], read.claimant_is_person)
        changed_fields.append("claimant")
    if read.claim_date and (claim.first_seen_at is None or read.claim_date < claim.first_seen_at):
        claim.first_seen_at = read.claim_date
        changed_fields.append("first_seen_at")
    if changed_fields:
        Claim.objects.filter(pk=claim.pk).update(
            **{name: getattr(claim, name) for name in changed_fields}
        )
    if "claimant" in changed_fields:  # the claimant's name is in the claim's search document
        claim_search_refresh(claim_ids=[claim.pk])
    return bool(changed_fields)


def _appearances_add(claim: Claim, read: ExternalReview, *, new: bool) -> bool:
    """Record where the markup says the claim appeared, if not recorded; whether any was."""
    if not read.appearances:
        return False
    known = set() if new else set(claim.appearances.values_list("url", flat=True))
    added = []
    for url in read.appearances:
        appearance = Appearance(claim=claim, url=url)
        try:
            appearance.full_clean(exclude=["claim"], validate_unique=False)
        except ValidationError:
            continue  # not an address a reader could follow: the review stands without it
        if appearance.url not in known:
            known.add(appearance.url)
            added.append(appearance)
    Appearance.objects.bulk_create(added)
    return bool(added)


OWN_REVIEW_MESSAGE = (
    "It is this site's own fact check (its address is on SITE_URL): only other publishers' "
    "reviews are imported."
)


def _is_ours(url: str) -> bool:
    """Whether ``url`` is on this site (our export read back here, our own feed)."""
    ours, theirs = urlsplit(site_url("/")), urlsplit(url)
    return (ours.hostname, ours.port) == (theirs.hostname, theirs.port)


def review_save(*, read: ExternalReview, run: Import | None, actor: User | None) -> Outcome:
    """Create or update the review ``read`` describes (``ValidationError`` if it cannot be
    stored, with what was wrong)."""
    values: dict[str, Any] = {
        "publisher_name": read.publisher_name[:PUBLISHER_NAME_MAX_LENGTH],
        "publisher_site": read.publisher_site,
        "title": read.title,
        "rating_label": read.rating_label,
        "rating_key": rating_key(read.rating_label),
        "rating_value": _rating(read.rating_value),
        "best_rating": _rating(read.best_rating),
        "worst_rating": _rating(read.worst_rating),
        "reviewed_at": read.reviewed_at,
        "language": read.language,
    }
    url = web_address_normalise(read.url)
    if _is_ours(url):
        raise ValidationError({"url": OWN_REVIEW_MESSAGE})
    # The text rules first: a value the database cannot hold (a NUL) is refused in words
    # before it is looked for.
    Review(url=url, **values).clean_fields(exclude=_READ_ROWS)
    try:
        text = Claim._meta.get_field("text").clean(read.claim_text, None).strip()
    except ValidationError as error:
        raise ValidationError({"text": error.messages}) from error
    claim, new = _claim_for(text, read, run, actor)
    claim_changed = not new and _claim_complete(claim, read)
    claim_changed = _appearances_add(claim, read, new=new) or claim_changed
    review = Review.objects.select_for_update().filter(url=url).first()
    if review is None:
        review = Review(claim=claim, url=url, imported_by=run, **values)
        review.full_clean(exclude=_READ_ROWS, validate_unique=False)  # the url's: the database's
        review.save()
        if not new:  # its ETag changes: it shows its reviews
            claim_touch(claim=claim)
        return "created"
    changed = [name for name in _REVIEW_FIELDS if getattr(review, name) != values[name]]
    previous_claim = review.claim_id
    moved = previous_claim != claim.pk
    if not changed and not moved:
        if claim_changed:
            claim_touch(claim=claim)
        return "unchanged"
    for name in changed:
        setattr(review, name, values[name])
    review.claim = claim
    review.imported_by = run
    review.full_clean(exclude=_READ_ROWS, validate_unique=False)
    review.save()
    if not new:
        claim_touch(claim=claim)
    if moved:
        claim_touch(claim=Claim(pk=previous_claim))
    return "updated"


# --- Imports --------------------------------------------------------------------------------


def import_source_check(*, file_size: int | None, url: str) -> None:
    """What an import reads: a file (of at most ``IMPORT_MAX_BYTES``) or a URL, one of them.
    The admin's upload page and the API check it before reading an upload."""
    if (file_size is not None) == bool(url):
        raise ValidationError({"file": "Give a file or a url (one of them)."})
    if file_size is not None and file_size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            {
                "file": f"The file is larger than {settings.IMPORT_MAX_BYTES:,} bytes (the most "
                "an import reads)."
            }
        )


@transaction.atomic
def import_create(
    *,
    actor: Actor | None,
    source: str,
    content: bytes | None = None,
    url: str = "",
    dry_run: bool = False,
) -> Import:
    """Record an import of ``content`` (an uploaded file's bytes) or of ``url``, queued.
    ``actor`` None is the command line (``import_claimreviews`` without ``--user``)."""
    user = (
        None
        if actor is None
        else require_perm(actor, permissions.IMPORT_REVIEWS, "import fact checks")
    )
    import_source_check(file_size=None if content is None else len(content), url=url)
    if url:
        try:
            outbound.url_check(url, https_only=False)
        except outbound.UnsafeURLError as error:
            raise ValidationError({"url": str(error)}) from error
    # A file's name as sent: only what prints, so that it can be shown.
    source = "".join(char for char in source if char.isprintable()).strip()[:URL_MAX_LENGTH]
    run = Import(
        source=source or url or "upload", url=url, content=content, dry_run=dry_run, created_by=user
    )
    run.full_clean(exclude=["content"])
    run.save()
    return run


def import_queue(*, run: Import) -> None:
    """Run the import in a worker once the transaction that recorded it commits (a broker
    that is down: the sweeper, ``imports_requeue``, queues it later)."""
    task_send_after_commit(IMPORT_RUN_TASK, str(run.pk))


def imports_requeue() -> int:
    """Beat: queue again the imports still queued a while after they were recorded (a broker
    that was down, a message lost), and the running ones no process runs any more (its
    worker was killed: ``import_run`` holds the import's lock while it runs, and a process
    that dies lets go of it with its connection); running one twice does nothing."""
    due = timezone.now() - timedelta(seconds=IMPORT_REQUEUE_AFTER_SECONDS)
    imports = Import.objects.only("id")  # not their files
    stuck = list(imports.filter(status=ImportStatus.QUEUED, created_at__lt=due)[:100])
    for run in imports.filter(status=ImportStatus.RUNNING).order_by("started_at")[:100]:
        with _import_lock(run.pk) as held:
            if held:  # nobody runs it
                stuck.append(run)
    for run in stuck:
        import_queue(run=run)
    return len(stuck)


@contextmanager
def _import_lock(import_id: Any) -> Iterator[bool]:
    """Whether this process holds the import's lock (PostgreSQL's, of its session), for the
    block; False if another one does. The lock goes with the session, so a process killed
    while it runs an import leaves it free (``imports_requeue``)."""
    key = [IMPORT_LOCK_CLASS, str(import_id)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))", key)
        (held,) = cursor.fetchone()
    try:
        yield bool(held)
    finally:
        if held and connection.is_usable():  # a connection lost took the lock with it
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", key)


def import_run(*, run: Import, progress: Progress = lambda run: None) -> Import:
    """Read the import's file or URL and save each review in it; the import records the counts,
    each refused item (where, and why) and its end. A dry run rolls every write back.

    One process at a time runs an import (it holds the import's lock); one found running that
    no process holds was stopped (its worker killed) and is run again from the start: what the
    stopped attempt saved counts as unchanged or updated, never twice. After
    ``IMPORT_ATTEMPTS`` starts, it fails."""
    with _import_lock(run.pk) as held:
        if not held:  # running elsewhere: safe to call twice
            return Import.objects.get(pk=run.pk)
        return _import_run(run, progress)


def _import_run(run: Import, progress: Progress) -> Import:
    claimed = Import.objects.filter(
        pk=run.pk, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)
    ).update(
        status=ImportStatus.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        **_COUNTS_CLEARED,
    )
    if not claimed:  # run already: safe to call twice
        return Import.objects.get(pk=run.pk)
    run.refresh_from_db()
    actor = run.created_by
    try:
        if run.attempts > IMPORT_ATTEMPTS:
            raise _Abandoned(
                f"The process running it stopped {IMPORT_ATTEMPTS} times (a worker killed, or "
                "out of memory); it was not started again. What those attempts saved is kept."
            )
        if actor is not None:
            require_perm(actor, permissions.IMPORT_REVIEWS, "import fact checks")
        content = run.content if run.content is not None else _fetch(run.url)
        reads = reviews_read(bytes(content), base_url=run.url)
        if run.dry_run:
            try:
                with transaction.atomic():
                    _reviews_import(run, reads, actor, progress)
                    raise _DryRun
            except _DryRun:
                pass
        else:
            _reviews_import(run, reads, actor, progress)
            run.duplicates = import_duplicates(created=_created_by(run))
    except Exception as error:  # the import as a whole failed: say why, keep the counts
        run.status = ImportStatus.FAILED
        run.error = _failure(error)
    else:
        run.status = ImportStatus.DONE
    run.content = None
    run.finished_at = timezone.now()
    run.save()
    progress(run)
    return run


def _created_by(run: Import) -> list[tuple[str, str, str]]:
    """The claims ``run`` created, oldest first: (id, text, language)."""
    rows = (
        ImportedClaim.objects.filter(imported_by=run)
        .order_by("imported_at")
        .values_list("claim_id", "claim__text", "claim__language")[:IMPORT_CHECKED]
    )
    return [(str(pk), text, language) for pk, text, language in rows]


def _failure(error: Exception) -> str:
    """Why an import failed as a whole, in words for its report."""
    if isinstance(error, PermissionDenied):
        return f"{error} (checked when the import ran)"
    if isinstance(error, _Abandoned | outbound.UnsafeURLError | outbound.FetchError):
        return str(error)
    if isinstance(error, OSError):  # refused, timed out, TLS
        return f"The URL could not be read: {error or type(error).__name__}."
    logger.exception("Import failed")
    return f"An unexpected error stopped the import ({type(error).__name__}); it is logged."


def _fetch(url: str) -> bytes:
    _final, reply = outbound.get(
        url,
        max_bytes=settings.IMPORT_MAX_BYTES,
        accept="application/ld+json, application/json, text/html;q=0.9, */*;q=0.5",
    )
    return reply.body


def _reviews_import(
    run: Import, reads: Iterable[ExternalReview | Refused], actor: User | None, progress: Progress
) -> None:
    shown = time.monotonic()
    items = iter(reads)
    # Items are saved BATCH at a time in one transaction (a commit waits for the disk; on
    # this project's machines it cost little, on others more), each in a savepoint of its
    # own: a refused item takes nothing else back.
    while batch := list(islice(items, BATCH)):
        with transaction.atomic():
            for read in batch:
                _item_import(run, read, actor)
        if time.monotonic() - shown >= _COUNTS_EVERY_SECONDS:
            shown = time.monotonic()
            if not run.dry_run:
                Import.objects.filter(pk=run.pk).update(
                    read=run.read,
                    created=run.created,
                    updated=run.updated,
                    unchanged=run.unchanged,
                    refused=run.refused,
                )
            progress(run)


def _item_import(run: Import, read: ExternalReview | Refused, actor: User | None) -> None:
    run.read += 1
    if isinstance(read, Refused):
        _refuse(run, read.where, read.reason)
        return
    try:
        with transaction.atomic():
            outcome = review_save(read=read, run=run, actor=actor)
    except ValidationError as error:
        _refuse(run, read.where, _refusal(error))
    except IntegrityError as error:  # written by someone else meanwhile, or a table's rule
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        _refuse(
            run,
            read.where,
            f"The database refused it ({constraint or 'a constraint'}): another import or a "
            "reviewer may have written it at the same time; import it again.",
        )
    except DataError as error:  # a value no rule above foresaw: the item's, not the import's
        logger.warning("Import %s: %s refused by the database: %s", run.pk, read.where, error)
        _refuse(run, read.where, "The database cannot store one of its values.")
    else:
        setattr(run, outcome, getattr(run, outcome) + 1)


def _refuse(run: Import, where: str, reason: str) -> None:
    run.refused += 1
    if len(run.refusals) < REFUSALS_KEPT:
        run.refusals.append({"where": where, "reason": reason})
