"""Reading IRS transcripts from their extracted text: pure functions, no PDF library, no database.

The rule is "never a wrong number": a figure is reported only when its label was recognized and
its value read as an amount; what cannot be read with confidence becomes a problem and sends the
document to a person. Every figure carries the page and the line it came from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

DOCUMENT_TYPES = ("tax_return_transcript", "account_transcript", "record_of_account",
                  "wage_and_income_transcript", "verification_of_nonfiling", "unknown")
FILING_STATUSES = ("single", "married_filing_jointly", "married_filing_separately", "head_of_household",
                   "qualifying_surviving_spouse")

# --- Lines: noise removed, places kept ---------------------------------------------------------

BANNER = re.compile(r"this\s+product\s+contains\s+sensitive\s+taxpayer\s+data", re.I)
PAGE_MARK = re.compile(r"\b(?:page\s+\d+\s*(?:of|/)\s*\d+)\b", re.I)
BROWSER_NOISE = (
    re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}(?:\s*[AP]M)?\b.*$", re.I),  # 11/20/25, 3:45 PM Title
    re.compile(r"^(?:https?://|www\.)\S+(?:\s+\d+/\d+)?$", re.I),                       # the URL footer
    re.compile(r"^\d+\s*/\s*\d+$"),                                                     # 1/3
)
# A full SSN however it is written: 123-45-6789 with any kind of dash (hyphen, non-breaking
# hyphen, figure, en and em dashes, minus, fullwidth), 123 45 6789, 123.45.6789, and nine digits
# after an SSN/TIN label (SSN 123456789, SSN: 123456789). Each becomes XXX-XX-6789.
_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SEP = rf"(?:[ \t\u00a0]*[{_DASH}][ \t\u00a0]*|\.|[ \t\u00a0]+)"
UNMASKED_SSN = re.compile(rf"(?<![0-9])([0-9]{{3}}){_SEP}([0-9]{{2}}){_SEP}([0-9]{{4}})(?![0-9])")
PLAIN_SSN = re.compile(r"(?i)\b(?:ssn|social\s+security\s+(?:number|no\.?)|tin)\b([^0-9\n]{0,30}?)"
                       r"(?<![0-9])([0-9]{5})([0-9]{4})(?![0-9])")


@dataclass(frozen=True, slots=True)
class Line:
    page: int
    text: str
    # For a line joined from several ("Tracking Number:" / "100012345678"): the document's own
    # lines, which are what evidence quotes.
    source: tuple["Line", ...] = ()

    def document_lines(self) -> tuple["Line", ...]:
        return self.source or (self,)


def redact(text: str) -> str:
    """Unmasked SSNs become XXX-XX-1234: they are never stored, not even in evidence."""
    text = PLAIN_SSN.sub(lambda m: m.group(0)[: m.start(2) - m.start(0)] + f"XXX-XX-{m.group(3)}", text)
    return UNMASKED_SSN.sub(lambda m: f"XXX-XX-{m.group(3)}", text)


def has_unmasked_ssn(text: str) -> bool:
    return bool(UNMASKED_SSN.search(text) or PLAIN_SSN.search(text))


def clean_lines(pages: Iterable[str]) -> list[Line]:
    """Lines without the banner, page markers and browser headers and footers."""
    out: list[Line] = []
    for number, text in enumerate(pages, start=1):
        for raw in (text or "").splitlines():
            line = BANNER.sub(" ", raw)
            line = PAGE_MARK.sub(" ", line)
            line = re.sub(r"\s+", " ", line).strip()
            if not line or any(p.match(line) for p in BROWSER_NOISE):
                continue
            out.append(Line(number, line))
    return out


# --- Amounts -----------------------------------------------------------------------------------

AMOUNT = re.compile(r"^(-)?\s*\$?\s*(\()?\s*(-)?\s*\$?\s*(\d{1,3}(?:,\d{3})+|\d+)\.(\d{2})\s*(\))?$")


def parse_amount(text: str) -> int | None:
    """'$45,123.00' -> 4512300; '-$1,200.00' and '($5.00)' are negative; anything else is None.

    Cents are required: transcripts always print them, and it keeps years and dates out.
    """
    match = AMOUNT.match(text.strip())
    if not match:
        return None
    minus, open_paren, minus2, whole, cents, close_paren = match.groups()
    if bool(open_paren) != bool(close_paren):
        return None
    value = int(whole.replace(",", "")) * 100 + int(cents)
    negative = bool(minus) ^ bool(minus2) ^ bool(open_paren)
    return -value if negative else value


# --- Labels ------------------------------------------------------------------------------------

def norm_label(text: str) -> str:
    """'ADJUSTED GROSS INCOME:......' and 'Adjusted gross income:' read the same."""
    text = re.sub(r"\.{2,}", " ", text)
    text = re.sub(r"[\s:]+$", "", text)
    return re.sub(r"\s+", " ", text).strip().upper()


@dataclass(frozen=True, slots=True)
class Entry:
    """A label and its value as they stand in the document."""

    label: str                  # normalized
    value: str                  # as printed, may be empty
    lines: tuple[Line, ...]     # the document's lines, from where the label starts to the value


LABEL_VALUE = re.compile(r"^(?P<label>[^:]{2,160}?)\s*:(?P<rest>.*)$")
VALUE_ONLY = re.compile(r"^[-($\d]")


# A qualifier between a label and its value: 'TAXABLE INTEREST INCOME: SCH B:......$0.00'. Short,
# and not a value itself (no digit or $ first), so 'FORM NUMBER: 1040 TAX PERIOD: ...' is no qualifier.
QUALIFIER = re.compile(r"^(?P<qualifier>[A-Za-z(][^:$]{0,24}?)\s*:(?P<rest>.*)$")


def _split(text: str) -> tuple[str, str] | None:
    match = LABEL_VALUE.match(text)
    if not match:
        return None
    return match.group("label"), _strip_leaders(match.group("rest"))


def _strip_leaders(text: str) -> str:
    return re.sub(r"^[.\s]+", "", text).strip()


def _is_known(label: str, known: frozenset[str]) -> bool:
    return label in known or _known_prefix(label, known) is not None


TEXT_LABELS = frozenset({"FILING STATUS", "NAME(S) SHOWN ON RETURN", "NAME CONTROL", "SSN", "SPOUSE SSN",
                         "FORM NUMBER"})


def join_values(lines: list[Line]) -> list[Line]:
    """'Tracking Number:' / '100012345678' read as one line, for the header patterns."""
    out: list[Line] = []
    skip = False
    for i, line in enumerate(lines):
        if skip:
            skip = False
            continue
        split = _split(line.text)
        if split and split[1] == "" and i + 1 < len(lines) and ":" not in lines[i + 1].text:
            out.append(Line(line.page, f"{split[0]}: {lines[i + 1].text}", (line, lines[i + 1])))
            skip = True
        else:
            out.append(line)
    return out


def entries(lines: list[Line], known: frozenset[str] = frozenset()) -> list[Entry]:
    """Label/value pairs: value on the same line or the next; wrapped labels joined back.

    A label wrapped over lines ("ADJUSTED GROSS" / "INCOME:") is found by trying the line alone,
    then with one or two lines before it, keeping the first reading that is a known label.
    """
    out: list[Entry] = []
    consumed: set[int] = set()
    for i, line in enumerate(lines):
        if i in consumed:
            continue
        split = _split(line.text)
        if split is None:
            continue
        label, rest = split
        candidates = [(label, i)]
        for back in (1, 2):
            j = i - back
            if j < 0 or j in consumed or ":" in lines[j].text or parse_amount(lines[j].text) is not None:
                break
            prefix = " ".join(l.text for l in lines[j:i])
            candidates.append((prefix + " " + label, j))
            candidates.append((prefix + label, j))  # wrapped mid-word
        chosen_label, start = candidates[0]
        for text, where in candidates:
            if _is_known(norm_label(text), known):
                chosen_label, start = text, where
                break
        qualified = QUALIFIER.match(rest)
        if (qualified and norm_label(chosen_label) not in TEXT_LABELS and _is_known(norm_label(chosen_label), known)
                and (_strip_leaders(qualified.group("rest")) == ""
                     or parse_amount(_strip_leaders(qualified.group("rest"))) is not None)):
            # The qualifier belongs to the label, which is matched by prefix: the value follows it.
            chosen_label = f"{chosen_label}: {qualified.group('qualifier').strip()}"
            rest = _strip_leaders(qualified.group("rest"))
        end = i
        if rest == "" and i + 1 < len(lines):
            nxt = lines[i + 1]
            takes_text = norm_label(chosen_label) in TEXT_LABELS
            if ":" not in nxt.text and (parse_amount(nxt.text) is not None or VALUE_ONLY.match(nxt.text) or takes_text):
                rest, end = nxt.text, i + 1
                consumed.add(i + 1)
        out.append(Entry(norm_label(chosen_label), rest, tuple(lines[start:end + 1])))
    return out


def _known_prefix(label: str, known: frozenset[str]) -> str | None:
    """A known label followed by a qualifier, e.g. 'TAXABLE INTEREST INCOME: SCH B' or '(SCHEDULE C)'."""
    for candidate in known:
        if label.startswith(candidate) and len(label) > len(candidate) and not label[len(candidate)].isalnum():
            return candidate
    return None


# --- What the document is ----------------------------------------------------------------------

TITLES = (
    ("record_of_account", re.compile(r"^record\s+of\s+account\b", re.I)),
    ("wage_and_income_transcript", re.compile(r"^wage\s+(?:and|&)\s+income\s+transcript\b", re.I)),
    ("verification_of_nonfiling", re.compile(r"^verification\s+of\s+non-?\s?filing\b", re.I)),
    ("account_transcript", re.compile(r"^account\s+transcript\b", re.I)),
    ("tax_return_transcript", re.compile(r"^(?:form\s+1040\s+)?tax\s+return\s+transcript\b", re.I)),
)
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                      "dec"), start=1)}
PERIOD_LINES = (
    # (layout, pattern): the year is the last group. The period may share its line with the form
    # (an Account Transcript's 'FORM NUMBER: 1040 TAX PERIOD: Dec. 31, 2020'), after dot leaders.
    ("current", re.compile(r"tax\s+period(?:\s+(?:ending|requested))?\s*:[\s.]*(\d{2})-(\d{2})-(\d{4})\b", re.I)),
    ("legacy", re.compile(r"tax\s+period(?:\s+(?:ending|requested))?\s*:[\s.]*([A-Za-z]{3,9})\.?\s*(\d{1,2})?,?\s*"
                          r"(\d{4})\b", re.I)),
)
TRACKING = re.compile(r"tracking\s+number\s*:\s*(\d{12})\b", re.I)
SSN_PROVIDED = re.compile(r"(?:ssn|tin)\s+provided\s*:\s*(?:XXX-XX-|\*{3}-\*{2}-)(\d{4})\b"
                          r"|taxpayer\s+identification\s+number\s*:\s*XXX-XX-(\d{4})\b", re.I)
NO_RETURN = re.compile(r"return\s+not\s+present\s+for\s+this\s+account|no\s+record\s+of\s+return\s+filed", re.I)
NONFILING_BODY = re.compile(r"no\s+record\s+of\s+(?:a\s+)?processed\s+form\s+1040", re.I)


def document_type(lines: list[Line]) -> tuple[str, int]:
    """The product, from its title among the first lines, and the index of that title line."""
    for index, line in enumerate(lines[:25]):
        for kind, pattern in TITLES:
            if pattern.search(line.text):
                return kind, index
    return "unknown", -1


def period(lines: list[Line]) -> list[tuple[int, str, Line]]:
    """Every tax-period line: (year, layout, line). Never the request date."""
    found = []
    for line in lines:
        for layout, pattern in PERIOD_LINES:
            match = pattern.search(line.text)
            if match:
                if layout == "legacy" and match.group(1)[:3].lower() not in MONTHS:
                    continue
                found.append((int(match.groups()[-1]), layout, line))
                break
    return found


FILING_STATUS_WORDS = (
    ("married_filing_jointly", re.compile(r"married.*joint", re.I)),
    ("married_filing_separately", re.compile(r"married.*separat", re.I)),
    ("head_of_household", re.compile(r"head\s+of\s+household", re.I)),
    ("qualifying_surviving_spouse", re.compile(r"qualifying\s+(?:surviving\s+spouse|widow)", re.I)),
    ("single", re.compile(r"^single\b", re.I)),
)
FILING_STATUS_CODES = {"1": "single", "2": "married_filing_jointly", "3": "married_filing_separately",
                       "4": "head_of_household", "5": "qualifying_surviving_spouse"}


def filing_status(value: str) -> str | None:
    value = value.strip()
    if value in FILING_STATUS_CODES:
        return FILING_STATUS_CODES[value]
    for code, pattern in FILING_STATUS_WORDS:
        if pattern.search(value):
            return code
    return None


# --- Figures -----------------------------------------------------------------------------------

# Return transcript / account transcript labels, normalized, for each field (first found wins).
RETURN_LABELS: dict[str, tuple[str, ...]] = {
    "adjusted_gross_income": ("ADJUSTED GROSS INCOME",),
    "total_income": ("TOTAL INCOME",),
    "taxable_income": ("TAXABLE INCOME",),
    "wages": ("TOTAL WAGES", "WAGES, SALARIES, TIPS, ETC", "WAGES, SALARIES, TIPS, ETC."),
    "unemployment_compensation": ("UNEMPLOYMENT COMPENSATION",),
    "social_security_benefits": ("TOTAL SOCIAL SECURITY BENEFITS", "SOCIAL SECURITY BENEFITS"),
    "pensions": ("TOTAL PENSIONS AND ANNUITIES", "TAXABLE PENSION/ANNUITY AMOUNT"),
    "business_income": ("BUSINESS INCOME OR LOSS",),
    "interest": ("TAXABLE INTEREST INCOME",),
}
OTHER_RETURN_LABELS = ("FILING STATUS", "EXEMPTION NUMBER", "EXEMPTIONS", "FORM NUMBER", "NAME(S) SHOWN ON RETURN",
                       "NAME CONTROL", "SSN", "SPOUSE SSN")

# Wage & Income: the form that starts a block, and the label in it that gives each field.
FORM_START = re.compile(r"^form\s+(w-2g|w-2|ssa-1099|rrb-1099|1099-[a-z]+|1098(?:-[a-z]+)?|5498(?:-[a-z]+)?)\b", re.I)
FORM_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "W-2": (("WAGES, TIPS AND OTHER COMPENSATION", "wages"),),
    "1099-G": (("UNEMPLOYMENT COMPENSATION", "unemployment_compensation"),),
    "SSA-1099": (("PENSIONS AND ANNUITIES (TOTAL BENEFITS PAID)", "social_security_benefits"),
                 ("TOTAL BENEFITS PAID", "social_security_benefits")),
    "RRB-1099": (("PENSIONS AND ANNUITIES (TOTAL BENEFITS PAID)", "social_security_benefits"),),
    "1099-R": (("GROSS DISTRIBUTION", "pensions"),),
    "1099-NEC": (("NON-EMPLOYEE COMPENSATION", "business_income"), ("NONEMPLOYEE COMPENSATION", "business_income")),
    "1099-INT": (("INTEREST INCOME", "interest"), ("INTEREST", "interest")),
    "1099-DIV": (("TOTAL ORDINARY DIVIDENDS", "dividends"), ("ORDINARY DIVIDENDS", "dividends")),
    "1099-MISC": (("OTHER INCOME", "other_income"), ("RENTS", "rents"), ("ROYALTIES", "royalties")),
    "1099-K": (("GROSS AMOUNT OF PAYMENT CARD/THIRD PARTY TRANSACTIONS", "payment_card_transactions"),),
}
PER_COMPUTER = " PER COMPUTER"
# Every figure a parse result can hold.
AMOUNT_FIELDS = tuple(dict.fromkeys(list(RETURN_LABELS) + [name for fields_ in FORM_FIELDS.values()
                                                           for _label, name in fields_]))


@dataclass
class Result:
    status: str = "needs_review"
    document_type: str = "unknown"
    layout: str | None = None
    tax_year: int | None = None
    ssn_last4: str | None = None
    name_control: str | None = None
    filing_status: str | None = None
    exemptions: int | None = None
    return_filed: bool | None = None
    tracking_number: str | None = None
    amounts_cents: dict[str, int] = field(default_factory=dict)
    evidence: dict[str, dict] = field(default_factory=dict)
    forms: dict[str, int] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)

    def problem(self, code: str, message: str) -> None:
        if not any(p["code"] == code and p["message"] == message for p in self.problems):
            self.problems.append({"code": code, "message": message})

    def as_dict(self) -> dict:
        """The result as stored and shown; every text in it has full SSNs redacted."""
        return redact_all({"status": self.status, "document_type": self.document_type, "layout": self.layout,
                "tax_year": self.tax_year, "ssn_last4": self.ssn_last4, "name_control": self.name_control,
                "filing_status": self.filing_status, "exemptions": self.exemptions,
                "return_filed": self.return_filed, "tracking_number": self.tracking_number,
                "amounts_cents": dict(self.amounts_cents), "evidence": dict(self.evidence),
                "forms": dict(self.forms), "problems": list(self.problems)})


def redact_all(value):
    """`redact` applied to every string (keys too) inside dicts and lists."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_all(k): redact_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_all(v) for v in value]
    return value


