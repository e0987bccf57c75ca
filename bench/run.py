"""`make bench`: load a corpus, serve it with gunicorn, drive it with wrk, report.

    python -m bench.run [--scale N] [--duration S] [--reload] [--only list,detail,...]

Steps: a database of its own (``claimtracker_bench_<scale>``, on DATABASE_URL's server or
the embedded PostgreSQL), reused when it already holds a complete corpus of that scale;
migrate; load (bench/corpus.py); the search index of that corpus (bench/search.py, reused
when complete); the indexer (``manage.py search_index``) and gunicorn (bench/gunicorn.conf.py)
serving bench.wsgi (the project plus the floor, both on that index); per scenario one wrk
process over loopback; SQL query counts from probe requests; lost updates from the status
history; search through PostgreSQL (``SEARCH_BACKEND=postgres``) with a gunicorn of its own.
Writes bench/results/scale-<N>.json, latest.json, report.md and latency.png.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.harness import (
    BASE_DIR,
    CORPUS_VERSION,
    RESULTS,
    SEARCH_TERMS,
    django_env,
    log,
    prepare_database,
    server_url,
    setup_django,
    stop_process,
)

WRK_DIR = BASE_DIR / "bench" / "wrk"
BIND = "127.0.0.1:8765"
BASE_URL = f"http://{BIND}"
BENCH_USERS = 8
LIST_STATUSES = ["unverified", "in_review", "false", "misleading", "verified", "unproven"]
# Scenarios served by gunicorn beside the indexer, on the search index; then PostgreSQL's
# search with a gunicorn of its own; then the webhooks, alone.
SERVED = ("list", "detail", "search", "search_filtered", "public_list", "fact_check")
SERVED += ("freshness", "transition", "dashboard")
SCENARIOS = (*SERVED, "search_postgres", "similar", "webhook")
WARM_UP_SECONDS = 2
POSTGRES_TIMEOUT = 60  # s: gunicorn's (bench/gunicorn.conf.py)
# The queries whose totals and rows the API and the floor must agree on.
CHECKED_TERMS = [("en", "sanctions"), ("en", "troops border"), ("ru", "санкции"),
                 ("fr", "troupes frontière"), ("de", "impfstoff")]  # fmt: skip


def create_users(count: int) -> tuple[list[int], str]:
    """Reviewers for the corpus and the transitions, and one API token (a reviewer's)."""
    from django.contrib.auth.models import Group, User

    from api.services import api_token_create
    from core import roles

    group = Group.objects.get(name=roles.REVIEWER)
    users = []
    for n in range(count):
        user, _ = User.objects.get_or_create(username=f"bench-reviewer-{n}", defaults={})
        user.groups.add(group)
        users.append(user)
    _, raw = api_token_create(actor=users[0], user=users[0], name="benchmark")
    return [user.pk for user in users], raw


# --- Serving and driving --------------------------------------------------------------------


def start_gunicorn(bench_url: str, **settings: str) -> subprocess.Popen[bytes]:
    """gunicorn serving bench.wsgi with the bench's Django environment and ``settings``."""
    command = [
        sys.executable, "-m", "gunicorn", "bench.wsgi:application",
        "-c", str(BASE_DIR / "bench" / "gunicorn.conf.py"), "--bind", BIND,
    ]  # fmt: skip
    env = {**django_env(bench_url), **settings}
    host, port = BIND.split(":")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the previous gunicorn's workers may still be exiting
        with socket.socket() as probe:
            if probe.connect_ex((host, int(port))) != 0:
                break
        time.sleep(0.3)
    else:
        raise RuntimeError(f"something still listens on {BIND}; stop it first")
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{BASE_URL}/healthz", timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                return process
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited; see its log above")
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def fetch(path: str, token: str | None, count_queries: bool = False) -> tuple[int, dict, Any]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if count_queries:
        headers["X-Bench-Queries"] = "1"
    request = urllib.request.Request(BASE_URL + path, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
        json_body = response.headers.get("Content-Type", "").startswith("application/json")
        return response.status, dict(response.headers), json.loads(body) if json_body else body


def queries_of(path: str, token: str) -> int:
    fetch(path, token, count_queries=True)  # warm: the token's last use is written once
    _, headers, _ = fetch(path, token, count_queries=True)
    return int(headers["X-Bench-Queries"])


def transition_queries(claim_id: str, token: str) -> int:
    """The SQL queries of one accepted transition (a probe, after the run)."""
    _, headers, body = fetch(f"/api/v1/claims/{claim_id}/", token)
    target = "in_review" if body["status"] == "unverified" else "unverified"
    request = urllib.request.Request(  # noqa: S310
        f"{BASE_URL}/api/v1/claims/{claim_id}/transitions/",
        data=json.dumps({"status": target, "reason": "Benchmark: counting queries."}).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "If-Match": headers["ETag"],
            "X-Bench-Queries": "1",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return int(response.headers["X-Bench-Queries"])


def wrk(
    script: str,
    paths_or_ids: list[str],
    args: list[str],
    duration: int,
    clients: int,
    timeout: int = 10,
) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths_or_ids) + "\n")
        listing = handle.name
    try:
        command = [
            "wrk", f"-t{clients}", f"-c{clients}", f"-d{duration}s", "--timeout", f"{timeout}s",
            "-s", str(WRK_DIR / script), BASE_URL, "--", args[0], listing, *args[1:],
        ]  # fmt: skip
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        Path(listing).unlink()
    match = re.search(r"^BENCH_JSON (\{.*\})$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    return {
        "per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "requests": raw["requests"],
        "errors": raw["errors"],
        "non_2xx": raw["non_2xx"],
        "seconds": round(seconds, 2),
        **{k: raw[k] for k in ("ok", "stale", "other", "gets") if k in raw},
    }


def ensure_wrk() -> None:
    if subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode == 0:
        return
    log("wrk is not installed; installing Debian's package (apt-get install wrk)")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False)
    if subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)


