"""Evidence capture against a real local web site: bytes, WARC, SHA-256, redirects, refusals,
retries, "capture again", the append-only rows, and a real worker."""

from __future__ import annotations

import hashlib
import io
import socket
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from warcio.archiveiterator import ArchiveIterator

from tests import factories as f
from tests.interchange.conftest import Site
from tests.notifications.conftest import Workers, wait_for
from verification import capture
from verification.models import CaptureState, Evidence, EvidenceCapture

pytestmark = pytest.mark.django_db

PAGE = (
    "<!doctype html><html lang=uk><title>Міноборони: війська повертаються</title>"
    "<p>Підрозділи Південного військового округу повертаються до місць постійної дислокації."
    "</p></html>"
).encode()


def url_evidence(url: str) -> Evidence:
    return f.evidence(claim=f.claim(), url=url, kind="web_page")


def run(evidence: Evidence) -> EvidenceCapture:
    """The evidence's pending capture, one attempt run now."""
    pending = evidence.captures.get(state=CaptureState.PENDING)
    capture.capture_run(capture_id=pending.pk)
    pending.refresh_from_db()
    return pending


def due_now(item: EvidenceCapture) -> None:
    """Bring the next attempt forward (a pending row may change; the clock is not ours)."""
    EvidenceCapture.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())


def test_a_page_is_kept_as_its_bytes_and_a_warc_record(site: Site) -> None:
    page = site.put("/article", PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
    site.put("/old", b"", status=302, headers={"Location": "/moved"})
    site.put("/moved", b"", status=301, headers={"Location": page})
    evidence = url_evidence(site.base + "/old")

    done = run(evidence)

    assert done.state == CaptureState.SUCCEEDED, done.error
    assert done.final_url == page
    assert (done.status_code, done.content_type, done.size) == (200, "text/html", len(PAGE))
    assert done.sha256 == hashlib.sha256(PAGE).hexdigest()
    assert done.headers["content-type"] == "text/html; charset=utf-8"
    assert done.attempts == 1 and done.error == ""
    with done.content.open("rb") as stored:
        assert stored.read() == PAGE
    with done.warc.open("rb") as stored:
        records = [
            (
                record.rec_type,
                record.rec_headers.get_header("WARC-Target-URI"),
                record.http_headers.get_statuscode(),
                record.content_stream().read(),  # read while the iterator is on it
            )
            for record in ArchiveIterator(io.BytesIO(stored.read()))
        ]
    assert records == [("response", page, "200", PAGE)]
    assert site.requests == ["/old", "/moved", "/article"]
    evidence.refresh_from_db()
    assert evidence.url == site.base + "/old"  # the evidence itself is untouched


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ({"body": b"PK\x03\x04", "headers": {"Content-Type": "application/zip"}},
         "The page is of type application/zip, which is not captured"),
        ({"body": b"x" * 2000, "headers": {"Content-Type": "text/plain"}},
         "sent more than 1,000 bytes"),
        ({"body": b"gone", "status": 410}, "answered HTTP 410"),
        ({"body": b"", "status": 302, "headers": {"Location": "/loop"}}, "More than 5 redirects"),
    ],
)  # fmt: skip
def test_what_cannot_be_kept_fails_at_once_with_its_reason(
    site: Site, settings: Any, page: dict[str, Any], reason: str
) -> None:
    settings.CAPTURE_MAX_BYTES = 1000
    evidence = url_evidence(site.put("/loop", **page))

    failed = run(evidence)

    assert failed.state == CaptureState.FAILED
    assert reason in failed.error
    assert failed.attempts == 1 and failed.next_attempt_at is None
    assert not failed.content and not failed.warc
    assert Evidence.objects.filter(pk=evidence.pk, withdrawn_at__isnull=True).exists()


