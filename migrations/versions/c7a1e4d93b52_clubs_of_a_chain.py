"""clubs of a chain: a club's own SMS sender and closing day; plan names unique per club (issue 13)

Plan names become unique per club, because the import finds plans by name. Plans that already share a name in
one club (compared case-insensitively, as the settings page now compares them) are RENAMED, not refused: the
oldest (lowest id) keeps its name, the others become "Name (2)", "Name (3)", ... (a suffix that is itself taken
is skipped). A plan's name is only a label: memberships point at the plan's id, so nothing else changes, and a
club whose upgrade stopped on two retired "Month" plans would gain nothing by it. Each rename is printed and
can be changed back on Settings afterwards. (Card codes are different: members carry them, so issue 13's card
migration stops instead.)

Revision ID: c7a1e4d93b52
Revises: f384f63a994b
Create Date: 2026-12-04 11:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a1e4d93b52'
down_revision = 'f384f63a994b'
branch_labels = None
depends_on = None

NAME_LENGTH = 80


def renames(rows) -> list[tuple[int, str, str]]:
    """(id, old name, new name) for every plan that shares its club's name with an older one; ROWS are
    (id, club_id, name). Deterministic: by club, then id."""
    taken: dict[int, set[str]] = {}
    for _id, club_id, name in rows:
        taken.setdefault(club_id, set()).add(name.lower())
    seen: dict[tuple[int, str], int] = {}
    changes = []
    for plan_id, club_id, name in sorted(rows, key=lambda row: (row[1], row[0])):
        key = (club_id, name.lower())
        if key not in seen:
            seen[key] = 1
            continue
        number = seen[key]
        while True:
            number += 1
            suffix = f" ({number})"
            candidate = name[:NAME_LENGTH - len(suffix)] + suffix
            if candidate.lower() not in taken[club_id]:
                break
        seen[key] = number
        taken[club_id].add(candidate.lower())
        changes.append((plan_id, name, candidate))
    return changes


def upgrade():
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_from', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('sms_messaging_service_sid', sa.String(length=34), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))

    connection = op.get_bind()
    plan = sa.table('plan', sa.column('id', sa.Integer), sa.column('club_id', sa.Integer),
                    sa.column('name', sa.String))
    rows = connection.execute(sa.select(plan.c.id, plan.c.club_id, plan.c.name)).all()
    for plan_id, old, new in renames([tuple(row) for row in rows]):
        print(f"plan {plan_id}: renamed {old!r} to {new!r} (plan names are now unique per club)")
        connection.execute(sa.update(plan).where(plan.c.id == plan_id).values(name=new))

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_plan_club_id_name'), ['club_id', 'name'])


def downgrade():
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_plan_club_id_name'), type_='unique')

    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.drop_column('closed_on')
        batch_op.drop_column('sms_messaging_service_sid')
        batch_op.drop_column('sms_from')