def _evidence(*lines: Line) -> dict:
    """Where a reading came from: the document's lines as they are, nothing added.

    The first line is `line`; a label wrapped over lines or a value on the next line adds the
    following lines, each with its page, under `continued`.
    """
    own = [part for line in lines for part in line.document_lines()]
    out = {"page": own[0].page, "line": redact(own[0].text)}
    if len(own) > 1:
        out["continued"] = [{"page": part.page, "line": redact(part.text)} for part in own[1:]]
    return out


def _entry_evidence(entry: Entry) -> dict:
    return _evidence(*entry.lines)


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


KNOWN_RETURN = frozenset([label for labels in RETURN_LABELS.values() for label in labels]
                         + [label + PER_COMPUTER for labels in RETURN_LABELS.values() for label in labels]
                         + list(OTHER_RETURN_LABELS))
KNOWN_FORM = frozenset(label for fields_ in FORM_FIELDS.values() for label, _f in fields_)


def _match(label: str, candidates: Iterable[str]) -> str | None:
    for candidate in candidates:
        if label == candidate or _known_prefix(label, frozenset((candidate,))):
            return candidate
    return None


def _read_return_figures(result: Result, found: list[Entry]) -> None:
    """Figures from a return or account transcript, preferring the IRS's PER COMPUTER figure."""
    for name, labels in RETURN_LABELS.items():
        reported = computed = None
        for entry in found:
            # 'ADJUSTED GROSS INCOME PER COMPUTER', also with a qualifier after it
            is_computer = re.search(rf"{PER_COMPUTER}(?![A-Z0-9])", entry.label) is not None
            base = re.sub(rf"{PER_COMPUTER}(?![A-Z0-9])", "", entry.label, count=1)
            if _match(base, labels) is None:
                continue
            amount = parse_amount(entry.value)
            if amount is None:
                if entry.value and entry.value.upper() not in ("NONE", "NO", "N/A"):
                    result.problem("unreadable_amount", f"{entry.label}: the value {redact(entry.value)!r} is not an amount")
                continue
            if is_computer and computed is None:
                computed = (amount, entry)
            elif not is_computer and reported is None:
                reported = (amount, entry)
        chosen = computed or reported
        if chosen is None:
            continue
        result.amounts_cents[name] = chosen[0]
        result.evidence[name] = _entry_evidence(chosen[1])
        if computed and reported and computed[0] != reported[0]:
            result.problem("per_computer_differs",
                           f"{name.replace('_', ' ')}: the return says {_dollars(reported[0])}, the IRS computed "
                           f"{_dollars(computed[0])}; the IRS figure is used")


