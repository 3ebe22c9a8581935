"""What a file is, by its content: never by its name.

A PDF must start with `%PDF-` at byte 0 (a deliberate policy that also stops HTML/PDF polyglots,
which put the marker later). JPEG, PNG and HEIC photos are accepted as scans. A file whose content
is none of these, or does not match its extension, is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

EXTENSIONS = {"pdf": {".pdf"}, "jpeg": {".jpg", ".jpeg"}, "png": {".png"}, "heic": {".heic", ".heif"}}
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


@dataclass(frozen=True)
class Sniffed:
    kind: str | None          # pdf, jpeg, png, heic; None when refused
    problem: str | None = None  # a code for the refusal
    message: str | None = None


def kind_of(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return "heic"
    return None


def sniff(data: bytes, filename: str | None = None) -> Sniffed:
    kind = kind_of(data)
    if kind is None:
        return Sniffed(None, "unsupported_type", "This file is not a PDF or a JPEG, PNG or HEIC photo. Download the "
                                                 "transcript from the IRS as a PDF, or take a photo of the paper.")
    if filename:
        extension = PurePath(filename).suffix.lower()
        if extension and extension not in EXTENSIONS[kind]:
            return Sniffed(None, "extension_mismatch", f"The file is named {extension} but its content is "
                                                       f"{kind.upper()}. Send the original file.")
    return Sniffed(kind)


def image_problem(data: bytes, kind: str) -> str | None:
    """None when the photo decodes; otherwise why not."""
    from PIL import Image, UnidentifiedImageError

    if kind == "heic":
        try:
            from pillow_heif import register_heif_opener
        except ImportError:  # pragma: no cover - the package is a dependency
            return "HEIC photos cannot be read on this server"
        register_heif_opener()
    import io

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return f"the photo cannot be opened ({exc.__class__.__name__})"
    return None
