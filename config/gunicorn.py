"""gunicorn's settings for production: ``gunicorn -c config/gunicorn.py config.wsgi``.

The project is loaded once, in the master process, before it forks the workers: they start
warm and share its memory. Before forking, the master loads what a worker would otherwise
load on its first request (the search's lemmatiser data, half a second) and freezes its
objects out of the garbage collector's reach (``gc.freeze()``, as Python's documentation
advises for servers that fork): a worker's full collection then visits only what it made
itself, instead of the whole project (80 ms at each full collection, every few hundred
requests, bench/README.md), and leaves the shared pages unwritten.
"""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers for CPU-bound Django views: twice the cores (WEB_CONCURRENCY also sets it).
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
worker_class = "sync"
preload_app = True


def pre_fork(server: object, worker: object) -> None:
    from search.index import warm_up

    warm_up()
    gc.collect()  # garbage frozen would never be freed
    gc.freeze()
