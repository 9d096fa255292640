"""Moving in from another system: members, memberships, package balances and visits exported as a peer system
writes them (its own column names, semicolons, cp1251, dd.mm.yyyy), imported from the shell and from the page;
afterwards the engine sees the members as if they had always been here, and its first pass plans only what is
due today."""
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import facts
from clubcrm.lifecycle.stages import stage_of
from clubcrm.models import Freeze, ImportJob, LedgerEntry, Member, Membership, Package, Plan, Service, Touchpoint, Visit
from clubcrm.services.sessions import local_midnight
from tests.conftest import NOW, TODAY
from tests.test_import_http import job_id_of, wait_for, wait_for_check
from tests.lifecycle import no_holdouts, run_pass


def d(day: date) -> str:
    """A date as the peer system writes it."""
    return day.strftime("%d.%m.%Y")


# Anna's second year ends in 40 days (a renewal of the first); Boris's month ended 10 days ago; Viktor's year
# started 300 days ago and he trains (imported visits); Darya is frozen until ten days from now.
ANNA_END = TODAY + timedelta(days=40)
ANNA_START = ANNA_END - timedelta(days=364)
ANNA_FIRST = (ANNA_START - timedelta(days=365), ANNA_START - timedelta(days=1))
BORIS = (TODAY - timedelta(days=39), TODAY - timedelta(days=10))
VIKTOR = (TODAY - timedelta(days=300), TODAY + timedelta(days=64))
DARYA = (TODAY - timedelta(days=190), TODAY + timedelta(days=185))

MEMBERS = ("Номер клиента;Фамилия;Имя;Телефон;Эл. почта\r\n"
           "K001;Иванова;Анна;040 100 0001;anna@example.ru\r\n"
           "K002;Петров;Борис;040 100 0002;\r\n"
           "K003;Сидоров;Виктор;040 100 0003;\r\n"
           "K004;Кузнецова;Дарья;040 100 0004;\r\n")
MEMBERSHIPS = ("Фамилия;Имя;Телефон;Абонемент;Начало;Окончание;Цена;Заморожен до\r\n"
               f"Иванова;Анна;040 100 0001;Годовой;{d(ANNA_FIRST[0])};{d(ANNA_FIRST[1])};5 400,00;\r\n"
               f"Иванова;Анна;040 100 0001;Годовой;{d(ANNA_START)};{d(ANNA_END)};5 900,00;\r\n"
               f"Петров;Борис;040 100 0002;Месяц;{d(BORIS[0])};{d(BORIS[1])};59,00;\r\n"
               f"Сидоров;Виктор;040 100 0003;годовой;{d(VIKTOR[0])};{d(VIKTOR[1])};5 900,00;\r\n"
               f"Кузнецова;Дарья;040 100 0004;Годовой;{d(DARYA[0])};{d(DARYA[1])};5 900,00;"
               f"{d(TODAY + timedelta(days=10))}\r\n")
BALANCES = ("Карта;Услуга;Осталось;Действует до\r\n"
            f"K001;Персональная тренировка;5;{d(TODAY + timedelta(days=100))}\r\n"
            f"K003;Персональная тренировка;4;{d(TODAY + timedelta(days=80))}\r\n")
# Viktor: 20 visits this cycle, the last three in the past week (times in Helsinki, one with its offset).
VISITS = "Карта;Дата и время\r\n" + "".join(
    f"K003;{d(TODAY - timedelta(days=days))} 18:30\r\n" for days in [2, 4] + list(range(20, 275, 15))
) + f"K003;{(TODAY - timedelta(days=6)).isoformat()}T07:15:00+02:00\r\n" + f"K001;{d(ANNA_FIRST[0])} 09:00\r\n"


def setup_club(make):
    club = make.default_club
    with unit_of_work():
        db.session.add_all([
            Plan(club_id=club.id, name="Годовой", duration_days=365, price_minor=590000, currency="EUR"),
            Plan(club_id=club.id, name="Месяц", duration_days=30, price_minor=5900, currency="EUR"),
            Service(club_id=club.id, name="Персональная тренировка", package_units=10, price_minor=45000,
                    currency="EUR", valid_days=180)])
    return club


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_bytes(text.encode("cp1251"))
    return path


