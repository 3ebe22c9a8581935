"""Utility accounts mirrored from the billing system (CIS), their bills, and the credit ledger."""
