"""With the demo programme (``seed-demo``), the overview's numbers match a hand count of the
seeded records (wirlearn/demo/seed.py: 23 complete, 4 missing a module, 4 under the attendance
threshold, 1 withdrawn; 32 coordinators in 32 of the 33 regions)."""

from __future__ import annotations

import re
from datetime import timedelta

from wirlearn.core.timeutil import local_today
from wirlearn.demo import data
from wirlearn.demo import seed as demo
from wirlearn.demo.seed import seed_demo
from wirlearn.extensions import db
from wirlearn.programme.models import Series

FIGURE = re.compile(r'<span class="figure__value">([^<]+)</span><span class="figure__label">([^<]+)</span>')
ROW = re.compile(r'<tr class="kern-table__row progress-matrix__row--(\w+)">')


def test_overview_numbers_match_a_hand_count_of_the_demo(app, client):
    # Seeded as of tomorrow: every required session lies in the past with its roster saved, the
    # optional module's first session is still to come whatever the time of day the test runs.
    with app.app_context():
        seed_demo(today=local_today() + timedelta(days=1))
        db.session.commit()
        series_id = db.session.scalar(db.select(Series.id))
    client.post("/anmelden", data={"email": data.ADMIN[0], "password": data.DEMO_PASSWORD})
    page = client.get("/programm").get_data(as_text=True)

    coordinators = len(data.COORDINATOR_NAMES)
    withdrawn = len(demo.WITHDRAWN)
    figures = {label.strip(): value.strip() for value, label in FIGURE.findall(page)}
    assert figures["Gebietskörperschaften mit Koordinationskraft in der Reihe"] == f"{coordinators} von 33"
    assert figures[f"eingeschrieben · davon {withdrawn} ausgeschieden"] == str(coordinators)
    assert figures["erfüllen alle Bedingungen"] == str(len(demo.COMPLETE)) == "23"
    assert figures["zertifiziert"] == "0"
    assert figures["Mindestanwesenheit nicht mehr erreichbar"] == str(len(demo.UNDER_THRESHOLD)) == "4"
    assert f"Ohne Koordinationskraft in dieser Reihe: {data.UNCOVERED_REGION}" in page

    rows = ROW.findall(page)
    assert len(rows) == coordinators
    assert rows.count("eligible") == 23
    assert rows.count("open") == len(demo.MISSING_MODULE) == 4
    assert rows.count("unreachable") == 4
    assert rows.count("withdrawn") == 1

    # The filter agrees with the rows.
    open_page = client.get(f"/programm/reihen/{series_id}?status=open").get_data(as_text=True)
    assert "4 von 32 Teilnehmenden angezeigt" in open_page
    expected_open = sorted(data.COORDINATOR_NAMES[index] for index in demo.MISSING_MODULE)
    assert sorted(name for name in data.COORDINATOR_NAMES if f">{name}</a>" in open_page) == expected_open
