"""Rebate applications: the rebate kind's 1:1 detail table, its items with their quote, which item a
file belongs to, and the rebate denial reasons in both languages

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 05:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# The reasons a rebate is denied with; managers switch them off and add their own.
DENIAL_REASONS = (
    ("duplicate_receipt", "The receipt was already used for another rebate",
     "El recibo ya se usó para otro reembolso"),
    ("incomplete", "The application is missing information or documents we asked for",
     "A la solicitud le faltan datos o documentos que le pedimos"),
    ("not_eligible", "The purchase does not qualify under the program's rules",
     "La compra no cumple las reglas del programa"),
    ("not_installed", "The device was not installed at the service address",
     "El aparato no se instaló en la dirección del servicio"),
    ("no_response", "We did not receive an answer to our request for information",
     "No recibimos respuesta a nuestra solicitud de información"),
    ("funds_exhausted", "The program's funds for the year are used up",
     "Los fondos del programa para el año se agotaron"),
)


def upgrade() -> None:
    op.create_table(
        'rebate_applications',
        sa.Column('application_id', ID, nullable=False),
        sa.Column('program_id', ID, nullable=False),
        sa.Column('premise', sa.String(length=300), nullable=False),
        sa.Column('payment_method', sa.String(length=12), nullable=False),
        sa.Column('mailing_address', sa.JSON(), nullable=True),
        sa.Column('applicant_role', sa.String(length=8), nullable=False),
        sa.Column('owner_name', sa.String(length=200), nullable=True),
        sa.Column('owner_contact', sa.String(length=200), nullable=True),
        sa.Column('owner_consent', sa.Boolean(), nullable=False),
        sa.Column('quote_cents', sa.Integer(), nullable=False),
        sa.Column('approved_cents', sa.Integer(), nullable=True),
        sa.Column('ledger_entry_id', ID, nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', ID, nullable=True),
        sa.Column('reason_code', sa.String(length=40), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.CheckConstraint("payment_method IN ('bill_credit', 'check')", name=op.f('ck_rebate_applications_payment_method')),
        sa.CheckConstraint("payment_method = 'bill_credit' OR mailing_address IS NOT NULL",
                           name=op.f('ck_rebate_applications_check_address')),
        sa.CheckConstraint("applicant_role IN ('owner', 'tenant')", name=op.f('ck_rebate_applications_applicant_role')),
        sa.CheckConstraint("status IN ('pending', 'approved', 'denied', 'withdrawn')",
                           name=op.f('ck_rebate_applications_status')),
        sa.CheckConstraint('quote_cents >= 0', name=op.f('ck_rebate_applications_quote_cents')),
        sa.CheckConstraint('approved_cents IS NULL OR (approved_cents >= 0 AND approved_cents <= quote_cents)',
                           name=op.f('ck_rebate_applications_approved_cents')),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_rebate_applications_application_id_applications')),
        sa.ForeignKeyConstraint(['program_id'], ['rebate_programs.id'],
                                name=op.f('fk_rebate_applications_program_id_rebate_programs')),
        sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entries.id'],
                                name=op.f('fk_rebate_applications_ledger_entry_id_ledger_entries')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_rebate_applications_decided_by_id_users')),
        sa.PrimaryKeyConstraint('application_id', name=op.f('pk_rebate_applications')),
    )
    with op.batch_alter_table('rebate_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rebate_applications_program_id'), ['program_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rebate_applications_premise'), ['premise'], unique=False)

    op.create_table(
        'rebate_items',
        sa.Column('id', ID, nullable=False),
        sa.Column('application_id', ID, nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('measure', sa.String(length=40), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('model', sa.String(length=100), nullable=True),
        sa.Column('purchased_on', sa.Date(), nullable=False),
        sa.Column('installed_on', sa.Date(), nullable=True),
        sa.Column('price_cents', sa.Integer(), nullable=False),
        sa.Column('tax_cents', sa.Integer(), nullable=False),
        sa.Column('labor_cents', sa.Integer(), nullable=False),
        sa.Column('delivery_cents', sa.Integer(), nullable=False),
        sa.Column('discounts_cents', sa.Integer(), nullable=False),
        sa.Column('attributes', sa.JSON(), nullable=False),
        sa.Column('retailer', sa.String(length=200), nullable=True),
        sa.Column('invoice_number', sa.String(length=100), nullable=True),
        sa.Column('counted_quantity', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.Integer(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('rule_version', sa.String(length=60), nullable=True),
        sa.Column('explanation', sa.JSON(), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_rebate_items_quantity')),
        sa.CheckConstraint('price_cents >= 0 AND tax_cents >= 0 AND labor_cents >= 0 AND delivery_cents >= 0 '
                           'AND discounts_cents >= 0', name=op.f('ck_rebate_items_costs')),
        sa.CheckConstraint('amount_cents >= 0 AND counted_quantity >= 0', name=op.f('ck_rebate_items_quote')),
        sa.ForeignKeyConstraint(['application_id'], ['rebate_applications.application_id'],
                                name=op.f('fk_rebate_items_application_id_rebate_applications')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rebate_items')),
    )
    with op.batch_alter_table('rebate_items', schema=None) as batch_op:
        batch_op.create_index('ix_rebate_items_invoice', ['retailer', 'invoice_number'], unique=False)
        batch_op.create_index('ix_rebate_items_application', ['application_id', 'position'], unique=False)

    op.create_table(
        'rebate_documents',
        sa.Column('attachment_id', ID, nullable=False),
        sa.Column('item_id', ID, nullable=True),
        sa.ForeignKeyConstraint(['attachment_id'], ['application_documents.id'],
                                name=op.f('fk_rebate_documents_attachment_id_application_documents')),
        sa.ForeignKeyConstraint(['item_id'], ['rebate_items.id'], ondelete='SET NULL',
                                name=op.f('fk_rebate_documents_item_id_rebate_items')),
        sa.PrimaryKeyConstraint('attachment_id', name=op.f('pk_rebate_documents')),
    )
    with op.batch_alter_table('rebate_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rebate_documents_item_id'), ['item_id'], unique=False)

    reasons = sa.table("denial_reasons", sa.column("kind"), sa.column("code"), sa.column("labels", sa.JSON),
                       sa.column("active"))
    op.bulk_insert(reasons, [{"kind": "rebate", "code": code, "labels": {"en": en, "es": es}, "active": True}
                             for code, en, es in DENIAL_REASONS])


def downgrade() -> None:
    op.execute("DELETE FROM denial_reasons WHERE kind = 'rebate'")
    op.drop_table('rebate_documents')
    op.drop_table('rebate_items')
    op.drop_table('rebate_applications')
