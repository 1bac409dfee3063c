"""hardening: two-step sign-in, recovery codes, alert wording opt-in, no TRUNCATE

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
from app.db import UTCDateTime  # noqa: F401


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

APPEND_ONLY = ("worries", "worry_entries", "audit_events", "admin_audit")


def upgrade() -> None:
    # plain ADD COLUMN on both databases: no table is recreated (SQLite keeps its triggers)
    op.add_column('users', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.add_column('schools', sa.Column('two_step_for_teachers', sa.Boolean(), nullable=False,
                                       server_default=sa.text('false')))
    op.add_column('schools', sa.Column('alerts_name_kind', sa.Boolean(), nullable=False,
                                       server_default=sa.text('false')))
    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('used_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_codes_code_hash'))
    )
    op.create_index(op.f('ix_recovery_codes_user_id'), 'recovery_codes', ['user_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Row triggers do not see TRUNCATE: a statement trigger refuses it (SQLite has none).
        op.execute(
            "CREATE FUNCTION refuse_truncate() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'safeguarding records are append-only (%)', TG_TABLE_NAME; "
            "END $$ LANGUAGE plpgsql"
        )
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION refuse_truncate()")
    op.drop_index(op.f('ix_recovery_codes_user_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.drop_column('alerts_name_kind')
        batch_op.drop_column('two_step_for_teachers')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
