import mimetypes
from uuid import UUID

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from core import permissions
from verification.models import CaptureState, Evidence, EvidenceCapture

# What a capture's files are served as: the page's bytes, or its WARC record (gzipped).
CAPTURE_FILES = ("content", "warc")


def _attachment(stored: FieldFile, *, name: str, media_type: str) -> FileResponse:
    """A stored file as a download that no browser renders or sniffs."""
    response = FileResponse(
        stored.open("rb"), as_attachment=True, filename=name, content_type=media_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def evidence_file_response(evidence: Evidence) -> FileResponse:
    """An evidence file, as a download."""
    if not evidence.file:
        raise Http404("This evidence is a URL, not a file.")
    return _attachment(
        evidence.file,
        name=evidence.original_name or "evidence",
        media_type=evidence.content_type or "application/octet-stream",
    )


@require_GET
@login_required
@permission_required(permissions.VIEW_EVIDENCE, raise_exception=True)
def evidence_download(request: HttpRequest, evidence_id: UUID) -> FileResponse:
    """Serve an evidence file as an attachment, only to users who may see evidence."""
    return evidence_file_response(get_object_or_404(Evidence, pk=evidence_id))


def capture_file_response(capture: EvidenceCapture, which: str) -> FileResponse:
    """A captured page's bytes (as their type, never rendered: the page is someone else's
    markup) or its WARC record, as a download."""
    if capture.state != CaptureState.SUCCEEDED or which not in CAPTURE_FILES:
        raise Http404("This capture has no such file.")
    stem = f"capture-{capture.fetched_at:%Y%m%dT%H%M%SZ}-{capture.sha256[:12]}"
    if which == "warc":
        return _attachment(capture.warc, name=f"{stem}.warc.gz", media_type="application/warc")
    suffix = mimetypes.guess_extension(capture.content_type) or ".bin"
    return _attachment(capture.content, name=stem + suffix, media_type=capture.content_type)


@require_GET
@login_required
@permission_required(permissions.VIEW_EVIDENCE, raise_exception=True)
def capture_download(request: HttpRequest, capture_id: UUID, which: str) -> FileResponse:
    """Serve a capture's bytes or WARC record, only to users who may see evidence."""
    return capture_file_response(get_object_or_404(EvidenceCapture, pk=capture_id), which)
