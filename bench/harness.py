"""What the benchmark's scripts share: paths, the bench database, Django's environment,
the search terms, logging and stopping processes (bench/run.py, bench/search.py,
bench/webhooks.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
RESULTS = BASE_DIR / "bench" / "results"
CORPUS_VERSION = 3  # bump when bench/corpus.py changes what it loads
SEARCH_TERMS = {
    "en": ["troops border", "sanctions", "vaccine election", "kremlin statement", "missile",
           "satellite images", "gas pipeline", "refugees bridge", "ceasefire talks", "grain ports"],
    "ru": ["войска", "санкции", "вакцина"],
    "uk": ["кордон", "вибори"],
    "fr": ["troupes frontière", "sanctions"],
    "de": ["truppen grenze", "impfstoff"],
}  # fmt: skip


def log(message: str) -> None:
    print(f"bench: {message}", flush=True)


# --- The database ---------------------------------------------------------------------------


def server_url() -> str:
    """A URL on the PostgreSQL server to use: DATABASE_URL's, or the embedded one."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    from config import embedded

    return embedded.postgres_url()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def prepare_database(url: str, scale: int, reload: bool) -> tuple[str, dict[str, Any] | None]:
    """The bench database's URL, and the stored load report if a complete corpus is there."""
    import psycopg

    name = f"claimtracker_bench_{scale}"
    bench_url = with_database(url, name)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reload:
            with psycopg.connect(bench_url) as bench:
                has_meta = bench.execute("SELECT to_regclass('bench_meta')").fetchone()
                if has_meta and has_meta[0]:
                    row = bench.execute("SELECT report FROM bench_meta").fetchone()
                    if row and row[0].get("corpus_version") == CORPUS_VERSION:
                        log(f"reusing database {name} (a complete corpus of {scale} claims)")
                        return bench_url, row[0]
        if exists:
            log(f"dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return bench_url, None


def django_env(bench_url: str) -> dict[str, str]:
    """The production settings, on loopback: plain HTTP, pooled connections."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL=bench_url,
        SECRET_KEY="bench-only-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        DATABASE_POOL="true",
        DATABASE_POOL_MIN="1",
        DATABASE_POOL_MAX="4",
        # The benchmark measures the API, not its rate limits.
        API_THROTTLE_USER="100000000/second",
        LOG_LEVEL="WARNING",
        CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", "memory://"),
        # The benchmark's database is its own, created and loaded by this harness as the
        # server's superuser: there is no production history to protect from the app's role.
        DATABASE_REFUSE_PRIVILEGED_ROLE="false",
    )
    return env


def setup_django(bench_url: str) -> None:
    os.environ.update(django_env(bench_url))
    import django

    django.setup()


def corpus_open(scale: int) -> tuple[str, dict[str, Any]]:
    """Django set up on the loaded corpus of ``scale`` claims, migrated (the tools that measure
    one part on it: bench.search, bench.interchange); its URL and load report."""
    bench_url, stored = prepare_database(server_url(), scale, reload=False)
    if stored is None:
        raise SystemExit(f"Load the corpus first: make bench SCALE={scale} ONLY=list")
    setup_django(bench_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return bench_url, stored


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
