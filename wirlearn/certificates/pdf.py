"""The printable certificate: one A4 page in German, built with reportlab from the snapshot.

Fira Sans (TrueType, SIL OFL, wirlearn/core/fonts) is embedded as a subset, so names such as
"Ayşe Yılmaz", "Đorđe Petrović" or "Nguyễn Thị Hương" print as written. Fonts are registered
once per process. Text blocks and the module table that are the same on many certificates (the
series' titles, the rules, the table of a series) are laid out once and kept, already measured,
in a small per-thread cache (``LAYOUT_CACHE`` entries): only the holder's name, the dates, the
code and the QR code are set anew for each PDF. The PDF is made on demand from the snapshot (it is not stored); issuing makes
it once as a check, so a certificate whose PDF cannot be made is never issued.
"""

from __future__ import annotations

import calendar
import html
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from wirlearn.certificates import codes, qr
from wirlearn.certificates.signing import parse_time
from wirlearn.core.timeutil import to_local

FONT_DIR = Path(__file__).resolve().parent.parent / "core" / "fonts"
FONTS = {
    "Fira": "FiraSans_400Regular.ttf",
    "Fira-SemiBold": "FiraSans_600SemiBold.ttf",
    "Fira-Bold": "FiraSans_700Bold.ttf",
}
# KERN colours: text (dark navy), action blue, a light neutral for rules and table lines.
INK = colors.HexColor("#171A2B")
BLUE = colors.HexColor("#1A3DA5")
MUTED = colors.HexColor("#4A4E5E")
RULE = colors.HexColor("#C8CCD8")
DANGER = colors.HexColor("#C31C13")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 22 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 27 * mm  # quiet zone included; the symbol itself is about 21 mm wide

_fonts_ready = False
_font_lock = threading.Lock()


def register_fonts() -> None:
    """Register the embedded fonts with reportlab (once per process)."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _font_lock:
        if not _fonts_ready:
            for name, filename in FONTS.items():
                pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
            pdfmetrics.registerFontFamily("Fira", normal="Fira", bold="Fira-Bold", italic="Fira", boldItalic="Fira-Bold")
            _fonts_ready = True


@dataclass(frozen=True)
class StatusNote:
    """A line printed across the top of a copy made after the certificate stopped being valid."""

    text: str


def local_date(value: str | datetime | None) -> str:
    """A snapshot timestamp or date as 25.11.2026 (local time in Hessen)."""
    if value is None:
        return ""
    if isinstance(value, str):
        if len(value) == 10:  # a plain date
            year, month, day = value.split("-")
            return f"{day}.{month}.{year}"
        value = parse_time(value).replace(tzinfo=None)
    return f"{to_local(value):%d.%m.%Y}"


def _style(name: str, font: str, size: float, leading: float | None = None, align=TA_CENTER, color=INK) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.25, alignment=align, textColor=color)


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(html.escape(text, quote=False), style)


# Laid-out flowables kept per thread (a flowable remembers its layout and is drawn from it, so it
# must not be shared between threads drawing at the same time). Keyed by everything the layout
# depends on: the text or table content, the style and the available width and height.
LAYOUT_CACHE = 128
_layouts = threading.local()


def _laid_out(
    key: tuple, make: Callable[[], Flowable], canvas, width: float, height: float = PAGE_HEIGHT
) -> tuple[Flowable, float]:
    """The flowable ``make()`` returns, wrapped to ``width`` (cached), and its height."""
    cache: OrderedDict | None = getattr(_layouts, "cache", None)
    if cache is None:
        cache = _layouts.cache = OrderedDict()
    full_key = (key, width, height)
    found = cache.get(full_key)
    if found is not None:
        cache.move_to_end(full_key)
        return found
    flowable = make()
    _w, flowable_height = flowable.wrapOn(canvas, width, height)
    cache[full_key] = (flowable, flowable_height)
    if len(cache) > LAYOUT_CACHE:
        cache.popitem(last=False)
    return flowable, flowable_height


def _text(canvas, text: str, style: tuple, width: float, height: float = PAGE_HEIGHT) -> tuple[Paragraph, float]:
    """A paragraph of ``text`` in ``_style(*style)``, laid out to ``width`` (cached)."""
    return _laid_out(("text", text, style), lambda: _paragraph(text, _style(*style)), canvas, width, height)


def _fitting_size(text: str, font: str, largest: float, smallest: float, width: float) -> float:
    size = largest
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


class _Writer:
    """Places blocks from the top of the page downwards, centred in the content width.

    ``block`` measures at once (so ``y`` is known) and draws at ``draw``: the layout can be
    decided before anything is drawn."""

    def __init__(self, canvas, top: float):
        self.canvas = canvas
        self.y = top
        self.placed: list[tuple[Any, float, float]] = []

    def block(self, flowable, gap_before: float = 0, width: float = CONTENT_WIDTH) -> None:
        _w, height = flowable.wrapOn(self.canvas, width, PAGE_HEIGHT)
        self.place(flowable, height, gap_before, width)

    def place(self, flowable, height: float, gap_before: float = 0, width: float = CONTENT_WIDTH) -> None:
        """Like ``block`` for a flowable already wrapped to ``width``."""
        self.y -= gap_before
        self.placed.append((flowable, MARGIN + (CONTENT_WIDTH - width) / 2, self.y - height))
        self.y -= height

    def text(self, text: str, style: tuple, gap_before: float = 0, width: float = CONTENT_WIDTH) -> None:
        self.place(*_text(self.canvas, text, style, width), gap_before, width)

    def draw(self) -> None:
        for flowable, x, y in self.placed:
            flowable.drawOn(self.canvas, x, y)
        self.placed = []


# Lowest point the flowing part (text, module table, place and date, signatures) may reach:
# below it sit the QR code and the verification lines.
FLOW_BOTTOM = 50 * mm
TABLE_FONT_SIZES = (9.5, 8.5, 7.5, 6.5)


def render(snapshot: dict[str, Any], code: str, note: StatusNote | None = None, images: dict[int, bytes] | None = None) -> bytes:
    """The certificate as PDF bytes. A long module list is set smaller until the page fits.

    ``images``: the bytes of the logos and signature images the snapshot's design names."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = _canvas(buffer, snapshot)
    _draw_certificate(canvas, snapshot, code, note, images or {})
    canvas.save()
    return buffer.getvalue()


