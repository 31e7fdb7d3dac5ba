"""The overview's filter (a GET form: no CSRF token, nothing is written)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from wirlearn.core.forms import choices
from wirlearn.progress import labels


class OverviewFilterForm(FlaskForm):
    class Meta:
        csrf = False

    region = SelectField(_l("Gebietskörperschaft"), default="")
    bezirk = SelectField(_l("Regierungsbezirk"), default="")
    status = SelectField(
        _l("Status"),
        default="",
        choices=choices([("", _l("alle"))] + [(key, label.text) for key, label in labels.PARTICIPANT_STATUSES.items()]),
    )
    sort = SelectField(_l("Sortieren nach"), choices=choices(list(labels.SORT_LABELS.items())), default="name")
    richtung = SelectField(
        _l("Reihenfolge"), choices=choices([("auf", _l("aufsteigend")), ("ab", _l("absteigend"))]), default="auf"
    )

    def set_choices(self, regions: list[tuple[int, str]], bezirke: list[str]) -> None:
        self.region.choices = choices([("", _l("alle"))] + [(str(region_id), name) for region_id, name in regions])
        self.bezirk.choices = choices([("", _l("alle"))] + [(name, name) for name in bezirke])
