"""Form pieces several features use."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectMultipleField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 expects."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


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
