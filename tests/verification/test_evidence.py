"""Evidence: uploads checked from their bytes, stored under random names, never deleted."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims.models import Claim
from config.json_input import JSONTooDeepError
from tests import factories as f
from tests.admin.browser import form_data
from verification.models import Evidence
from verification.services import evidence_orphans_remove, evidence_withdraw
from verification.uploads import safe_filename

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


def run_command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_uploaded_file_is_hashed_and_stored_under_a_random_name(settings):
    claim = f.claim()
    version = claim.version
    evidence = f.evidence(claim=claim, file=f.png_upload("satellite image.png"))

    assert evidence.original_name == "satellite image.png"
    assert evidence.content_type == "image/png"
    assert evidence.size == len(f.PNG_BYTES)
    assert evidence.sha256 == hashlib.sha256(f.PNG_BYTES).hexdigest()
    stored = Path(evidence.file.path)
    assert stored.read_bytes() == f.PNG_BYTES
    assert stored.parent == Path(settings.MEDIA_ROOT) / "evidence"
    assert "satellite" not in stored.name and stored.suffix == ".png"
    claim.refresh_from_db()
    assert claim.version == version + 1


def test_url_evidence_needs_no_file():
    evidence = f.evidence(claim=f.claim(), url="https://example.org/transcript")
    assert evidence.url == "https://example.org/transcript"
    assert not evidence.file and evidence.sha256 == ""


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", b"<html><script>alert(1)</script></html>"),  # HTML posing as an image
        ("photo.jpg", ELF_BYTES),  # an executable posing as an image
        ("report.pdf", f.PNG_BYTES),  # a real image with the wrong name
        ("page.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
        ("data.json", b"{not json"),
        ("notes.txt", b"plain text\x00with a NUL byte"),
    ],
)
def test_wrong_type_is_refused_with_a_clear_message(name, content):
    claim = f.claim()
    with pytest.raises(ValidationError) as error:
        f.evidence(claim=claim, file=upload(name, content))
    message = " ".join(error.value.messages)
    assert "content is" in message
    assert not Evidence.objects.exists()


def test_too_large_is_refused(settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError) as error:
        f.evidence(claim=f.claim(), file=upload("scan.pdf", PDF_BYTES + b"0" * 100))
    assert "evidence files may be at most 100 bytes." in " ".join(error.value.messages)
    assert not Evidence.objects.exists()


def test_one_byte_too_large_says_both_sizes_exactly(settings):
    assert settings.EVIDENCE_MAX_UPLOAD_BYTES == 25 * 1024 * 1024
    content = PDF_BYTES + b"0" * (25 * 1024 * 1024 + 1 - len(PDF_BYTES))
    with pytest.raises(ValidationError) as error:
        f.evidence(claim=f.claim(), file=upload("scan.pdf", content))
    assert error.value.messages == [
        "The file is 26,214,401 bytes; evidence files may be at most 26,214,400 bytes (25 MB)."
    ]


SMALL_LIMIT_MESSAGE = "The file is 1,537 bytes; evidence files may be at most 1,536 bytes (1.5 KB)."


def test_too_large_in_the_api_says_both_sizes_exactly(settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1536
    claim = f.claim()
    client = APIClient()
    client.force_authenticate(f.reviewer())
    file = upload("scan.pdf", PDF_BYTES + b"0" * (1537 - len(PDF_BYTES)))

    response = client.post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"kind": "document", "stance": "refutes", "file": file},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == SMALL_LIMIT_MESSAGE
    assert not Evidence.objects.exists()


def admin_evidence_post(claim: Claim, file: SimpleUploadedFile):
    client = Client()
    client.force_login(f.editor())
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = form_data(client.get(url), "claim_form")
    data.update(
        {
            "new_evidence-0-kind": "document",
            "new_evidence-0-stance": "refutes",
            "new_evidence-0-file": file,
        }
    )
    return client.post(url, data)


def test_too_large_in_the_admin_says_both_sizes_exactly(settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1536
    file = upload("scan.pdf", PDF_BYTES + b"0" * (1537 - len(PDF_BYTES)))

    response = admin_evidence_post(f.claim(), file)

    assert response.status_code == 200
    assert SMALL_LIMIT_MESSAGE in response.content.decode()
    assert not Evidence.objects.exists()


def test_json_nested_too_deep_is_refused():
    with pytest.raises(ValidationError) as error:
        f.evidence(claim=f.claim(), file=upload("data.json", b"[" * 1000 + b"]" * 1000))
    assert error.value.messages == [JSONTooDeepError().message]
    assert not Evidence.objects.exists()


def test_json_nested_too_deep_is_a_form_error_in_the_admin():
    file = upload("data.json", b"[" * 1000 + b"]" * 1000, "application/json")

    response = admin_evidence_post(f.claim(), file)

    assert response.status_code == 200
    assert JSONTooDeepError().message in response.content.decode()
    assert not Evidence.objects.exists()


def test_json_nested_ten_levels_is_accepted_in_the_admin():
    file = upload("data.json", b'{"a": [[[[{"b": [[[["deep"]]]]}]]]]}', "application/json")

    response = admin_evidence_post(f.claim(), file)

    assert response.status_code == 302
    assert Evidence.objects.get().content_type == "application/json"


def test_empty_file_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        f.evidence(claim=f.claim(), file=upload("empty.txt", b""))


@pytest.mark.parametrize(
    ("hostile", "safe"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\system32\\evil.png", "evil.png"),
        ("<script>alert(1)</script>.png", "script_.png"),
        ("report\x00.png", "report.png"),
        ("\u202egnp.exe.png", "gnp.exe.png"),
        ("   .hidden.png", "hidden.png"),
        ("a" * 300 + ".png", "a" * 146 + ".png"),
        ("..", ""),
    ],
)
def test_hostile_file_names_are_sanitised(hostile, safe):
    assert safe_filename(hostile) == safe


def test_hostile_name_never_reaches_the_file_system():
    evidence = f.evidence(claim=f.claim(), file=f.png_upload("../../../../tmp/pwned.png"))
    assert evidence.original_name == "pwned.png"
    assert ".." not in evidence.file.name
    assert not Path("/tmp/pwned.png").exists()


def test_nameless_upload_gets_a_name_from_its_type():
    evidence = f.evidence(claim=f.claim(), file=upload("   ", PDF_BYTES, "application/pdf"))
    assert evidence.original_name == "evidence.pdf"
    assert evidence.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.pdf", PDF_BYTES, "application/pdf"),
        ("figures.csv", b"region,troops\nCrimea,10000\n", "text/csv"),
        ("notes.txt", "Kuleba: \u201cWe\u2019ll believe when we see.\u201d".encode(), "text/plain"),
        ("data.json", b'{"troops": 100000}', "application/json"),
    ],
)
def test_accepted_types(name, content, content_type):
    evidence = f.evidence(claim=f.claim(), file=upload(name, content, "application/octet-stream"))
    assert evidence.content_type == content_type


def test_file_and_url_together_are_refused():
    with pytest.raises(ValidationError, match="either a file or a URL"):
        f.evidence(claim=f.claim(), file=f.png_upload(), url="https://example.org/x")


def test_viewer_cannot_add_evidence():
    with pytest.raises(PermissionDenied):
        f.evidence(claim=f.claim(), actor=f.viewer())


def test_withdraw_keeps_the_evidence_with_its_reason():
    claim = f.claim()
    evidence = f.evidence(claim=claim)
    editor = f.editor()

    withdrawn = evidence_withdraw(actor=editor, evidence=evidence, reason=" Doctored image. ")

    assert withdrawn.withdrawal_reason == "Doctored image."
    assert withdrawn.withdrawn_by == editor
    assert withdrawn.withdrawn_at is not None
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    with pytest.raises(ValidationError, match="already withdrawn"):
        evidence_withdraw(actor=editor, evidence=withdrawn, reason="again")


def test_withdraw_needs_a_reason():
    evidence = f.evidence(claim=f.claim())
    with pytest.raises(ValidationError):
        evidence_withdraw(actor=f.editor(), evidence=evidence, reason="  ")
    evidence.refresh_from_db()
    assert not evidence.is_withdrawn


class TestDownload:
    def url(self, evidence: Evidence) -> str:
        return reverse("evidence-download", args=[evidence.pk])

    def make(self) -> Evidence:
        return f.evidence(claim=f.claim(), file=f.png_upload("troops.png"))

    def test_logged_in_viewer_gets_an_attachment_with_nosniff(self, client):
        evidence = self.make()
        client.force_login(f.viewer())
        response = client.get(self.url(evidence))
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="troops.png"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == f.PNG_BYTES

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(self.url(self.make()))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]

    def test_user_without_permission_is_forbidden(self, client):
        evidence = self.make()
        client.force_login(f.UserFactory())
        assert client.get(self.url(evidence)).status_code == 403

    def test_url_evidence_has_no_download(self, client):
        evidence = f.evidence(claim=f.claim())
        client.force_login(f.viewer())
        assert client.get(self.url(evidence)).status_code == 404


def test_claim_has_evidence_relation():
    claim = f.claim()
    f.evidence(claim=claim)
    assert Claim.objects.get(pk=claim.pk).evidence.count() == 1


def test_a_file_whose_transaction_rolled_back_is_removed_once_old_enough(settings):
    claim = f.claim()
    kept = f.evidence(claim=claim, file=f.png_upload("kept.png"))
    with pytest.raises(RuntimeError), transaction.atomic():
        f.evidence(claim=claim, file=f.png_upload("stored, then rolled back.png"))
        raise RuntimeError("a later write of the same save failed")
    evidence_dir = Path(settings.MEDIA_ROOT) / "evidence"
    assert len(list(evidence_dir.iterdir())) == 2  # the rolled-back row's file stayed

    young = run_command("evidence_remove_orphans", "--older-than-hours", "1")
    dry = run_command("evidence_remove_orphans", "--older-than-hours", "0", "--dry-run")
    assert len(list(evidence_dir.iterdir())) == 2
    output = run_command("evidence_remove_orphans", "--older-than-hours", "0")

    assert young == "Deleted 0 orphaned evidence file(s).\n"  # its transaction may be running
    assert dry.endswith("Would delete 1 orphaned evidence file(s).\n")
    assert output.endswith("Deleted 1 orphaned evidence file(s).\n")
    assert [path.name for path in evidence_dir.iterdir()] == [Path(kept.file.name).name]
    assert Evidence.objects.get(pk=kept.pk).file.read() == f.PNG_BYTES


def test_removing_orphans_without_any_evidence_stored_does_nothing():
    assert evidence_orphans_remove(older_than=timedelta(0)) == []


def test_beat_removes_orphans_daily(settings):
    from config.celery import app
    from verification.tasks import evidence_orphans_remove_task

    entry = settings.CELERY_BEAT_SCHEDULE["verification-evidence-orphans-remove"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 24 * 3600
    with pytest.raises(RuntimeError), transaction.atomic():
        f.evidence(claim=f.claim(), file=f.png_upload("rolled back.png"))
        raise RuntimeError("rolled back")
    settings.EVIDENCE_ORPHAN_HOURS = 0
    assert app.tasks[entry["task"]].apply().get() == 1
    assert evidence_orphans_remove_task() == 0
