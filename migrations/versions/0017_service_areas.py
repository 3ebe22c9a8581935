"""Program service areas: where each program is offered (whole states, ZIP codes)

The shipped programs get theirs from `eligibility/data/programs.json`: CARE, FERA and LIHEAP-CA
every California ZIP code, EZ-SAVE the City of Los Angeles (LADWP). SEATTLE-UDP keeps the ZIP
codes of its rule version.

Revision ID: 0017
Revises: 0016
"""
from __future__ import annotations

import json
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

PROGRAMS_FILE = Path(__file__).resolve().parents[2] / "eligibility" / "data" / "programs.json"


def upgrade() -> None:
    op.add_column('programs', sa.Column('service_area', sa.JSON(), nullable=True))
    programs = sa.table("programs", sa.column("code"), sa.column("service_area", sa.JSON))
    shipped = json.loads(PROGRAMS_FILE.read_text(encoding="utf-8"))["programs"]
    for program in shipped:
        area = program.get("service_area")
        if area:
            op.execute(programs.update().where(programs.c.code == program["code"]).values(service_area=area))


def downgrade() -> None:
    # A plain ALTER TABLE (SQLite 3.35+ drops a column in place): a batch copy of `programs` would
    # have to drop the table its rule versions point to.
    op.drop_column('programs', 'service_area')
