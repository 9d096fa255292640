"""The desk's club: the lifecycle bench's two years (visits, touchpoints, packages, bookings, contacts) plus what
a desk meets on a member card and in the nav: a desk login, open staff tasks due by today and the SMS the
passes sent (the review found the old desk data's side tables empty, so the card's queries hit nothing).

    data = generate(members, visits, now); dataset.load_rows(url, data.head, data.tables)
"""
import random
from datetime import datetime, timedelta

from werkzeug.security import generate_password_hash

from benchmarks import lifecycle_data
from benchmarks.dataset import CLUB_ID
from benchmarks.reports_data import MESSAGE_COLS
from clubcrm.models import Staff

DESK_STAFF_ID = 2
DESK_EMAIL = "desk@bench.club"
MANAGER_EMAIL = "manager@bench.club"      # lifecycle_data's staff 1
PASSWORD = "bench-password"
OPEN_TASK_SHARE = 0.3   # of the staff tasks done in the last 21 days, left open instead


def generate(members: int, visits: int, now: datetime, seed: int = 20260310) -> lifecycle_data.History:
    """Two years of a club with MEMBERS people and VISITS visits, a desk login, open tasks and sent SMS."""
    hist = lifecycle_data.generate(members, visits, now, seed=seed)
    rng = random.Random(seed + 1)
    staff_rows = next(rows for table, rows in hist.head if table is Staff.__table__)
    staff_rows.append({**staff_rows[0], "id": DESK_STAFF_ID, "email": DESK_EMAIL, "name": "Dana Desk",
                       "role": "desk", "is_trainer": False,
                       "password_hash": generate_password_hash(PASSWORD)})
    tables = {name: (cols, rows) for name, cols, rows in hist.tables}
    member_cols, member_rows = tables["member"]
    phone_of = {row[0]: row[member_cols.index("phone")] for row in member_rows}
    locale_of = {row[0]: row[member_cols.index("locale")] for row in member_rows}
    cols, touchpoints = tables["touchpoint"]
    at = {name: cols.index(name) for name in cols}
    recent = (hist.today - timedelta(days=21)).isoformat()
    reopened, messages = 0, []
    for n, row in enumerate(touchpoints):
        if (row[at["channel"]] == "task" and row[at["status"]] == "done" and row[at["due_on"]] >= recent
                and rng.random() < OPEN_TASK_SHARE):
            row = list(row)
            for name, value in (("status", "planned"), ("outcome", None), ("done_at", None),
                                ("done_by_id", None)):
                row[at[name]] = value
            touchpoints[n] = tuple(row)
            reopened += 1
        elif row[at["channel"]] == "sms" and row[at["status"]] == "sent" and phone_of.get(row[at["member_id"]]):
            planned = row[at["planned_at"]]
            messages.append((
                len(messages) + 1, CLUB_ID, row[at["member_id"]], row[at["id"]], row[at["membership_id"]],
                row[at["rule_id"]], row[at["occurrence"]], f"bench-{row[at['id']]}", phone_of[row[at["member_id"]]],
                "Hei! Muistathan käydä salilla tällä viikolla. / Bench Fitness", locale_of[row[at["member_id"]]],
                "UCS-2", 1, "delivered", planned, 1, planned, planned, f"SM{row[at['id']]:032x}", None, planned))
    hist.tables.append(("message", MESSAGE_COLS, messages))
    hist.counts["open_tasks"] = reopened
    hist.counts["message"] = len(messages)
    return hist
