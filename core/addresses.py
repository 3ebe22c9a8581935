"""Email addresses as they come in: one syntax check for every way in, never a DNS look-up.

A newline in an address would break the mail header it is written into and a comma would add a
recipient, so both are refused with every other control character before the syntax check of
`email-validator` (deliverability off; `.test` and the other special-use domains are accepted, so
test and demo addresses work).
"""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class AddressError(ValueError):
    """Not an address we accept; `code` says why ('empty', 'control', 'comma', 'too_long', 'syntax')."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


def clean_email(value: object) -> str:
    """The address in the form we store (lower case), or AddressError.

    Only surrounding spaces are forgiven; a line break anywhere, even at the end, is refused.
    """
    if not isinstance(value, str):
        raise AddressError("empty")
    text = value.strip(" ")
    if not text:
        raise AddressError("empty")
    if _CONTROL.search(text):
        raise AddressError("control")
    if "," in text or ";" in text:
        raise AddressError("comma")
    if len(text) > MAX_LENGTH:
        raise AddressError("too_long")
    try:
        result = validate_email(text, check_deliverability=False, test_environment=True,
                                allow_quoted_local=False, allow_display_name=False, allow_domain_literal=False)
    except EmailNotValidError as exc:
        raise AddressError("syntax", str(exc)) from exc
    address = result.normalized.lower()
    if len(address) > MAX_LENGTH:
        raise AddressError("too_long")
    return address


def is_valid_email(value: object) -> bool:
    try:
        clean_email(value)
    except AddressError:
        return False
    return True
