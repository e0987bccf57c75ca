"""The OpenAPI schema and docs UI as served, and a schemathesis run against the live schema."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from claims.models import Claim, Source
from tests import factories as f
from tests.api.conftest import token_for
from verification.models import Evidence

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Examples per operation and generation mode; derandomized, so every run sends the same ones.
EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 25}


# --- The schema and the docs ----------------------------------------------------------------


def test_schema_is_openapi_31_json(client):
    by_format = client.get("/api/schema/?format=json")
    by_accept = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    for response in (by_format, by_accept):
        assert response.status_code == 200
        assert response["Content-Type"].split(";")[0] in (
            "application/json",
            "application/vnd.oai.openapi+json",
        )
    schema = by_format.json()
    assert schema == by_accept.json()
    assert schema["openapi"].startswith("3.1")
    assert schema["info"]["title"] == "Claim tracker API"
    bearer = schema["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, operation


CLAIM, EVIDENCE = "/api/v1/claims/{claim_id}/", "/api/v1/claims/{claim_id}/evidence/"
CONTRACT = {
    ("GET", "/api/v1/sources/"),
    ("POST", "/api/v1/sources/"),
    ("GET", "/api/v1/sources/{id}/"),
    ("PUT", "/api/v1/sources/{id}/"),
    ("PATCH", "/api/v1/sources/{id}/"),
    ("GET", "/api/v1/claims/"),
    ("POST", "/api/v1/claims/"),
    ("GET", "/api/v1/claims/{id}/"),
    ("PATCH", "/api/v1/claims/{id}/"),
    ("GET", f"{CLAIM}appearances/"),
    ("POST", f"{CLAIM}appearances/"),
    ("GET", f"{CLAIM}statements/"),
    ("POST", f"{CLAIM}statements/"),
    ("GET", EVIDENCE),
    ("POST", EVIDENCE),
    ("POST", f"{EVIDENCE}{{evidence_id}}/withdraw/"),
    ("GET", f"{EVIDENCE}{{evidence_id}}/download/"),
    ("GET", f"{CLAIM}history/"),
    ("POST", f"{CLAIM}transitions/"),
}


def test_schema_lists_every_endpoint_of_the_contract(client):
    schema = client.get("/api/schema/?format=json").json()
    listed = {(method, path) for method, path, _ in _operations(schema)}
    assert listed >= CONTRACT
    claim_methods = {method for method, path in listed if path == "/api/v1/claims/{id}/"}
    assert claim_methods == {"GET", "PATCH"}  # never replaced, never deleted


def test_every_operation_declares_its_problems(client):
    schema = client.get("/api/schema/?format=json").json()
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"401", "403", "406", "429"}
        parameters = operation.get("parameters", [])
        with_body = method in ("POST", "PUT", "PATCH")
        if with_body or any(p["in"] == "query" for p in parameters):
            expected.add("400")
        if with_body:
            expected |= {"413", "415"}
        if "{" in path:
            expected.add("404")
        if "If-Match" in {p["name"] for p in parameters}:
            expected |= {"412", "428"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            assert responses[status]["content"] == {"application/problem+json": problem}
        assert "Retry-After" in responses["429"]["headers"]
        if "412" in responses:
            assert "ETag" in responses["412"]["headers"]
        if (method, path) in CONTRACT and ("{id}" in path or path.endswith("/transitions/")):
            # a claim or a source
            success = "201" if method == "POST" and "{" not in path else "200"
            assert "ETag" in responses[success]["headers"], (method, path)
    transition = schema["paths"]["/api/v1/claims/{claim_id}/transitions/"]["post"]
    assert {"409", "412", "428"} <= set(transition["responses"])
    problem_schema = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem_schema["required"])
    assert {"errors", "allowed_transitions", "instance"} <= set(problem_schema["properties"])


def test_docs_ui_is_served_with_the_projects_own_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="swagger-ui"' in html
    assert "/api/schema/" in html
    loaded = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert [url for url in loaded if not url.startswith("/static/")] == [], "no CDN"
    assert any(url.endswith("/swagger-ui-bundle.js") for url in loaded)
    assert any(url.endswith("/swagger-ui.css") for url in loaded)
    # Served as `make run` serves them (runserver's static files handler), from the sidecar.
    static = Client(StaticFilesHandler(get_wsgi_application()))
    for url in loaded:
        assert finders.find(url.removeprefix("/static/")), url
        served = static.get(url)
        assert served.status_code == 200, url
        assert served.get_data()


def test_docs_ui_calls_no_outside_validator(client):
    html = client.get("/api/docs/").content.decode()
    assert '"validatorUrl": null' in html


def test_the_schema_and_docs_are_public_in_development_and_tests(client):
    assert settings.API_DOCS_PUBLIC is True
    assert client.get("/api/schema/?format=json").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_the_schema_and_docs_are_closed_in_production_by_default():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "q8#m2v!x7@lz4p0&w9r^k3t*e6y(u1i)o5a-s_d+f=g[h]j;c:b,n.m/Z",
        "DATABASE_URL": "postgres://claims@db.internal:5432/claims",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    }
    environment.pop("API_DOCS_PUBLIC", None)
    code = "from django.conf import settings; print(settings.API_DOCS_PUBLIC)"
    printed = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    assert printed.stdout.strip() == "False"


@pytest.mark.parametrize("url", ["/api/schema/?format=json", "/api/docs/"])
def test_closed_docs_need_a_staff_session_or_a_token(client, api, settings, url):
    settings.API_DOCS_PUBLIC = False
    assert client.get(url).status_code == 401
    assert api(None).get(url, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert api(f.viewer(is_staff=False)).get(url).status_code == 200
    client.force_login(f.UserFactory(username="outsider", is_staff=False))
    assert client.get(url).status_code == 403
    client.force_login(f.viewer())  # staff
    assert client.get(url).status_code == 200


# --- Schemathesis ---------------------------------------------------------------------------


@pytest.fixture
def in_process_wsgi() -> Iterator[Any]:
    """The project's WSGI app, sharing the test's connection and transaction.

    Django closes "old" connections at the start and end of each request; inside the test's
    transaction that would drop it, so (as Django's own test client does) that is switched off.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def no_throttling(monkeypatch: pytest.MonkeyPatch) -> None:
    # DRF copies the rates into the throttle classes when it is imported.
    for throttle in (AnonRateThrottle, UserRateThrottle):
        monkeypatch.setitem(throttle.THROTTLE_RATES, throttle.scope, None)


def test_schemathesis_finds_no_server_error_and_no_response_off_the_schema(
    in_process_wsgi, no_throttling
):
    """Every operation, with valid and invalid input, as a superuser with a real token."""
    admin = f.UserFactory(username="fuzzer", is_superuser=True)
    source = f.source(name="Dmitry Peskov", role="Kremlin spokesperson")
    claim = f.claim(text="Troops are going back to their bases.", claimant=source, tags=["ru"])
    f.statement(claim=claim, stance="counters")
    f.statement(claim=claim, stance="supports", source=source)
    file_evidence = f.evidence(claim=claim, file=f.png_upload())
    url_evidence = f.evidence(claim=claim)
    f.evidence(claim=claim, url="https://example.org/kept")
    f.transition(claim=claim, to_status="in_review")
    f.evidence(claim=f.claim(text="A second claim."))
    real = RealValues(source=source, username=admin.username)

    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", in_process_wsgi)
    headers = {"Authorization": f"Bearer {token_for(admin)}"}
    failures: list[str] = []
    answered: dict[str, Counter[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        path = operation.path
        ids = {"id": source.pk} if path.startswith("/api/v1/sources/") else {"id": claim.pk}
        ids["claim_id"] = claim.pk
        ids["evidence_id"] = (file_evidence if path.endswith("/download/") else url_evidence).pk
        # Other ids (of other resources) are generated.
        path_parameters = {
            name: value
            for name, value in ids.items()
            if f"{{{name}}}" in path and path.startswith(("/api/v1/claims/", "/api/v1/sources/"))
        }
        statuses = answered.setdefault(operation.label, Counter())
        for mode, examples in EXAMPLES.items():
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            try:
                _fuzz(strategy, examples, headers, real, statuses)
            except FailureGroup as group:
                failures.append(f"{operation.label} ({mode}):\n{group}")
    assert not failures, "\n\n".join(failures)
    # The run reached past validation in every operation of the contract, not only 4xx.
    contract = {f"{method} {path}" for method, path in CONTRACT}
    assert contract <= set(answered)
    unsuccessful = [label for label in contract if not _succeeded(answered[label])]
    assert unsuccessful == [], {label: answered[label] for label in unsuccessful}


class RealValues:
    """Ids and versions that exist, put into half the cases so that writes can succeed."""

    def __init__(self, *, source: Source, username: str) -> None:
        self.source, self.username = source, username

    def apply(self, case: Any) -> None:
        path, body = case.operation.path, case.body
        key = case.path_parameters.get("id") or case.path_parameters.get("claim_id")
        if case.headers and "If-Match" in case.headers:
            model = Source if path.startswith("/api/v1/sources/") else Claim
            case.headers["If-Match"] = f'"v{model.objects.get(pk=key).version}"'
        if not isinstance(body, dict):
            return
        if "source" in body:
            body["source"] = str(self.source.pk)
        if "claimant" in body:
            body["claimant"] = str(self.source.pk)
        if "assignee" in body:
            body["assignee"] = self.username
        if path.endswith("/transitions/"):
            citable = Evidence.objects.filter(claim_id=key, withdrawn_at__isnull=True)
            body["evidence"] = [str(pk) for pk in citable.values_list("pk", flat=True)[:1]]


def _fuzz(
    strategy: Any,
    examples: int,
    headers: dict[str, str],
    real: RealValues,
    statuses: Counter[int],
) -> None:
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, with_real_values=st.booleans())
    def run(case: Any, with_real_values: bool) -> None:
        if with_real_values:
            real.apply(case)
        # A savepoint each: a database error in one request must not abort the others.
        with transaction.atomic():
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] += 1

    run()


def _succeeded(statuses: Counter[int]) -> bool:
    return any(200 <= status < 300 or status == 304 for status in statuses)
