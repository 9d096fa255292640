"""member page: links, page events, club switch and cancel deadline, touchpoint opens and answers: an SMS of the
lifecycle carries a link (only its token's hash is kept) to the member's own page, where they book, cancel, answer
a renewal offer and stop SMS; a touchpoint records when its link's page was first shown and the answer (issue 18)

Revision ID: a720fdb6b7ac
Revises: 82e4f0dd5817
Create Date: 2026-12-06 05:32:59.265231

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a720fdb6b7ac'
down_revision = '82e4f0dd5817'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_page_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_member_page_event_club_id_club')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_member_page_event_member_id_member')),
    sa.ForeignKeyConstraint(['session_id'], ['club_session.id'], name=op.f('fk_member_page_event_session_id_club_session')),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_member_page_event_touchpoint_id_touchpoint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_page_event'))
    )
    with op.batch_alter_table('member_page_event', schema=None) as batch_op:
        batch_op.create_index('ix_member_page_event_member_id_created_at', ['member_id', 'created_at'], unique=False)

    op.create_table('member_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_member_link_club_id_club')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_member_link_member_id_member')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_member_link_message_id_message')),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_member_link_touchpoint_id_touchpoint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_link')),
    sa.UniqueConstraint('message_id', name=op.f('uq_member_link_message_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_member_link_token_hash'))
    )
    with op.batch_alter_table('member_link', schema=None) as batch_op:
        batch_op.create_index('ix_member_link_member_id', ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_link_touchpoint_id'), ['touchpoint_id'], unique=False)

    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_page_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('booking_cancel_minutes', sa.Integer(), server_default='120', nullable=False))

    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answer', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answer')
        batch_op.drop_column('opened_at')

    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.drop_column('booking_cancel_minutes')
        batch_op.drop_column('member_page_enabled')

    with op.batch_alter_table('member_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_link_touchpoint_id'))
        batch_op.drop_index('ix_member_link_member_id')

    op.drop_table('member_link')
    with op.batch_alter_table('member_page_event', schema=None) as batch_op:
        batch_op.drop_index('ix_member_page_event_member_id_created_at')

    op.drop_table('member_page_event')
