"""opening hours: one interval a weekday per club, a weekday without a row is closed (issue 17: a lead's first
call is due, and the time to the first contact is counted, in opening hours)

Clubs that exist at upgrade time get the defaults new clubs get (clubcrm/services/opening_hours.py): Monday to
Friday 06:00-22:00, Saturday and Sunday 08:00-20:00, so that no club is left without hours. They are written out
here rather than imported: a migration keeps meaning what it meant when it was written.

Revision ID: e5a8c2f7d1b4
Revises: d7f3a1c5e9b2
Create Date: 2026-12-05 23:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5a8c2f7d1b4'
down_revision = 'd7f3a1c5e9b2'
branch_labels = None
depends_on = None

DEFAULT_WEEK = {0: (360, 1320), 1: (360, 1320), 2: (360, 1320), 3: (360, 1320), 4: (360, 1320),
                5: (480, 1200), 6: (480, 1200)}


def upgrade():
    op.create_table(
        'opening_hour',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('opens_minute', sa.Integer(), nullable=False),
        sa.Column('closes_minute', sa.Integer(), nullable=False),
        sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_opening_hour_weekday_range')),
        sa.CheckConstraint('opens_minute >= 0 AND closes_minute > opens_minute AND closes_minute <= 1440',
                           name=op.f('ck_opening_hour_closes_after_opens')),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_opening_hour_club_id_club')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_hour')),
        sa.UniqueConstraint('club_id', 'weekday', name=op.f('uq_opening_hour_club_id_weekday')),
    )
    club = sa.table('club', sa.column('id', sa.Integer()))
    hour = sa.table('opening_hour', sa.column('club_id', sa.Integer()), sa.column('weekday', sa.Integer()),
                    sa.column('opens_minute', sa.Integer()), sa.column('closes_minute', sa.Integer()))
    for weekday, (opens, closes) in DEFAULT_WEEK.items():
        op.execute(hour.insert().from_select(
            ['club_id', 'weekday', 'opens_minute', 'closes_minute'],
            sa.select(club.c.id, sa.literal(weekday, sa.Integer()), sa.literal(opens, sa.Integer()),
                      sa.literal(closes, sa.Integer()))))


def downgrade():
    op.drop_table('opening_hour')
