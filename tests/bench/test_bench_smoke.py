"""The benchmark harness on a tiny corpus: the loader's rows and the floor's answers.

Times are never asserted here; `make bench` measures them.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from django.db import connection
from psycopg.conninfo import make_conninfo
from rest_framework.test import APIClient

from bench import floor
from bench.corpus import corpus_load
from bench.harness import BASE_DIR, django_env
from claims.models import Claim, Statement
from dashboard.selectors import dashboard_figures
from search.indexer import index_rebuild
from tests import factories
from tests.notifications.conftest import test_database_url as database_url
from verification.models import StatusChange

SCALE = 200


def _conninfo() -> str:
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    return make_conninfo(**{key: params[key] for key in keys if params.get(key)})


def _floor(sql: str, params: dict[str, object]) -> list[str]:
    return [str(row["id"]) for row in _floor_rows(sql, params)]


def _floor_rows(sql: str, params: dict[str, object]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """What a floor row says of the claim, in the API's words."""
    return {
        "id": str(row["id"]),
        "tags": row["tags"],
        "counts": [row["supporting_count"], row["countering_count"], row["evidence_count"]],
        "verdict": row["verdict"],
        "imported_from": row["imported_from"],
        "reviews": len(row["reviews"]),
        "proposal": row["proposal"] is not None,
        "rating": row["rating_label"]
        if row["verdict"] and row["unpublished_at"] is None
        else (row["scale_rating"] or {}).get("label"),
    }


def _api_shown(claim: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": claim["id"],
        "tags": claim["tags"],
        "counts": [
            claim["supporting_count"], claim["countering_count"], claim["evidence_count"]
        ],
        "verdict": claim["publication"]["verdict"],
        "imported_from": claim["imported_from"],
        "reviews": len(claim["reviews"]),
        "proposal": claim["proposal"] is not None,
        "rating": (claim["review_rating"] or {}).get("alternate_name"),
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_corpus_loads_and_the_floor_returns_what_the_api_lists(settings: Any) -> None:
    reviewer = factories.reviewer()
    report = corpus_load(_conninfo(), scale=SCALE, user_ids=[reviewer.pk], log=lambda _: None)

    assert Claim.objects.count() == SCALE == report.rows["claims"]
    assert SCALE <= Statement.objects.count() == report.rows["statements"] <= 5 * SCALE
    assert not Claim.objects.filter(search_document__isnull=True).exists()
    # The status history agrees with the statuses: one change per version after the first.
    for claim in Claim.objects.exclude(status="unverified")[:20]:
        changes = list(StatusChange.objects.filter(claim=claim).order_by("claim_version"))
        assert changes[-1].to_status == claim.status
        assert [c.claim_version for c in changes] == list(range(2, claim.version + 1))
    # Its three years end a month ago: the dashboard's last year holds verdicts to chart.
    figures = dashboard_figures()
    assert figures.claims == SCALE
    assert sum(map(sum, figures.verdicts_per_week.values())) > 0
    assert figures.median_days_year is not None

    client = APIClient()
    client.force_authenticate(reviewer)
    for status in ("unverified", "false"):
        page = client.get("/api/v1/claims/", {"status": status}).json()["results"]
        rows = _floor_rows(floor.LIST_SQL, {"status": status, "limit": floor.PAGE_SIZE})
        # The same claims, and every column the API shows read by the floor too.
        assert [_api_shown(claim) for claim in page] == [_shown(row) for row in rows]
    assert any(row["verdict"] for row in rows)  # published fact checks among them
    settings.SEARCH_BACKEND = "postgres"
    page = client.get("/api/v1/claims/", {"q": "troops"}).json()["results"]
    expected = _floor(
        floor.POSTGRES_SEARCH_SQL, {"q": "troops", "config": "english", "status": None, "limit": 50}
    )
    assert expected
    assert [claim["id"] for claim in page] == expected
    settings.SEARCH_BACKEND = "index"
    index = index_rebuild(settings.SEARCH_INDEX_DIR)
    page = client.get("/api/v1/claims/", {"q": "troops"}).json()["results"]
    assert [claim["id"] for claim in page] == index.search("troops", limit=50).ids != []


@pytest.mark.django_db
def test_the_benchmarks_production_settings_connect_to_its_database() -> None:
    """The bench serves the production settings on a database its harness loaded as the
    server's superuser; production refuses such a role unless told (every request was a 500)."""
    code = "from django.db import connection; connection.ensure_connection(); print('connected')"
    env = django_env(database_url())
    ran = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "connected" in ran.stdout, ran.stderr[-2000:]
