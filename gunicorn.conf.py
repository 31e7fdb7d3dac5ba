"""gunicorn settings for production (docs/betrieb.md):

    gunicorn -c gunicorn.conf.py 'wirlearn:create_app()'

Sync workers, one per CPU core (``WEB_CONCURRENCY`` overrides). On the 2-core reference machine
this serves the most requests with the best p99 latency: gthread workers raise throughput on
the lightest routes but make p99 two to three times worse on routes that use the database, and
more workers than cores only add switching (bench/README.md). ``make bench`` serves wirlearn
and its floors with exactly this file.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "sync"
# No preloading: every worker opens its own database connections after the fork.
preload_app = False
timeout = 30
graceful_timeout = 10
# The reverse proxy in front writes the access log; gunicorn logs errors only.
accesslog = None
errorlog = "-"
