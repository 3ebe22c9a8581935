"""IRS transcripts and bad files, generated as PDFs by code (fpdf2), never committed as blobs.

The text follows `shared/irs-transcripts.md`: both layouts, values on the same or the next line,
wrapped labels, page breaks inside sections, several W-2s, negative amounts, browser print
headers and footers. All names and numbers are invented.
"""
from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field

from fpdf import FPDF

BANNER = "This Product Contains Sensitive Taxpayer Data"
Row = str | tuple[str, str]


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


@dataclass
class Style:
    layout: str = "legacy"            # legacy | current
    next_line: bool = False           # the value on the line below its label
    wrap: tuple[str, ...] = ()        # labels to wrap over two lines
    rows_per_page: int = 40
    browser_print: bool = False
    qualifiers: bool = False          # legacy labels with a suffix before the value: 'TAXABLE INTEREST INCOME: SCH B:'


@dataclass
class Taxpayer:
    ssn_last4: str = "1234"
    name: str = "ZACH T WOO"
    tracking: str = "100012345678"
    year: int = 2023
    filing_status: str = "Single"
    exemptions: int = 1
    extra_rows: list[Row] = field(default_factory=list)


def _label(text: str, style: Style) -> str:
    return text.upper() if style.layout == "legacy" else text[0].upper() + text[1:].lower()


# The suffixes seen on legacy labels (shared/irs-transcripts.md 4.1), written as each layout would.
QUALIFIERS = {"interest": ("SCH B", "Sch. B"), "business_income": ("SCH C", "Sch. C"),
              "social_security_benefits": ("SSA-1099", "SSA-1099"), "unemployment_compensation": ("F1099G", "F1099G")}


def _qualified(name: str, label: str, style: Style) -> str:
    text = _label(label, style)
    if style.qualifiers and name in QUALIFIERS:
        text = f"{text}: {QUALIFIERS[name][0 if style.layout == 'legacy' else 1]}"
    return text


def header(kind_title: str, person: Taxpayer, style: Style, period: str = "ending") -> list[Row]:
    rows: list[Row] = [kind_title, ("Request Date", "11-20-2025"), ("Response Date", "11-20-2025"),
                       ("Tracking Number", person.tracking), ("SSN Provided", f"XXX-XX-{person.ssn_last4}")]
    if period == "requested":
        rows.append(("Tax Period Requested", f"December, {person.year}" if style.layout == "legacy"
                     else f"12-31-{person.year}"))
    elif style.layout == "legacy":
        rows.append(("Tax Period Ending", f"Dec. 31, {person.year}"))
    else:
        rows.append(("Report for Tax Period Ending", f"12-31-{person.year}"))
    return rows


def tax_return_transcript(person: Taxpayer, amounts: dict[str, int], style: Style,
                          computer: dict[str, int] | None = None) -> list[Row]:
    """Figures by field name in cents; `computer` gives the PER COMPUTER figures that differ."""
    computer = computer or {}
    title = "Tax Return Transcript" if style.layout == "legacy" else "Form 1040 Tax Return Transcript"
    rows = header(title, person, style)
    rows += [("SSN", f"XXX-XX-{person.ssn_last4}")]
    rows += [("NAME(S) SHOWN ON RETURN", person.name)] if style.layout == "legacy" else [person.name]
    rows += [(_label("FILING STATUS", style), person.filing_status),
             (_label("FORM NUMBER", style), "1040"),
             (_label("EXEMPTION NUMBER", style), str(person.exemptions)),
             "Income"]
    labels = {"wages": "WAGES, SALARIES, TIPS, ETC" if style.layout == "legacy" else "Total wages",
              "interest": "TAXABLE INTEREST INCOME",
              "business_income": "BUSINESS INCOME OR LOSS" if style.qualifiers else "BUSINESS INCOME OR LOSS (Schedule C)",
              "pensions": "TOTAL PENSIONS AND ANNUITIES", "unemployment_compensation": "UNEMPLOYMENT COMPENSATION",
              "social_security_benefits": "TOTAL SOCIAL SECURITY BENEFITS", "total_income": "TOTAL INCOME"}
    for name, label in labels.items():
        if name in amounts:
            rows.append((_qualified(name, label, style), money(amounts[name])))
            if name in ("total_income",):
                rows.append((_label(label + " PER COMPUTER", style), money(computer.get(name, amounts[name]))))
    rows += person.extra_rows
    rows.append("Adjustments to Income")
    if "adjusted_gross_income" in amounts:
        rows.append((_label("ADJUSTED GROSS INCOME", style), money(amounts["adjusted_gross_income"])))
        rows.append((_label("ADJUSTED GROSS INCOME PER COMPUTER", style),
                     money(computer.get("adjusted_gross_income", amounts["adjusted_gross_income"]))))
    rows.append("Tax and Credits")
    if "taxable_income" in amounts:
        rows.append((_label("TAXABLE INCOME", style), money(amounts["taxable_income"])))
        rows.append((_label("TAXABLE INCOME PER COMPUTER", style),
                     money(computer.get("taxable_income", amounts["taxable_income"]))))
    rows += [(_label("FEDERAL INCOME TAX WITHHELD", style), "$1,950.00"), "Refund or Amount Owed",
             (_label("REFUND AMOUNT", style), "$412.00")]
    return rows


