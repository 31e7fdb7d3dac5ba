"""Every template with a form that takes input shows an error summary at the top of the form
(macros/forms.html ``form_errors``, or an element marked ``data-error-summary``), which
static/js/feedback.js moves the focus to."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FIELD_MACROS = re.compile(r"\{\{\s*(input|textarea|select|checkbox|checkbox_group)\(")


def test_every_form_with_fields_has_an_error_summary():
    missing = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if path.parent.name in ("macros", "mail") and path.name != "preferences.html":
            continue  # the macros themselves; e-mail bodies
        if 'method="post"' in text and FIELD_MACROS.search(text):
            forms = text.count('method="post"')
            summaries = text.count("form_errors(") + text.count("data-error-summary")
            if summaries == 0:
                missing.append(str(path.relative_to(TEMPLATES)))
            elif forms > 1 and summaries < len(re.findall(r'<form method="post"[^>]*novalidate', text)):
                missing.append(f"{path.relative_to(TEMPLATES)} ({forms} forms, {summaries} summaries)")
    assert not missing, missing


def test_the_summary_macro_takes_the_focus():
    macro = (TEMPLATES / "macros" / "forms.html").read_text(encoding="utf-8")
    assert 'tabindex="-1" data-error-summary' in macro
    script = (TEMPLATES.parent / "wirlearn" / "static" / "js" / "feedback.js").read_text(encoding="utf-8")
    assert "[data-error-summary]" in script and ".focus(" in script
