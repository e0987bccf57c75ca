"""Production's gunicorn settings (config/gunicorn.py): a real gunicorn serves the project
with them, and its master warms up and freezes the project's objects before forking."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.harness import django_env
from tests.notifications.conftest import test_database_url as database_url
from tests.processes import BASE_DIR, python
from tests.test_run import free_port


def test_gunicorn_serves_the_project_with_the_production_settings(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", "2",
    ]  # fmt: skip
    with log.open("w") as errors:
        server = subprocess.Popen(
            command, cwd=BASE_DIR, env=django_env(database_url()), stderr=errors
        )
    try:
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{port}/healthz"
        while True:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_master_loads_the_lemmatiser_and_freezes_its_objects_before_forking() -> None:
    code = (
        "import gc, django; django.setup()\n"
        "from simplemma.lemmatizer import DEFAULT_DICTIONARY_FACTORY as factory\n"
        "loaded = lambda: factory._get_dictionary.cache_info().currsize\n"
        "print('before', loaded(), gc.get_freeze_count())\n"
        "from config.gunicorn import pre_fork\n"
        "pre_fork(None, None)\n"
        "print('after', loaded(), gc.get_freeze_count() > 10_000)\n"
    )
    ran = python("-c", code, env=django_env(database_url()))
    assert ran.stdout.split("\n")[:2] == ["before 0 0", "after 1 True"], ran.stderr[-2000:]