def test_a_club_moves_in_from_the_shell_and_the_first_pass_plans_only_what_is_due_today(runner, make, tmp_path):
    club = setup_club(make)
    for kind, text, count in (("members", MEMBERS, 4), ("memberships", MEMBERSHIPS, 5), ("balances", BALANCES, 2),
                              ("visits", VISITS, 21)):
        result = runner.invoke(args=["import", kind, str(write(tmp_path, f"{kind}.csv", text))])
        assert result.exit_code == 0, result.output
        assert "cp1251, semicolon-separated" in result.output
        assert f"Imported {count} {kind}; 0 rows refused." in result.output, result.output
    db.session.commit()
    people = {m.card_code: m for m in db.session.scalars(select(Member))}
    assert people["K001"].first_name == "Анна" and people["K001"].last_name == "Иванова"

    contracts = {card: sorted(db.session.scalars(select(Membership).where(Membership.member_id == m.id)),
                              key=lambda c: c.starts_on) for card, m in people.items()}
    first, second = contracts["K001"]
    assert (first.starts_on, first.ends_on, first.price_minor) == (ANNA_FIRST[0], ANNA_FIRST[1], 540000)
    assert second.renews_id == first.id and first.renews_id is None   # renewals linked by the window
    assert [c.renews_id for c in contracts["K002"] + contracts["K003"] + contracts["K004"]] == [None, None, None]
    assert contracts["K002"][0].price_minor == 5900
    assert all(c.imported_at is not None and c.sold_by_id is None for cs in contracts.values() for c in cs)
    # Converted on the first day of their first contract, not on the day of the import.
    assert people["K001"].converted_at == local_midnight(ANNA_FIRST[0], club.timezone)
    assert people["K003"].converted_at == local_midnight(VIKTOR[0], club.timezone)
    freeze = db.session.scalar(select(Freeze).where(Freeze.membership_id == contracts["K004"][0].id))
    assert (freeze.starts_on, freeze.ends_on) == (TODAY, TODAY + timedelta(days=10))

    # Balances equal their ledgers: one opening grant each, the peer's expiry kept.
    packages = list(db.session.scalars(select(Package).order_by(Package.member_id)))
    assert [(p.member_id, p.balance, p.expires_on) for p in packages] == [
        (people["K001"].id, 5, TODAY + timedelta(days=100)), (people["K003"].id, 4, TODAY + timedelta(days=80))]
    for package in packages:
        ledger = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.package_id == package.id)))
        assert package.balance == sum(e.units for e in ledger)
        assert [(e.kind, e.reason) for e in ledger] == [("grant", "opening balance (import)")]

    visits = list(db.session.scalars(select(Visit)))
    assert {(v.source, v.club_id) for v in visits} == {("import", club.id)}
    viktor = [v for v in visits if v.member_id == people["K003"].id]
    assert len(viktor) == 20 and {v.membership_id for v in viktor} == {contracts["K003"][0].id}
    anna = next(v for v in visits if v.member_id == people["K001"].id)
    assert anna.membership_id == first.id   # the membership valid that day, not the current one
    offset = next(v for v in viktor if v.checked_in_at.date() == TODAY - timedelta(days=6))
    assert (offset.checked_in_at.hour, offset.checked_in_at.minute) == (5, 15)

    # Stages as if they had always been here.
    loaded = facts.load(club.id, club.timezone, TODAY, NOW)
    stage = {card: stage_of(False, loaded.contracts[m.id], loaded.freezes, TODAY, loaded.first_start.get(m.id))
             for card, m in people.items()}
    assert {card: s.name for card, s in stage.items()} == {
        "K001": "pre_renewal", "K002": "lapsed", "K003": "active", "K004": "frozen"}
    assert stage["K001"].days_to_end == 40 and stage["K003"].days_since_start == 300
    assert loaded.visits[people["K003"].id].last_visit == TODAY - timedelta(days=2)

    # The first pass: Anna's renewal offer (45 days before the end, a 30-day window), Boris's win-back (day 7
    # with a 3-day window: today is its last), and nothing for Viktor, whose welcome, first-visit call,
    # adaptation checks, milestones and 300 days of keeping in touch are long past.
    no_holdouts()
    run_pass()
    planned = {(row.member_id, row.rule.key) for row in db.session.scalars(select(Touchpoint))}
    assert planned == {(people["K001"].id, "renewal_45"), (people["K002"].id, "win_back_7")}
    # A second pass the same day plans nothing more.
    run_pass()
    assert db.session.scalar(select(func.count()).select_from(Touchpoint)) == 2


