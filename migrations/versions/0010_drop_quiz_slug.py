"""quiz answers: drop quiz_slug (written on every answer, read by nothing: the lesson names
its quiz; issue 16, dead data)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 21:05:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite 3.35+ and PostgreSQL both drop a plain column in place (no index or constraint
    # names it), so no table is rebuilt.
    op.drop_column('quiz_answers', 'quiz_slug')


def downgrade() -> None:
    op.add_column('quiz_answers', sa.Column('quiz_slug', sa.String(length=80),
                                            nullable=False, server_default=''))