@dataclass(frozen=True)
class PrintItem:
    """One certificate of a handover print file, with what its cover list says about it."""

    snapshot: dict[str, Any]
    code: str
    region: str


def render_handover(series_title: str, items: list[PrintItem], images: dict[int, bytes], printed_on: str) -> bytes:
    """One PDF for the handover event: a cover list (number, name, region, code), then every
    certificate in the order given (the caller sorts: region, then name)."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = pdfcanvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1, lang="de-DE", initialFontName="Fira")
    canvas.setTitle(f"Zertifikate zur Übergabe – {series_title}")
    canvas.setAuthor(items[0].snapshot.get("issuer_name") or items[0].snapshot["provider"] if items else "wirlearn")
    canvas.setSubject(series_title)
    canvas.setCreator("wirlearn")
    _cover(canvas, series_title, items, printed_on)
    for item in items:
        _draw_certificate(canvas, item.snapshot, item.code, None, images)
    canvas.save()
    return buffer.getvalue()


def _cover(canvas, series_title: str, items: list[PrintItem], printed_on: str) -> None:
    cell = _style("cover-cell", "Fira", 9.5, align=TA_LEFT)
    head = _style("cover-head", "Fira-SemiBold", 9.5, align=TA_LEFT)
    code_cell = _style("cover-code", "Fira", 8.5, align=TA_LEFT)
    rows = [[_paragraph(text, head) for text in ("Nr.", "Name", "Gebietskörperschaft", "Prüfcode")]]
    for number, item in enumerate(items, start=1):
        rows.append(
            [
                _paragraph(str(number), cell),
                _paragraph(item.snapshot["holder_name"], cell),
                _paragraph(item.region or "–", cell),
                _paragraph(codes.grouped(item.code), code_cell),
            ]
        )
    table = Table(rows, colWidths=[11 * mm, None, 44 * mm, 68 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                # A cell's own font (never used: cells hold paragraphs) would else pull in an
                # unembedded Helvetica.
                ("FONTNAME", (0, 0), (-1, -1), "Fira"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    title = _paragraph("Zertifikate zur Übergabe", _style("cover-title", "Fira-Bold", 20, align=TA_LEFT, color=BLUE))
    sub = _paragraph(
        f"{series_title} · {len(items)} Zertifikat{'e' if len(items) != 1 else ''} · sortiert nach Gebietskörperschaft und Name "
        f"· gedruckt am {printed_on}",
        _style("cover-sub", "Fira", 10.5, align=TA_LEFT, color=MUTED),
    )
    parts = [title, sub, table]
    top = PAGE_HEIGHT - MARGIN
    y = top
    for part in parts[:2]:
        _w, height = part.wrapOn(canvas, CONTENT_WIDTH, PAGE_HEIGHT)
        part.drawOn(canvas, MARGIN, y - height)
        y -= height + 4 * mm
    remaining = [table]
    while remaining:
        piece = remaining.pop(0)
        available = y - MARGIN
        split = piece.split(CONTENT_WIDTH, available)
        if not split:  # pragma: no cover - a row never exceeds a page
            break
        first = split[0]
        _w, height = first.wrapOn(canvas, CONTENT_WIDTH, available)
        first.drawOn(canvas, MARGIN, y - height)
        remaining = list(split[1:])
        canvas.showPage()
        y = top


def _canvas(buffer: io.BytesIO, s: dict[str, Any]):
    canvas = pdfcanvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1, lang="de-DE", initialFontName="Fira")
    canvas.setTitle(f"{s['certificate_title']} – {s['holder_name']}")
    canvas.setAuthor(s["issuer_name"] or s["provider"])
    canvas.setSubject(f"Zertifikat: {s['series_title']}")
    canvas.setCreator("wirlearn")
    canvas.setKeywords(["Zertifikat", s["certificate_title"], "Open Badges 3.0"])
    _set_creation_date(canvas, s["issued_at"])
    return canvas


def _set_creation_date(canvas, issued_at: str) -> None:
    """The PDF's creation (and modification) date is the issue date, the same on every copy."""
    stamp = TimeStamp(invariant=True)
    moment = time.gmtime(parse_time(issued_at).timestamp())
    stamp.t, stamp.lt, stamp.YMDhms = calendar.timegm(moment), moment, tuple(moment)[:6]
    canvas._doc._timeStamp = stamp  # reportlab reads the dates from here when it writes the file


