"""Evidence over HTTP: uploads and their validation, URLs, withdrawal and downloads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from claims.models import Claim
from tests import factories as f
from verification.models import Evidence

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + bytes(120)
HTML_BYTES = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_BYTES = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def claim() -> Claim:
    return f.claim(text="Russia has ordered troops back to their bases.")


@pytest.fixture
def reviewer() -> APIClient:
    client = APIClient()
    client.force_authenticate(f.reviewer(username="rita"))
    return client


def evidence_url(claim: Claim) -> str:
    return f"/api/v1/claims/{claim.pk}/evidence/"


def upload(client: APIClient, claim: Claim, file: SimpleUploadedFile, **fields: str):
    data = {"kind": "image", "stance": "refutes", **fields, "file": file}
    return client.post(evidence_url(claim), data, format="multipart")


def assert_refused(response, field: str | None = None) -> list[str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    messages = problem["errors"][field] if field else [problem["detail"]]
    assert messages
    assert not Evidence.objects.exists()
    return messages


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- Uploads --------------------------------------------------------------------------------


def test_an_upload_is_hashed_stored_and_downloadable(reviewer, claim, settings):
    created = upload(reviewer, claim, f.png_upload("satellite.png"), description="Maxar, 15 Feb")

    assert created.status_code == 201, created.content
    evidence = created.json()
    assert evidence["file_name"] == "satellite.png"
    assert evidence["content_type"] == "image/png"
    assert evidence["size"] == len(f.PNG_BYTES)
    assert evidence["sha256"] == hashlib.sha256(f.PNG_BYTES).hexdigest()
    assert evidence["url"] == ""
    assert evidence["added_by"] == "rita"
    assert evidence["withdrawn_at"] is None
    assert evidence["download"].endswith(f"/evidence/{evidence['id']}/download/")

    download = reviewer.get(evidence["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == f.PNG_BYTES
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'attachment; filename="satellite.png"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    [stored] = stored_files(settings)
    assert stored.read_bytes() == f.PNG_BYTES
    assert reviewer.get(f"/api/v1/claims/{claim.pk}/")["ETag"] == '"v2"'
    # Clients generated from the schema ask for the file's own type.
    for accept in ("image/png", "application/octet-stream", "image/*"):
        assert reviewer.get(evidence["download"], HTTP_ACCEPT=accept).status_code == 200


def test_a_url_is_evidence_too_and_has_nothing_to_download(reviewer, claim):
    created = reviewer.post(
        evidence_url(claim),
        {"kind": "web_page", "stance": "supports", "url": "https://interfax.ru/russia/1"},
    )
    assert created.status_code == 201, created.content
    assert created.json()["download"] is None
    assert created.json()["file_name"] == ""
    download = f"{evidence_url(claim)}{created.json()['id']}/download/"
    assert reviewer.get(download).status_code == 404


def test_an_upload_too_large_is_refused(reviewer, claim, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    big = SimpleUploadedFile("big.png", f.PNG_BYTES + bytes(2000), content_type="image/png")
    [message] = assert_refused(upload(reviewer, claim, big))
    assert message == "The file is 2,067 bytes; evidence files may be at most 1,024 bytes (1 KB)."
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("photo.png", HTML_BYTES, "image/png"),  # a web page posing as an image
        ("photo.png", SVG_BYTES, "image/png"),  # scriptable SVG is not accepted at all
        ("photo.jpg", ELF_BYTES, "image/jpeg"),  # an executable
        ("photo.png", PDF_BYTES, "image/png"),  # a real type, but not the one named
        ("report.pdf", f.PNG_BYTES, "application/pdf"),
        ("data.json", b'{"troops": ', "application/json"),
    ],
)
def test_content_that_is_not_what_it_claims_to_be_is_refused(
    reviewer, claim, settings, name, content, declared
):
    file = SimpleUploadedFile(name, content, content_type=declared)
    [message] = assert_refused(upload(reviewer, claim, file))
    assert "content" in message
    assert stored_files(settings) == []


def test_an_empty_file_is_refused(reviewer, claim):
    assert_refused(upload(reviewer, claim, SimpleUploadedFile("empty.png", b"")), "file")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\system32\\evil.png", "evil.png"),
        ("/var/www/shell.png", "shell.png"),
        ('<img src=x onerror="alert(1)">.png', "_img src_x onerror__alert(1)__.png"),
        ('quote".png', "quote_.png"),
        ("line\r\nX-Injected: yes.png", None),  # what arrives depends on the client
        ("tab\tand\x1bescape.png", "tabandescape.png"),
        ("\u202egnp.exe.png", "gnp.exe.png"),  # no right-to-left override
        ("Спутник.png", "Спутник.png"),
        ("a" * 300 + ".png", "a" * 146 + ".png"),
    ],
)
def test_hostile_file_names_are_made_safe(reviewer, claim, settings, name, expected):
    created = upload(reviewer, claim, SimpleUploadedFile(name, f.PNG_BYTES, "image/png"))
    assert created.status_code == 201, created.content
    file_name = created.json()["file_name"]
    if expected is not None:
        assert file_name == expected
    assert len(file_name) <= 150
    assert not set(file_name) & set('/\\"\r\n\t\x00<>'), file_name

    download = reviewer.get(created.json()["download"])
    disposition = download["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.startswith("attachment;")
    assert "X-Injected" not in {key for key, _ in download.items()}
    [stored] = stored_files(settings)
    assert stored.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert stored.suffix == ".png"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "image", "stance": "refutes"}, ""),  # neither a file nor a URL
        ({"kind": "web_page", "stance": "refutes", "url": "not a url"}, "url"),
        ({"kind": "web_page", "stance": "refutes", "url": "javascript:alert(1)"}, "url"),
        ({"kind": "hearsay", "stance": "refutes", "url": "https://example.org"}, "kind"),
        ({"kind": "image", "stance": "maybe", "url": "https://example.org"}, "stance"),
        ({"kind": "image", "stance": "refutes", "url": "https://example.org", "file": "x"}, "file"),
    ],
)
def test_evidence_input_errors(reviewer, claim, data, field):
    response = reviewer.post(evidence_url(claim), data, format="json")
    if field:
        assert_refused(response, field)
    else:
        assert "either a file or a URL" in assert_refused(response)[0]


def test_a_file_and_a_url_together_are_refused(reviewer, claim):
    response = upload(reviewer, claim, f.png_upload(), url="https://example.org/photo")
    assert "not both" in assert_refused(response)[0]


def test_evidence_for_a_claim_that_does_not_exist_is_a_404(reviewer):
    url = "/api/v1/claims/00000000-0000-4000-8000-000000000000/evidence/"
    for data in (
        {"kind": "image"},
        {"kind": "web_page", "stance": "refutes", "url": "https://x.org"},
    ):
        response = reviewer.post(url, data)
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM


# --- Withdrawal -----------------------------------------------------------------------------


def test_withdrawn_evidence_stays_listed_and_can_no_longer_be_cited(reviewer, claim):
    evidence = f.evidence(claim=claim)
    kept = f.evidence(claim=claim, url="https://example.org/kept")
    url = f"{evidence_url(claim)}{evidence.pk}/withdraw/"

    assert_missing_reason = reviewer.post(url, {"reason": "  "})
    assert assert_missing_reason.status_code == 400
    assert "reason" in assert_missing_reason.json()["errors"]
    assert reviewer.post(url, {}).status_code == 400

    withdrawn = reviewer.post(url, {"reason": "The image was taken in 2021."})
    assert withdrawn.status_code == 200, withdrawn.content
    body = withdrawn.json()
    assert body["withdrawn_by"] == "rita"
    assert body["withdrawal_reason"] == "The image was taken in 2021."
    assert body["withdrawn_at"] is not None

    again = reviewer.post(url, {"reason": "Twice."})
    assert again.status_code == 400
    assert again.json()["detail"] == "This evidence was already withdrawn."

    listed = reviewer.get(evidence_url(claim)).json()["results"]
    assert {item["id"] for item in listed} == {str(evidence.pk), str(kept.pk)}
    current = reviewer.get(f"/api/v1/claims/{claim.pk}/")
    assert current.json()["evidence_count"] == 1

    f.transition(claim=claim, status="in_review")
    etag = reviewer.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    cite = reviewer.post(
        f"/api/v1/claims/{claim.pk}/transitions/",
        {"status": "false", "reason": "Old image.", "evidence": [str(evidence.pk)]},
        HTTP_IF_MATCH=etag,
    )
    assert cite.status_code == 400
    assert "evidence" in cite.json()["errors"]


def test_evidence_of_another_claim_is_not_found_under_this_one(reviewer, claim):
    other = f.evidence(claim=f.claim(), file=f.png_upload())
    base = f"{evidence_url(claim)}{other.pk}/"
    assert reviewer.post(f"{base}withdraw/", {"reason": "Wrong claim."}).status_code == 404
    missing = reviewer.get(f"{base}download/", HTTP_ACCEPT="image/png")
    assert missing.status_code == 404
    assert missing["Content-Type"] == PROBLEM
    assert Evidence.objects.get(pk=other.pk).withdrawn_at is None


def test_uploads_do_not_count_as_evidence_before_they_are_valid(reviewer, claim, settings):
    """A refused upload leaves the claim as it was: same version, nothing stored."""
    before = reviewer.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    upload(reviewer, claim, SimpleUploadedFile("x.png", HTML_BYTES, "image/png"))
    assert reviewer.get(f"/api/v1/claims/{claim.pk}/")["ETag"] == before
    assert stored_files(settings) == []
