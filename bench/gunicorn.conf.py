"""Gunicorn for the benchmark: production's (config/gunicorn.py), on loopback, quiet.
BENCH_WORKERS overrides the number of workers."""

import os

from config.gunicorn import pre_fork, preload_app, worker_class, workers  # noqa: F401

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8765")
workers = int(os.environ.get("BENCH_WORKERS", workers))
timeout = 60
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "warning"