def test_a_failure_that_may_pass_is_retried_on_the_schedule_then_fails(
    site: Site, settings: Any
) -> None:
    settings.CAPTURE_RETRY_SCHEDULE = [60, 600]
    evidence = url_evidence(site.put("/busy", b"try later", status=503))

    first = run(evidence)
    assert first.state == CaptureState.PENDING
    assert "answered HTTP 503" in first.error
    wait = first.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
    assert capture.capture_run(capture_id=first.pk) is None  # not due: nothing fetched
    assert site.requests == ["/busy"]

    due_now(first)
    assert capture.capture_run(capture_id=first.pk) == 600
    due_now(first)
    assert capture.capture_run(capture_id=first.pk) is None
    first.refresh_from_db()
    assert (first.state, first.attempts) == (CaptureState.FAILED, 3)
    assert site.requests == ["/busy"] * 3


def test_a_server_that_sends_too_slowly_times_out(site: Site, settings: Any) -> None:
    settings.CAPTURE_TIMEOUT_SECONDS = 1
    settings.CAPTURE_RETRY_SCHEDULE = []
    evidence = url_evidence(
        site.put("/slow", b"a" * 400, headers={"Content-Type": "text/plain"}, drip=0.2)
    )

    failed = run(evidence)

    assert failed.state == CaptureState.FAILED
    assert "took too long" in failed.error or "timed out" in failed.error


@pytest.fixture
def public_name(monkeypatch: pytest.MonkeyPatch, site: Site) -> str:
    """A public host name served by the local site: DNS gives a global address and the
    network takes connections to it to the site (both lie outside the project)."""
    public, port = "93.184.215.14", site.server.server_address[1]
    resolve, connect = socket.getaddrinfo, socket.create_connection

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "news.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (public, port))]
        return resolve(host, *args, **kwargs)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        if address[0] == public:
            return connect(("127.0.0.1", address[1]), *args, **kwargs)
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return f"http://news.example.com:{port}"


def test_a_redirect_to_a_private_address_is_refused_in_production(
    site: Site, settings: Any, public_name: str
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    site.put("/internal", b"secret", headers={"Content-Type": "text/plain"})
    site.put("/story", b"", status=302, headers={"Location": site.base + "/internal"})
    site.put("/fine", PAGE, headers={"Content-Type": "text/html"})
    bad = url_evidence(public_name + "/story")
    good = url_evidence(public_name + "/fine")

    refused = run(bad)
    kept = run(good)

    assert refused.state == CaptureState.FAILED
    assert refused.error.startswith("Not fetched:")
    assert "non-public address" in refused.error
    assert site.requests.count("/internal") == 0  # the private hop was never called
    assert kept.state == CaptureState.SUCCEEDED, kept.error


def test_a_private_address_is_refused_in_production(site: Site, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    evidence = url_evidence(site.put("/x", PAGE, headers={"Content-Type": "text/html"}))

    refused = run(evidence)

    assert refused.state == CaptureState.FAILED and "non-public address" in refused.error
    assert site.requests == []


def test_capture_again_keeps_the_earlier_captures(site: Site) -> None:
    url = site.put("/page", PAGE, headers={"Content-Type": "text/html"})
    evidence = url_evidence(url)
    first = run(evidence)
    site.put("/page", PAGE + b"<p>Updated.</p>", headers={"Content-Type": "text/html"})
    editor = f.editor()

    again = capture.capture_request(actor=editor, evidence=evidence)
    assert capture.capture_request(actor=editor, evidence=evidence) == again  # one pending
    second = run(evidence)

    assert [c.pk for c in evidence.captures.order_by("requested_at")] == [first.pk, second.pk]
    assert first.sha256 != second.sha256
    assert second.requested_by == editor


def test_only_live_url_evidence_is_captured_and_by_editors() -> None:
    file_evidence = f.evidence(claim=f.claim(), file=f.png_upload())
    assert not file_evidence.captures.exists()
    with pytest.raises(ValidationError, match="Only evidence given as a URL is captured"):
        capture.capture_request(actor=f.editor(), evidence=file_evidence)
    url = url_evidence("https://example.org/a")
    with pytest.raises(PermissionDenied, match="permission to capture evidence"):
        capture.capture_request(actor=f.viewer(), evidence=url)


def test_captures_are_history_the_database_keeps(site: Site) -> None:
    done = run(url_evidence(site.put("/p", PAGE, headers={"Content-Type": "text/html"})))

    with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
        EvidenceCapture.objects.filter(pk=done.pk).update(sha256="0" * 64)
    refused = pytest.raises(DatabaseError, match="Cannot delete")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM verification_evidencecapture WHERE id = %s", [done.pk])


def test_a_capture_is_fetched_once_however_often_it_is_queued(site: Site) -> None:
    evidence = url_evidence(site.put("/p", PAGE, headers={"Content-Type": "text/html"}))
    pending = evidence.captures.get()

    assert capture.captures_requeue() == 1
    capture.capture_run(capture_id=pending.pk)
    capture.capture_run(capture_id=pending.pk)

    assert site.requests == ["/p"]
    assert capture.captures_requeue() == 0


@pytest.mark.django_db(transaction=True)
def test_evidence_added_through_the_api_is_captured_by_a_real_worker(
    site: Site, workers: Workers
) -> None:
    from rest_framework.test import APIClient

    from tests.api.conftest import token_for

    url = site.put("/statement", PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
    workers.start()
    claim = f.claim()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(f.editor())}")

    added = client.post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"kind": "web_page", "stance": "refutes", "url": url},
        format="json",
    )
    assert added.status_code == 201, added.content

    def captured() -> EvidenceCapture | None:
        return EvidenceCapture.objects.filter(
            evidence_id=added.json()["id"], state=CaptureState.SUCCEEDED
        ).first()

    done = wait_for(captured, "the worker to capture the page")
    assert done.sha256 == hashlib.sha256(PAGE).hexdigest()
    assert site.requests == ["/statement"]