def account_transcript(person: Taxpayer, amounts: dict[str, int], style: Style, return_present: bool = True,
                       title: str = "Account Transcript", period_on_form_line: bool | None = None) -> list[Row]:
    """The legacy AT gives its period on the form line ('FORM NUMBER: 1040 TAX PERIOD: Dec. 31, 2020');
    the current one has 'Report for Tax Period Ending' in the header, unless `period_on_form_line`."""
    on_form_line = style.layout == "legacy" if period_on_form_line is None else period_on_form_line
    rows = header(title, person, style)
    if on_form_line:
        rows.pop()  # no period line in the header
        when = f"Dec. 31, {person.year}" if style.layout == "legacy" else f"12-31-{person.year}"
        if style.next_line:
            rows += [(_label("FORM NUMBER", style), "1040"), (_label("TAX PERIOD", style), when)]
        else:
            rows.append(f"{_label('FORM NUMBER', style)}: 1040 {_label('TAX PERIOD', style)}: {when}")
    else:
        rows.append(("FORM NUMBER", "1040"))
    rows += [("TAXPAYER IDENTIFICATION NUMBER", f"XXX-XX-{person.ssn_last4}"),
             person.name, "--- ANY MINUS SIGN SHOWN BELOW SIGNIFIES A CREDIT AMOUNT ---",
             ("ACCOUNT BALANCE", "0.00"), ("ACCRUED INTEREST", "0.00 AS OF: Mar. 28, 2024")]
    if not return_present:
        return rows + ["RETURN NOT PRESENT FOR THIS ACCOUNT", "TRANSACTIONS",
                       "CODE EXPLANATION OF TRANSACTION CYCLE DATE AMOUNT", "No tax return filed"]
    rows += ["** INFORMATION FROM THE RETURN OR AS ADJUSTED **", ("EXEMPTIONS", f"{person.exemptions:02d}"),
             ("FILING STATUS", person.filing_status),
             ("ADJUSTED GROSS INCOME", f"{amounts['adjusted_gross_income'] / 100:,.2f}"),
             ("TAXABLE INCOME", f"{amounts.get('taxable_income', 0) / 100:,.2f}"),
             ("TAX PER RETURN", "1,234.00"), "TRANSACTIONS", "CODE EXPLANATION OF TRANSACTION CYCLE DATE AMOUNT",
             f"150 Tax return filed 20241305 04-15-{person.year + 1} $1,234.00",
             f"806 W-2 or 1099 withholding 04-15-{person.year + 1} -$1,950.00"]
    return rows


def record_of_account(person: Taxpayer, amounts: dict[str, int], style: Style,
                      period_on_form_line: bool | None = None) -> list[Row]:
    rows = account_transcript(person, amounts, style, title="Record of Account", period_on_form_line=period_on_form_line)
    body = tax_return_transcript(person, amounts, style)
    return rows + body[6:]


W2 = "W-2"


def wage_and_income(person: Taxpayer, forms: list[tuple[str, int]], style: Style) -> list[Row]:
    """`forms`: (kind, amount in cents) for W-2, 1099-G, SSA-1099, 1099-R, 1099-NEC, 1099-INT."""
    rows = header("Wage and Income Transcript", person, style, period="requested")
    rows += [person.name]
    for number, (kind, cents) in enumerate(forms, start=1):
        if kind == W2:
            rows += ["Form W-2 Wage and Tax Statement", ("Employer Identification Number (EIN)", f"XXXXX{4660 + number}"),
                     "Employer:", f"ACME {number}", ("Employee's Social Security Number", f"XXX-XX-{person.ssn_last4}"),
                     ("Submission Type", "Original document"),
                     ("Wages, Tips and Other Compensation", money(cents)),
                     ("Federal Income Tax Withheld", "$1,100.00"), ("Social Security Wages", money(cents)),
                     ("Third Party Sick Pay Indicator", "Unanswered"),
                     ("Statutory Employee", "Not Statutory Employee")]
        elif kind == "1099-G":
            rows += ["Form 1099-G Certain Government Payments", ("Payer's Federal Identification Number (FIN)", "XXXXX1234"),
                     ("Unemployment Compensation", money(cents)), ("Tax Withheld", "$0.00"),
                     ("Year of Refund", "Not Set")]
        elif kind == "SSA-1099":
            rows += ["Form SSA-1099 Social Security Benefit Statement",
                     ("Pensions and Annuities (Total Benefits Paid)", money(cents)), ("Repayments", "$0.00")]
        elif kind == "1099-R":
            rows += ["Form 1099-R Distributions From Pensions", ("Gross Distribution", money(cents)),
                     ("Taxable Amount", money(cents)), ("Distribution Code", "7")]
        elif kind == "1099-NEC":
            rows += ["Form 1099-NEC Nonemployee Compensation", ("Non-Employee Compensation", money(cents))]
        elif kind == "1099-INT":
            rows += ["Form 1099-INT Interest Income", ("Interest Income", money(cents))]
    return rows


