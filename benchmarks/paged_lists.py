"""The long lists of a big club as a manager opens them: Today, the outbox, an import's refused rows, the KPI page's
members at risk; the median and p95 time of each page, beside the raw SQL of the page it shows (the floor).

    .venv/bin/python -m benchmarks.paged_lists [--engine postgresql|sqlite] [--messages N] [--tasks N]
        [--refusals N] [--runs N]

Bulk rows are written by the database itself (generate_series on PostgreSQL, a recursive CTE on SQLite), so the
data takes seconds; the seed (a club, its rules, a manager, a member and a membership) comes from the services.
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import defaults
from clubcrm.models import Rule
from tests.conftest import NOW, TODAY, make_app, migrate_to_head
from tests.factories import Factory

PASSWORD = "secret-pass"


def series(engine: str, count: int) -> str:
    """A FROM clause giving g = 1..COUNT."""
    if engine == "postgresql":
        return f"generate_series(1, {count}) AS s(g)"
    return f"(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {count}) SELECT g FROM s)"


def seed(app, engine: str, messages: int, tasks: int, refusals: int) -> dict:
    """One club with MESSAGES SMS, TASKS open tasks due by today and an import job with REFUSALS refused rows."""
    with app.app_context():
        make = Factory(app)
        club = make.default_club
        manager = make.staff("manager").email
        member = make.member(first_name="Bulk", last_name="Member")
        membership = make.membership(member, today=TODAY)
        with unit_of_work():
            defaults.ensure(club)
            db.session.flush()
            rule = db.session.scalar(db.select(Rule).where(Rule.club_id == club.id, Rule.key == "no_first_visit"))
            now = NOW.replace(tzinfo=None).isoformat(" ")
            # Due on the last 30 days: the oldest first on the list.
            due = (f"date('{TODAY.isoformat()}', '-' || (g % 30) || ' days')" if engine == "sqlite"
                   else f"DATE '{TODAY.isoformat()}' - (g % 30)")
            db.session.execute(text(
                "INSERT INTO touchpoint (club_id, member_id, membership_id, tool_id, rule_id, occurrence, stage, "
                "channel, status, task_kind, facts, due_on, planned_at) "
                f"SELECT {club.id}, {member.id}, {membership.id}, {rule.tool_id}, {rule.id}, g, 'adaptation', "
                f"'task', 'planned', 'call_back', '{{}}', {due}, '{now}' FROM {series(engine, tasks)}"))
            db.session.execute(text(
                "INSERT INTO message (club_id, member_id, idempotency_key, to_phone, body, locale, encoding, "
                "segments, status, due_at, created_at, attempts) "
                f"SELECT {club.id}, {member.id}, 'bench:' || g, '{member.phone}', 'Hello number ' || g, 'en', "
                f"'GSM-7', 1, 'delivered', '{now}', '{now}', 0 FROM {series(engine, messages)}"))
            report = ("(SELECT json_group_array(json_object('line', g + 1, 'field', 'phone', 'message', "
                      f"'Not a phone number we can text.')) FROM {series(engine, refusals)})" if engine == "sqlite"
                      else "(SELECT json_agg(json_build_object('line', g + 1, 'field', 'phone', 'message', "
                      f"'Not a phone number we can text.')) FROM {series(engine, refusals)})")
            job = db.session.execute(text(
                "INSERT INTO import_job (club_id, filename, status, mode, mapping, total_rows, processed_rows, "
                "imported_rows, refused_rows, report, created_at) "
                f"VALUES ({club.id}, 'members.csv', 'done', 'valid', :mapping, {refusals}, {refusals}, 0, "
                f"{refusals}, {report}, '{now}') RETURNING id"),
                {"mapping": '{"kind": "members", "headers": ["Phone"], "fields": ["phone"], "delimiter": ";", '
                            '"encoding": "utf-8"}'}).scalar_one()
        # Fresh statistics, as autovacuum (or SQLite's optimize) would have them for a club this size.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()
        return {"manager": manager, "job": job}


def timed(client, url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--tasks", type=int, default=5_000)
    parser.add_argument("--refusals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    clock.set_now(NOW)
    cluster = None
    with tempfile.TemporaryDirectory() as folder:
        if args.engine == "postgresql":
            from tests.postgres import Cluster

            cluster = Cluster().start()
            url = cluster.create_database("clubcrm_paged_lists")
        else:
            url = f"sqlite:///{Path(folder) / 'lists.db'}"
        try:
            migrate_to_head(url)
            app = make_app(url)
            started = time.perf_counter()
            seeded = seed(app, args.engine, args.messages, args.tasks, args.refusals)
            print(f"{args.engine}: {args.messages:,} messages, {args.tasks:,} open tasks, an import with "
                  f"{args.refusals:,} refusals, seeded in {time.perf_counter() - started:.1f} s")
            client = app.test_client()
            assert client.post("/login", data={"email": seeded["manager"], "password": PASSWORD}).status_code == 302
            print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'bytes':>10}")
            for url in ("/today/", "/today/?page=40", "/outbox/", "/outbox/?page=3000",
                        f"/imports/{seeded['job']}", f"/imports/{seeded['job']}?page=1500"):
                times = timed(client, url, args.runs)
                size = len(client.get(url).data)
                p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
                print(f"{url:32} {statistics.median(times) * 1000:>10.1f} {p95 * 1000:>8.1f} {size:>10,}")
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        finally:
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    main()
