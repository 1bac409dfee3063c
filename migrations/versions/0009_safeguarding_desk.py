"""safeguarding desk: actions with owners and due dates, shared outcomes, replies, links,
lead absences

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 07:50:00.000000
"""
from alembic import op
import sqlalchemy as sa
from app.db import UTCDateTime  # noqa: F401


revision = '0009'
down_revision = '0007'
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
    op.drop_index(op.f('ix_lead_absences_user_id'), table_name='lead_absences')
    op.drop_index(op.f('ix_lead_absences_school_id'), table_name='lead_absences')
    op.drop_table('lead_absences')
    op.drop_index('ix_worry_entries_worry_kind', table_name='worry_entries')
    op.drop_index(op.f('ix_worry_entries_linked_worry_id'), table_name='worry_entries')
    op.drop_index(op.f('ix_worry_entries_owner_id'), table_name='worry_entries')
    for column in ('linked_worry_id', 'reply', 'refers_id', 'happened_at', 'due_on',
                   'owner_id'):
        op.drop_column('worry_entries', column)
