"""An import whose process stops while running it (a worker killed, out of memory) is not
left "running" for ever: the sweeper finds it no longer held and queues it again, and it runs
from the start, nothing missed or doubled; one that keeps stopping its process fails."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from interchange import services
from interchange.models import Import, ImportStatus, Review
from tests import factories as f
from tests.interchange.test_import import feed
from tests.interchange.test_reading import review
from tests.notifications.conftest import Workers, wait_for, workers

__all__ = ["workers"]  # fixtures


def reviews(count: int) -> bytes:
    """``count`` publishers' reviews of one claim (one claim to create: the import's time is
    the reviews')."""
    return feed(
        *(
            review(
                url=f"https://check-{n}.example.org/2022/troops",
                author={"@type": "Organization", "name": f"Check {n}"},
            )
            for n in range(count)
        )
    )


def stopped_mid_run(content: bytes, *, attempts: int = 1) -> Import:
    """An import as a killed worker leaves it: running, its counts part-written."""
    run = services.import_create(actor=f.editor(), source="reviews.json", content=content)
    Import.objects.filter(pk=run.pk).update(
        status=ImportStatus.RUNNING, attempts=attempts, read=7, created=7, refused=1
    )
    return Import.objects.get(pk=run.pk)


def held_elsewhere(run: Import) -> tuple[threading.Event, threading.Thread]:
    """Another session holding the import's lock, as a live worker running it does, until
    the event returned is set."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with services._import_lock(run.pk) as held:
                assert held
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(timeout=30)
    return release, thread


@pytest.mark.django_db(transaction=True)
def test_an_import_a_live_process_runs_is_left_to_it() -> None:
    run = services.import_create(actor=f.editor(), source="x.json", content=reviews(3))
    release, thread = held_elsewhere(run)
    try:
        Import.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING, attempts=1)
        assert services.import_run(run=run).status == ImportStatus.RUNNING
        assert services.imports_requeue() == 0
    finally:
        release.set()
        thread.join(timeout=30)

    assert not Review.objects.exists()
    assert Import.objects.get(pk=run.pk).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_running_import_no_process_holds_is_queued_and_run_again_from_the_start() -> None:
    run = stopped_mid_run(reviews(3))
    Review.objects.create(  # what the stopped attempt saved (here partly: no rating)
        claim=f.claim(text="Russia has ordered troops back to their bases."),
        url="https://check-0.example.org/2022/troops",
        publisher_name="Check 0",
        imported_by=run,
    )

    assert services.imports_requeue() == 1
    again = services.import_run(run=run)  # as the worker the sweeper's message reaches

    assert (again.status, again.attempts, again.error) == (ImportStatus.DONE, 2, "")
    # Counted from nothing: the saved review is brought up to the file's, the others created.
    assert again.summary == "2 created, 1 updated, 0 unchanged, 0 refused"
    assert (again.read, again.refusals) == (3, [])
    assert Review.objects.count() == 3
    assert services.imports_requeue() == 0  # done: nothing more to queue


@pytest.mark.django_db(transaction=True)
def test_an_import_that_keeps_stopping_its_process_fails_and_says_why() -> None:
    run = stopped_mid_run(reviews(2), attempts=services.IMPORT_ATTEMPTS)

    failed = services.import_run(run=run)

    assert (failed.status, failed.attempts) == (ImportStatus.FAILED, services.IMPORT_ATTEMPTS + 1)
    assert failed.error == (
        "The process running it stopped 3 times (a worker killed, or out of memory); it was "
        "not started again. What those attempts saved is kept."
    )
    assert Import.objects.get(pk=run.pk).content is None
    assert not Review.objects.exists()
    assert services.imports_requeue() == 0


def test_a_worker_killed_mid_import_leaves_it_to_the_next_one(workers: Workers) -> None:
    """Real workers on a real broker: the first is SIGKILLed while it saves the reviews; the
    sweeper queues the import again and a second worker imports every review, once."""
    count = 1500
    run = services.import_create(actor=f.editor(), source="big.json", content=reviews(count))
    first = workers.start()
    services.import_queue(run=run)

    def partly_saved() -> bool:
        return Import.objects.filter(pk=run.pk, status=ImportStatus.RUNNING, read__gt=0).exists()

    wait_for(partly_saved, "the first worker to save some reviews")
    workers.kill(first)
    stopped = Import.objects.get(pk=run.pk)
    assert stopped.status == ImportStatus.RUNNING
    assert 0 < Review.objects.count() < count

    workers.start()
    assert services.imports_requeue() == 1

    def finished() -> Import | None:
        again = Import.objects.get(pk=run.pk)
        return again if again.status != ImportStatus.RUNNING else None

    done = wait_for(finished, "the second worker to run the import again")
    assert (done.status, done.attempts, done.error) == (ImportStatus.DONE, 2, "")
    assert done.created + done.unchanged == count
    assert done.unchanged > 0  # what the killed worker saved
    assert Review.objects.count() == count
