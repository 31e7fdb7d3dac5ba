"""Geometry of the two overview charts, rendered as inline SVG by templates/progress/_charts.html.

No chart library and nothing from a CDN: the server computes where each bar goes, the template
draws it. Every bar also carries its value as text, and each chart has a table next to it as
its text alternative."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _

from wirlearn.progress.overview import ModuleSummary, SessionSummary

WIDTH = 640


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under or beside the bar
    sublabel: str
    value: str  # the value as text, next to the bar
    value_x: float
    value_y: float
    kind: str  # css modifier: "done", "planned"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    # A reference line (the minimum attendance) as y and its label; None if there is none.
    line_y: float | None = None
    line_label: str = ""
    axis_y: float = 0
    plot_left: float = 0
    plot_right: float = 0


def module_chart(modules: list[ModuleSummary]) -> Chart:
    """Horizontal bars: share of participants (not withdrawn) who passed each module."""
    row, top, label_width, value_width = 40, 8, 96, 150
    plot = WIDTH - label_width - value_width
    bars = []
    for index, module in enumerate(modules):
        share = module.passed / module.participants if module.participants else 0
        y = top + index * row
        bars.append(
            Bar(
                x=label_width,
                y=y + 8,
                width=round(plot * share, 1),
                height=row - 16,
                label=_("Modul %(n)d", n=module.number),
                sublabel="",
                value=f"{module.passed}/{module.participants}",
                value_x=label_width + plot * share + 8,
                value_y=y + row / 2 + 5,
                kind="done",
            )
        )
    height = top * 2 + row * max(len(modules), 1)
    return Chart(width=WIDTH, height=height, bars=bars, plot_left=label_width, plot_right=label_width + plot, axis_y=height - top)


def session_chart(sessions: list[SessionSummary], minimum_percent: int) -> Chart:
    """Vertical bars: share of participants (not withdrawn) who attended each session; planned
    sessions as outlines; a line at the series' minimum attendance."""
    slot, left, top, plot_height, bottom = 44, 36, 24, 160, 48
    width = max(WIDTH, left + slot * len(sessions) + 8)
    axis_y = top + plot_height
    bars = []
    for index, session in enumerate(sessions):
        x = left + index * slot + 8
        day = format_date(session.date, "dd.MM.")
        if session.held:
            share = session.attended / session.expected if session.expected else 0
            height = round(plot_height * share, 1)
            value = f"{session.attended_percent} %" if session.attended_percent is not None else "–"
            kind = "done"
        else:
            height = plot_height
            value = ""
            kind = "planned"
        bars.append(
            Bar(
                x=x,
                y=axis_y - height,
                width=slot - 16,
                height=height,
                label=day,
                sublabel=_("M%(n)d", n=session.module_number),
                value=value,
                value_x=x + (slot - 16) / 2,
                value_y=axis_y - height - 6,
                kind=kind,
            )
        )
    line_y = axis_y - plot_height * minimum_percent / 100
    return Chart(
        width=width,
        height=axis_y + bottom,
        bars=bars,
        line_y=line_y,
        line_label=f"{minimum_percent} %",
        axis_y=axis_y,
        plot_left=left,
        plot_right=width - 4,
    )
