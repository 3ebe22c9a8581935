"""What pages show for an application's status (the API keeps the codes)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {"draft": _l("draft, not sent yet"), "submitted": _l("received"), "in_review": _l("being reviewed"),
                 "needs_info": _l("we need more information"), "approved": _l("approved"), "denied": _l("not approved"),
                 "appealed": _l("appeal being reviewed"), "withdrawn": _l("withdrawn"), "closed": _l("closed"),
                 "waitlisted": _l("on the waiting list for funds"), "reserved": _l("reserved: finish the work, then claim")}
