"""gunicorn settings for production (docs/betrieb.md):

    gunicorn -c gunicorn.conf.py 'wirlearn:create_app()'

Sync workers, one per CPU core (``WEB_CONCURRENCY`` overrides). On the 2-core reference machine
this serves the most requests with the best p99 latency: gthread workers raise throughput on
the lightest routes but make p99 two to three times worse on routes that use the database, and
more workers than cores only add switching (bench/README.md). ``make bench`` serves wirlearn
and its floors with exactly this file.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "sync"
# The master loads the app once and forks the workers from it: code, templates and translations
# are then shared pages (copy-on-write), so a worker's own memory (USS) is what it adds by serving
# requests (bench: memory). create_app opens no database connection; post_fork below makes sure
# no pooled connection crosses the fork anyway.
preload_app = True
timeout = 30
graceful_timeout = 10
# The reverse proxy in front writes the access log; gunicorn logs errors only.
accesslog = None
errorlog = "-"


def pre_fork(server, worker):
    """Move everything the master loaded out of the garbage collector's reach before forking:
    a collection in a worker would otherwise touch (and so copy) the shared pages."""
    gc.freeze()


def post_fork(server, worker):
    """Each worker starts with empty connection pools of its own (SQLAlchemy's advice for forked
    processes: ``dispose(close=False)`` leaves the parent's connections alone)."""
    app = getattr(server.app, "callable", None)
    extension = getattr(app, "extensions", {}).get("sqlalchemy")
    if extension is None:
        return
    with app.app_context():
        for engine in extension.engines.values():
            engine.dispose(close=False)
