"""What other areas' pages share with the documents pages: the upload limit and its rate-limit key,
and the labels of documents' statuses, types and figures. `documents.views` uses them from here, and
other packages import them from here, never from the views.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

__all__ = ("DOCUMENT_TYPE_LABELS", "FIELD_LABELS", "FILING_STATUS_LABELS", "STATUS_LABELS", "UPLOAD_LIMIT",
           "upload_key")

UPLOAD_LIMIT = "20 per hour"
STATUS_LABELS = {"stored": _l("received, not read yet"), "parsing": _l("being read"), "parsed": _l("read"),
                 "needs_review": _l("waiting for a person to read it"), "rejected": _l("refused")}
# What staff read for the parser's codes (the API and `documents parse` keep the codes).
DOCUMENT_TYPE_LABELS = {
    "tax_return_transcript": _l("Tax Return Transcript"), "account_transcript": _l("Account Transcript"),
    "record_of_account": _l("Record of Account"), "wage_and_income_transcript": _l("Wage & Income Transcript"),
    "verification_of_nonfiling": _l("Verification of Non-filing letter"), "unknown": _l("not recognized"),
}
FILING_STATUS_LABELS = {"single": _l("Single"), "married_filing_jointly": _l("Married filing jointly"),
                        "married_filing_separately": _l("Married filing separately"),
                        "head_of_household": _l("Head of household"),
                        "qualifying_surviving_spouse": _l("Qualifying surviving spouse")}
FIELD_LABELS = {
    "adjusted_gross_income": _l("Adjusted gross income"), "total_income": _l("Total income"),
    "taxable_income": _l("Taxable income"), "wages": _l("Wages"),
    "unemployment_compensation": _l("Unemployment compensation"),
    "social_security_benefits": _l("Social Security benefits"), "pensions": _l("Pensions and annuities"),
    "business_income": _l("Business income"), "interest": _l("Interest"), "dividends": _l("Dividends"),
    "other_income": _l("Other income"),
}


def upload_key() -> str:
    """The rate-limit key of uploads: one budget per signed-in person, whichever page they upload from."""
    return f"upload:{current_user.id}"
