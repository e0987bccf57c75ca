"""Gunicorn for the benchmark: production-like, on loopback. BENCH_WORKERS overrides."""

import multiprocessing
import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8765")
# CPU-bound Django views: one sync worker per core and a spare or two.
workers = int(os.environ.get("BENCH_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "sync"
# Import the project once, before forking: workers start warm and share its memory.
preload_app = True
timeout = 60
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "warning"
