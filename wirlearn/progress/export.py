"""The programme overview as a table for CSV/XLSX downloads (wirlearn.core.exports)."""

from __future__ import annotations

from flask_babel import gettext as _

from wirlearn.core.exports import Table
from wirlearn.progress import kept, labels
from wirlearn.progress.overview import Overview


def overview_table(data: Overview) -> Table:
    """One row per participant the filters select, in the page's order; a points column for
    each module assessed by points."""
    headers = [
        _("Name"),
        _("Gebietskörperschaft"),
        _("Regierungsbezirk"),
        _("Status"),
        _("Anwesenheit (%)"),
        _("Termine anwesend"),
        _("Termine stattgefunden"),
    ]
    for module in data.modules:
        headers.append(_("Modul %(n)d: %(title)s", n=module.number, title=module.title))
        if module.assessment_kind == "points":
            headers.append(_("Modul %(n)d: Punkte", n=module.number))
    headers += [_("Zertifikat möglich"), _("Zertifikat"), _("Was noch fehlt")]

    rows = []
    kept.load_details(row.progress for row in data.rows)
    for row in data.rows:
        progress = row.progress
        values = [
            progress.name,
            progress.region or "",
            progress.regierungsbezirk or "",
            str(labels.PARTICIPANT_STATUSES[row.status].text),
            progress.attendance_percent,
            progress.sessions_attended,
            progress.sessions_held,
        ]
        by_module = {item.module_id: item for item in progress.modules}
        for module in data.modules:
            item = by_module.get(module.module_id)
            values.append(str(labels.MODULE_STATES[item.state].text) if item else "")
            if module.assessment_kind == "points":
                values.append(item.points if item else None)
        values += [
            progress.eligible,
            str(labels.CERTIFICATE_STATES[row.certificate.status].text),
            "; ".join(progress.missing),
        ]
        rows.append(values)
    return Table(title=_("Fortschritt"), headers=headers, rows=rows)
