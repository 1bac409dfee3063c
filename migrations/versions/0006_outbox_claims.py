"""outbox claims: a sender claims each row before sending it; a stable Message-ID per row

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
from app.db import UTCDateTime  # noqa: F401


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.String(length=250), nullable=True))
        batch_op.create_index('ix_outbox_emails_due', ['sent_at', 'next_attempt_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_emails_due')
        batch_op.drop_column('message_id')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claimed_until')
