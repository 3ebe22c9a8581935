"""Signals between areas that must not import each other (documents -> eligibility), via blinker.

A sender says what happened; receivers in later areas react in the same transaction.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sent with (session, document) after a document's parse result is stored
document_parsed = _signals.signal("document-parsed")

# sent with (session, run) after an accounts import has been applied, before its commit
accounts_imported = _signals.signal("accounts-imported")

# sent with (session, batch) after the CIS's result file for a credit batch has been applied, before its commit
credits_acknowledged = _signals.signal("credits-acknowledged")

# sent with (session, batch) after a credit batch for the CIS has been made, before its commit
credits_exported = _signals.signal("credits-exported")
