"""Liveness and readiness probes for load balancers and orchestrators."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from matching.selectors import similar_health
from search.backends import search_health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the broker answer; which engine answers searches, and why; whether
    similar claims are matched by meaning (a warning while the similar-claim index is built)."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # any failure means not ready; say which
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as error:
        checks["broker"] = f"error: {error.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    # Searching PostgreSQL while the index is rebuilt is degraded, not unavailable: a warning.
    engine, state = search_health()
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            **checks,
            "search": engine,
            "search_state": state,
            "similar_state": similar_health(),
        },
        status=200 if ready else 503,
    )