# --- Scenarios ------------------------------------------------------------------------------


def sample_ids(bench_url: str, count: int, where: str = "TRUE") -> list[str]:
    import psycopg

    with psycopg.connect(bench_url) as conn:
        rows = conn.execute(
            f"SELECT id::text FROM claims_claim WHERE {where} ORDER BY md5(id::text) LIMIT %s",
            [count],
        ).fetchall()
    return [row[0] for row in rows]


def fact_check_paths(bench_url: str, count: int) -> tuple[list[str], list[str]]:
    """Published claims' pages on the site (at their canonical address) and on the floor."""
    import psycopg

    with psycopg.connect(bench_url) as conn:
        rows = conn.execute(
            "SELECT claim_id::text, slug FROM publishing_publication"
            " WHERE publish_at <= now() AND unpublished_at IS NULL"
            " ORDER BY md5(claim_id::text) LIMIT %s",
            [count],
        ).fetchall()
    return (
        [f"/fact-checks/{pk}/{quote(slug)}/" for pk, slug in rows],
        [f"/floor/fact-checks/{pk}/" for pk, _slug in rows],
    )


def public_list_paths(prefix: str) -> list[str]:
    """The first pages of the public list, and of each verdict's."""
    pages = [f"{prefix}?page={page}" for page in range(1, 6)]
    return pages + [f"{prefix}?verdict={verdict}" for verdict in LIST_STATUSES[2:]]


def search_paths(prefix: str, *, filtered: bool = False, **extra: str) -> list[str]:
    """The 19 searches; ``filtered``: each with a status of LIST_STATUSES in turn."""
    from urllib.parse import urlencode

    terms = [(lang, term) for lang, terms in SEARCH_TERMS.items() for term in terms]
    paths = []
    for number, (lang, term) in enumerate(terms):
        params = {"q": term, "lang": lang, **extra}
        if filtered:
            params["status"] = LIST_STATUSES[number % len(LIST_STATUSES)]
        paths.append(f"{prefix}?{urlencode(params)}")
    return paths