def _read_forms(result: Result, lines: list[Line]) -> None:
    """Wage & Income: add up each kind of figure over every form block (several W-2s, ...)."""
    blocks: list[tuple[str, list[Line]]] = []
    for line in lines:
        match = FORM_START.match(line.text)
        if match:
            blocks.append((match.group(1).upper(), [line]))
        elif blocks:
            blocks[-1][1].append(line)
    for form, block in blocks:
        result.forms[form] = result.forms.get(form, 0) + 1
        fields_ = FORM_FIELDS.get(form, ())
        seen: set[str] = set()
        for entry in entries(block, KNOWN_FORM):
            for label, name in fields_:
                if name in seen or _match(entry.label, (label,)) is None:
                    continue
                amount = parse_amount(entry.value)
                if amount is None:
                    if entry.value:
                        result.problem("unreadable_amount", f"{form} {entry.label}: {redact(entry.value)!r} is not an amount")
                    continue
                seen.add(name)
                result.amounts_cents[name] = result.amounts_cents.get(name, 0) + amount
                where = _entry_evidence(entry)
                if name in result.evidence:
                    result.evidence[name].setdefault("more", []).append(where)
                else:
                    result.evidence[name] = where


def _identity(result: Result, lines: list[Line], found: list[Entry]) -> None:
    for line in lines:
        if result.tracking_number is None and (m := TRACKING.search(line.text)):
            result.tracking_number = m.group(1)
            result.evidence["tracking_number"] = _evidence(line)
        if result.ssn_last4 is None and (m := SSN_PROVIDED.search(line.text)):
            result.ssn_last4 = m.group(1) or m.group(2)
            result.evidence["ssn_last4"] = _evidence(line)
    for entry in found:
        label = entry.label
        if result.filing_status is None and label == "FILING STATUS" and entry.value:
            result.filing_status = filing_status(entry.value)
            if result.filing_status:
                result.evidence["filing_status"] = _entry_evidence(entry)
            else:
                result.problem("unreadable_filing_status", f"filing status {redact(entry.value)!r} is not one we know")
        elif result.exemptions is None and label in ("EXEMPTION NUMBER", "EXEMPTIONS") and entry.value.isdigit():
            result.exemptions = int(entry.value)
            result.evidence["exemptions"] = _entry_evidence(entry)
        elif result.name_control is None and label in ("NAME CONTROL", "NAME(S) SHOWN ON RETURN") and entry.value:
            result.name_control = _name_control(entry.value)
            if result.name_control:
                result.evidence["name_control"] = _entry_evidence(entry)
        # 'XXX-XX-4321 SPOUSE SSN: XXX-XX-8765' is the primary's 4321; a bare '123456789' its last four
        if result.ssn_last4 is None and label == "SSN" and (
                m := re.search(r"(?<!\d)(\d{4})(?!\d)", entry.value) or re.search(r"(\d{4})\s*$", entry.value)):
            result.ssn_last4 = m.group(1)
            result.evidence["ssn_last4"] = _entry_evidence(entry)
    if result.name_control is None:
        _unlabelled_name(result, lines)


