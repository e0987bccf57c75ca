"""The similar-claim index on disk, and the indexer keeping it in step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from harness.worker import wait_until
from matching import vectors
from matching.layers import embeddings
from matching.vectors import VectorIndex
from search.index import (
    ClaimDocument,
    IndexBusyError,
    IndexUnavailableError,
    Position,
    generation_current,
    generation_open,
)
from search.indexer import index_ready, index_rebuild
from tests import factories as f
from tests.notifications.conftest import test_database_url as database_url
from tests.processes import BASE_DIR

TROOPS = "Russia has ordered troops near Ukraine's border back to their bases."
TROOPS_UK = "Росія наказала військам біля кордону з Україною повернутися на бази"


def document(text: str, claim_id: str | None = None) -> ClaimDocument:
    return ClaimDocument(id=claim_id or str(uuid.uuid4()), language="en", text=text)


def test_a_reader_finds_the_writers_commits_by_meaning(tmp_path: Path) -> None:
    writer = VectorIndex(tmp_path, writable=True)
    troops, vaccines = document(TROOPS), document("Vaccines cause autism in children")
    writer.put([troops, vaccines])
    writer.commit(Position(5, 7))
    reader = VectorIndex.built(tmp_path)
    query = embeddings([TROOPS_UK])[0]

    nearest = reader.nearest(query, 2)

    assert [claim_id for claim_id, _ in nearest] == [troops.id, vaccines.id]
    assert nearest[0][1] > 0.85 > nearest[1][1]
    assert reader.position() == Position(5, 7)

    writer.remove([troops.id])
    writer.commit(Position(5, 8))
    assert [claim_id for claim_id, _ in reader.nearest(query, 2)] == [vaccines.id]  # followed


def test_a_text_is_embedded_again_only_when_it_changed(tmp_path: Path, monkeypatch: Any) -> None:
    embedded: list[str] = []

    def counting(texts: list[str]) -> Any:
        embedded.extend(texts)
        return embeddings(texts)

    monkeypatch.setattr(vectors, "embeddings", counting)
    writer = VectorIndex(tmp_path, writable=True)
    claim = document(TROOPS)
    writer.put([claim])
    writer.commit(Position(1, 1))
    writer.close()
    writer = VectorIndex.built(tmp_path, writable=True)  # a restarted indexer knows the texts

    writer.put([claim])  # a status change: the same text
    writer.put([document("Vaccines cause autism", claim.id)])  # an edit

    assert embedded == [TROOPS, "Vaccines cause autism"]
    assert writer.nearest(embeddings(["Vaccines cause autism"])[0], 5)[0][0] == claim.id


def test_one_writer_per_directory(tmp_path: Path) -> None:
    first = VectorIndex(tmp_path, writable=True)
    with pytest.raises(IndexBusyError, match="one writer per index directory"):
        VectorIndex(tmp_path, writable=True)
    first.close()
    VectorIndex(tmp_path, writable=True)  # once it is given up


@pytest.mark.django_db
def test_a_damaged_index_is_refused_and_rebuilt_from_postgresql(settings: Any) -> None:
    f.claim(text=TROOPS)
    root = settings.SIMILAR_INDEX_DIR
    built = index_rebuild(root, kind=VectorIndex)
    (built.path / "vectors.usearch").write_bytes(b"not an index")

    with pytest.raises(IndexUnavailableError, match="damaged"):
        generation_open(root, kind=VectorIndex)
    rebuilt = index_ready(root, kind=VectorIndex)

    assert rebuilt.count() == 1
    assert generation_open(root, kind=VectorIndex).nearest(embeddings([TROOPS_UK])[0], 1)


@pytest.mark.django_db(transaction=True)
def test_the_indexer_embeds_new_claims_in_the_background(tmp_path: Path, settings: Any) -> None:
    root = tmp_path / "similar"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "SIMILAR_INDEX_DIR": str(root),
        "SECRET_KEY": settings.SECRET_KEY,
    }
    env.pop("DATABASE_POOL", None)
    log = tmp_path / "indexer.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "search_index", "--index", "similar"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        assert wait_until(lambda: "Indexing into" in log.read_text(), 60), log.read_text()
        claim = f.claim(text=TROOPS)
        reader = VectorIndex(generation_current(root))
        query = embeddings([TROOPS_UK])[0]
        found = wait_until(lambda: reader.nearest(query, 1), 30, interval=0.05)
        assert found, log.read_text()[-2000:]
        assert found[0][0] == str(claim.pk)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    assert process.returncode == 0, log.read_text()[-2000:]
