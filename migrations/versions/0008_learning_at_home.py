"""learning at home: home cards for KS1 pupils, family agreements

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:45:00.000000
"""
from alembic import op
import sqlalchemy as sa
from app.db import UTCDateTime  # noqa: F401


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('home_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.Column('devices', sa.Integer(), nullable=False),
    sa.Column('last_used_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_home_cards_created_by_id_users')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_home_cards_pupil_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_home_cards_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_home_cards')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_home_cards_code_hash'))
    )
    op.create_index(op.f('ix_home_cards_pupil_id'), 'home_cards', ['pupil_id'], unique=False)
    op.create_index(op.f('ix_home_cards_school_id'), 'home_cards', ['school_id'], unique=False)
    op.create_table('family_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('family_name', sa.String(length=60), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['users.id'], name=op.f('fk_family_agreements_parent_id_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_family_agreements_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_agreements')),
    sa.UniqueConstraint('parent_id', name=op.f('uq_family_agreements_parent_id'))
    )
    op.create_index(op.f('ix_family_agreements_school_id'), 'family_agreements', ['school_id'], unique=False)
    # an answer or choice sent again from the same page is not counted twice (plain ADD COLUMN)
    op.add_column('quiz_answers', sa.Column('client_token', sa.String(length=32), nullable=True))
    op.create_index('ix_quiz_answers_sent', 'quiz_answers', ['pupil_id', 'client_token'], unique=True)
    op.add_column('scenario_choices', sa.Column('client_token', sa.String(length=32), nullable=True))
    op.create_index('ix_scenario_choices_sent', 'scenario_choices', ['pupil_id', 'client_token'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_scenario_choices_sent', table_name='scenario_choices')
    op.drop_column('scenario_choices', 'client_token')
    op.drop_index('ix_quiz_answers_sent', table_name='quiz_answers')
    op.drop_column('quiz_answers', 'client_token')
    op.drop_index(op.f('ix_family_agreements_school_id'), table_name='family_agreements')
    op.drop_table('family_agreements')
    op.drop_index(op.f('ix_home_cards_school_id'), table_name='home_cards')
    op.drop_index(op.f('ix_home_cards_pupil_id'), table_name='home_cards')
    op.drop_table('home_cards')
