"""What other areas' pages share with the documents pages: the upload limit and its rate-limit key,
and the labels of documents' statuses, types and figures. Defined in `documents.views` for now;
other packages import them from here, never from the views.
"""
from __future__ import annotations

from documents.views import DOCUMENT_TYPE_LABELS, FIELD_LABELS, STATUS_LABELS, UPLOAD_LIMIT
from documents.views import _upload_key as upload_key

__all__ = ("DOCUMENT_TYPE_LABELS", "FIELD_LABELS", "STATUS_LABELS", "UPLOAD_LIMIT", "upload_key")
