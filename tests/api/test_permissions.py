"""The permission matrix: every role against every endpoint and method of the API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User

from claims.models import Claim, Source
from tests import factories as f
from verification.models import Evidence

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "viewer", "editor", "reviewer", "admin")
READ = frozenset({"viewer", "editor", "reviewer", "admin"})
EDIT = frozenset({"editor", "reviewer", "admin"})
REVIEW = frozenset({"reviewer", "admin"})
NOBODY: frozenset[str] = frozenset()

CLAIM = "/api/v1/claims/{claim}/"
SOURCE = "/api/v1/sources/{source}/"
URL_EVIDENCE = CLAIM + "evidence/{url_evidence}/"
FILE_EVIDENCE = CLAIM + "evidence/{file_evidence}/"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] = field(default_factory=dict)
    if_match: bool = False
    multipart: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}{' multipart' if self.multipart else ''}"


STATEMENT = {
    "source": "{source}",
    "quote": "We will believe it when we see it.",
    "stance": "counters",
}
URL_UPLOAD = {"kind": "web_page", "stance": "refutes", "url": "https://example.org/a"}
FILE_UPLOAD = {"kind": "image", "stance": "refutes"}  # and a PNG
MERGE_ITSELF = {"canonical": "{claim}", "canonical_version": 3}
TO_REVIEW = {"status": "in_review", "reason": "Checking the satellite images."}

# (request, roles it is allowed to, its status when allowed). A method the resource does not
# have is a 405 for every signed-in user; anonymous users always get 401 (the API is closed).
MATRIX: list[tuple[Call, frozenset[str], int]] = [
    (Call("GET", "/api/v1/"), READ, 200),
    (Call("GET", "/api/v1/sources/"), READ, 200),
    (Call("POST", "/api/v1/sources/", {"name": "Interfax", "kind": "agency"}), EDIT, 201),
    (Call("GET", SOURCE), READ, 200),
    (Call("PUT", SOURCE, {"name": "Peskov", "kind": "person"}, if_match=True), EDIT, 200),
    (Call("PATCH", SOURCE, {"role": "Kremlin spokesperson"}, if_match=True), EDIT, 200),
    (Call("DELETE", SOURCE), NOBODY, 405),
    (Call("GET", "/api/v1/claims/"), READ, 200),
    (Call("GET", "/api/v1/claims/export/"), READ, 200),
    (Call("POST", "/api/v1/claims/export/"), NOBODY, 405),
    (Call("GET", "/api/v1/imports/"), READ, 200),
    (Call("POST", "/api/v1/imports/", {"url": "http://127.0.0.1:9/reviews.json"}), EDIT, 202),
    (Call("POST", "/api/v1/claims/", {"text": "Troops are returning."}), EDIT, 201),
    (Call("GET", CLAIM), READ, 200),
    (Call("PATCH", CLAIM, {"summary": "Said on 15 February."}, if_match=True), EDIT, 200),
    (Call("PUT", CLAIM, {"text": "Replaced."}, if_match=True), NOBODY, 405),
    (Call("DELETE", CLAIM), NOBODY, 405),
    (Call("GET", CLAIM + "appearances/"), READ, 200),
    (Call("POST", CLAIM + "appearances/", {"url": "https://interfax.ru/1"}), EDIT, 201),
    (Call("GET", CLAIM + "statements/"), READ, 200),
    (Call("POST", CLAIM + "statements/", STATEMENT), EDIT, 201),
    (Call("GET", CLAIM + "evidence/"), READ, 200),
    (Call("POST", CLAIM + "evidence/", URL_UPLOAD), EDIT, 201),
    (Call("POST", CLAIM + "evidence/", FILE_UPLOAD, multipart=True), EDIT, 201),
    (Call("POST", URL_EVIDENCE + "withdraw/", {"reason": "A forgery."}), EDIT, 200),
    (Call("GET", URL_EVIDENCE + "withdraw/"), NOBODY, 405),
    (Call("GET", FILE_EVIDENCE + "download/"), READ, 200),
    (Call("GET", CLAIM + "history/"), READ, 200),
    (Call("GET", CLAIM + "similar/"), READ, 200),
    (Call("POST", CLAIM + "similar/"), NOBODY, 405),
    (Call("GET", "/api/v1/claims/similar/?text=Troops%20are%20returning"), READ, 200),
    (Call("POST", "/api/v1/claims/similar/", {"text": "Troops"}), NOBODY, 405),
    # Past the permission check, a merge into itself and a link with itself are refused: 400.
    (Call("POST", CLAIM + "merge/", MERGE_ITSELF, if_match=True), REVIEW, 400),
    (Call("GET", CLAIM + "merge/"), NOBODY, 405),
    (Call("GET", CLAIM + "links/"), READ, 200),
    (Call("POST", CLAIM + "links/", {"claim": "{claim}", "kind": "related"}), EDIT, 400),
    (Call("DELETE", CLAIM + "links/{missing}/"), EDIT, 404),
    (Call("POST", CLAIM + "transitions/", TO_REVIEW, if_match=True), REVIEW, 200),
    (Call("GET", CLAIM + "transitions/"), NOBODY, 405),
    (Call("GET", CLAIM + "proposals/"), READ, 200),
    # Past the permission check, the claim (no verdict proposed) is refused: 409.
    (Call("POST", CLAIM + "approve/", {}, if_match=True), REVIEW, 409),
    (Call("POST", CLAIM + "reject/", {"reason": "Cite it."}, if_match=True), REVIEW, 409),
    # Past the permission check, the claim (unverified, never published) is refused: 409.
    (Call("POST", CLAIM + "publish/", {}, if_match=True), REVIEW, 409),
    (Call("POST", CLAIM + "unpublish/", {"reason": "Retracted."}, if_match=True), REVIEW, 409),
    (Call("POST", URL_EVIDENCE + "public/", {"public": True}), EDIT, 200),
    (Call("POST", URL_EVIDENCE + "capture/", {}), EDIT, 202),
    (Call("GET", URL_EVIDENCE + "captures/{capture}/content/"), READ, 200),
    (Call("GET", URL_EVIDENCE + "captures/{capture}/warc/"), READ, 200),
]


def expected_status(role: str, allowed: frozenset[str], success: int) -> int:
    if role == "anonymous":
        return 401
    if role in allowed or success == 405:
        return success
    return 403


def make_user(role: str) -> User | None:
    return {
        "anonymous": lambda: None,
        "viewer": f.viewer,
        "editor": f.editor,
        "reviewer": f.reviewer,
        "admin": lambda: f.UserFactory(is_superuser=True),
    }[role]()


@pytest.fixture
def world() -> dict[str, str]:
    source = f.source(name="Dmitry Peskov")
    claim = f.claim(text="Russia ordered troops back to their bases.", claimant=source)
    url_evidence = f.evidence(claim=claim)
    return {
        "claim": str(claim.pk),
        "source": str(source.pk),
        "url_evidence": str(url_evidence.pk),
        "capture": str(f.captured(url_evidence).pk),
        "file_evidence": str(f.evidence(claim=claim, file=f.png_upload()).pk),
        "missing": "00000000-0000-4000-8000-000000000000",
    }


def fill(value: Any, ids: dict[str, str]) -> Any:
    return value.format(**ids) if isinstance(value, str) else value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("call", "allowed", "success"), MATRIX, ids=[str(c) for c, *_ in MATRIX])
def test_permission_matrix(api, world, role, call, allowed, success):
    client = api(make_user(role))
    body = {name: fill(value, world) for name, value in call.body.items()}
    # The claim is at version 3 (two pieces of evidence were attached); the source at 1.
    version = "v1" if call.path.startswith("/api/v1/sources/") else "v3"
    headers = {"HTTP_IF_MATCH": f'"{version}"'} if call.if_match else {}
    if call.multipart:
        body["file"] = f.png_upload()
    send = getattr(client, call.method.lower())
    if call.method == "GET":
        response = send(fill(call.path, world), **headers)
    else:
        format_ = "multipart" if call.multipart else "json"
        response = send(fill(call.path, world), body, format=format_, **headers)

    expected = expected_status(role, allowed, success)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == expected
    if expected == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    if expected == 405:
        assert call.method not in response["Allow"]
    if expected >= 400:  # and nothing changed
        claim = Claim.objects.get()
        assert (claim.version, claim.status, Source.objects.get().version) == (3, "unverified", 1)
        assert Evidence.objects.filter(withdrawn_at__isnull=True).count() == 2


def test_the_matrix_covers_every_claim_and_source_operation_of_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    documented = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, item in schema["paths"].items()
        for method in item
        if path.startswith(("/api/v1/claims/", "/api/v1/sources/"))
    }
    tested = {
        (call.method, re.sub(r"\{[^}]+\}", "{}", call.path.partition("?")[0]))
        for call, *_ in MATRIX
    }
    assert documented - tested == set()


def test_a_role_taken_away_applies_to_the_next_request(api):
    editor = f.editor()
    client = api(editor)
    assert client.post("/api/v1/sources/", {"name": "Interfax"}).status_code == 201
    editor.groups.clear()
    denied = client.post("/api/v1/sources/", {"name": "TASS"})
    assert denied.status_code == 403
    assert client.get("/api/v1/claims/").status_code == 403
