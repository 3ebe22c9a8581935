"""The assistance kind of application: household, programs, determinations, flags, and its pages and API."""