BAD = ("Kundennummer;Vorname;Nachname;Telefon;Tarif;Beginn;Ende;Preis\r\n"
       "K001;Анна;Иванова;;Годовой;01.03.2026;28.02.2027;5900\r\n"
       "K001;Анна;Иванова;;Платиновый;01.03.2025;28.02.2026;5900\r\n"
       "K002;Борис;Петров;;Месяц;01.03.2026;01.02.2026;59\r\n"
       "K999;Никто;Нет;;Месяц;01.01.2026;30.01.2026;59\r\n"
       "K002;Борис;Петров;;Месяц;31.02.2026;;59\r\n"
       "K001;Анна;Иванова;;Годовой;01.06.2026;31.05.2027;5900\r\n")


def test_the_page_refuses_bad_rows_by_line_and_column_and_all_or_nothing_writes_nothing(web, login_as, make, runner,
                                                                                         tmp_path):
    club = setup_club(make)
    make.member(club=club, card_code="K001", first_name="Анна")
    make.member(club=club, card_code="K002", first_name="Борис")
    login_as("manager")
    response = web.post("/imports/", data={"kind": "memberships", "file": (io.BytesIO(BAD.encode("cp1251")),
                                                                           "vertraege.csv")},
                        content_type="multipart/form-data")
    assert response.status_code == 302
    job_id = job_id_of(response)
    wait_for_check(web, job_id)
    page = web.get(f"/imports/{job_id}")
    assert page.status_code == 200
    assert "encoding cp1251, separated by semicolon" in page.text
    assert 'id="valid-count">1<' in page.text and 'id="refused-count">5<' in page.text
    job = db.session.get(ImportJob, job_id)
    assert [(r["line"], r["field"]) for r in job.report] == [
        (3, "plan"), (4, "ends_on"), (5, "card_code"), (6, "starts_on"), (7, "starts_on")]
    assert job.report[4]["message"] == "These days overlap the membership on line 2."
    for column in ("Tarif", "Ende", "Kundennummer", "Beginn"):
        assert f"<td>{column}</td>" in page.text
    assert "No plan of the club has this name" in page.text
    assert "No member of the club has this value" in page.text

    fields = {f"fields-{i}": f for i, f in enumerate(
        ["card_code", "", "", "phone", "plan", "starts_on", "ends_on", "price"])}
    web.post(f"/imports/{job_id}", data={**fields, "mode": "all", "action": "import"})
    state = wait_for(web, job_id)
    assert state["status"] == "failed" and state["imported"] == 0 and state["refused"] == 5
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
    assert db.session.scalar(select(Member.converted_at).where(Member.card_code == "K001")) is None

    # From the shell: all or nothing refuses (exit 1, nothing written); --valid-only imports the good row.
    path = write(tmp_path, "vertraege.csv", BAD)
    result = runner.invoke(args=["import", "memberships", str(path)])
    assert result.exit_code == 1 and "line 3: plan: No plan of the club has this name" in result.output
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
    result = runner.invoke(args=["import", "memberships", str(path), "--valid-only"])
    assert result.exit_code == 0 and "Imported 1 memberships; 5 rows refused." in result.output
    db.session.commit()
    imported = db.session.scalar(select(Membership))
    assert (imported.starts_on, imported.ends_on, imported.price_minor) == (date(2026, 3, 1), date(2027, 2, 28), 590000)
    assert db.session.scalar(select(Member.converted_at).where(Member.card_code == "K001")) == local_midnight(
        date(2026, 3, 1), club.timezone)