def no_widow(text: str) -> str:
    """The last two words joined by a no-break space, so neither a lone word nor a lone closing
    quote mark ends up on a line of its own."""
    head, _space, last = text.rstrip().rpartition(" ")
    return f"{head}\u00a0{last}" if head and len(last) < 30 else text


def _draw_certificate(canvas, s: dict[str, Any], code: str, note: StatusNote | None, images: dict[int, bytes]) -> None:
    design = s.get("design") or {}
    writer = _Writer(canvas, PAGE_HEIGHT - 46 * mm)
    if note is not None:
        writer.text(note.text, ("note", "Fira-Bold", 13, None, TA_CENTER, DANGER))
        writer.y -= 3 * mm
    if design.get("programme_line"):
        writer.text(design["programme_line"].upper(), ("programme", "Fira-SemiBold", 10.5, None, TA_CENTER, MUTED))
        writer.y -= 2 * mm
    writer.text("Zertifikat", ("headline", "Fira-Bold", 30, 34, TA_CENTER, BLUE))
    writer.text("Hiermit wird bestätigt, dass", ("lead", "Fira", 12), gap_before=6 * mm)
    name_size = _fitting_size(s["holder_name"], "Fira-Bold", 26, 18, CONTENT_WIDTH)
    # The name differs on every certificate: laid out here, not cached.
    writer.block(_paragraph(s["holder_name"], _style("name", "Fira-Bold", name_size)), gap_before=3 * mm)
    writer.text("die Qualifizierungsreihe", ("lead2", "Fira", 12), gap_before=4 * mm)
    writer.text(no_widow(f"„{s['series_title']}“"), ("series", "Fira-SemiBold", 13), gap_before=1.5 * mm)
    period = _period(s)
    provider_line = f"Anbieter: {s['provider']}" + (f" · {period}" if period else "")
    writer.text(provider_line, ("provider", "Fira", 11, None, TA_CENTER, MUTED), gap_before=1.5 * mm)
    writer.text("erfolgreich abgeschlossen und erhält das Zertifikat", ("lead3", "Fira", 12), gap_before=4 * mm)
    title_size = _fitting_size(s["certificate_title"], "Fira-Bold", 20, 15, CONTENT_WIDTH)
    writer.text(no_widow(s["certificate_title"]), ("title", "Fira-Bold", title_size, None, TA_CENTER, INK), gap_before=2.5 * mm)
    if s.get("valid_until"):
        writer.text(
            f"Gültig bis {local_date(s['valid_until'])}", ("validity", "Fira-Bold", 13, None, TA_CENTER, BLUE), gap_before=3 * mm
        )

    # The largest table size with which place, date and signatures stay above the QR code. Only
    # the table is measured again per size: everything is laid out once and drawn once.
    criteria = None
    inner_width = CONTENT_WIDTH - 20 * mm
    if s.get("criteria"):
        criteria, criteria_height = _text(canvas, s["criteria"], ("criteria", "Fira", 8.5, None, TA_LEFT, MUTED), inner_width)
    signatures_height = _signatures_height(canvas, s)
    table = None
    table_key = (tuple((module["title"], module["teaching_units"]) for module in s["modules"]), s["teaching_units_total"])
    for size in TABLE_FONT_SIZES:
        candidate, table_height = _laid_out(
            ("table", table_key, size), lambda size=size: _modules_table(s, size), canvas, inner_width
        )
        flow_end = writer.y - 6 * mm - table_height
        if criteria is not None:
            flow_end -= 2.5 * mm + criteria_height
        if min(flow_end - 10 * mm, 100 * mm) - signatures_height >= FLOW_BOTTOM:
            table = candidate
            break
    table_on_second_page = table is None
    if table_on_second_page:
        # Very many modules: the table moves to a second page ("Anlage").
        text = f"Die {len(s['modules'])} Module mit zusammen {s['teaching_units_total']} Unterrichtseinheiten stehen in der Anlage (Seite 2)."
        writer.block(_paragraph(text, _style("annex", "Fira", 11)), gap_before=6 * mm)
    else:
        writer.place(table, table_height, gap_before=6 * mm, width=inner_width)
    if criteria is not None:
        writer.place(criteria, criteria_height, gap_before=2.5 * mm, width=inner_width)

    _frame(canvas, s, images)
    writer.draw()
    awarded = s.get("awarded_at") or s["issued_at"]
    place_date = ", ".join(part for part in (s.get("place"), local_date(awarded)) if part)
    # Place, date and signature lines follow the text, but no higher than their usual spot.
    place_y = min(writer.y - 10 * mm, 100 * mm)
    _signatures(canvas, s, place_date, place_y, images)
    _verification(canvas, s, code)
    canvas.showPage()
    if table_on_second_page:
        _annex(canvas, s, images)


