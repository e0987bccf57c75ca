"""The embedded broker: a kombu transport that keeps Celery's messages in PostgreSQL.

Used when ``CELERY_BROKER_URL`` is unset (``pgqueue+postgresql://…``); Redis or RabbitMQ are
the production brokers. A message is one row: publishing is one INSERT (atomic, so no reader
ever sees half of it) followed by a NOTIFY that wakes consumers at once; taking one reserves
the oldest ready row of the queue with ``FOR UPDATE SKIP LOCKED`` through a partial index (no
scan of the queue however long it is); the row is deleted only when the task is acknowledged.
A row reserved by a worker that died is made ready again after ``visibility_timeout``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from queue import Empty
from typing import Any, cast

import psycopg
from kombu.transport import TRANSPORT_ALIASES, virtual
from kombu.transport.virtual.exchange import FanoutExchange

TRANSPORT_ALIASES["pgqueue"] = "config.broker:Transport"
logger = logging.getLogger(__name__)

CHANNEL = "kombu_pgqueue"
# How long a consumer at its prefetch limit waits before it looks for an acknowledgement.
BUSY_WAIT_SECONDS = 0.02
SCHEMA = """
CREATE TABLE IF NOT EXISTS kombu_message (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue text NOT NULL,
    payload text NOT NULL,
    reserved_at timestamptz
);
CREATE INDEX IF NOT EXISTS kombu_message_ready ON kombu_message (queue, id)
    WHERE reserved_at IS NULL;
