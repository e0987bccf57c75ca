"""Evidence capture: a URL given as evidence is fetched by the server and kept before it rots.

``capture_request`` records a pending capture (evidence_add does it for every URL, "Capture
again" for another) and queues the task after commit. ``capture_run`` is the worker's side:
it takes a due capture (a lease, so that two workers never fetch it twice), fetches the URL
through the outbound guard (every redirect hop re-checked, at most five; a total timeout; a
byte cap), checks the media type against CAPTURE_CONTENT_TYPES, and stores the bytes and a
WARC record with their SHA-256; a failure that may pass (a timeout, a 5xx) is retried on
CAPTURE_RETRY_SCHEDULE, any other fails the capture at once with its reason. The evidence
itself is never touched. Beat's ``captures_requeue`` queues again what is due, so a broker
outage delays a capture, never loses it.
"""

from __future__ import annotations

import hashlib
import http
import io
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from core import outbound, permissions
from core.actors import Actor, require_perm
from core.queueing import task_send, task_send_after_commit
from verification.models import CaptureState, Evidence, EvidenceCapture

logger = logging.getLogger(__name__)

CAPTURE_TASK = "verification.evidence_capture_task"
# How long past its start an attempt counts as lost (a killed worker) and is due again.
_LEASE_GRACE = timedelta(seconds=60)
# Headers that describe the transfer, not the bytes kept (http.client has undone them).
_TRANSFER_HEADERS = frozenset({"transfer-encoding", "connection", "keep-alive"})


def capture_create(*, evidence: Evidence, user: Any) -> EvidenceCapture:
    """A pending capture of ``evidence``'s URL, queued after commit (in the caller's
    transaction; the caller checked the permission)."""
    capture = EvidenceCapture.objects.create(
        evidence=evidence, requested_by=user, next_attempt_at=timezone.now()
    )
    task_send_after_commit(CAPTURE_TASK, str(capture.pk))
    return capture


@transaction.atomic
def capture_request(*, actor: Actor, evidence: Evidence) -> EvidenceCapture:
    """Capture the evidence's page (again): earlier captures are kept. One already pending
    is returned as it is."""
    user = require_perm(actor, permissions.ADD_EVIDENCE, "capture evidence")
    locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if not locked.url:
        raise ValidationError("Only evidence given as a URL is captured; a file is kept as is.")
    if locked.is_withdrawn:
        raise ValidationError("Withdrawn evidence is not captured.")
    pending = locked.captures.filter(state=CaptureState.PENDING).first()
    return pending or capture_create(evidence=locked, user=user)


def _lease(capture_id: Any) -> EvidenceCapture | None:
    """The capture if it is pending and due, its attempt counted and the next one pushed
    past this attempt's end; None if another worker has it or it is done."""
    now = timezone.now()
    with transaction.atomic():
        capture = (
            EvidenceCapture.objects.select_for_update(skip_locked=True)
            .select_related("evidence")
            .filter(pk=capture_id, state=CaptureState.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if capture is None:
            return None
        capture.attempts += 1
        lease = timedelta(seconds=settings.CAPTURE_TIMEOUT_SECONDS) + _LEASE_GRACE
        capture.next_attempt_at = now + lease
        capture.save(update_fields=["attempts", "next_attempt_at"])
    return capture


def capture_run(*, capture_id: Any) -> float | None:
    """One attempt at a capture; the seconds until the next one if it is to be retried."""
    capture = _lease(capture_id)
    if capture is None:
        return None
    try:
        final_url, reply = outbound.get(
            capture.evidence.url,
            max_bytes=settings.CAPTURE_MAX_BYTES,
            timeout=settings.CAPTURE_TIMEOUT_SECONDS,
            purpose="evidence capture",
        )
        media_type = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in settings.CAPTURE_CONTENT_TYPES:
            raise outbound.FetchError(
                f"The page is of type {media_type or 'unknown (no Content-Type)'}, which is "
                f"not captured; captured are: {', '.join(settings.CAPTURE_CONTENT_TYPES)}."
            )
    except outbound.UnresolvedHostError as unresolved:  # DNS may know it on the next try
        return _failed(capture, f"Not fetched: {unresolved}", transient=True)
    except outbound.UnsafeURLError as refused:
        return _failed(capture, f"Not fetched: {refused}", transient=False)
    except outbound.FetchError as failure:
        return _failed(capture, str(failure), transient=failure.transient)
    except OSError as failure:  # DNS, refused connection, reset, timeout: worth another try
        return _failed(capture, f"{type(failure).__name__}: {failure}", transient=True)
    _succeeded(capture, final_url=final_url, reply=reply, media_type=media_type)
    return None


def warc_response(*, url: str, reply: outbound.Reply, fetched_at: Any) -> bytes:
    """The answer as one gzipped WARC/1.0 ``response`` record."""
    try:
        phrase = http.HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = ""
    headers = [
        (name, value) for name, value in reply.headers.items() if name not in _TRANSFER_HEADERS
    ]
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(reply.body),
        http_headers=StatusAndHeaders(
            f"{reply.status} {phrase}".strip(), headers, protocol="HTTP/1.1"
        ),
        warc_headers_dict={"WARC-Date": fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    writer.write_record(record)
    return out.getvalue()


def _succeeded(
    capture: EvidenceCapture, *, final_url: str, reply: outbound.Reply, media_type: str
) -> None:
    fetched_at = timezone.now()
    digest = hashlib.sha256(reply.body).hexdigest()
    warc = warc_response(url=final_url, reply=reply, fetched_at=fetched_at)
    with transaction.atomic():
        locked = EvidenceCapture.objects.select_for_update().get(pk=capture.pk)
        if locked.state != CaptureState.PENDING:  # decided meanwhile: keep what is there
            return
        locked.content.save(f"{digest[:16]}.bin", ContentFile(reply.body), save=False)
        locked.warc.save(f"{digest[:16]}.warc.gz", ContentFile(warc), save=False)
        locked.state = CaptureState.SUCCEEDED
        locked.final_url = final_url
        locked.status_code = reply.status
        locked.headers = dict(reply.headers)
        locked.content_type = media_type
        locked.size = len(reply.body)
        locked.sha256 = digest
        locked.fetched_at = fetched_at
        locked.next_attempt_at = None
        locked.error = ""
        locked.save()


def _failed(capture: EvidenceCapture, reason: str, *, transient: bool) -> float | None:
    schedule = settings.CAPTURE_RETRY_SCHEDULE
    retry = transient and capture.attempts <= len(schedule)
    delay = schedule[capture.attempts - 1] if retry else None
    with transaction.atomic():
        locked = EvidenceCapture.objects.select_for_update().get(pk=capture.pk)
        if locked.state != CaptureState.PENDING:
            return None
        locked.error = reason[:2000]
        if delay is None:
            locked.state = CaptureState.FAILED
            locked.next_attempt_at = None
        else:
            locked.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        locked.save(update_fields=["error", "state", "next_attempt_at"])
    logger.info("Capture %s attempt %s failed: %s", capture.pk, capture.attempts, reason)
    return delay


def captures_requeue() -> int:
    """Beat: queue every pending capture that is due (a retry whose time came, a message the
    broker lost, an attempt whose worker died). Returns how many."""
    due = list(
        EvidenceCapture.objects.filter(
            state=CaptureState.PENDING, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:1000]
    )
    for capture_id in due:
        task_send(CAPTURE_TASK, str(capture_id))
    return len(due)