def test_the_page_imports_balances_and_visits_of_members_already_here(web, login_as, make):
    club = setup_club(make)
    anna = make.member(club=club, card_code="K001", phone="+358401000001")
    make.member(club=club, card_code="K003", phone="+358401000003")
    login_as("manager")
    for kind, text, valid, refused in (
            ("balances", BALANCES + "K001;Персональная тренировка;2;\r\nK005;Йога;3;\r\n", 2, 2),
            ("visits", "Телефон;Время визита\r\n040 100 0001;01.03.2026 18:30\r\n040 100 0001;01.03.2026 18:30\r\n"
                       "040 100 0003;2026-03-09T20:00:00+02:00\r\n040 100 0003;12.12.2099 10:00\r\n", 2, 2)):
        upload = (io.BytesIO(text.encode("cp1251")), f"{kind}.csv")
        response = web.post("/imports/", data={"kind": kind, "file": upload}, content_type="multipart/form-data")
        assert response.status_code == 302, response.text
        job_id = job_id_of(response)
        wait_for_check(web, job_id)
        page = web.get(f"/imports/{job_id}")
        assert page.status_code == 200
        assert f'id="valid-count">{valid}<' in page.text and f'id="refused-count">{refused}<' in page.text
        job = db.session.get(ImportJob, job_id)
        fields = {f"fields-{i}": f or "" for i, f in enumerate(job.mapping["fields"])}
        web.post(f"/imports/{job_id}", data={**fields, "mode": "valid", "action": "import"})
        state = wait_for(web, job_id)
        assert state["status"] == "done" and state["imported"] == valid, state
    db.session.commit()
    package = db.session.scalar(select(Package).where(Package.member_id == anna.id))
    assert package.balance == 5 == sum(db.session.scalars(select(LedgerEntry.units).where(
        LedgerEntry.package_id == package.id)))
    assert [(v.source, v.membership_id) for v in db.session.scalars(select(Visit).order_by(Visit.id))] == [
        ("import", None), ("import", None)]
    job = db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()
    assert [(r["line"], r["field"]) for r in job.report] == [(3, "visited_at"), (5, "visited_at")]


def test_an_imported_cycle_owes_no_pace_for_the_days_before_its_import():
    from clubcrm.lifecycle.facts import ContractRow
    from clubcrm.lifecycle.planner import pacing_target, unseen_days
    from clubcrm.lifecycle.stages import Stage
    from clubcrm.models import Club

    club = Club(touch_budget_min=10, touch_budget_max=15)
    start = date(2025, 1, 1)
    day = start + timedelta(days=300)
    sold = ContractRow(1, 1, start, start + timedelta(days=364), None, None)
    imported = ContractRow(2, 1, start, start + timedelta(days=364), None, None, imported_on=day)
    assert unseen_days(Stage("active", day, sold)) == 0 and unseen_days(Stage("active", day, imported)) == 300
    # Sold here: 300 days in, the cycle should have had 8 of its 10 contacts. Imported that day: none yet.
    assert pacing_target(club, Stage("active", day, sold), 0) > 8
    assert pacing_target(club, Stage("active", day, imported), 0, 300) < 1
    # From the import on it is paced as any cycle: a contact due after about five weeks.
    later = start + timedelta(days=337)
    assert pacing_target(club, Stage("active", later, imported), 0, 300) >= 1


def test_renewals_three_deep_and_onto_a_contract_in_clubcrm_are_linked_in_order(make):
    """The contracts go in a generation at a time (one INSERT each): every renewal still links to the contract
    just before it, in the file or already in ClubCRM, whatever the file's order."""
    from tests.test_import_chain import imported

    club = make.default_club
    month = make.plan(club=club, name="Month", duration_days=30)
    ada, ben = make.member(card_code="ADA-1"), make.member(card_code="BEN-1")
    bens_first = make.membership(ben, plan=month, today=TODAY - timedelta(days=40))   # ended 11 days ago
    months = [(TODAY - timedelta(days=90 - 30 * i), TODAY - timedelta(days=61 - 30 * i)) for i in range(3)]
    rows = [f"ADA-1;Month;{d(start)};{d(end)}\n" for start, end in reversed(months)]   # newest first
    rows.append(f"BEN-1;Month;{d(TODAY - timedelta(days=10))};\n")
    result = imported(club, "memberships", "Card;Plan;Start;End\n" + "".join(rows), mode="all")
    assert result.imported == 4, [(r.line, r.field, str(r.message)) for r in result.checked.refusals]
    adas = db.session.execute(select(Membership.id, Membership.renews_id).where(Membership.member_id == ada.id)
                              .order_by(Membership.starts_on)).all()
    assert [renews for _id, renews in adas] == [None, adas[0].id, adas[1].id]
    bens = db.session.scalar(select(Membership.renews_id).where(Membership.member_id == ben.id,
                                                                Membership.id != bens_first.id))
    assert bens == bens_first.id
