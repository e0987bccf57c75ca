"""A real indexer process (``manage.py search_index``) beside writes through the services."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from harness.worker import wait_until
from search.index import ClaimIndex, generation_current, generation_open
from search.indexer import index_name
from search.models import SearchIndex
from tests import factories as f
from tests.notifications.conftest import test_database_url as database_url
from tests.processes import BASE_DIR

pytestmark = pytest.mark.django_db(transaction=True)


class Indexer:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "search_index"],
                cwd=BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        started = wait_until(lambda: "Indexing into" in self.output(), 60)
        assert started, self.output()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signum)
        self.process.wait(30)


@pytest.fixture
def indexer(tmp_path: Path, settings: Any) -> Iterator[Indexer]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "SECRET_KEY": settings.SECRET_KEY,
    }
    env.pop("DATABASE_POOL", None)
    running = Indexer(env, tmp_path / "indexer.log")
    running.start()
    yield running
    if running.process is not None and running.process.poll() is None:
        running.signal(signal.SIGTERM)


def searchable(index: ClaimIndex, q: str, total: int = 1) -> bool:
    return bool(wait_until(lambda: index.search(q).total == total, 30, interval=0.02))


def test_an_edit_is_found_while_the_indexer_runs(indexer: Indexer, tmp_path: Path) -> None:
    index = ClaimIndex(generation_current(tmp_path / "index"))  # a reader, as a web process is
    editor = f.editor()
    claim = f.claim(actor=editor, text="Convoys head north.")
    assert searchable(index, "convoys")
    f.statement(claim=claim, quote="Grain ships were seen leaving Odesa.", actor=editor)
    assert searchable(index, "odesa")


def test_a_killed_indexer_restarts_with_nothing_missed_or_doubled(
    indexer: Indexer, tmp_path: Path
) -> None:
    index = ClaimIndex(generation_current(tmp_path / "index"))
    editor = f.editor()
    for number in range(60):
        f.claim(actor=editor, text=f"Convoy number{number} moves.")
        if number == 30:
            indexer.signal(signal.SIGKILL)  # wherever it is: between commits or mid-batch
    indexer.start()
    assert searchable(index, "convoy", total=60), indexer.output()[-2000:]
    assert index.count() == 60
    assert all(index.search(f"number{number}").total == 1 for number in range(60))


def test_a_second_indexer_on_the_same_directory_exits_saying_why(indexer: Indexer) -> None:
    second = subprocess.run(
        [sys.executable, "manage.py", "search_index"],
        cwd=BASE_DIR, env=indexer.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert second.returncode == 1
    assert "one writer per index directory" in second.stderr
    assert indexer.process is not None and indexer.process.poll() is None  # the first goes on


def test_the_indexer_follows_a_rebuilt_index(
    indexer: Indexer, tmp_path: Path, settings: Any
) -> None:
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    f.claim(text="Before the rebuild.")
    assert searchable(ClaimIndex(generation_current(tmp_path / "index")), "before")
    call_command("search_rebuild")
    rebuilt = ClaimIndex(generation_current(tmp_path / "index"))
    f.claim(text="After the rebuild.")
    assert searchable(rebuilt, "after"), indexer.output()[-2000:]
    assert rebuilt.count() == 2


def test_changes_are_committed_together_within_the_commit_interval(
    indexer: Indexer, tmp_path: Path
) -> None:
    """A commit costs as much for one change as for many: the indexer commits at most every
    ClaimIndex.COMMIT_SECONDS, not after every poll."""
    position = generation_current(tmp_path / "index") / "position.json"
    commits: set[int] = set()
    writing = threading.Event()
    writing.set()

    def watch() -> None:  # each commit replaces the file: a new inode
        while writing.is_set():
            with contextlib.suppress(FileNotFoundError):
                commits.add(position.stat().st_ino)
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    editor = f.editor()
    started = time.monotonic()
    for number in range(40):  # 40 changes over about a second, each its own transaction
        f.claim(actor=editor, text=f"Convoy number{number} moves.")
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    searched = searchable(ClaimIndex(generation_current(tmp_path / "index")), "convoy", 40)
    writing.clear()
    watcher.join()

    assert searched
    assert len(commits) - 1 <= elapsed / ClaimIndex.COMMIT_SECONDS + 2, (len(commits), elapsed)


def test_an_index_damaged_under_a_running_indexer_is_rebuilt(
    indexer: Indexer, tmp_path: Path
) -> None:
    root = tmp_path / "index"
    f.claim(text="Grain ports reopen.")
    assert searchable(ClaimIndex(generation_current(root)), "grain")
    damaged = generation_current(root)
    (damaged / "meta.json").write_text("{ not json")  # no change follows to commit over it

    assert wait_until(lambda: generation_current(root) != damaged, 60), indexer.output()[-2000:]
    assert generation_open(root).search("grain").total == 1
    assert "Rebuilding the search index" in indexer.output()
    assert index_name(damaged) not in set(SearchIndex.objects.values_list("name", flat=True))