def _annex(canvas, s: dict[str, Any], images: dict[int, bytes]) -> None:
    """Page 2: the module table, split over further pages if it has to be."""
    _frame(canvas, s, images)
    title = f"Anlage zum Zertifikat von {s['holder_name']}: Module"
    writer = _Writer(canvas, PAGE_HEIGHT - 46 * mm)
    writer.block(_paragraph(title, _style("annex-title", "Fira-SemiBold", 13, align=TA_LEFT)), width=CONTENT_WIDTH)
    table = _modules_table(s, TABLE_FONT_SIZES[0])
    available = writer.y - 4 * mm - MARGIN
    parts = table.split(CONTENT_WIDTH, available)
    for index, part in enumerate(parts or [table]):
        if index:
            writer.draw()
            canvas.showPage()
            _frame(canvas, s, images)
            writer = _Writer(canvas, PAGE_HEIGHT - 46 * mm)
        writer.block(part, gap_before=4 * mm, width=CONTENT_WIDTH)
    writer.draw()
    canvas.showPage()


def _period(s: dict[str, Any]) -> str:
    if s.get("start_date") and s.get("end_date"):
        return f"{local_date(s['start_date'])} bis {local_date(s['end_date'])}"
    return ""


LOGO_HEIGHT = 16 * mm
LOGO_MAX_WIDTH = 48 * mm
LOGO_GAP = 6 * mm


def _image(data: bytes | None) -> ImageReader | None:
    return ImageReader(io.BytesIO(data)) if data else None


def _fit(reader: ImageReader, max_width: float, max_height: float) -> tuple[float, float]:
    width, height = reader.getSize()
    scale = min(max_width / width, max_height / height)
    return width * scale, height * scale