def test_files_of_a_capture_that_never_committed_are_removed(site: Site) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from verification.services import evidence_orphans_remove

    done = run(url_evidence(site.put("/p", PAGE, headers={"Content-Type": "text/html"})))
    stray = default_storage.save("captures/rolled-back.warc.gz", ContentFile(b"x"))

    removed = evidence_orphans_remove(older_than=timedelta(0))

    assert removed == [stray]
    assert done.content.read() == PAGE
    assert done.warc.size > 0


# --- Over the API and in the admin ----------------------------------------------------------


def test_the_api_lists_captures_with_their_downloads_and_captures_again(
    site: Site, api: Any
) -> None:
    url = site.put("/page", PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
    editor, viewer = f.editor(), f.viewer()
    evidence = url_evidence(url)
    run(evidence)
    base = f"/api/v1/claims/{evidence.claim_id}/evidence/"

    [item] = api(viewer).get(base).json()["results"]
    [done] = item["captures"]
    assert done["state"] == "succeeded"
    assert done["sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert done["final_url"] == url
    content = api(viewer).get(done["content"])
    assert content.status_code == 200
    assert b"".join(content.streaming_content) == PAGE
    assert content["Content-Type"] == "text/html"
    assert content["Content-Disposition"].startswith("attachment;")
    assert content["Content-Disposition"].endswith('.html"')
    assert content["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in content["Content-Security-Policy"]
    warc = api(viewer).get(done["warc"])
    assert warc["Content-Type"] == "application/warc"
    assert b"".join(warc.streaming_content)[:2] == b"\x1f\x8b"  # gzipped
    assert api().get(done["content"]).status_code == 401

    again = api(editor).post(f"{base}{evidence.pk}/capture/", {}, format="json")
    assert again.status_code == 202, again.json()
    assert (again.json()["state"], again.json()["content"]) == ("pending", None)
    assert api(viewer).post(f"{base}{evidence.pk}/capture/", {}).status_code == 403
    unknown = api(editor).post(f"{base}{evidence.pk}/capture/", {"url": "x"}, format="json")
    assert unknown.status_code == 400
    file_evidence = f.evidence(claim=evidence.claim, file=f.png_upload())
    refused = api(editor).post(f"{base}{file_evidence.pk}/capture/", {}, format="json")
    assert refused.status_code == 400
    assert "Only evidence given as a URL is captured" in str(refused.json())
    assert [c["state"] for c in api(viewer).get(base).json()["results"][0]["captures"]] == [
        "succeeded",
        "pending",
    ]


def test_a_failed_capture_says_why_and_has_no_downloads(site: Site, api: Any) -> None:
    evidence = url_evidence(site.put("/z", b"PK", headers={"Content-Type": "application/zip"}))
    run(evidence)

    [item] = api(f.viewer()).get(f"/api/v1/claims/{evidence.claim_id}/evidence/").json()["results"]
    [failed] = item["captures"]
    assert failed["state"] == "failed"
    assert "application/zip" in failed["error"]
    assert (failed["content"], failed["warc"]) == (None, None)


def test_the_claim_page_shows_captures_and_captures_again(site: Site) -> None:
    from django.test import Client
    from django.urls import reverse

    from tests.admin.browser import form_data

    evidence = url_evidence(site.put("/page", PAGE, headers={"Content-Type": "text/html"}))
    done = run(evidence)
    editor = Client()
    editor.force_login(f.editor())
    page_url = reverse("admin:claims_claim_change", args=[evidence.claim_id])

    page = editor.get(page_url)
    text = page.content.decode()
    assert reverse("capture-content", args=[done.pk]) in text
    assert reverse("capture-warc", args=[done.pk]) in text
    assert done.sha256[:12] in text
    downloaded = editor.get(reverse("capture-content", args=[done.pk]))
    assert b"".join(downloaded.streaming_content) == PAGE
    data = form_data(page, "claim_form")
    data["evidence-0-capture_again"] = "on"

    assert editor.post(page_url, data).status_code == 302

    assert [c.state for c in evidence.captures.order_by("requested_at")] == [
        CaptureState.SUCCEEDED,
        CaptureState.PENDING,
    ]
    viewer = Client()
    viewer.force_login(f.viewer())
    seen = viewer.get(page_url).content.decode()
    assert "capture_again" not in seen
    assert "Being captured (queued)" in seen
    assert viewer.get(reverse("capture-warc", args=[done.pk])).status_code == 200
    anonymous = Client().get(reverse("capture-warc", args=[done.pk]))
    assert anonymous.status_code == 302  # to the sign-in page


def test_the_public_page_links_the_archived_copy_of_public_evidence(site: Site) -> None:
    from django.test import Client
    from django.urls import reverse

    from publishing import services as publishing_services
    from verification.services import evidence_public_set

    published = f.published(status="unproven")
    claim = published.claim
    editor = f.editor()
    url = site.put("/shown", PAGE, headers={"Content-Type": "text/html"})
    shown = f.evidence(claim=claim, url=url, actor=editor)
    hidden = f.evidence(claim=claim, url=url, actor=editor)
    evidence_public_set(actor=editor, evidence=shown, public=True)
    kept, internal = run(shown), run(hidden)
    reader = Client()

    page = reader.get(f"/fact-checks/{claim.pk}/", follow=True).content.decode()
    archived = reverse("public:evidence-archived", args=[claim.pk, shown.pk, kept.pk])
    assert f'href="{archived}"' in page
    assert "archived copy" in page
    copy = reader.get(archived)
    assert copy.status_code == 200
    assert b"".join(copy.streaming_content) == PAGE
    assert copy["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in copy["Content-Security-Policy"]
    private = reverse("public:evidence-archived", args=[claim.pk, hidden.pk, internal.pk])
    assert reader.get(private).status_code == 404
    publishing_services.claim_unpublish(
        actor=f.reviewer(), claim=claim, reason="Retracted.", channel="admin"
    )
    assert reader.get(archived).status_code == 404


def test_a_host_that_does_not_resolve_is_tried_again(settings: Any) -> None:
    settings.CAPTURE_RETRY_SCHEDULE = [60]
    evidence = url_evidence("https://no-such-host.invalid/statement")

    first = run(evidence)
    assert first.state == CaptureState.PENDING
    assert first.error == "Not fetched: The host 'no-such-host.invalid' does not resolve."
    due_now(first)
    capture.capture_run(capture_id=first.pk)
    first.refresh_from_db()
    assert (first.state, first.attempts) == (CaptureState.FAILED, 2)
