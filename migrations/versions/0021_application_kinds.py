"""One application lifecycle for every kind: the assistance columns move to their own 1:1 table,
applications get a `kind`, notices belong to an account (and lose the CHECK listing every kind),
denial reasons and attachment requirements are per kind

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 04:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WAITING = "status IN ('submitted', 'in_review', 'appealed')"
TO_PRINT = "delivery = 'post' AND print_run_id IS NULL"
OLD_KINDS = ("'receipt', 'info_request', 'approval', 'denial', 'appeal_outcome', 'withdrawal', 'closure', "
             "'enrollment_ended', 'recert_reminder', 'grace_started', 'enrollment_expired', 'verification_request', "
             "'verification_passed', 'auto_enrolled'")


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds a table to drop its columns; with rows pointing at it, that needs the checks off
    (they cannot change inside a transaction, so the one Alembic holds is committed and begun again)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if on:
        problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems[:5]}")
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    bind.exec_driver_sql("BEGIN IMMEDIATE")


def _partial_indexes(create: bool) -> None:
    """The two partial indexes of the tables rebuilt here, dropped first and made again after, so SQLite's
    rebuild never turns them into full indexes."""
    if create:
        op.create_index('ix_applications_waiting', 'applications', ['submitted_at', 'id'], unique=False,
                        sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
        op.create_index('ix_notices_to_print', 'notices', ['id'], unique=False,
                        sqlite_where=sa.text(TO_PRINT), postgresql_where=sa.text(TO_PRINT))
    else:
        op.drop_index('ix_applications_waiting', table_name='applications')
        op.drop_index('ix_notices_to_print', table_name='notices')


def upgrade() -> None:
    _foreign_keys(False)
    _partial_indexes(False)
    op.create_table('assistance_applications',
    sa.Column('application_id', ID, nullable=False),
    sa.Column('household', sa.JSON(), nullable=False),
    sa.Column('categorical', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=16), server_default='new', nullable=False),
    sa.Column('enrollment_id', ID, nullable=True),
    sa.CheckConstraint("purpose IN ('new', 'recertification', 'verification')", name=op.f('ck_assistance_applications_purpose')),
    sa.CheckConstraint("purpose = 'new' OR enrollment_id IS NOT NULL", name=op.f('ck_assistance_applications_purpose_enrollment')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_assistance_applications_application_id_applications')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_assistance_applications_enrollment_id_enrollments')),
    sa.PrimaryKeyConstraint('application_id', name=op.f('pk_assistance_applications'))
    )
    op.create_index(op.f('ix_assistance_applications_enrollment_id'), 'assistance_applications', ['enrollment_id'],
                    unique=False)
    # Every application so far is an assistance application: its household, benefits and purpose move.
    op.execute("INSERT INTO assistance_applications (application_id, household, categorical, purpose, enrollment_id) "
               "SELECT id, household, categorical, purpose, enrollment_id FROM applications")

    # A notice belongs to an account: the application's, else the enrollment's.
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', ID, nullable=True))
    op.execute("UPDATE notices SET account_id = COALESCE("
               "(SELECT a.account_id FROM applications a WHERE a.id = notices.application_id), "
               "(SELECT e.account_id FROM enrollments e WHERE e.id = notices.enrollment_id))")
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=ID, nullable=False)
        batch_op.create_index(batch_op.f('ix_notices_account_id'), ['account_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notices_account_id_accounts'), 'accounts', ['account_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_notices_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_notices_about'), type_='check')
        batch_op.alter_column('kind', existing_type=sa.String(length=20), type_=sa.String(length=40),
                              existing_nullable=False)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='assistance', nullable=False))
        batch_op.drop_constraint(op.f('ck_applications_purpose_enrollment'), type_='check')
        batch_op.drop_constraint(op.f('ck_applications_purpose'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_applications_enrollment_id_enrollments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_applications_enrollment_id'))
        batch_op.drop_column('enrollment_id')
        batch_op.drop_column('purpose')
        batch_op.drop_column('categorical')
        batch_op.drop_column('household')

    # Denial reasons and the files an application asks for belong to a kind.
    with op.batch_alter_table('denial_reasons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='assistance', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_denial_reasons_code'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_denial_reasons_kind_code'), ['kind', 'code'])
    with op.batch_alter_table('application_documents', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_application_documents_requirement'), type_='check')
        batch_op.alter_column('requirement', existing_type=sa.String(length=12), type_=sa.String(length=20),
                              existing_nullable=False)
    _partial_indexes(True)
    _foreign_keys(True)


def downgrade() -> None:
    bind = op.get_bind()
    others = bind.execute(sa.text("SELECT count(*) FROM applications WHERE kind <> 'assistance'")).scalar()
    if others:
        raise RuntimeError(f"{others} applications of other kinds than assistance: they have nowhere to go before 0019")
    _foreign_keys(False)
    _partial_indexes(False)
    op.execute("DELETE FROM denial_reasons WHERE kind <> 'assistance'")
    with op.batch_alter_table('application_documents', schema=None) as batch_op:
        batch_op.alter_column('requirement', existing_type=sa.String(length=20), type_=sa.String(length=12),
                              existing_nullable=False)
        batch_op.create_check_constraint('requirement', "requirement IN ('income', 'categorical', 'other')")
    with op.batch_alter_table('denial_reasons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_denial_reasons_kind_code'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_denial_reasons_code'), ['code'])
        batch_op.drop_column('kind')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('categorical', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), server_default='new', nullable=False))
        batch_op.add_column(sa.Column('enrollment_id', ID, nullable=True))
    for column in ('household', 'categorical', 'purpose', 'enrollment_id'):
        op.execute(f"UPDATE applications SET {column} = (SELECT aa.{column} FROM assistance_applications aa "
                   f"WHERE aa.application_id = applications.id)")
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.alter_column('household', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('categorical', existing_type=sa.JSON(), nullable=False)
        batch_op.create_index(batch_op.f('ix_applications_enrollment_id'), ['enrollment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_applications_enrollment_id_enrollments'), 'enrollments',
                                    ['enrollment_id'], ['id'])
        batch_op.create_check_constraint('purpose', "purpose IN ('new', 'recertification', 'verification')")
        batch_op.create_check_constraint('purpose_enrollment', "purpose = 'new' OR enrollment_id IS NOT NULL")
        batch_op.drop_column('kind')

    # Letters about neither an application nor an enrollment, or of kinds unknown before, cannot stay.
    op.execute(f"DELETE FROM notices WHERE (application_id IS NULL AND enrollment_id IS NULL) "
               f"OR kind NOT IN ({OLD_KINDS})")
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=40), type_=sa.String(length=20),
                              existing_nullable=False)
        batch_op.create_check_constraint('kind', f"kind IN ({OLD_KINDS})")
        batch_op.create_check_constraint('about', "application_id IS NOT NULL OR enrollment_id IS NOT NULL")
        batch_op.drop_constraint(batch_op.f('fk_notices_account_id_accounts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notices_account_id'))
        batch_op.drop_column('account_id')

    op.drop_index(op.f('ix_assistance_applications_enrollment_id'), table_name='assistance_applications')
    op.drop_table('assistance_applications')
    _partial_indexes(True)
    _foreign_keys(True)
