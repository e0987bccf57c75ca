from uuid import UUID

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from core import permissions
from verification.models import Evidence


def evidence_file_response(evidence: Evidence) -> FileResponse:
    """An evidence file as a download that no browser renders or sniffs."""
    if not evidence.file:
        raise Http404("This evidence is a URL, not a file.")
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name or "evidence",
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
@login_required
@permission_required(permissions.VIEW_EVIDENCE, raise_exception=True)
def evidence_download(request: HttpRequest, evidence_id: UUID) -> FileResponse:
    """Serve an evidence file as an attachment, only to users who may see evidence."""
    return evidence_file_response(get_object_or_404(Evidence, pk=evidence_id))
