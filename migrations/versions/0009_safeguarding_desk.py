"""safeguarding desk: actions with owners and due dates, shared outcomes, replies, links,
lead absences

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 07:50:00.000000
"""
from alembic import op
import sqlalchemy as sa
from app.db import UTCDateTime  # noqa: F401


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN on both databases: worry_entries keeps its append-only triggers
    for name, target in (("owner_id", "users"), ("refers_id", "worry_entries"),
                         ("linked_worry_id", "worries")):
        _add_reference("worry_entries", name, target)
    op.add_column('worry_entries', sa.Column('due_on', sa.Date(), nullable=True))
    op.add_column('worry_entries', sa.Column('happened_at', UTCDateTime(), nullable=True))
    op.add_column('worry_entries', sa.Column('reply', sa.String(length=30), nullable=True))
    op.create_index(op.f('ix_worry_entries_owner_id'), 'worry_entries', ['owner_id'])
    op.create_index(op.f('ix_worry_entries_linked_worry_id'), 'worry_entries',
                    ['linked_worry_id'])
    op.create_index('ix_worry_entries_worry_kind', 'worry_entries', ['worry_id', 'kind', 'id'])
    op.create_table(
        'lead_absences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_lead_absences_school_id_schools')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_lead_absences_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_absences')),
    )
    op.create_index(op.f('ix_lead_absences_school_id'), 'lead_absences', ['school_id'])
    op.create_index(op.f('ix_lead_absences_user_id'), 'lead_absences', ['user_id'])
    op.create_table(
        'transfer_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('package_id', sa.Integer(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('receiving_school', sa.String(length=200), nullable=True),
        sa.Column('leaving_on', sa.Date(), nullable=True),
        sa.Column('checksum', sa.String(length=64), nullable=True),
        sa.Column('entries', sa.Integer(), nullable=True),
        sa.Column('method', sa.String(length=40), nullable=True),
        sa.Column('person', sa.String(length=120), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_transfer_records_school_id_schools')),
        sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'],
                                name=op.f('fk_transfer_records_pupil_id_pupils')),
        sa.ForeignKeyConstraint(['package_id'], ['transfer_records.id'],
                                name=op.f('fk_transfer_records_package_id_transfer_records')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_transfer_records_author_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_records')),
    )
    op.create_index(op.f('ix_transfer_records_school_id'), 'transfer_records', ['school_id'])
    op.create_index(op.f('ix_transfer_records_pupil_id'), 'transfer_records', ['pupil_id'])
    _append_only(APPEND_ONLY)


APPEND_ONLY = ("lead_absences", "transfer_records")


def _append_only(tables: tuple[str, ...]) -> None:
    """Like the other safeguarding records (0002, 0007): no UPDATE, DELETE or TRUNCATE."""
    if op.get_bind().dialect.name == "postgresql":
        for table in tables:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()")
        return
    for table in tables:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                       "BEGIN SELECT RAISE(ABORT, 'safeguarding records are append-only'); END")


def _add_reference(table: str, column: str, target: str) -> None:
    """An integer column pointing at ``target``: SQLite takes the reference inline in ADD
    COLUMN (Alembic would try ALTER ... ADD CONSTRAINT, which SQLite lacks)."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                   f"CONSTRAINT {name} REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"])


def downgrade() -> None:
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
    op.drop_index(op.f('ix_transfer_records_pupil_id'), table_name='transfer_records')
    op.drop_index(op.f('ix_transfer_records_school_id'), table_name='transfer_records')
    op.drop_table('transfer_records')
    op.drop_index(op.f('ix_lead_absences_user_id'), table_name='lead_absences')
    op.drop_index(op.f('ix_lead_absences_school_id'), table_name='lead_absences')
    op.drop_table('lead_absences')
    op.drop_index('ix_worry_entries_worry_kind', table_name='worry_entries')
    op.drop_index(op.f('ix_worry_entries_linked_worry_id'), table_name='worry_entries')
    op.drop_index(op.f('ix_worry_entries_owner_id'), table_name='worry_entries')
    for column in ('linked_worry_id', 'reply', 'refers_id', 'happened_at', 'due_on',
                   'owner_id'):
        op.drop_column('worry_entries', column)
