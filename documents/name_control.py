"""The IRS name control, and whether a household member's name can be the one a transcript shows.

The IRS keys a return on the first four characters of the primary taxpayer's last name (the
"name control"; Publication 4164 and IRM 3.21.263 give the rules): letters only, with a hyphen
kept where it falls within the four; accents and ñ written as plain letters (Núñez -> NUNE);
spaces and apostrophes dropped (De La Rosa -> DELA, O'Neil -> ONEI); of a hyphenated or a
two-part (Hispanic) surname, the first part is the one that counts (Núñez-García -> NUNE), and
suffixes such as Jr. or III are not part of the name. A transcript shows the control, or a masked
name ending in it. Pure functions, no Flask, no database.
"""
from __future__ import annotations

import re
import unicodedata

SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV", "V", "VI", "ESQ", "MD", "PHD", "DDS", "DVM", "RN", "CPA"})
# Letters that do not decompose into a plain letter and a mark.
SPELLED = str.maketrans({"ß": "SS", "Æ": "AE", "æ": "AE", "Ø": "O", "ø": "O", "Œ": "OE", "œ": "OE", "Ł": "L",
                         "ł": "L", "Đ": "D", "đ": "D", "Þ": "TH", "þ": "TH"})


def fold(text: str) -> str:
    """Upper-case plain letters: 'Núñez-García' -> 'NUNEZ-GARCIA'; apostrophes and periods dropped."""
    text = unicodedata.normalize("NFKD", (text or "").translate(SPELLED))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’`´.]", "", text.upper())
    return re.sub(r"[^A-Z&,\- ]+", " ", text)


def _words(text: str) -> list[str]:
    """The name's words without suffixes ('SMITH JR' -> ['SMITH'])."""
    words = [w.strip("-") for w in fold(text).replace(",", " ").split()]
    kept = [w for w in words if w and w not in SUFFIXES]
    return kept or [w for w in words if w]


def control_of(surname: str) -> str:
    """The control of a surname as written: 'Núñez-García' -> 'NUNE', 'Ah-Ho' -> 'AH-H', 'De La Rosa' -> 'DELA'."""
    letters = re.sub(r"[^A-Z-]", "", fold(surname)).strip("-")
    return re.sub(r"-+", "-", letters)[:4].rstrip("-")


def from_transcript(name_line: str) -> str | None:
    """The control in a transcript's name line: 'ZACH T WOO' -> 'WOO', joint 'ABCD & EFG HIJK' -> 'HIJK'.

    On a joint return the primary taxpayer comes first; when only a first name (and initial)
    stands before the '&', the couple share the last name printed at the end.
    """
    primary, _amp, rest = fold(name_line).partition("&")
    words = _words(primary)
    if rest and (len(words) < 2 or len(words[-1]) == 1):
        words = _words(rest)
    if not words:
        return None
    return control_of(words[-1]) or None


def possible_controls(full_name: str) -> set[str]:
    """Every control the IRS may hold for a name as the customer typed it.

    The IRS takes the first part of a two-part surname, but people file under either part and
    write names in either order ('Núñez-García, María'), so each way of reading the surname counts:
    any run of words after the first name (initials aside), and each part of a hyphenated one. A
    single word is its own surname.
    """
    text = fold(full_name)
    if "," in text:
        before, _comma, after = text.partition(",")
        if _words(before) and not all(w in SUFFIXES for w in _words(after)):
            text = f"{after} {before}"  # 'Last, First' written the other way round
    words = _words(text)
    if not words:
        return set()
    surnames = [w for w in words[1:] if len(w) > 1] or words[1:] or words  # middle initials are no surname
    out: set[str] = set()
    for start in range(len(surnames)):
        run = surnames[start:]
        out.add(control_of("".join(run)))
        out.add(control_of(run[0]))
        for part in run[0].split("-"):
            out.add(control_of(part))
    return {c for c in out if c}


def matches(control: str, full_name: str) -> bool:
    """Whether a transcript's name control can belong to this person (letters compared, hyphens aside).

    A masked name may show fewer than four letters (three of a four-letter name), so the control
    need only begin one of the person's possible controls.
    """
    wanted = re.sub(r"[^A-Z]", "", fold(control))
    if not wanted:
        return True
    return any(re.sub(r"[^A-Z]", "", c).startswith(wanted) for c in possible_controls(full_name))
