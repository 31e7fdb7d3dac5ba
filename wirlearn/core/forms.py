"""Form pieces several features use."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectMultipleField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 expects."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


# The largest id or version the database columns hold (INTEGER on PostgreSQL).
DB_INT_MAX = 2**31 - 1
# Pages of a list: far beyond any real list, and the offset stays a small number for the database.
MAX_PAGE = 1_000_000


def int_param(value, *, minimum: int = 0, maximum: int = DB_INT_MAX) -> int | None:
    """A whole number written in ASCII digits within [minimum, maximum], else None.

    ``int()`` alone accepts Arabic-Indic or full-width digits and numbers no column can hold;
    ``str.isdigit`` also says yes to superscripts that ``int()`` then refuses."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > len(str(maximum)) or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def page_param(name: str = "page") -> int:
    """The page number asked for in the query string; 1 for anything unusable."""
    from flask import request

    return int_param(request.args.get(name, ""), minimum=1, maximum=MAX_PAGE) or 1


def optional_int(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered by macros/forms.html: checkbox_group)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        choices = {str(choice.value) for choice in self.iter_choices()} if self.choices else set()
        for value in self.data or []:
            if str(value) not in choices:
                raise StopValidation(str(_l("Ungültige Auswahl.")))


ROLE_LABELS = {
    "admin": _l("Admin (Programmleitung)"),
    "trainer": _l("Trainer/in"),
    "coordinator": _l("Koordinator/in (Teilnehmende)"),
}
