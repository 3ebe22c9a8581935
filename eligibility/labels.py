"""What pages show for the codes of households and benefits (the API keeps the codes)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eligibility import explain
from eligibility.rules import CATEGORICAL_PROGRAMS

FREQUENCY_LABELS = {"annual": _l("a year"), "monthly": _l("a month"), "semimonthly": _l("twice a month"),
                    "biweekly": _l("every two weeks"), "weekly": _l("a week")}
INCOME_KIND_LABELS = {"wages": _l("Wages"), "self_employment": _l("Self-employment"),
                      "social_security": _l("Social Security"), "ssi": _l("SSI"), "pension": _l("Pension"),
                      "unemployment": _l("Unemployment"), "child_support": _l("Child support"), "other": _l("Other")}
CATEGORICAL_LABELS = {code: _l(explain.ENROLLMENTS[code]) for code in CATEGORICAL_PROGRAMS}
# What staff read on the review page (customers' pages say "Me" for the applicant).
STAFF_RELATIONSHIP_LABELS = {"self": _l("Applicant"), "head_of_household": _l("Head of household"),
                             "spouse": _l("Spouse or partner"), "child": _l("Child"), "parent": _l("Parent"),
                             "other": _l("Other")}
REQUIREMENT_LABELS = {"income": _l("proof of income"), "categorical": _l("proof of a benefit"),
                      "other": _l("something else")}
