"""The embedded broker (config/broker.py) with real processes writing and reading at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import pytest
from kombu import Connection

import config.broker  # noqa: F401
from config import embedded
from tests.notifications.conftest import BASE_DIR
from tests.notifications.conftest import test_database_url as database_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_url() -> str:
    """The embedded transport in the test database, whichever broker the settings use."""
    return embedded.broker_url(database_url())


def clients(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.broker.clients", *args],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_concurrent_writers_and_readers_lose_and_repeat_nothing(broker_url, tmp_path):
    """kombu's filesystem transport, the embedded broker before, lost about 7% of messages
    here: a reader could take a file its writer had created but not yet written."""
    queue = f"race-{uuid.uuid4().hex[:8]}"
    outs = [tmp_path / f"reader{number}.txt" for number in range(3)]
    readers = [clients("read", broker_url, queue, str(out), "3", "90") for out in outs]
    writers = [clients("write", broker_url, queue, f"w{number}", "400") for number in range(3)]
    for process in writers + readers:
        assert process.wait(timeout=120) == 0
    received = [line for out in outs if out.exists() for line in out.read_text().split()]
    sent = {f"w{writer}-{number}" for writer in range(3) for number in range(400)}
    assert len(received) == len(sent)
    assert set(received) == sent
    assert sum(1 for out in outs if out.exists() and out.read_text()) >= 2  # they did share


def test_a_message_taken_by_a_reader_that_died_is_delivered_again(broker_url, tmp_path):
    queue = f"held-{uuid.uuid4().hex[:8]}"
    with Connection(broker_url, transport_options={"visibility_timeout": 1}) as connection:
        connection.SimpleQueue(queue).put({"id": "only"})
        holder = clients("hold", broker_url, queue)
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "only"
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
        simple = connection.SimpleQueue(queue)
        assert simple.qsize() == 0  # still reserved by the dead reader
        message = simple.get(timeout=10)  # made ready again after the visibility timeout
        assert message.payload == {"id": "only"}
        message.ack()
        assert simple.qsize() == 0


def test_a_rejected_message_is_requeued_and_an_acknowledged_one_is_gone(broker_url):
    queue = f"reject-{uuid.uuid4().hex[:8]}"
    with Connection(broker_url) as connection:
        simple = connection.SimpleQueue(queue)
        simple.put({"id": "a"})
        simple.get(timeout=5).requeue()
        message = simple.get(timeout=5)
        assert message.payload == {"id": "a"}
        message.ack()
        assert simple.qsize() == 0
        with pytest.raises(simple.Empty):
            simple.get(timeout=0.5)
