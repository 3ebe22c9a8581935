"""From file bytes to a parse result: the PDF side of reading a transcript.

Runs inside an isolated worker (see `documents.isolation`): a hostile PDF may take all the time
or memory it can, and only that worker pays. Touches no database.
"""
from __future__ import annotations

import io
import logging
import warnings

from documents import filetypes, transcripts

DEFAULT_MAX_PAGES = 30

REJECT_MESSAGES = {
    "encrypted": "The PDF is protected by a password. Download it again without a password, or print it to a "
                 "new PDF, and upload that copy.",
    "corrupt": "The file is damaged or incomplete and cannot be opened. Download it again and upload the new copy.",
    "too_many_pages": "The file has {pages} pages; we accept up to {limit}. Upload only the transcript pages.",
}


def result(status: str, document_type: str = "unknown", problems: list[dict] | None = None, **fields) -> dict:
    out = transcripts.Result(status=status, document_type=document_type).as_dict()
    out.update(fields)
    out["problems"] = problems or []
    return out


def rejected(code: str, message: str) -> dict:
    return result("rejected", problems=[{"code": code, "message": message}])


def parse_bytes(data: bytes, filename: str | None = None, max_pages: int = DEFAULT_MAX_PAGES) -> dict:
    sniffed = filetypes.sniff(data, filename)
    if sniffed.kind is None:
        return rejected(sniffed.problem, sniffed.message)
    if sniffed.kind != "pdf":
        problem = filetypes.image_problem(data, sniffed.kind)
        if problem:
            return rejected("corrupt", f"The photo cannot be opened: {problem}. Take the photo again.")
        return result("needs_review", problems=[{"code": "image", "message": "A photo or scan has no text to read. "
                                                                             "A person will read it."}])
    return parse_pdf(data, max_pages)


def parse_pdf(data: bytes, max_pages: int = DEFAULT_MAX_PAGES) -> dict:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                pages = pdf.pages
                if len(pages) > max_pages:
                    return rejected("too_many_pages", REJECT_MESSAGES["too_many_pages"].format(pages=len(pages),
                                                                                            limit=max_pages))
                texts, has_chars = [], False
                for page in pages:
                    has_chars = has_chars or bool(page.chars)
                    texts.append(page.extract_text() or "")
                    page.flush_cache()
    except (PDFPasswordIncorrect, PDFEncryptionError):
        return rejected("encrypted", REJECT_MESSAGES["encrypted"])
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds for a damaged file
        if _wraps(exc, lambda e: isinstance(e, MemoryError)):
            # A stream that would inflate past the worker's memory limit: not a damaged file, and
            # the customer cannot fix it by downloading again. pdfplumber wraps the MemoryError.
            raise MemoryError("the file inflates past the memory limit") from exc
        if _is_password_error(exc):
            return rejected("encrypted", REJECT_MESSAGES["encrypted"])
        if isinstance(exc, (PDFSyntaxError, PSException, ValueError, KeyError, TypeError, IndexError, AssertionError,
                            EOFError, AttributeError)) or exc.__class__.__module__.startswith(("pdfminer", "pdfplumber")):
            return rejected("corrupt", REJECT_MESSAGES["corrupt"])
        raise
    if not has_chars:
        return result("needs_review", problems=[{"code": "no_text", "message": "The PDF is a scan with no text to "
                                                                               "read. A person will read it."}])
    return transcripts.parse_pages(texts).as_dict()


def _is_password_error(exc: BaseException | None) -> bool:
    """pdfplumber wraps pdfminer's errors; look through the wrapping."""
    return _wraps(exc, lambda e: "Password" in e.__class__.__name__ or "Encryption" in e.__class__.__name__)


def _wraps(exc: BaseException | None, test) -> bool:
    """Whether `exc` or an error it wraps (in its args, cause or context) passes `test`."""
    seen = 0
    while exc is not None and seen < 5:
        if test(exc):
            return True
        inner = [a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)]
        exc = inner[0] if inner else (exc.__cause__ or exc.__context__)
        seen += 1
    return False


def render_page(data: bytes, page_number: int, highlight: str | None = None, resolution: int = 100) -> dict:
    """One page of a PDF as a PNG, with the line a figure came from boxed in red.

    The line is found by its words, whatever spacing or dot leaders the extractor saw.
    """
    import re

    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    if filetypes.kind_of(data) != "pdf":
        return result("rejected", problems=[{"code": "not_pdf", "message": "Only PDF pages can be shown."}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if not 1 <= page_number <= len(pdf.pages):
                return result("rejected", problems=[{"code": "no_page", "message": "No such page."}])
            page = pdf.pages[page_number - 1]
            image = page.to_image(resolution=resolution)
            found = 0
            if highlight:
                words = [w for w in re.split(r"[\s.…]+", highlight) if w][:6]
                if words:
                    pattern = r"[\s.]*".join(re.escape(w) for w in words)
                    for match in page.search(pattern, regex=True, case=False)[:3]:
                        image.draw_rect((0, match["top"] - 2, page.width, match["bottom"] + 2),
                                        fill=(255, 235, 59, 70), stroke=(200, 0, 0), stroke_width=2)
                        found += 1
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
    return {"status": "rendered", "png": buffer.getvalue(), "highlighted": found, "pages": len(pdf.pages)}
