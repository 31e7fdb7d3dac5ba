"""The floors wirlearn is measured against: a bare Flask route, and a route that looks up one row
by an indexed random code and renders a small template.

Served by gunicorn with the same settings as wirlearn (``bench.servers``)::

    FLOOR_DATABASE_URL=sqlite:///… gunicorn 'bench.floor_app:create_app()'

``GET /bare`` answers a fixed text; ``GET /lookup/<code>`` reads one row of ``floor_certificates``
(unique index on ``code``) through SQLAlchemy Core and renders ``templates/floor.html``; an unknown
code is a 404, as on wirlearn's verification page.
"""

from __future__ import annotations

import os
import secrets
from datetime import date, timedelta

from flask import Flask, abort, render_template
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, bindparam, create_engine, select

metadata = MetaData()

floor_certificates = Table(
    "floor_certificates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("holder", String(200), nullable=False),
    Column("title", String(200), nullable=False),
    Column("series", String(200), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("status", String(12), nullable=False),
)

HOLDERS = ("Ayşe Yılmaz", "Đorđe Petrović", "Nguyễn Thị Hương", "Jonas Becker", "Fatma Demir", "Lena Schäfer")


def fill(url: str, rows: int = 1000) -> list[str]:
    """Create the floor table in the database at ``url`` with ``rows`` random codes; return them."""
    engine = create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    codes = [secrets.token_hex(13).upper() for _ in range(rows)]
    start = date(2026, 1, 15)
    with engine.begin() as connection:
        connection.execute(
            floor_certificates.insert(),
            [
                {
                    "code": code,
                    "holder": HOLDERS[index % len(HOLDERS)],
                    "title": "Change-Manager/in in Willkommens- und Anerkennungskultur",
                    "series": "Interkulturelle Öffnung 2026",
                    "issued_on": start + timedelta(days=index % 300),
                    "status": "valid",
                }
                for index, code in enumerate(codes)
            ],
        )
    engine.dispose()
    return codes


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = create_engine(url or os.environ["FLOOR_DATABASE_URL"])
    # Compiled once: the statement cache makes each request one round trip with one parameter.
    query = select(
        floor_certificates.c.holder,
        floor_certificates.c.title,
        floor_certificates.c.series,
        floor_certificates.c.issued_on,
        floor_certificates.c.status,
    ).where(floor_certificates.c.code == bindparam("code"))

    @app.get("/bare")
    def bare():
        return "ok"

    @app.get("/lookup/<code>")
    def lookup(code: str):
        with engine.connect() as connection:
            row = connection.execute(query, {"code": code}).first()
        if row is None:
            abort(404)
        return render_template("floor.html", row=row, code=code)

    return app