NAME_LINE = re.compile(r"^[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'-]*(?: (?:[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'-]*|&))*$")  # Ñ, É: unmasked copies
IDENTITY_LINE = re.compile(r"^(?:ssn|spouse ssn|ssn provided|tin provided|taxpayer identification number|"
                           r"tax period|report for tax period|form number)\b", re.I)


def _unlabelled_name(result: Result, lines: list[Line]) -> None:
    """The masked name printed without a label, just below the identity lines (current layout, AT, W&I)."""
    for i, line in enumerate(lines[:30]):
        if not IDENTITY_LINE.match(line.text):
            continue
        for candidate in lines[i + 1:i + 3]:
            if NAME_LINE.match(candidate.text) and 2 <= len(candidate.text.split()) <= 6:
                result.name_control = _name_control(candidate.text)
                result.evidence["name_control"] = _evidence(candidate)
                return


def _name_control(name: str) -> str | None:
    """The IRS name control in a name line (masked or not): the primary taxpayer's last name."""
    from documents.name_control import from_transcript

    return from_transcript(name)


def parse_pages(pages: list[str]) -> Result:
    """Read a transcript from the text of its pages."""
    result = Result()
    raw = "\n".join(pages)
    if has_unmasked_ssn(raw):
        result.problem("unmasked_ssn", "The document shows a full Social Security number. Only its last four digits "
                                       "are kept; ask the customer for the standard (masked) transcript.")
    lines = clean_lines(pages)
    if not lines:
        result.problem("no_text", "The document has no text to read (a scan or photo). A person must read it.")
        return result
    kind, title_index = document_type(lines)
    result.document_type = kind
    if kind == "unknown":
        result.problem("not_a_transcript", "This is not an IRS transcript we recognize (it may be a pay stub or a "
                                           "benefit letter). A person must read it.")
        return result
    result.evidence["document_type"] = _evidence(lines[title_index])

    logical = join_values(lines)
    periods = period(logical)
    tracking = {m.group(1) for line in logical for m in TRACKING.finditer(line.text)}
    years = sorted({year for year, _layout, _line in periods})
    titles = [i for i, line in enumerate(lines) if any(p.search(line.text) for _k, p in TITLES)]
    if len(years) > 1:
        result.problem("several_tax_years", f"The file holds transcripts for several tax years "
                                            f"({', '.join(map(str, years))}). Upload each year on its own.")
    if len(tracking) > 1:
        result.problem("several_transcripts", "The file holds several transcripts (different tracking numbers). "
                                              "Upload each one on its own.")
    elif len(titles) > 1 and len(tracking) == 1:
        # Two copies of one transcript: read the first copy only.
        lines = lines[: titles[1]] if titles[1] > title_index else lines
        result.problem("duplicate_copy", "The file holds the same transcript twice; one copy was read.")
    if periods:
        result.tax_year = periods[0][0]
        result.layout = periods[0][1]
        result.evidence["tax_year"] = _evidence(periods[0][2])
    else:
        result.problem("no_tax_year", "No tax period line was found, so the tax year is unknown.")
    if result.layout is None or kind == "tax_return_transcript":
        result.layout = _layout_of(lines) or result.layout

    known = KNOWN_RETURN
    found = entries(lines, known)
    _identity(result, join_values(lines), found)
    text = "\n".join(line.text for line in join_values(lines))
    if kind == "verification_of_nonfiling":
        result.return_filed = False
        if not NONFILING_BODY.search(re.sub(r"\s+", " ", text)):
            result.problem("unusual_wording", "The letter does not say there is no record of a processed return.")
    elif kind == "wage_and_income_transcript":
        _read_forms(result, lines)
        if not result.forms:
            result.problem("no_forms", "No information returns (W-2, 1099) were found on the transcript.")
    else:
        result.return_filed = not NO_RETURN.search(text)
        if result.return_filed:
            _read_return_figures(result, found)
            if "adjusted_gross_income" not in result.amounts_cents:
                result.problem("no_agi", "The adjusted gross income was not found.")

    # What a person must really read. Not `per_computer_differs`: the IRS figure is the one that
    # counts and is the one used; the application gets a flag so the CSR sees the correction.
    blocking = {"several_tax_years", "several_transcripts", "no_tax_year", "no_agi", "unreadable_amount",
                "unusual_wording", "unreadable_filing_status"}
    if any(p["code"] in blocking for p in result.problems):
        result.status = "needs_review"
        if {"several_tax_years", "several_transcripts"} & {p["code"] for p in result.problems}:
            result.amounts_cents, result.evidence = {}, {k: v for k, v in result.evidence.items()
                                                         if k == "document_type"}
    else:
        result.status = "parsed"
    return result


def _layout_of(lines: list[Line]) -> str | None:
    for line in lines[:40]:
        if re.search(r"report\s+for\s+tax\s+period\s+ending|^form\s+1040\s+tax\s+return\s+transcript", line.text, re.I):
            return "current"
        if re.search(r"\.{4,}", line.text) or re.search(r"^tax\s+period\s+ending\s*:\s*[a-z]", line.text, re.I):
            return "legacy"
    return None
