"""Upload limits, one rule for every upload form and the API (issue 13).

`MAX_UPLOAD_MB` is the largest file we take, and the one every message names. Werkzeug's
`MAX_CONTENT_LENGTH` limits a whole request, so it is set a little above (room for the form's
other fields and the multipart framing): a file just under the limit is never refused for its
form, and a request over it is answered before its body is read, with the message tied to the
file field and the page's other answers kept.
"""
from __future__ import annotations

import math

from flask import current_app, request
from flask_babel import format_decimal, gettext as _

MIB = 1024 * 1024
# What a form adds to its file in one request (CSRF token, a few fields, the multipart framing).
# Under 0.05 MB, so a request limit shown to one decimal reads as the file limit.
FORM_ROOM_BYTES = 32 * 1024


def request_limit(max_upload_mb: int) -> int:
    """MAX_CONTENT_LENGTH for a file limit of `max_upload_mb`."""
    return max_upload_mb * MIB + FORM_ROOM_BYTES


def file_limit() -> int:
    """The largest file, in bytes."""
    return int(current_app.config.get("MAX_UPLOAD_MB") or 15) * MIB


def megabytes(size: int) -> str:
    """A size in MB as people read it: 20, or 15.3 just over a 15 MB limit."""
    return format_decimal(round(size / MIB, 1), format="#,##0.#")


def too_large_message(size: int) -> str:
    limit = file_limit()
    shown = megabytes(size)
    if size > limit and shown == megabytes(limit):  # never "1 MB; the largest we accept is 1 MB"
        shown = format_decimal(math.ceil(size / MIB * 100) / 100, format="#,##0.0#")
    return _("The file is %(size)s MB; the largest we accept is %(limit)s MB.", size=shown, limit=megabytes(limit))


def refused_request_message() -> str:
    """For a request refused before its body was read: its length stands for the file's size."""
    return too_large_message(max(request.content_length or 0, file_limit() + MIB // 20))


def drain() -> None:
    """Read and drop the rest of a refused upload, so the browser gets the page rather than a reset
    connection; a body far over the limit is not read."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or file_limit()
    length = request.content_length or 0
    stream = request.environ.get("wsgi.input")
    if stream is None or not 0 < length <= 8 * limit:
        return
    while length > 0:
        chunk = stream.read(min(length, 1 << 16))
        if not chunk:
            break
        length -= len(chunk)
