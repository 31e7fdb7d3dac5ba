"""Regenerate wirlearn/auth/common_passwords.txt, the bundled list of passwords too common to allow.

    python tools/common_passwords.py            # fetches the two npm packages with `npm pack`
    python tools/common_passwords.py DIR        # or reads them unpacked/packed from DIR

Sources (both MIT, from the npm registry):
- @zxcvbn-ts/language-common: ``passwords.json``, about 49,000 passwords ranked by how often they
  appear in public leaks (the list zxcvbn ships);
- @zxcvbn-ts/language-de: ``firstnames.json``, common German first names.

Only passwords of 12 or more characters matter, because shorter ones fail the length rule anyway.
Few leaked passwords are that long, so the list also holds what people type when a site asks for
12 characters: a common password or a German word with digits, a year or "!" appended, or typed
twice. That is how cracking rules (hashcat's best64, for example) extend a wordlist, so these are
the first guesses an attacker makes. The output is sorted and deterministic.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "wirlearn" / "auth" / "common_passwords.txt"
PACKAGES = {"common": ("@zxcvbn-ts/language-common", "4.1.3"), "de": ("@zxcvbn-ts/language-de", "3.0.2")}
MIN_LENGTH = 12
MAX_LENGTH = 64
TOP_COMMON = 1500  # most frequent leaked passwords that get suffixes
TOP_FIRSTNAMES = 400

# What people append to reach a length rule (digits, years, punctuation).
SUFFIXES = (
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "!",
    "!!",
    "123!",
    "1234!",
    "01",
    "007",
    "2020",
    "2021",
    "2022",
    "2023",
    "2024",
    "2025",
    "2026",
    "2027",
)

# German passwords and password words seen in published German leak statistics (e.g. the
# Hasso-Plattner-Institut's yearly lists), written out once here; umlauts both ways.
GERMAN_WORDS = (
    "hallo",
    "hallihallo",
    "passwort",
    "kennwort",
    "geheim",
    "schatz",
    "schatzi",
    "mausi",
    "hase",
    "hasi",
    "engel",
    "liebe",
    "ichliebedich",
    "qwertz",
    "qwertzu",
    "asdfgh",
    "yxcvbnm",
    "fussball",
    "fußball",
    "schalke",
    "schalke04",
    "borussia",
    "dortmund",
    "bvb09",
    "bayern",
    "fcbayern",
    "eintracht",
    "sommer",
    "winter",
    "frühling",
    "fruehling",
    "herbst",
    "sonne",
    "sonnenschein",
    "blume",
    "blumen",
    "katze",
    "hund",
    "hundi",
    "pferd",
    "schmetterling",
    "deutschland",
    "berlin",
    "hamburg",
    "münchen",
    "muenchen",
    "köln",
    "koeln",
    "frankfurt",
    "hessen",
    "wiesbaden",
    "kassel",
    "darmstadt",
    "offenbach",
    "willkommen",
    "anmelden",
    "zugang",
    "start",
    "startstart",
    "arbeit",
    "schule",
    "familie",
    "freiheit",
    "zuhause",
    "weihnachten",
    "ostern",
    "geburtstag",
    "prinzessin",
    "drache",
    "tiger",
    "lowe",
    "löwe",
    "loewe",
    "mama",
    "papa",
    "oma",
    "opa",
    "kinder",
    "lieblings",
    "gott",
    "jesus",
    "meinpasswort",
    "neuespasswort",
    "passwort!",
    "wirlearn",
    "zertifikat",
    "koordination",
    "integration",
    "willkommenskultur",
    "anerkennung",
)

# Whole phrases that are already long enough.
GERMAN_PHRASES = (
    "ichliebedich",
    "ichhabedichlieb",
    "dasisteinpasswort",
    "meinpasswort123",
    "passwortpasswort",
    "hallohallohallo",
    "qwertzuiopü",
    "qwertzuiopue",
    "asdfghjklöä",
    "yxcvbnmyxcvbnm",
    "1q2w3e4r5t6z",
    "q1w2e3r4t5z6",
    "einszweidreivier",
    "einszweidrei",
    "allesgutezumgeburtstag",
    "fröhlicheweihnachten",
    "froheweihnachten",
    "passwortvergessen",
    "keinpasswort",
    "sicherespasswort",
    "wirlearn-demo",
    "wirlearndemo",
    "changemeplease",
    "trustno1trustno1",
    "administrator",
    "administrator1",
    "administrator123",
)


def fetch(folder: Path) -> None:
    """Download the pinned package tarballs with npm (the ordinary client)."""
    specs = [f"{name}@{version}" for name, version in PACKAGES.values()]
    subprocess.run(["npm", "pack", "--silent", *specs], cwd=folder, check=True, capture_output=True)


def read_json(folder: Path, package: str, member: str) -> list[str]:
    """A JSON list from a package, unpacked below ``folder`` or still in its .tgz."""
    name, version = PACKAGES[package]
    short = name.lstrip("@").replace("/", "-")
    for candidate in folder.rglob(member):
        if short in str(candidate):
            return json.loads(candidate.read_text(encoding="utf-8"))
    tarball = folder / f"{short}-{version}.tgz"
    with tarfile.open(tarball) as archive:
        handle = archive.extractfile(f"package/src/{member}")
        if handle is None:
            raise SystemExit(f"{member} not found in {tarball}")
        return json.loads(handle.read().decode("utf-8"))


def variants(word: str) -> set[str]:
    word = word.strip().lower()
    if not word:
        return set()
    found = {word, word + word}
    found.update(word + suffix for suffix in SUFFIXES)
    found.update(suffix + word for suffix in ("123", "1234", "2024", "2025"))
    return found


def build(folder: Path) -> list[str]:
    leaked = [str(entry).lower() for entry in read_json(folder, "common", "passwords.json")]
    firstnames = [str(entry).lower() for entry in read_json(folder, "de", "firstnames.json")]
    candidates: set[str] = set(leaked)
    for word in leaked[:TOP_COMMON]:
        candidates |= variants(word)
    for word in GERMAN_WORDS + tuple(firstnames[:TOP_FIRSTNAMES]):
        candidates |= variants(word)
    candidates.update(phrase.lower() for phrase in GERMAN_PHRASES)
    return sorted(entry for entry in candidates if MIN_LENGTH <= len(entry) <= MAX_LENGTH and "\n" not in entry)


HEADER = """\
# Passwords too common to allow (compared in lower case). Only entries of 12 or more characters
# are kept: shorter ones fail the length rule anyway. Generated by tools/common_passwords.py — do
# not edit by hand; change the script and run it again.
#
# Sources (npm registry), both under the MIT licence:
#   @zxcvbn-ts/language-common {common}  passwords.json (passwords ranked by frequency in leaks)
#   @zxcvbn-ts/language-de {de}      firstnames.json (German first names)
# plus German password words written out in the script; leaked passwords and these words also
# appear with the digits, years and "!" people append to reach a length rule.
#
# Licence of the source lists:
#   Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc.
#   Copyright (c) 2021 @zxcvbn-ts
#   Permission is hereby granted, free of charge, to any person obtaining a copy of this software
#   and associated documentation files (the "Software"), to deal in the Software without
#   restriction, including without limitation the rights to use, copy, modify, merge, publish,
#   distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
#   Software is furnished to do so, subject to the following conditions: The above copyright
#   notice and this permission notice shall be included in all copies or substantial portions of
#   the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
#   IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
#   PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
#   LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
#   OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS
#   IN THE SOFTWARE.
"""


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        entries = build(Path(argv[1]))
    else:
        with tempfile.TemporaryDirectory() as temporary:
            fetch(Path(temporary))
            entries = build(Path(temporary))
    header = HEADER.format(common=PACKAGES["common"][1], de=PACKAGES["de"][1])
    TARGET.write_text(header + "\n".join(entries) + "\n", encoding="utf-8")
    print(f"{len(entries)} passwords written to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
