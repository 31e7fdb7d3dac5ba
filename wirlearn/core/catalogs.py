"""The English catalogs the app loads (.mo), compiled from the features' .po files.

The .mo files are build products (not in the repository). ``make`` compiles them, and so does
every app start where one is missing or older than its .po, so an install that follows
docs/betrieb.md (pip install, then gunicorn) speaks English to English browsers too.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)
PACKAGE = Path(__file__).resolve().parent.parent


def catalogs(package: Path = PACKAGE) -> list[Path]:
    """Every feature's .po file."""
    return sorted(package.glob("*/translations/*/LC_MESSAGES/messages.po"))


def compile_catalog(po_file: Path) -> None:
    """Write the .mo next to ``po_file``; replaced atomically, so app processes starting together
    never read a half-written one."""
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=po_file.parent.parent.name)
    handle_no, temporary = tempfile.mkstemp(prefix=".messages-", suffix=".mo", dir=po_file.parent)
    try:
        with os.fdopen(handle_no, "wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        os.replace(temporary, po_file.with_suffix(".mo"))
    finally:
        Path(temporary).unlink(missing_ok=True)


def compile_all(package: Path = PACKAGE) -> None:
    for po_file in catalogs(package):
        compile_catalog(po_file)


def ensure_compiled(package: Path = PACKAGE) -> list[Path]:
    """Compile the catalogs whose .mo is missing or older than the .po; the ones compiled."""
    done = []
    for po_file in catalogs(package):
        mo_file = po_file.with_suffix(".mo")
        if mo_file.exists() and mo_file.stat().st_mtime >= po_file.stat().st_mtime:
            continue
        try:
            compile_catalog(po_file)
        except OSError as error:  # a read-only install: German still works, say what to run
            log.warning("Cannot compile %s (%s); run: python tools/i18n.py compile", po_file, error)
            continue
        done.append(po_file)
    return done
