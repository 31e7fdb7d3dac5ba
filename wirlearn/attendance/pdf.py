"""The printable attendance list of a session ("Teilnahmeliste mit Unterschriften"), A4, German.

Fira Sans is embedded: Helvetica's encoding has no ş, ı or đ, and names like "Ayşe Yılmaz"
must print as written. Fonts are registered once per process (registering reads the TTF files).
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from wirlearn.attendance.services import Roster
from wirlearn.core.formatting import fmt_date, fmt_datetime, fmt_time, fmt_weekday_date
from wirlearn.core.timeutil import utcnow

FONT_DIR = Path(__file__).resolve().parents[1] / "core" / "fonts"
FONTS = {
    "FiraSans": "FiraSans_400Regular.ttf",
    "FiraSans-SemiBold": "FiraSans_600SemiBold.ttf",
    "FiraSans-Italic": "FiraSans_400Regular_Italic.ttf",
}
_fonts_lock = threading.Lock()
_fonts_ready = False


def register_fonts() -> None:
    """Register the embedded fonts with reportlab, once per process."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        for name, filename in FONTS.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        pdfmetrics.registerFontFamily("FiraSans", normal="FiraSans", bold="FiraSans-SemiBold", italic="FiraSans-Italic")
        _fonts_ready = True


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName="FiraSans", fontSize=10, leading=13)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#4a4f5e")),
        "title": ParagraphStyle("title", parent=base, fontName="FiraSans-SemiBold", fontSize=16, leading=20, spaceAfter=2 * mm),
        "label": ParagraphStyle("label", parent=base, fontName="FiraSans-SemiBold"),
        "cell": ParagraphStyle("cell", parent=base, fontSize=10, leading=12),
        "head": ParagraphStyle("head", parent=base, fontName="FiraSans-SemiBold", fontSize=9.5, leading=12),
    }


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def signature_list_pdf(roster: Roster) -> bytes:
    """One or more A4 pages: series, module, date, time, place, trainer(s), then one row per
    participant with region and an empty field for the signature."""
    register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    margin = 15 * mm
    generated = _("Erstellt am %(when)s", when=fmt_datetime(utcnow()))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("FiraSans", 8)
        canvas.setFillColor(colors.HexColor("#4a4f5e"))
        left = f"{roster.module_title} · {fmt_date(roster.date)}"
        if len(left) > 90:
            left = left[:89] + "…"
        canvas.drawString(margin, 9 * mm, left)
        canvas.drawRightString(A4[0] - margin, 9 * mm, _("Seite %(n)d", n=doc.page))
        canvas.drawRightString(A4[0] - margin, 5.5 * mm, generated)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=18 * mm,
        title=_("Teilnahmeliste mit Unterschriften"),
        author=", ".join(roster.trainers),
        subject=f"{roster.series_title} – {roster.module_title}",
        lang="de-DE",
    )
    story = [
        Paragraph(_esc(_("Teilnahmeliste mit Unterschriften")), styles["title"]),
    ]
    details = [
        (_("Reihe"), roster.series_title),
        (_("Modul"), roster.module_title),
        (_("Datum"), fmt_weekday_date(roster.date)),
        (_("Uhrzeit"), _("%(start)s–%(end)s Uhr", start=fmt_time(roster.start_time), end=fmt_time(roster.end_time))),
        (_("Ort"), roster.place or "–"),
        (_("Trainer/in"), ", ".join(roster.trainers) or "–"),
    ]
    head = Table(
        [[Paragraph(_esc(label), styles["label"]), Paragraph(_esc(value), styles["base"])] for label, value in details],
        colWidths=[32 * mm, None],
        hAlign="LEFT",
    )
    head.setStyle(
        TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        )
    )
    story += [head, Spacer(1, 5 * mm)]

    width = A4[0] - 2 * margin
    col_widths = [9 * mm, 62 * mm, 48 * mm, width - 119 * mm]
    data = [
        [
            Paragraph(_esc(_("Nr.")), styles["head"]),
            Paragraph(_esc(_("Name")), styles["head"]),
            Paragraph(_esc(_("Gebietskörperschaft")), styles["head"]),
            Paragraph(_esc(_("Unterschrift")), styles["head"]),
        ]
    ]
    for number, row in enumerate(roster.rows, start=1):
        data.append(
            [
                Paragraph(str(number), styles["cell"]),
                Paragraph(_esc(row.name), styles["cell"]),
                Paragraph(_esc(row.region or "–"), styles["cell"]),
                "",
            ]
        )
    if len(data) == 1:
        data.append(["", Paragraph(_esc(_("Niemand eingeschrieben.")), styles["cell"]), "", ""])
    table = Table(data, colWidths=col_widths, repeatRows=1, rowHeights=[None] + [12 * mm] * (len(data) - 1))
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eaf0")),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#6b7080")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm)]
    story.append(
        Paragraph(
            _esc(
                _(
                    "Mit der Unterschrift bestätigen die Teilnehmenden ihre Anwesenheit. Bitte Verspätungen und frühere Abreisen vermerken."
                )
            ),
            styles["small"],
        )
    )
    story += [Spacer(1, 12 * mm)]
    sign = Table(
        [
            ["", "", ""],
            [
                Paragraph(_esc(_("Ort, Datum")), styles["small"]),
                "",
                Paragraph(_esc(_("Unterschrift Trainer/in")), styles["small"]),
            ],
        ],
        colWidths=[70 * mm, 20 * mm, 70 * mm],
        hAlign="LEFT",
    )
    sign.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, 1), (0, 1), 0.5, colors.black),
                ("LINEABOVE", (2, 1), (2, 1), 0.5, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(sign)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
