"""getting-started checklist: the steps a club dismissed or reviewed, and the list finished (issue 13)

Clubs that exist at upgrade time were set up before the checklist existed: they get the list marked finished,
so that a club in use is not greeted with "getting started" after an upgrade.

Revision ID: b240ca01d43e
Revises: 8fc6527b28fc
Create Date: 2026-12-04 11:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b240ca01d43e'
down_revision = '8fc6527b28fc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklist_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_checklist_mark_club_id_club')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_checklist_mark_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_mark')),
    sa.UniqueConstraint('club_id', 'item', name=op.f('uq_checklist_mark_club_id_item'))
    )
    club = sa.table('club', sa.column('id', sa.Integer()))
    mark = sa.table('checklist_mark', sa.column('club_id', sa.Integer()), sa.column('item', sa.String()),
                    sa.column('kind', sa.String()), sa.column('created_at', sa.DateTime(timezone=True)))
    # The database's own clock (UTC on SQLite): a migration runs outside the app, where clubcrm.clock is not set.
    op.execute(mark.insert().from_select(
        ['club_id', 'item', 'kind', 'created_at'],
        sa.select(club.c.id, sa.literal('all'), sa.literal('finished'), sa.func.current_timestamp())))


def downgrade():
    op.drop_table('checklist_mark')