def _frame(canvas, s: dict[str, Any], images: dict[int, bytes]) -> None:
    """Header band, the series' logos (left to right) or else the issuing bodies, a thin rule."""
    canvas.setFillColor(INK)
    canvas.rect(0, PAGE_HEIGHT - 8 * mm, PAGE_WIDTH, 8 * mm, stroke=0, fill=1)
    canvas.setFillColor(BLUE)
    canvas.rect(0, PAGE_HEIGHT - 9.2 * mm, PAGE_WIDTH, 1.2 * mm, stroke=0, fill=1)
    logos = [
        reader for reader in (_image(images.get(logo_id)) for logo_id in (s.get("design") or {}).get("logo_ids", [])) if reader
    ]
    half = CONTENT_WIDTH / 2 - 5 * mm
    if logos:
        sizes = [_fit(reader, LOGO_MAX_WIDTH, LOGO_HEIGHT) for reader in logos]
        total = sum(width for width, _height in sizes) + LOGO_GAP * (len(sizes) - 1)
        x = MARGIN + (CONTENT_WIDTH - total) / 2  # centred as a row
        for reader, (width, height) in zip(logos, sizes, strict=True):
            canvas.drawImage(
                reader, x, PAGE_HEIGHT - 12 * mm - LOGO_HEIGHT + (LOGO_HEIGHT - height) / 2, width, height, mask="auto"
            )
            x += width + LOGO_GAP
        # The issuing bodies in words under the logos (a logo alone may not name them).
        bodies = " · ".join(part for part in (s["provider"], s.get("issuer_name")) if part)
        size = _fitting_size(bodies, "Fira", 8.5, 6.5, CONTENT_WIDTH)
        canvas.setFont("Fira", size)
        canvas.setFillColor(MUTED)
        canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 33 * mm, bodies)
    else:
        top = PAGE_HEIGHT - 22 * mm
        left = ("hdr-left", "Fira-SemiBold", 10.5, None, TA_LEFT)
        right = ("hdr-right", "Fira-SemiBold", 10.5, None, TA_RIGHT)
        for text, style, x in ((s["provider"], left, MARGIN), (s.get("issuer_name") or "", right, PAGE_WIDTH - MARGIN - half)):
            if text:
                paragraph, height = _text(canvas, text, style, half, 40 * mm)
                paragraph.drawOn(canvas, x, top - height + 10.5)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, PAGE_HEIGHT - 36 * mm, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 36 * mm)


def _modules_table(s: dict[str, Any], size: float) -> Table:
    cell = _style("cell", "Fira", size, align=TA_LEFT)
    head = _style("head", "Fira-SemiBold", size, align=TA_LEFT)
    number = _style("num", "Fira", size, align=TA_RIGHT)
    number_head = _style("numhead", "Fira-SemiBold", size, align=TA_RIGHT)
    rows = [[_paragraph("Modul", head), _paragraph("Unterrichtseinheiten", number_head)]]
    for module in s["modules"]:
        rows.append([_paragraph(module["title"], cell), _paragraph(str(module["teaching_units"]), number)])
    rows.append([_paragraph("Insgesamt", head), _paragraph(str(s["teaching_units_total"]), number_head)])
    table = Table(rows, colWidths=[None, 36 * mm], repeatRows=1)
    padding = size * 0.3
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -2), 0.4, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                # A cell's own font (never used: cells hold paragraphs) would else pull in an
                # unembedded Helvetica.
                ("FONTNAME", (0, 0), (-1, -1), "Fira"),
                ("TOPPADDING", (0, 0), (-1, -1), padding),
                ("BOTTOMPADDING", (0, 0), (-1, -1), padding + 1),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


SIGNATURE_SPACE = 20 * mm  # between the place-and-date line and the signature lines
ELECTRONIC_SENTENCE = "Dieses Zertifikat wurde elektronisch erstellt und ist ohne Unterschrift gültig."