def settled(bench_url: str, limit: float = 300) -> None:
    """Wait until PostgreSQL runs no query of the bench database: a request wrk gave up on
    (its timeout) or left in flight at its end goes on in gunicorn and PostgreSQL, and would
    slow the next run."""
    import psycopg

    deadline = time.monotonic() + limit
    with psycopg.connect(bench_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'active' AND backend_type = 'client backend'"
                " AND pid <> pg_backend_pid()"
            ).fetchone()
            if not row or not row[0]:
                return
            time.sleep(0.2)
    log(f"PostgreSQL was still busy {limit} s after a run")


def _ratio(api: float, floor: float) -> float | None:
    return round(api / floor, 2) if floor else None  # no floor request completed: no ratio


def compared(
    bench_url: str,
    name: str,
    paths: tuple[list[str], list[str]],
    token: str,
    duration: int,
    clients: int,
    timeout: int = 10,
) -> dict[str, Any]:
    """The API against its floor (both with the token): wrk on each, and the API's queries.

    Each first warms up unmeasured: a worker's first requests fill its caches (compiled
    queries, prepared statements, the index's reader), and floor and API share the workers."""
    api_paths, floor_paths = paths
    runs = {}
    for side, side_paths in (("floor", floor_paths), ("API", api_paths)):
        log(f"{name}: {side}, warming up for {WARM_UP_SECONDS}s, then {duration}s")
        wrk("paths.lua", side_paths, [token], WARM_UP_SECONDS, clients, timeout)
        settled(bench_url)
        runs[side] = wrk("paths.lua", side_paths, [token], duration, clients, timeout)
        settled(bench_url)
    api_run, floor_run = runs["API"], runs["floor"]
    return {
        **api_run,
        "queries": queries_of(api_paths[0], token),
        "floor_p50_ms": floor_run["p50_ms"],
        "floor_p95_ms": floor_run["p95_ms"],
        "floor_per_s": floor_run["per_s"],
        "floor_requests": floor_run["requests"],
        "floor_non_2xx": floor_run["non_2xx"],
        "floor_errors": floor_run["errors"],
        "ratio_p50": _ratio(api_run["p50_ms"], floor_run["p50_ms"]),
        "ratio_p95": _ratio(api_run["p95_ms"], floor_run["p95_ms"]),
    }


