"""Keep the translation catalogs: one English catalog per feature (German is the source language).

    python tools/i18n.py update [FEATURE ...]   add new messages to the features' en catalogs
    python tools/i18n.py missing   list messages without an English translation
    python tools/i18n.py compile   write the .mo files the app loads (make and every app start do this)
    python tools/i18n.py check     exit 1 if any English translation is missing (the tests do this)

A feature's messages are those in wirlearn/<feature>/ and templates/<feature>/; the core
catalog also holds wirlearn/*.py and the shared templates (base.html, errors/, macros/).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wirlearn"
TEMPLATES = ROOT / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "trimmed": "false"}
SHARED_TEMPLATE_DIRS = ("errors", "macros", "core")


def features() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from wirlearn.features import FEATURES

    return [name.split(".")[-1] for name in FEATURES]


def source_files(feature: str) -> Iterator[tuple[Path, str]]:
    folder = PACKAGE / feature
    yield from ((path, "python") for path in sorted(folder.rglob("*.py")))
    if feature == "core":
        yield from ((path, "python") for path in sorted(PACKAGE.glob("*.py")))
        yield from ((path, "jinja2") for path in sorted(TEMPLATES.glob("*.html")))
        for shared in SHARED_TEMPLATE_DIRS:
            yield from ((path, "jinja2") for path in sorted((TEMPLATES / shared).rglob("*.html")))
    elif (TEMPLATES / feature).is_dir():
        # .txt: the plain-text parts of e-mails (templates/mail/)
        for pattern in ("*.html", "*.txt"):
            yield from ((path, "jinja2") for path in sorted((TEMPLATES / feature).rglob(pattern)))


def extract(feature: str) -> Catalog:
    catalog = Catalog(locale="de", project="wirlearn")
    for path, method in source_files(feature):
        options = JINJA_OPTIONS if method == "jinja2" else {}
        method_ref = "jinja2.ext:babel_extract" if method == "jinja2" else "python"
        for lineno, message, comments, context in extract_from_file(method_ref, str(path), keywords=KEYWORDS, options=options):
            catalog.add(message, None, [(str(path.relative_to(ROOT)), lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(feature: str) -> Path:
    return PACKAGE / feature / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def load_po(feature: str) -> Catalog:
    path = po_path(feature)
    if not path.exists():
        return Catalog(locale="en", project="wirlearn")
    with path.open("rb") as handle:
        return read_po(handle, locale="en")


def missing(feature: str) -> list[str]:
    """msgids used in the feature's code and templates that lack an English translation."""
    translated = load_po(feature)
    result = []
    for message in extract(feature):
        if not message.id:
            continue
        existing = translated.get(message.id)
        strings = existing.string if existing is not None else None
        ok = all(strings) if isinstance(strings, (tuple, list)) else bool(strings)
        if existing is None or not ok or existing.fuzzy:
            result.append(message.id if isinstance(message.id, str) else message.id[0])
    return result


def _without_dates(content: bytes) -> bytes:
    return b"\n".join(line for line in content.splitlines() if b"-Date:" not in line)


def update(feature: str) -> None:
    """Add new messages to the feature's catalog; leaves the file alone when nothing changed."""
    template = extract(feature)
    if not len(template):
        return
    catalog = load_po(feature)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False, sort_output=True, no_location=True)
    path = po_path(feature)
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(buffer.getvalue()):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def compile_all() -> None:
    # The app compiles missing catalogs at start too; both use the same code.
    sys.path.insert(0, str(ROOT))
    from wirlearn.core.catalogs import compile_all as compile_catalogs

    compile_catalogs()


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "compile":
        compile_all()
        return 0
    if command == "update":
        chosen = argv[2:] or features()
        for feature in chosen:
            update(feature)
        command = "missing"
    if command in ("missing", "check"):
        total = 0
        for feature in features():
            gaps = missing(feature)
            total += len(gaps)
            for message_id in gaps:
                print(f"{feature}: {message_id!r}")
        if command == "check" and total:
            print(f"{total} messages without English translation", file=sys.stderr)
            return 1
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
