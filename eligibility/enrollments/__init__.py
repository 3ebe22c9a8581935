"""Enrollments after approval: their lifecycle, letters, benefit credits and pages."""
