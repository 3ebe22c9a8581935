"""Participation reports: read-only queries returning rows, workbooks and the dashboard built from them.

Nothing imports this package; it reads every layer below it and writes only its own records
(report jobs, eligible-population estimates, who manages which program).
"""