def nonfiling_letter(person: Taxpayer, style: Style) -> list[Row]:
    rows = header("Verification of Non-filing Letter", person, style, period="requested")
    return rows + [person.name, "2700 C", "The Internal Revenue Service has no record of a processed Form 1040,",
                   "1040A or 1040EZ for the tax period listed above as of the request date."]


def pay_stub() -> list[Row]:
    return ["ACME Widgets Inc. Earnings Statement", ("Pay period", "10/01/2025 - 10/15/2025"),
            ("Gross pay", "$1,850.00"), ("Net pay", "$1,512.40"), ("Year to date gross", "$35,150.00")]


# --- Rendering ---------------------------------------------------------------------------------

def _lines(rows: list[Row], style: Style) -> list[tuple[str, str | None]]:
    """Rows as printed lines: (left text, right text or None)."""
    out: list[tuple[str, str | None]] = []
    for row in rows:
        if isinstance(row, str):
            out.append((row, None))
            continue
        label, value = row
        if label in style.wrap or label.upper() in (w.upper() for w in style.wrap):
            words = label.split()
            half = max(1, len(words) // 2)
            out.append((" ".join(words[:half]), None))
            label = " ".join(words[half:])
        if style.layout == "legacy" and label.isupper():
            text = f"{label}:{'.' * max(3, 46 - len(label))}"
        else:
            text = f"{label}:"
        if style.next_line:
            out.append((text, None))
            out.append((value, None))
        elif style.layout == "legacy" and label.isupper():
            out.append((text + value, None))
        else:
            out.append((text, value))
    return out


def render(rows: list[Row], style: Style | None = None, *, encrypt: str | None = None, extra_strokes: int = 0) -> bytes:
    style = style or Style()
    lines = _lines(rows, style)
    chunks = [lines[i:i + style.rows_per_page] for i in range(0, len(lines), style.rows_per_page)] or [[]]
    pdf = FPDF(format="letter")
    pdf.set_auto_page_break(False)
    if encrypt:
        pdf.set_encryption(owner_password="owner-" + encrypt, user_password=encrypt)
    total = len(chunks)
    for number, chunk in enumerate(chunks, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        y = 10
        if style.browser_print:
            pdf.text(10, 6, "11/20/25, 3:45 PM")
            pdf.text(90, 6, "Transcript")
        if style.layout == "current":
            pdf.text(10, y, f"{BANNER}    PAGE {number} OF {total}")
        else:
            pdf.text(10, y, BANNER)
        y += 6
        for left, right in chunk:
            pdf.text(10, y, left)
            if right is not None:
                pdf.text(120, y, right)
            y += 5.5
        footer_y = 262
        if style.layout == "legacy":
            pdf.text(10, footer_y, BANNER)
            pdf.text(170, footer_y, f"Page {number} of {total}")
        if style.browser_print:
            pdf.text(10, 272, "https://sa.www4.irs.gov/ola/transcripts/view")
            pdf.text(190, 272, f"{number}/{total}")
    if extra_strokes:
        pdf.add_page()
        for i in range(extra_strokes):
            x, y = 10 + (i % 190), 10 + (i // 190) % 250
            pdf.line(x, y, x + 0.5, y + 0.5)
    return bytes(pdf.output())


# --- Bad files ---------------------------------------------------------------------------------

def png_bytes(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 200, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (120, 120, 120)).save(buffer, format="JPEG")
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """A page that is only a picture: no text layer."""
    import tempfile
    from pathlib import Path

    pdf = FPDF(format="letter")
    pdf.add_page()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scan.png"
        path.write_bytes(png_bytes(400, 300))
        pdf.image(str(path), x=10, y=10, w=180)
    return bytes(pdf.output())


def many_pages(count: int = 200) -> bytes:
    pdf = FPDF(format="letter")
    pdf.set_font("Helvetica", size=9)
    for number in range(count):
        pdf.add_page()
        pdf.text(10, 10, f"Page {number + 1}")
    return bytes(pdf.output())


def compression_bomb(inflated_mb: int = 64) -> bytes:
    """A small PDF whose one page's content stream inflates to `inflated_mb` MB of drawing operators."""
    operator = b"0 0 m 1 1 l S\n"
    compressor = zlib.compressobj(9)
    chunk = operator * (1 << 16)
    body = b"".join(compressor.compress(chunk) for _ in range((inflated_mb << 20) // len(chunk)))
    body += compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def heic_bytes() -> bytes:
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(buffer, format="HEIF")
    return buffer.getvalue()



def slow_transcript(strokes: int = 8_000) -> bytes:
    """A valid transcript followed by a page of many tiny strokes, so that reading it takes a while
    (long enough to kill the reader in the middle of it)."""
    rows = tax_return_transcript(Taxpayer(), {"wages": 3_120_000, "adjusted_gross_income": 3_121_250}, Style("legacy"))
    return render(rows, Style("legacy"), extra_strokes=strokes)
