"""English and Spanish: every message in the code has a Spanish translation."""
from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import ROOT

SOURCES = ("core", "auth", "accounts", "documents", "eligibility", "rebates", "review", "reports", "templates")
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}


def _messages_in_source() -> set[str]:
    found: set[str] = set()
    for name in SOURCES:
        directory = ROOT / name
        if not directory.exists():
            continue
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(directory), METHOD_MAP, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_spanish_translation():
    with (ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(_messages_in_source() - translated)
    assert missing == [], f"{len(missing)} messages lack a Spanish translation (run `make messages`): {missing[:10]}"


def test_placeholders_survive_translation():
    import re

    with (ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    pattern = re.compile(r"%\((\w+)\)s")
    wrong = [m.id for m in catalog if m.id and isinstance(m.string, str) and m.string
             and sorted(pattern.findall(m.id)) != sorted(pattern.findall(m.string))]
    assert wrong == []