def _signatories(s: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    """(name, function, signature image id) per signature line: the design's signatories, or
    for certificates without them one line per issuing body ("Für …")."""
    design = s.get("design") or {}
    people = design.get("signatories") or []
    if people:
        return [(person["name"], person["function"], person.get("signature_id")) for person in people]
    bodies = [s["provider"]] + ([s["issuer_name"]] if s.get("issuer_name") else [])
    return [("", f"Für {body}", None) for body in bodies]


def _electronic(s: dict[str, Any]) -> bool:
    return (s.get("design") or {}).get("signature_mode") == "electronic"


def _signature_labels(canvas, s: dict[str, Any]) -> tuple[float, list[tuple[Paragraph, float]]]:
    """Width of one signature line and the label under each (name bold, then function), laid out."""
    people = _signatories(s)
    width = (CONTENT_WIDTH - 12 * mm * (len(people) - 1)) / len(people)
    labels = []
    for name, function, _image_id in people:
        text = (f"<b>{html.escape(name)}</b><br/>" if name else "") + html.escape(function)
        labels.append(
            _laid_out(
                ("sig", text, width),
                lambda text=text: Paragraph(text, _style("sig", "Fira", 8.5, None, TA_LEFT, MUTED)),
                canvas,
                width,
                30 * mm,
            )
        )
    return width, labels


def _signatures_height(canvas, s: dict[str, Any]) -> float:
    """How far below the place-and-date line the signature block reaches."""
    if _electronic(s):
        return 10 * mm
    _width, labels = _signature_labels(canvas, s)
    tallest = max(height for _paragraph, height in labels)
    return SIGNATURE_SPACE + 2 * mm + tallest


def _signatures(canvas, s: dict[str, Any], place_date: str, place_y: float, images: dict[int, bytes]) -> float:
    """Place and date, then one signature line per signatory (with the signature image above it
    where there is one), or the sentence for certificates without signature; returns the lowest y."""
    canvas.setFillColor(INK)
    canvas.setFont("Fira", 10.5)
    canvas.drawString(MARGIN, place_y, place_date)
    if _electronic(s):
        canvas.setFont("Fira", 9.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, place_y - 7 * mm, ELECTRONIC_SENTENCE)
        return place_y - 10 * mm
    base = place_y - SIGNATURE_SPACE
    width, labels = _signature_labels(canvas, s)
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.6)
    lowest = base
    for index, ((paragraph, height), (_name, _function, image_id)) in enumerate(zip(labels, _signatories(s), strict=True)):
        x = MARGIN + index * (width + 12 * mm)
        reader = _image(images.get(image_id)) if image_id else None
        if reader is not None:
            image_width, image_height = _fit(reader, width, SIGNATURE_SPACE - 7 * mm)
            canvas.drawImage(reader, x, base + 0.8 * mm, image_width, image_height, mask="auto")
        canvas.line(x, base, x + width, base)
        paragraph.drawOn(canvas, x, base - 2 * mm - height)
        lowest = min(lowest, base - 2 * mm - height)
    return lowest


def _verification(canvas, s: dict[str, Any], code: str) -> None:
    """QR code bottom left, with the code and the URL beside it."""
    url = s["verify_url"]
    x, y = MARGIN - 1.5 * mm, 16 * mm
    qr.draw(canvas, url, x, y, QR_SIZE)
    text_x = x + QR_SIZE + 3 * mm
    width = PAGE_WIDTH - MARGIN - text_x
    canvas.setFillColor(INK)
    canvas.setFont("Fira-SemiBold", 10)
    canvas.drawString(text_x, y + QR_SIZE - 8 * mm, "Echtheit und Gültigkeit prüfen:")
    url_size = _fitting_size(url, "Fira", 9.5, 6.5, width)
    canvas.setFont("Fira", url_size)
    canvas.setFillColor(BLUE)
    canvas.drawString(text_x, y + QR_SIZE - 13 * mm, url)
    canvas.setFillColor(INK)
    canvas.setFont("Fira", 9.5)
    canvas.drawString(text_x, y + QR_SIZE - 18 * mm, f"Prüfcode: {codes.grouped(code)}")
    lines = ["Zusätzlich als digitaler Nachweis (Open Badges 3.0) elektronisch signiert."]
    if s.get("awarded_at") and s["awarded_at"] != s["issued_at"]:
        lines.insert(0, f"Verliehen am {local_date(s['awarded_at'])}, neu ausgestellt am {local_date(s['issued_at'])}.")
    canvas.setFont("Fira", 8)
    canvas.setFillColor(MUTED)
    for index, line in enumerate(lines):
        canvas.drawString(text_x, y + QR_SIZE - 23 * mm - index * 3.6 * mm, line)