CREATE INDEX IF NOT EXISTS kombu_message_reserved ON kombu_message (reserved_at)
    WHERE reserved_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS kombu_binding (
    exchange text NOT NULL,
    queue text NOT NULL,
    routing_key text NOT NULL,
    pattern text NOT NULL,
    PRIMARY KEY (exchange, queue, routing_key, pattern)
);
"""
PUT = """
WITH message AS (INSERT INTO kombu_message (queue, payload) VALUES (%s, %s) RETURNING queue)
SELECT pg_notify(%s, queue) FROM message
"""
RESERVE = """
UPDATE kombu_message SET reserved_at = clock_timestamp()
WHERE id = (
    SELECT id FROM kombu_message WHERE queue = %s AND reserved_at IS NULL
    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING id, payload
"""
RELEASE = "UPDATE kombu_message SET reserved_at = NULL WHERE id = ANY(%s) RETURNING queue"
EXPIRE = """
UPDATE kombu_message SET reserved_at = NULL
WHERE reserved_at < clock_timestamp() - make_interval(secs => %s)
RETURNING queue
"""
# Connections opened before a fork belong to the parent: the child must neither use nor
# close them (closing would end the parent's session), so they are kept here, untouched.
_inherited: list[psycopg.Connection[Any]] = []


class Connections:
    """One autocommit connection per process, opened lazily and reopened after a fork."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._connection: psycopg.Connection[Any] | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def get(self) -> psycopg.Connection[Any]:
        connection = self._connection
        if connection is not None and self._pid != os.getpid():
            _inherited.append(connection)
            connection = None
        if connection is None or connection.closed:
            connection = psycopg.connect(self.conninfo, autocommit=True)
            # Not waiting for the disk triples the rate. What a crash of the server loses of
            # its last moment, the outbox's sweeper queues again (as with Redis's defaults).
            connection.execute("SET synchronous_commit = off")
            self._connection, self._pid = connection, os.getpid()
        return connection

    def execute(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                cursor = self.get().execute(sql, params)
            except psycopg.OperationalError:
                self.close()  # the server restarted: one new connection, one more try
                cursor = self.get().execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None


class QoS(virtual.QoS):
    """Acknowledging deletes the message's row; rejecting or restoring makes it ready again."""

    channel: Channel

    def ack(self, delivery_tag: str) -> None:
        self.channel.rows_delete([self._row(delivery_tag)])
        super().ack(delivery_tag)

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        row = self._row(delivery_tag)
        if requeue:
            self.channel.rows_release([row])
        else:
            self.channel.rows_delete([row])
        super().ack(delivery_tag)  # out of the unacknowledged, without touching the row

    def restore_unacked(self) -> list[Any]:  # type: ignore[override]
        self._flush()  # type: ignore[attr-defined]
        delivered = self._messages()
        rows = [self._row(tag) for tag in list(delivered)]
        delivered.clear()
        try:
            self.channel.rows_release(rows)
        except psycopg.Error:
            logger.warning(
                "%d messages will be ready again after the visibility timeout", len(rows)
            )
        return []

    def _messages(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self._delivered)

    def _row(self, delivery_tag: str) -> int | None:
        message = self._messages().get(delivery_tag)
        return None if message is None else message._raw.get("pgqueue_row")


class Channel(virtual.Channel):
    QoS = QoS
    supports_fanout = True
    do_restore = True

    def __init__(self, connection: Transport, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        self.db = connection.db

    def _put(self, queue: str, message: dict[str, Any], **kwargs: Any) -> None:
        message.pop("pgqueue_row", None)
        self.db.execute(PUT, [queue, json.dumps(message), CHANNEL])

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        rows = self.db.execute(RESERVE, [queue])
        if not rows:
            raise Empty()
        row_id, payload = rows[0]
        message: dict[str, Any] = json.loads(payload)
        message["pgqueue_row"] = row_id
        return message

    def _size(self, queue: str) -> int:
        rows = self.db.execute(
            "SELECT count(*) FROM kombu_message WHERE queue = %s AND reserved_at IS NULL", [queue]
        )
        return int(rows[0][0])

    def _purge(self, queue: str) -> int:
        rows = self.db.execute(
            "DELETE FROM kombu_message WHERE queue = %s AND reserved_at IS NULL RETURNING id",
            [queue],
        )
        return len(rows)

    def _delete(self, queue: str, *args: Any, **kwargs: Any) -> None:
        super()._delete(queue, *args, **kwargs)
        self.db.execute("DELETE FROM kombu_binding WHERE queue = %s", [queue])
        self.db.execute("DELETE FROM kombu_message WHERE queue = %s", [queue])

    def _has_queue(self, queue: str, **kwargs: Any) -> bool:
        return True

    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        pass

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        self.db.execute(
            "INSERT INTO kombu_binding VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [exchange, queue or "", routing_key or "", pattern or ""],
        )

    def get_table(self, exchange: str) -> list[tuple[str, str, str]]:
        """Fanout bindings are shared by every process (remote control); others are local."""
        if not isinstance(self.typeof(exchange), FanoutExchange):
            return super().get_table(exchange)
        rows = self.db.execute(
            "SELECT routing_key, pattern, queue FROM kombu_binding WHERE exchange = %s",
            [exchange],
        )
        return [(routing_key, pattern, queue) for routing_key, pattern, queue in rows]

    def _put_fanout(self, exchange: str, message: dict[str, Any], routing_key: str) -> None:
        for _, _, queue in self.get_table(exchange):
            self._put(queue, dict(message))

    def rows_delete(self, rows: list[int | None]) -> None:
        ids = [row for row in rows if row is not None]
        if ids:
            self.db.execute("DELETE FROM kombu_message WHERE id = ANY(%s)", [ids])

    def rows_release(self, rows: list[int | None]) -> None:
        ids = [row for row in rows if row is not None]
        if ids:
            for (queue,) in self.db.execute(RELEASE, [ids]):
                self.db.execute("SELECT pg_notify(%s, %s)", [CHANNEL, queue])


class Transport(virtual.Transport):
    """``pgqueue+postgresql://user@host:port/database``: the part after ``+`` is psycopg's."""

    Channel = Channel
    can_parse_url = True
    default_port = 0
    driver_type = "sql"
    driver_name = "pgqueue"
    polling_interval = 1.0
    # A message taken by a worker that died is given to another one after this long; longer
    # than any task runs (CELERY_TASK_TIME_LIMIT), since acknowledging comes after the task.
    visibility_timeout = 3600.0
    connection_errors = (psycopg.OperationalError,)
    channel_errors = (psycopg.Error,)
    implements = virtual.Transport.implements.extend(
        asynchronous=False, exchange_type=frozenset(["direct", "topic", "fanout"])
    )

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        options = client.transport_options
        self.visibility_timeout = float(options.get("visibility_timeout", self.visibility_timeout))
        self.conninfo = client.hostname
        self.db = Connections(self.conninfo)
        self._listener = Connections(self.conninfo)
        self._listening: psycopg.Connection[Any] | None = None
        self._expired_at = 0.0

    def establish_connection(self) -> Transport:
        schema_create(self.conninfo)
        return super().establish_connection()

    def close_connection(self, connection: Any) -> None:
        super().close_connection(connection)
        self.db.close()
        self._listener.close()

    def driver_version(self) -> str:
        return psycopg.__version__

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:  # type: ignore[override]
        """Deliver one message; between attempts wait for a NOTIFY, not a fixed sleep."""
        started = time.monotonic()
        listener = self._listen()
        while True:
            self._expire_reservations()
            channels = cast("list[Channel]", self.channels)
            # A consumer at its prefetch limit takes more only once a task is acknowledged,
            # which no NOTIFY announces: look again soon, and let Celery's loop run meanwhile.
            busy = any(channel._consumers and not channel.qos.can_consume() for channel in channels)
            try:
                cast(Any, self.cycle).get(self._deliver, timeout=timeout)
                return
            except Empty:
                pass
            left = self.polling_interval
            if timeout is not None:
                left = min(left, timeout - (time.monotonic() - started))
                if left <= 0:
                    raise TimeoutError()  # socket.timeout, as kombu expects
            for _ in _notifies(listener, min(left, BUSY_WAIT_SECONDS) if busy else left):
                break
            if busy:
                raise TimeoutError()

    def _listen(self) -> psycopg.Connection[Any]:
        listener = self._listener.get()
        if listener is not self._listening:
            listener.execute(f"LISTEN {CHANNEL}")
            self._listening = listener
        return listener

    def _expire_reservations(self) -> None:
        now = time.monotonic()
        if now - self._expired_at < min(60.0, self.visibility_timeout):
            return
        self._expired_at = now
        for (queue,) in self.db.execute(EXPIRE, [self.visibility_timeout]):
            self.db.execute("SELECT pg_notify(%s, %s)", [CHANNEL, queue])


def _notifies(listener: psycopg.Connection[Any], timeout: float) -> Iterator[Any]:
    try:
        yield from listener.notifies(timeout=timeout, stop_after=1)
    except psycopg.OperationalError:
        listener.close()
        time.sleep(min(timeout, 0.5))


_schemas: set[str] = set()


def schema_create(conninfo: str) -> None:
    """Create the broker's tables once; concurrent first starts wait on an advisory lock."""
    if conninfo in _schemas:
        return
    with psycopg.connect(conninfo, autocommit=True) as connection:
        exists = connection.execute("SELECT to_regclass('kombu_binding') IS NOT NULL").fetchone()
        if not (exists and exists[0]):
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(hashtext('kombu_pgqueue'))")
                connection.execute(SCHEMA)
    _schemas.add(conninfo)
