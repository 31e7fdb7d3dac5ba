"""One certificate batch in a process of its own, for the memory figure: prints a JSON line with
the resident memory before the batch and the peak (VmHWM) after it.

    python -m bench.batch DATABASE_URL SIGNING_KEY_DIR WARM_SERIES_ID SERIES_ID ADMIN_ID

The warm series (two participants) is issued first, so fonts, key and templates are loaded
before the peak is reset; what remains is what the batch itself needs.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> None:
    url, key_dir, warm_series, series, admin = argv
    from bench import certs
    from bench.apps import BASE_URL
    from bench.memory import peak_rss_kib, reset_peak, rss_kib
    from wirlearn import create_app
    from wirlearn.extensions import db

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SIGNING_KEY_DIR=key_dir, BASE_URL=BASE_URL)
    issue = certs.issuing_service()
    with app.app_context():
        certs.issue_all(issue, int(warm_series), int(admin))
        db.session.commit()
        db.session.remove()
    reset_peak()
    before = rss_kib()
    with app.app_context():
        started = time.perf_counter()
        issued = certs.issue_all(issue, int(series), int(admin))
        db.session.commit()
        elapsed = time.perf_counter() - started
    print(json.dumps({"before_kib": before, "peak_kib": peak_rss_kib(), "issued": issued, "seconds": round(elapsed, 3)}))


if __name__ == "__main__":
    main(sys.argv[1:])
