"""The benchmark's WSGI entry point: the project, plus the floor, in the same gunicorn.

``/floor/...`` goes to bench.floor; everything else to config.wsgi.application, unchanged.
A request with ``X-Bench-Queries: 1`` gets the number of SQL queries Django ran for it in
an ``X-Bench-Queries`` response header (only the harness's probes send it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connections

from bench import floor
from config.wsgi import application as django_application


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "").startswith("/floor/"):
        return floor.application(environ, start_response)
    if environ.get("HTTP_X_BENCH_QUERIES") != "1":
        return django_application(environ, start_response)
    counter = _Counter()
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"], captured["exc_info"] = status, headers, exc_info

    with connections["default"].execute_wrapper(counter):
        body = list(django_application(environ, capture))
    headers = [*captured["headers"], ("X-Bench-Queries", str(counter.count))]
    start_response(captured["status"], headers, captured["exc_info"])
    return body
