"""Keeping enrollments current: reminders before a certification expires, grace, expiry,
recertification, post-enrollment verification and enrollment from partner agencies' files."""
