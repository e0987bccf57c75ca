"""The change log and the indexer: committed writes through the services reach a real index."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections, transaction
from django.db.models.functions import Now

from claims import services as claim_services
from search.index import ClaimDocument, ClaimIndex, Filters, Position, generation_current
from search.indexer import (
    Pruned,
    claim_documents,
    index_apply,
    index_name,
    index_ready,
    index_rebuild,
    index_report,
    index_unregister,
    log_prune,
)
from search.models import SearchChange, SearchIndex
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def index(tmp_path: Path) -> ClaimIndex:
    return ClaimIndex(tmp_path / "index", writable=True)


def applied(index: ClaimIndex) -> int:
    total = 0
    while done := index_apply(index, batch=7):
        total += done
    return total


def ids(index: ClaimIndex, q: str, **filters: object) -> list[str]:
    return index.search(q, filters=Filters(**filters)).ids  # type: ignore[arg-type]


def test_what_the_services_change_reaches_the_index(index: ClaimIndex) -> None:
    editor = f.editor()
    peskov = f.source(name="Dmitry Peskov", actor=editor)
    claim = f.claim(
        actor=editor, text="Troops return to their bases.", claimant=peskov, tags=["russia"]
    )
    quoted = f.source(name="Interfax", actor=editor)
    assert applied(index) > 0
    assert ids(index, "troop") == [str(claim.pk)]
    assert ids(index, "peskov") == [str(claim.pk)]

    claim = claim_services.claim_update(
        actor=editor, claim=claim, version=claim.version, data={"text": "Tanks stay put."}
    )
    f.statement(claim=claim, source=quoted, quote="Войска возвращаются.", actor=editor)
    claim_services.source_update(
        actor=editor, source=quoted, version=quoted.version, data={"name": "ТАСС"}
    )
    f.transition(claim=claim, status="in_review")
    applied(index)

    assert ids(index, "troops") == []  # the old text is gone
    assert ids(index, "tanks") == [str(claim.pk)]
    assert ids(index, "войска") == [str(claim.pk)]  # the statement's quote, word for word
    assert (ids(index, "ТАСС"), ids(index, "Interfax")) == ([str(claim.pk)], [])
    assert ids(index, "tanks", statuses=["in_review"], tags=["russia"]) == [str(claim.pk)]
    assert ids(index, "tanks", statuses=["unverified"]) == []
    assert index.count() == 1


def test_a_renamed_assignee_reaches_the_index(index: ClaimIndex) -> None:
    reviewer = f.reviewer(username="rita")
    claim = f.claim(actor=f.editor(), text="Troops return to their bases.")
    claim_services.claim_assign(actor=f.editor(), claim=claim, assignee=reviewer)
    other = f.claim(actor=f.editor(), text="Troops stay at the border.")
    applied(index)
    assert ids(index, "troops", assignee="rita") == [str(claim.pk)]

    reviewer.username = "rita.k"  # as the admin's user form saves it
    reviewer.save()
    applied(index)

    assert ids(index, "troops", assignee="rita.k") == [str(claim.pk)]
    assert ids(index, "troops", assignee="rita") == []
    assert str(other.pk) in ids(index, "troops")


def test_the_indexer_reads_the_log_and_the_claims_in_two_queries(
    index: ClaimIndex, django_assert_num_queries: object
) -> None:
    for number in range(20):
        f.claim(text=f"Claim {number} about the border.")
    with django_assert_num_queries(2):  # type: ignore[operator]
        assert index_apply(index, batch=1_000) >= 20
    assert index.search("border").total == 20


def test_replaying_the_log_changes_nothing(index: ClaimIndex) -> None:
    claims = [f.claim(text=f"Convoy {number} moves north.") for number in range(5)]
    applied(index)
    index.commit(Position())  # as if the position had been lost: everything again
    assert applied(index) == SearchChange.objects.count()
    assert (index.count(), index.search("convoy").total) == (len(claims), len(claims))


def test_a_batch_written_but_not_committed_is_applied_again(tmp_path: Path) -> None:
    claim = f.claim(text="Ferries leave Crimea.")
    crashed = ClaimIndex(tmp_path / "index", writable=True)
    crashed.put(claim_documents([str(claim.pk)]))  # a batch under way...
    del crashed  # ...and the indexer dies before its commit: the batch and its lock go with it
    restarted = ClaimIndex(tmp_path / "index", writable=True)
    assert (restarted.position(), restarted.count()) == (Position(), 0)
    applied(restarted)
    assert (restarted.search("ferries").total, restarted.count()) == (1, 1)


def test_a_transaction_that_commits_late_is_not_read_past(index: ClaimIndex) -> None:
    early, late = f.claim(text="Early claim."), f.claim(text="Late claim.")
    applied(index)
    editor = f.editor()
    holding, release = threading.Event(), threading.Event()

    def slow() -> None:
        try:
            with transaction.atomic():
                claim_services.claim_update(
                    actor=editor, claim=early, version=early.version, data={"summary": "Slow."}
                )
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow)
    thread.start()
    assert holding.wait(30)
    # A transaction that began after the slow one commits first.
    claim_services.claim_update(
        actor=editor, claim=late, version=late.version, data={"summary": "Quick."}
    )
    before = index.position()
    applied(index)
    assert index.position() == before  # waits: the slow one may still write below it
    assert index.search("quick").total == 0
    release.set()
    thread.join(30)
    applied(index)
    assert (index.search("quick").total, index.search("slow").total) == (1, 1)


def test_the_command_applies_what_is_pending(
    tmp_path: Path, settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SEARCH_INDEX_DIR = tmp_path / "command"  # type: ignore[attr-defined]
    f.claim(text="Grain ports reopen.")
    call_command("search_index", "--once")
    assert "Applied" in capsys.readouterr().out
    assert ClaimIndex(generation_current(tmp_path / "command")).search("grain").total == 1


def test_the_check_reports_drift_and_says_when_in_step(
    tmp_path: Path, settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SEARCH_INDEX_DIR = tmp_path / "checked"  # type: ignore[attr-defined]
    kept, lost, edited = (f.claim(text=f"Claim {word}.") for word in ("kept", "lost", "edited"))
    index = ClaimIndex(generation_current(tmp_path / "checked"), writable=True)
    applied(index)
    call_command("search_check")
    assert "in step" in capsys.readouterr().out

    index.remove([str(lost.pk)])  # as a damaged index would be
    index.put([ClaimDocument(id="00000000-0000-0000-0000-000000000000", language="en", text="?")])
    index.put([replace(claim_documents([str(edited.pk)])[0], version=0)])
    index.commit(index.position())
    with pytest.raises(CommandError, match="differs"):
        call_command("search_check")
    out = capsys.readouterr().out
    assert "3 claims in the database, 3 in the index; 0 changes not yet applied." in out
    assert f"Missing from the index (1): {lost.pk}" in out
    assert "In the index, not in the database (1): 00000000-0000-0000-0000-000000000000" in out
    assert f"Out of date in the index (1): {edited.pk}" in out
    assert str(kept.pk) not in out


def test_a_rebuild_while_writes_continue_misses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: object
) -> None:
    root = settings.SEARCH_INDEX_DIR = tmp_path / "rebuilt"  # type: ignore[attr-defined]
    claims = [f.claim(text=f"Before number{n}.") for n in range(25)]  # three batches of 10
    old = ClaimIndex(generation_current(root), writable=True)
    applied(old)
    old.close()
    written: list[str] = []

    def progress(done: int, of: int) -> None:  # writes go on while the new index is built
        written.append(str(f.claim(text=f"During number{len(written)}.").pk))
        claim_services.claim_update(
            actor=f.editor(), claim=claims[done - 1], version=1, data={"summary": "Edited."}
        )

    rebuilt = index_rebuild(root, progress=progress, batch=10)

    assert generation_current(root) == rebuilt.path != old.path
    current = ClaimIndex(generation_current(root), writable=True)
    applied(current)  # what the indexer would apply next: nothing, or what came after
    assert current.count() == len(claims) + len(written) == 28
    assert current.search("during").total == 3
    assert current.search("edited").total == 3
    assert old.path.exists()  # kept a while for readers that still have it open
    current.close()
    call_command("search_rebuild")
    assert "28 of 28 claims (100%" in capsys.readouterr().out
    assert not old.path.exists()  # two swaps later


def damage_meta(directory: Path) -> None:
    (directory / "meta.json").write_text("{ not json")


def older_schema(directory: Path) -> None:
    (directory / "position.json").write_text('{"txid": 1, "row": 1}')  # schema 1's


def unregistered(directory: Path) -> None:
    index_unregister(directory)


def nothing(directory: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (damage_meta, "is damaged"),
        (older_schema, "built by another version"),
        (unregistered, "the change log no longer covers the search index"),
        (nothing, None),
    ],
)
def test_the_indexer_rebuilds_an_index_it_cannot_use(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: Any, said: str | None
) -> None:
    root = tmp_path / "index"
    f.claim(text="Grain ports reopen.")
    built = index_rebuild(root)
    damage(built.path)
    f.claim(text="Grain ships leave.")

    with caplog.at_level(logging.WARNING, logger="search.indexer"):
        index = index_ready(root)
        applied(index)

    assert index.search("grain").total == 2
    if said is None:
        assert index.path == built.path and not caplog.text
    else:
        assert index.path != built.path and said in caplog.text


def test_with_no_index_the_indexer_builds_one_and_the_check_says_there_is_none(
    tmp_path: Path, settings: Any
) -> None:
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    f.claim(text="Grain ports reopen.")
    with pytest.raises(CommandError, match="No search index to check: there is no search index"):
        call_command("search_check")
    assert index_ready(settings.SEARCH_INDEX_DIR).search("grain").total == 1
    call_command("search_check")


def test_the_log_is_pruned_below_every_registered_index(tmp_path: Path) -> None:
    ahead, behind = (index_rebuild(tmp_path / name, writable=True) for name in ("a", "b"))
    for number in range(4):
        f.claim(text=f"Claim {number}.")
    applied(ahead)
    index_report(ahead)
    assert SearchChange.objects.count() == 4

    assert log_prune(retention=timedelta(days=7)) == Pruned(changes=0, dropped=[])
    for _ in range(2):  # the one behind applies two changes
        index_apply(behind, batch=1)
    index_report(behind)
    assert log_prune(retention=timedelta(days=7)) == Pruned(changes=2, dropped=[])
    assert SearchChange.objects.count() == 2
    applied(behind)
    index_report(behind)
    assert log_prune(retention=timedelta(days=7)).changes == 2
    assert index_name(ahead.path) in {index.name for index in SearchIndex.objects.all()}


def test_an_index_behind_by_more_than_the_retention_is_dropped_then_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "index"
    lagging = index_rebuild(root, writable=True)
    f.claim(text="Grain ports reopen.")
    SearchChange.objects.update(at=Now() - timedelta(days=8))
    f.claim(text="Grain ships leave.")  # a recent change: kept

    with caplog.at_level(logging.WARNING, logger="search.indexer"):
        pruned = log_prune(retention=timedelta(days=7))

    assert pruned == Pruned(changes=1, dropped=[index_name(lagging.path)])
    assert "fell behind the change log by more than 7 days" in caplog.text
    assert SearchChange.objects.count() == 1
    applied(lagging)
    assert lagging.search("grain").total == 1  # the pruned change is lost to it...
    assert not index_report(lagging)  # ...so its indexer is told, and rebuilds
    lagging.close()
    rebuilt = index_ready(root)
    assert rebuilt.search("grain").total == 2
