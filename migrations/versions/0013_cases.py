"""Cases: reversals that wait for a manager, the day's adjustment sum per requester, credit file cell rules

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 21:15:47.234172
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.database


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('adjustment_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='adjustment', nullable=False))
        batch_op.add_column(sa.Column('reverses_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index('ix_adjustment_requests_account_requester', ['account_id', 'requested_by_id', 'requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjustment_requests_reverses_entry_id'), ['reverses_entry_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_adjustment_requests_reverses_entry_id_ledger_entries'), 'ledger_entries', ['reverses_entry_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_adjustment_requests_kind'), "kind IN ('adjustment', 'reversal')")
        batch_op.create_check_constraint(op.f('ck_adjustment_requests_reversal_points_back'),
                                         "(kind = 'reversal') = (reverses_entry_id IS NOT NULL)")

    with op.batch_alter_table('credit_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cell_rules', sa.Integer(), server_default='1', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('credit_batches', schema=None) as batch_op:
        batch_op.drop_column('cell_rules')

    with op.batch_alter_table('adjustment_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_adjustment_requests_reversal_points_back'), type_='check')
        batch_op.drop_constraint(op.f('ck_adjustment_requests_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_adjustment_requests_reverses_entry_id_ledger_entries'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_adjustment_requests_reverses_entry_id'))
        batch_op.drop_index('ix_adjustment_requests_account_requester')
        batch_op.drop_column('reverses_entry_id')
        batch_op.drop_column('kind')