def read_scenarios(
    bench_url: str, token: str, duration: int, clients: int, only: set[str]
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    ids = sample_ids(bench_url, 2000)
    plans = {
        "list": (
            [f"/api/v1/claims/?status={s}" for s in LIST_STATUSES],
            [f"/floor/claims/?status={s}" for s in LIST_STATUSES],
        ),
        "detail": (
            [f"/api/v1/claims/{pk}/" for pk in ids],
            [f"/floor/claims/{pk}/" for pk in ids],
        ),
        "search": (search_paths("/api/v1/claims/"), search_paths("/floor/claims/")),
        "search_filtered": (
            search_paths("/api/v1/claims/", filtered=True),
            search_paths("/floor/claims/", filtered=True),
        ),
        "public_list": (public_list_paths("/"), public_list_paths("/floor/public/")),
        "fact_check": fact_check_paths(bench_url, 2000),
    }
    for name, (api_paths, floor_paths) in plans.items():
        if name not in only:
            continue
        result = compared(bench_url, name, (api_paths, floor_paths), token, duration, clients)
        if name == "list":
            result["queries_by_page_size"] = {
                size: queries_of(f"/api/v1/claims/?status=in_review&page_size={size}", token)
                for size in (10, 50, 200)
            }
        if name in ("search", "search_filtered"):
            result["checks"] = search_checks(token, filtered=name == "search_filtered")
        results[name] = result
        log(f"{name}: {json.dumps(result)}")
    return results


def floor_authentication(token: str) -> dict[str, Any]:
    """The floor refuses what the API refuses: no token, a wrong one (401)."""
    import urllib.error

    def status_of(path: str, header: str | None) -> int:
        headers = {"Accept": "application/json", **({"Authorization": header} if header else {})}
        request = urllib.request.Request(BASE_URL + path, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    wrong = "Bearer ct_" + "x" * 43
    statuses = {
        f"{who} {name}": status_of(path, header)
        for name, path in (("list", "/floor/claims/?status=false"),
                           ("search", "/floor/claims/?q=sanctions"))
        for who, header in (("token", f"Bearer {token}"), ("none", None), ("wrong", wrong))
    }  # fmt: skip
    expected = {name: 200 if name.startswith("token") else 401 for name in statuses}
    return {"statuses": statuses, "as_expected": statuses == expected}


def search_checks(token: str, *, filtered: bool, **floor_extra: str) -> dict[str, Any]:
    """For a handful of queries: the API's total is the floor's (exact through the index),
    its first page the same claims; with a status filter, every claim found has that status."""
    from urllib.parse import urlencode

    checked = []
    for number, (lang, term) in enumerate(CHECKED_TERMS):
        params = {"q": term, "lang": lang}
        if filtered:
            params["status"] = LIST_STATUSES[number % len(LIST_STATUSES)]
        _, _, api = fetch(f"/api/v1/claims/?{urlencode(params)}", token)
        _, _, floor = fetch(f"/floor/claims/?{urlencode({**params, **floor_extra})}", token)
        api_ids = [row["id"] for row in api["results"]]
        floor_ids = [str(row["id"]) for row in floor["results"]]
        wanted = params.get("status")
        checked.append({
            "query": urlencode(params),
            "api_count": api.get("count"),
            "api_count_exact": api.get("count_exact"),
            "floor_count": floor["count"],
            "floor_count_exact": floor["count_exact"],
            "same_count": (api.get("count"), api.get("count_exact"))
            == (floor["count"], floor["count_exact"]),
            "same_first_page": api_ids == floor_ids[: len(api_ids)],
            "only_matching": wanted is None or all(
                row["status"] == wanted for row in [*api["results"], *floor["results"]]
            ),
        })  # fmt: skip
    summary = {
        "queries": len(checked),
        "counts_agree": all(row["same_count"] for row in checked),
        "counts_exact": all(row["api_count_exact"] is True for row in checked),
        "first_pages_agree": all(row["same_first_page"] for row in checked),
        "only_matching": all(row["only_matching"] for row in checked),
        "by_query": checked,
    }
    log(f"checks: {json.dumps({k: v for k, v in summary.items() if k != 'by_query'})}")
    return summary


def freshness_scenario(bench_url: str, token: str, root: Path) -> dict[str, Any]:
    """Change → searchable with the running indexer, through the index and then the API."""
    from urllib.parse import urlencode

    from bench.search import freshness_measure
    from search.index import ClaimIndex, generation_current

    reader = ClaimIndex(generation_current(root))

    def through_index(word: str) -> bool:
        return reader.search(word, limit=1).total > 0

    def through_api(word: str) -> bool:
        _, _, body = fetch(f"/api/v1/claims/?{urlencode({'q': word, 'page_size': 1})}", token)
        return bool(body["results"])

    log("freshness: 200 changes at 20/s, each until a search finds it")
    result = freshness_measure(bench_url, {"index": through_index, "api": through_api})
    log(f"freshness: {json.dumps(result)}")
    return result


def search_postgres_scenario(
    bench_url: str, token: str, duration: int, clients: int
) -> dict[str, Any]:
    """Search through PostgreSQL full-text (a gunicorn with SEARCH_BACKEND=postgres) against
    the floor's PostgreSQL query. A search of a common word takes seconds at 1M claims: wrk
    waits for an answer as long as gunicorn lets a request run."""
    paths = (search_paths("/api/v1/claims/"), search_paths("/floor/claims/", backend="postgres"))
    result = compared(
        bench_url, "search_postgres", paths, token, duration, clients, timeout=POSTGRES_TIMEOUT
    )
    result["checks"] = search_checks(token, filtered=False, backend="postgres")
    log(f"search_postgres: {json.dumps(result)}")
    return result


def dashboard_scenario(bench_url: str, duration: int, clients: int) -> dict[str, Any]:
    """The admin's front page for a reviewer with open claims (a session cookie), as served:
    its lists read live, its figures computed at most once every DASHBOARD_FIGURES_SECONDS in
    each worker. Then what computing the figures and drawing the charts costs (``figures``:
    the request that finds them expired pays it), timed in this process."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import override_settings

    from dashboard.views import figures_html

    reviewer = User.objects.get(username="bench-reviewer-0")
    User.objects.filter(pk=reviewer.pk).update(is_staff=True)
    session = SessionStore()
    session[SESSION_KEY] = str(reviewer.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = reviewer.get_session_auth_hash()
    session.create()
    cookie = f"Cookie:{settings.SESSION_COOKIE_NAME}={session.session_key}"

    def get(extra: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        headers = {"Cookie": cookie.removeprefix("Cookie:"), **extra}
        request = urllib.request.Request(BASE_URL + "/admin/", headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()

    status, _, body = get({})
    if status != 200 or b'id="dash-mine"' not in body:
        raise RuntimeError(f"the dashboard did not answer as a reviewer's: HTTP {status}")
    log(f"dashboard: warming up for {WARM_UP_SECONDS}s, then {duration}s")
    wrk("paths.lua", ["/admin/"], [cookie], WARM_UP_SECONDS, clients)
    settled(bench_url)
    result = wrk("paths.lua", ["/admin/"], [cookie], duration, clients)
    settled(bench_url)
    result["queries"] = int(get({"X-Bench-Queries": "1"})[1]["X-Bench-Queries"])
    result["page_bytes"] = len(body)
    result["figures_seconds"] = settings.DASHBOARD_FIGURES_SECONDS
    timings = []
    with override_settings(DASHBOARD_FIGURES_SECONDS=0):  # computed each time, in this process
        for _ in range(10):
            started = time.perf_counter()
            figures_html()
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    result["figures"] = {
        "p50_ms": round(timings[len(timings) // 2], 1),
        "max_ms": round(timings[-1], 1),
        "runs": len(timings),
    }
    log(f"dashboard: {json.dumps(result)}")
    return result


def transition_scenario(bench_url: str, token: str, duration: int, clients: int) -> dict:
    """Clients race on overlapping claims; every accepted transition must be in the history."""
    import psycopg

    # Each client has claims of its own, and every client races on a few hot claims (one
    # request in nine goes to a hot claim; bench/wrk/transitions.lua).
    own, hot = 16, 2
    ids = sample_ids(bench_url, hot + clients * own, "status IN ('unverified', 'in_review')")
    with psycopg.connect(bench_url) as conn:
        mark = conn.execute("SELECT COALESCE(MAX(id), 0) FROM verification_statuschange")
        first_row = mark.fetchone()
    since = int(first_row[0]) if first_row else 0
    log(f"transition: {clients} clients on {len(ids)} claims for {duration}s")
    run = wrk("transitions.lua", ids, [token, str(own), str(hot)], duration, clients)
    with psycopg.connect(bench_url) as conn:
        recorded = conn.execute(
            "SELECT count(*) FROM verification_statuschange WHERE id > %s", [since]
        ).fetchone()
        # A lost update breaks the chain: a change from a status the claim no longer had,
        # or a version that is not the one after the previous change.
        broken = conn.execute(
            """
            SELECT count(*) FROM (
                SELECT from_status, claim_version,
                       lag(to_status) OVER w AS previous_status,
                       lag(claim_version) OVER w AS previous_version
                FROM verification_statuschange WHERE claim_id = ANY(%s::uuid[])
                WINDOW w AS (PARTITION BY claim_id ORDER BY claim_version)
            ) AS chain
            WHERE previous_status IS NOT NULL
              AND (from_status <> previous_status OR claim_version <> previous_version + 1)
            """,
            [ids],
        ).fetchone()
        versions = conn.execute(
            """
            SELECT count(*) FROM claims_claim c
            WHERE c.id = ANY(%s::uuid[]) AND c.version <> 1 + (
                SELECT count(*) FROM verification_statuschange s WHERE s.claim_id = c.id)
            """,
            [ids],
        ).fetchone()
    accepted = run["ok"]
    recorded_count = int(recorded[0]) if recorded else 0
    # Transitions still in flight when wrk stops are committed but never counted by a
    # client: more recorded than accepted is expected (up to one per client); fewer is loss.
    lost = max(0, accepted - recorded_count) + int(broken[0] if broken else 0)
    lost += int(versions[0] if versions else 0)
    result = {
        **run,
        "per_s": round(accepted / run["seconds"], 1),
        "requests_per_s": run["per_s"],
        "accepted": accepted,
        "recorded": recorded_count,
        "in_flight_at_stop": max(0, recorded_count - accepted),
        "refused_stale_412": run["stale"],
        "lost_updates": lost,
        "clients": clients,
        "claims": len(ids),
        "hot_claims": hot,
        "queries": transition_queries(ids[-1], token),
    }
    log(f"transition: {json.dumps(result)}")
    return result


def webhook_scenario() -> dict[str, Any]:
    """Commit-to-receipt latency of webhooks: bench/webhooks.py in a process of its own (its
    own database, a real worker on CELERY_BROKER_URL or the embedded broker, a receiver)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    try:
        log("webhook: python -m bench.webhooks")
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env["DATABASE_URL"] = os.environ.get("BENCH_SERVER_URL", "")
        if not env["DATABASE_URL"]:
            env.pop("DATABASE_URL")
        broker = os.environ.get("BENCH_BROKER_URL", "")
        if broker:
            env["CELERY_BROKER_URL"] = broker
        else:
            env.pop("CELERY_BROKER_URL", None)
        done = subprocess.run(
            [sys.executable, "-m", "bench.webhooks", "--json", str(output)],
            cwd=BASE_DIR,
            env=env,
            timeout=900,
            check=False,
        )
        if done.returncode != 0 or not output.stat().st_size:
            return {
                "available": False,
                "note": f"bench/webhooks.py failed (exit status {done.returncode}); see above.",
                "p50_ms": None,
                "p95_ms": None,
                "per_s": None,
            }
        result: dict[str, Any] = json.loads(output.read_text())
        return result
    finally:
        output.unlink(missing_ok=True)


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    with contextlib.suppress(OSError):
        meminfo = Path("/proc/meminfo").read_text()
        match = re.search(r"MemTotal:\s+(\d+)", meminfo)
        if match:
            info["memory_gib"] = round(int(match.group(1)) / 1024 / 1024, 1)
    with contextlib.suppress(OSError):
        cpuinfo = Path("/proc/cpuinfo").read_text()
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        if match:
            info["cpu_model"] = match.group(1).strip()
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=int(os.environ.get("SCALE", 1_000_000)))
    parser.add_argument("--duration", type=int, default=int(os.environ.get("DURATION", 15)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("CLIENTS", 4)))
    parser.add_argument("--reload", action="store_true", default=bool(os.environ.get("RELOAD")))
    parser.add_argument(
        "--only",
        default=os.environ.get("ONLY", ",".join(SCENARIOS)),
        help=f"comma-separated scenarios: {', '.join(SCENARIOS)}",
    )
    options = parser.parse_args()
    only = set(options.only.split(","))
    ensure_wrk()
    machine = machine_info()
    url = server_url()
    # For the webhook scenario's process: the caller's server and broker, not the ones
    # set for gunicorn below (setup_django replaces DATABASE_URL and CELERY_BROKER_URL).
    os.environ["BENCH_SERVER_URL"] = os.environ.get("DATABASE_URL", "")
    os.environ["BENCH_BROKER_URL"] = os.environ.get("CELERY_BROKER_URL", "")
    bench_url, stored = prepare_database(url, options.scale, options.reload)
    setup_django(bench_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    user_ids, token = create_users(BENCH_USERS)
    reused = stored is not None
    if stored is None:
        from django.db import connections

        from bench.corpus import corpus_load

        connections.close_all()
        log(f"loading {options.scale} claims")
        report = corpus_load(bench_url, scale=options.scale, user_ids=user_ids, log=log)
        stored = {
            "corpus_version": CORPUS_VERSION,
            "scale": options.scale,
            "load_seconds": report.seconds,
            "rows": report.rows,
            "steps": report.steps,
        }
        import psycopg

        with psycopg.connect(bench_url) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (report jsonb)")
            conn.execute("DELETE FROM bench_meta")
            conn.execute("INSERT INTO bench_meta VALUES (%s)", [json.dumps(stored)])
        log(f"loaded in {report.seconds}s: {report.rows}")
    from django.db import connections

    connections.close_all()
    results: dict[str, Any] = {
        "scale": options.scale,
        "load_seconds": stored["load_seconds"],
        "load_reused": reused,
        "rows": stored["rows"],
        "load_steps": stored["steps"],
        "duration_s": options.duration,
        "clients": options.clients,
        "machine": machine,
    }
    if only & set(SERVED):
        from bench.search import index_prepare, index_root, indexer_caught_up, indexer_start

        root = index_root(options.scale)
        results["search_index"] = index_prepare(bench_url, root, stored, rebuild=options.reload)
        connections.close_all()
        indexer = indexer_start(bench_url, root)
        gunicorn = None
        try:
            results["search_index"]["indexer_caught_up_s"] = indexer_caught_up(
                bench_url, root, indexer
            )
            gunicorn = start_gunicorn(bench_url, SEARCH_INDEX_DIR=str(root))
            results["floor_authentication"] = floor_authentication(token)
            log(f"floor authentication: {json.dumps(results['floor_authentication'])}")
            results.update(
                read_scenarios(bench_url, token, options.duration, options.clients, only)
            )
            if "freshness" in only:
                results["freshness"] = freshness_scenario(bench_url, token, root)
            if "dashboard" in only:
                results["dashboard"] = dashboard_scenario(
                    bench_url, options.duration, options.clients
                )
            if "transition" in only:
                results["transition"] = transition_scenario(
                    bench_url, token, options.duration, max(options.clients, 8)
                )
        finally:
            if gunicorn is not None:
                stop_process(gunicorn)
            stop_process(indexer)
    if "search_postgres" in only:
        gunicorn = start_gunicorn(bench_url, SEARCH_BACKEND="postgres")
        try:
            results["search_postgres"] = search_postgres_scenario(
                bench_url, token, options.duration, options.clients
            )
        finally:
            stop_process(gunicorn)
    if "similar" in only:  # in process, on the search index and a similar-claim index
        from bench.search import index_prepare, index_root
        from bench.similar import similar_scenario

        root = index_root(options.scale)
        index_prepare(bench_url, root, stored, rebuild=options.reload)
        results["similar"] = similar_scenario(bench_url, options.scale, stored, root)
        connections.close_all()
    if "webhook" in only:
        results["webhook"] = webhook_scenario()
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not only & {*SERVED, "search_postgres", "similar"}:
        if "webhook" not in only:
            log("loaded only (no scenario run); results left as they were")
            return 0
        # The webhook scenario alone: its figures replace those of the last full run's.
        for name in (f"scale-{options.scale}.json", "latest.json"):
            path = RESULTS / name
            if path.exists():
                stored_run = json.loads(path.read_text())
                stored_run["webhook"] = results["webhook"]
                path.write_text(json.dumps(stored_run, indent=2) + "\n")
        from bench.report import report_write

        report_write(RESULTS)
        log(f"webhook figures written to {RESULTS / 'latest.json'}")
        return 0
    stored_path = RESULTS / f"scale-{options.scale}.json"
    if only != set(SCENARIOS) and stored_path.exists():
        # Some scenarios only: the others' figures stay those of the run before, said so.
        earlier = json.loads(stored_path.read_text())
        kept = sorted(name for name in SCENARIOS if name not in only and name in earlier)
        results = {**earlier, **results, "scenarios_from_an_earlier_run": kept}
    stored_path.write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    from bench.report import report_write

    report_write(RESULTS)
    log(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
