"""Lifecycle settings through HTTP: a manager switches tools off, sets holdouts, edits a rule's timing,
threshold and texts, and the engine plans by what was saved; bad settings are refused on their field
and nothing is saved; desk staff and other clubs' managers are kept out.

Requests go through the conftest's client; the test's session is committed before each request
(tests.web.Web), so what the test reads afterwards is fresh.
"""
import html
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, func, select

from blueprints.forms.lifecycle import RuleForm
from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.i18n import LOCALE_NAMES, SUPPORTED_LOCALES
from clubcrm.lifecycle import defaults, engine
from clubcrm.lifecycle.texts import DEFAULT_TEXTS
from clubcrm.models import AuditEvent, Club, Rule, Tool, Touchpoint
from tests.web import field_errors, flashes

INDEX = "/settings/lifecycle/"


def seeded(club: Club) -> Club:
    """Give CLUB its default tools and rules, committed."""
    with unit_of_work():
        engine.club_rules(club)
    return club


def rule_of(club: Club, key: str) -> Rule:
    return db.session.scalar(select(Rule).where(Rule.club_id == club.id, Rule.key == key))


def tool_of(club: Club, key: str) -> Tool:
    return db.session.scalar(select(Tool).where(Tool.club_id == club.id, Tool.key == key))


def rule_url(rule: Rule) -> str:
    return f"/settings/lifecycle/rules/{rule.id}"


def tool_url(tool: Tool) -> str:
    return f"/settings/lifecycle/tools/{tool.id}"


def rule_form(rule: Rule, **changes) -> dict:
    """A valid submission of RULE as it stands, with CHANGES (enabled=None leaves the box unticked)."""
    data = {
        "enabled": "y" if rule.enabled else None, "channel": rule.channel, "fallback": rule.fallback,
        "priority": str(rule.priority), "days": str(rule.days), "window_days": str(rule.window_days),
        "threshold": "" if rule.threshold is None else str(rule.threshold),
        "season_from": rule.season_from or "", "season_to": rule.season_to or "",
        **{f"text_{locale}": (rule.texts or {}).get(locale, "") for locale in SUPPORTED_LOCALES},
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def budget_form(**changes) -> dict:
    return {"touch_budget_min": "10", "touch_budget_max": "15", "sms_gap_days": "3", **changes}


def snapshot(club: Club) -> dict:
    """Everything the lifecycle settings can write for CLUB, and the audit trail's length."""
    db.session.commit()
    budget = db.session.execute(select(Club.touch_budget_min, Club.touch_budget_max, Club.sms_gap_days)
                                .where(Club.id == club.id)).one()
    tools = db.session.execute(select(Tool.key, Tool.enabled, Tool.holdout_pct).where(Tool.club_id == club.id)
                               .order_by(Tool.key)).all()
    rules = db.session.execute(select(
        Rule.key, Rule.enabled, Rule.channel, Rule.fallback, Rule.priority, Rule.days, Rule.window_days,
        Rule.threshold, Rule.season_from, Rule.season_to, Rule.texts,
    ).where(Rule.club_id == club.id).order_by(Rule.key)).all()
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return {"budget": tuple(budget), "tools": [tuple(t) for t in tools], "rules": [tuple(r) for r in rules],
            "audit": audits}


def page_text(response) -> str:
    return html.unescape(response.text)


# --- the page ---------------------------------------------------------------------------------------


def test_the_page_seeds_the_defaults_of_an_old_club_and_lists_them(make, web, login_as):
    club = make.default_club
    login_as("manager")
    with unit_of_work():   # a club from before the rules existed (the factory seeds them)
        db.session.execute(delete(Rule).where(Rule.club_id == club.id))
        db.session.execute(delete(Tool).where(Tool.club_id == club.id))
    assert db.session.scalar(select(func.count()).select_from(Tool).where(Tool.club_id == club.id)) == 0

    response = web.get(INDEX)
    assert response.status_code == 200
    text = page_text(response)
    tools = list(db.session.scalars(select(Tool).where(Tool.club_id == club.id)))
    rules = list(db.session.scalars(select(Rule).where(Rule.club_id == club.id)))
    assert sorted(t.key for t in tools) == sorted(defaults.TOOLS)
    assert sorted(r.key for r in rules) == sorted(spec.key for spec in defaults.RULES)
    for name in ("Welcome", "Renewal offer", "Birthday greeting", "Win-back"):
        assert name in text
    for rule in rules:
        assert f'href="{rule_url(rule)}"' in text
    assert "Welcome message after the start" in text
    assert "Fires on this day after the start, or within the window after it." in text
    for name, value in (("touch_budget_min", 10), ("touch_budget_max", 15), ("sms_gap_days", 3)):
        assert f'name="{name}" required type="number" value="{value}"' in response.text
    # The welcome tool comes first, the club news last: the order managers know from the defaults.
    assert text.index("Welcome message after the start") < text.index("Keep in touch (club news)")

    assert web.get(INDEX).status_code == 200  # a second visit seeds nothing twice
    assert db.session.scalar(select(func.count()).select_from(Rule).where(Rule.club_id == club.id)) == len(rules)


def test_the_settings_page_links_to_the_lifecycle_page(make, web, login_as):
    login_as("manager")
    assert f'href="{INDEX}"' in web.get("/settings/").text


def test_the_rule_form_offers_a_text_per_language_and_names_the_placeholders(make, web, login_as):
    club = seeded(make.default_club)
    login_as("manager")
    welcome = rule_of(club, "welcome")
    response = web.get(rule_url(welcome))
    assert response.status_code == 200
    text = page_text(response)
    for locale in SUPPORTED_LOCALES:
        assert f'name="text_{locale}"' in response.text
        assert LOCALE_NAMES[locale] in text
    assert DEFAULT_TEXTS["welcome"]["fi"] in text
    assert "<code>{club}</code>, <code>{first_name}</code>" in text
    assert 'name="threshold"' not in response.text  # the welcome trigger reads no threshold
    spring = web.get(rule_url(rule_of(club, "season_spring")))
    assert 'name="season_from"' in spring.text and 'value="04-15"' in spring.text
    assert 'name="days"' not in spring.text


def test_the_rule_form_has_a_text_field_for_every_supported_language():
    assert {f"text_{locale}" for locale in SUPPORTED_LOCALES} == {
        name for name in dir(RuleForm) if name.startswith("text_") and name != "text_fields"}


# --- saving -----------------------------------------------------------------------------------------


def test_a_manager_switches_a_tool_off_and_changes_its_holdout(make, web, login_as):
    club = seeded(make.default_club)
    make.lead_tools(holdout_pct=10)   # every tool on, at the default holdout
    login_as("manager")
    welcome = tool_of(club, "welcome")
    audits = snapshot(club)["audit"]

    response = web.post(tool_url(welcome), {"holdout_pct": "25"})  # the box unticked: off
    assert response.status_code == 302
    assert urlsplit(response.location).path == INDEX
    assert (welcome.enabled, welcome.holdout_pct) == (False, 25)
    assert "Welcome saved." in flashes(web.get(INDEX))
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.entity, event.entity_id, event.before, event.after["enabled"]) == (
        "tool", welcome.id, {"enabled": True, "holdout_pct": 10}, False)
    assert snapshot(club)["audit"] == audits + 1

    assert web.post(tool_url(welcome), {"enabled": "y", "holdout_pct": "0"}).status_code == 302
    assert (welcome.enabled, welcome.holdout_pct) == (True, 0)
    # The other tools kept theirs.
    assert {(t.enabled, t.holdout_pct) for t in db.session.scalars(select(Tool).where(
        Tool.club_id == club.id, Tool.id != welcome.id))} == {(True, 10)}


def test_a_manager_changes_the_contact_budget(make, web, login_as):
    club = seeded(make.default_club)
    login_as("manager")
    response = web.post("/settings/lifecycle/budget", budget_form(touch_budget_min="8", touch_budget_max="8",
                                                                   sms_gap_days="0"))
    assert response.status_code == 302
    assert (club.touch_budget_min, club.touch_budget_max, club.sms_gap_days) == (8, 8, 0)
    assert "Contact budget saved." in flashes(web.get(INDEX))


def test_an_edited_rule_is_what_the_engine_reads(make, web, login_as):
    club = seeded(make.default_club)
    login_as("manager")
    check = rule_of(club, "adaptation_14")
    response = web.post(rule_url(check), rule_form(
        check, days="10", window_days="5", threshold="3", priority="12", channel="sms", fallback="skip",
        text_en="Hi {first_name}, how are your first weeks at {club}?", text_de="Hallo {first_name}!"))
    assert response.status_code == 302, field_errors(response)
    assert urlsplit(response.location).path == INDEX
    assert "Adaptation check at day 14 saved." in flashes(web.get(INDEX))

    welcome = rule_of(club, "welcome")
    texts = dict(welcome.texts)
    assert web.post(rule_url(welcome), rule_form(
        welcome, enabled=None, window_days="4", text_en="Welcome, {first_name}!\r\nSee you at {club}.",
        text_ru="")).status_code == 302

    with unit_of_work():
        rules = {rule.key: rule for rule in engine.club_rules(club)}
    edited = rules["adaptation_14"]
    assert (edited.days, edited.window_days, edited.threshold, edited.priority, edited.channel,
            edited.fallback) == (10, 5, 3, 12, "sms", "skip")
    assert edited.texts == {"en": "Hi {first_name}, how are your first weeks at {club}?",
                            "de": "Hallo {first_name}!"}
    welcome = rules["welcome"]
    assert welcome.enabled is False and welcome.window_days == 4
    # Line breaks typed in the browser are kept, as plain newlines; an emptied language is dropped.
    assert welcome.texts == {**{k: v for k, v in texts.items() if k != "ru"},
                             "en": "Welcome, {first_name}!\nSee you at {club}."}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "rule")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.entity_id == welcome.id and event.before["window_days"] == 2 and event.after["window_days"] == 4


def test_every_default_rule_saves_as_it_comes(make, web, login_as):
    """The defaults (texts in six languages, timings, thresholds, campaign windows) pass the checks."""
    club = seeded(make.default_club)
    login_as("manager")
    before = snapshot(club)
    for rule in db.session.scalars(select(Rule).where(Rule.club_id == club.id).order_by(Rule.id)).all():
        response = web.post(rule_url(rule), rule_form(rule))
        assert response.status_code == 302, (rule.key, field_errors(response))
    after = snapshot(club)
    assert after["rules"] == before["rules"] and after["audit"] == before["audit"] + len(defaults.RULES)


def test_the_default_language_of_the_club_is_the_one_an_sms_rule_needs(make, web, login_as):
    club = seeded(make.club(name="Berlin", default_locale="de", timezone="Europe/Berlin"))
    login_as("manager", club=club)
    welcome = rule_of(club, "welcome")
    assert web.post(rule_url(welcome), rule_form(welcome, text_en="")).status_code == 302
    assert "en" not in welcome.texts

    before = snapshot(club)
    response = web.post(rule_url(welcome), rule_form(welcome, text_de=""))
    assert response.status_code == 422
    # The manager reads the page in the club's language.
    assert field_errors(response) == {"text_de": ["Eine SMS-Regel braucht einen Text in Deutsch."]}
    assert snapshot(club) == before
    # A staff-task rule needs no text at all.
    call = rule_of(club, "silence_call")
    assert web.post(rule_url(call), rule_form(call, text_de="")).status_code == 302


# --- bad settings -----------------------------------------------------------------------------------

ALLOWED = "This text may use: {club}, {first_name}, {link}."
BAD = {
    "negative days": ("rule:silence_sms", {"days": "-1"}, "days", "Enter a whole number from 0 to 730."),
    "days beyond two years": ("rule:silence_sms", {"days": "731"}, "days", "Enter a whole number from 0 to 730."),
    "days left empty": ("rule:renewal_45", {"days": ""}, "days", "Enter a whole number from 0 to 730."),
    "days as text": ("rule:silence_sms", {"days": "ten"}, "days", "Not a valid integer value."),
    "negative window": ("rule:welcome", {"window_days": "-3"}, "window_days",
                        "Enter a whole number from 0 to 365."),
    "huge priority": ("rule:welcome", {"priority": "99999999999999999999"}, "priority",
                      "Enter a whole number from 1 to 999."),
    "no channel we know": ("rule:welcome", {"channel": "email"}, "channel", "Not a valid choice."),
    "empty text of an SMS rule in the club's language": (
        "rule:welcome", {"text_en": "   "}, "text_en", "An SMS rule needs a text in English."),
    "switching a text-less call rule to SMS": (
        "rule:silence_call", {"channel": "sms"}, "text_en", "An SMS rule needs a text in English."),
    "unknown placeholder": ("rule:welcome", {"text_de": "Hallo {foo}!"}, "text_de",
                            f"Unknown placeholder {{foo}}. {ALLOWED}"),
    "another rule's placeholder": ("rule:welcome", {"text_en": "Hi {first_name}, ends {end_date}"}, "text_en",
                                   f"Unknown placeholder {{end_date}}. {ALLOWED}"),
    "a format spec": ("rule:welcome", {"text_en": "Hi {first_name!r:>40}"}, "text_en",
                      f"Unknown placeholder {{first_name!r:>40}}. {ALLOWED}"),
    "broken brace": ("rule:welcome", {"text_en": "Hi {first_name, welcome"}, "text_en",
                     f"A brace {{ or }} is not closed. {ALLOWED}"),
    "a lone closing brace": ("rule:welcome", {"text_sk": "Ahoj first_name}"}, "text_sk",
                             f"A brace {{ or }} is not closed. {ALLOWED}"),
    "a text too long": ("rule:welcome", {"text_fi": "x" * 481}, "text_fi",
                        "Keep the text to at most 480 characters (now 481)."),
    "threshold 0 for a milestone": ("rule:milestone_10", {"threshold": "0"}, "threshold",
                                    "Enter a whole number from 1 to 1000."),
    "no threshold for a low balance": ("rule:low_balance", {"threshold": ""}, "threshold",
                                       "Enter a whole number from 1 to 1000."),
    "season date 13-45": ("rule:season_spring", {"season_from": "13-45"}, "season_from",
                          "Enter a day of the year as MM-DD, such as 04-15."),
    "season date 02-30": ("rule:season_spring", {"season_to": "02-30"}, "season_to",
                          "Enter a day of the year as MM-DD, such as 04-15."),
    "season date in another shape": ("rule:season_spring", {"season_to": "4-28"}, "season_to",
                                     "Enter a day of the year as MM-DD, such as 04-15."),
    "budget minimum above its maximum": ("budget", budget_form(touch_budget_min="16"), "touch_budget_min",
                                         "The minimum cannot exceed the maximum (15)."),
    "budget of no contacts": ("budget", budget_form(touch_budget_min="0"), "touch_budget_min",
                              "Enter a whole number from 1 to 50."),
    "budget maximum of 51": ("budget", budget_form(touch_budget_max="51"), "touch_budget_max",
                             "Enter a whole number from 1 to 50."),
    "SMS gap of a month and more": ("budget", budget_form(sms_gap_days="31"), "sms_gap_days",
                                    "Enter a whole number from 0 to 30."),
    "budget as text": ("budget", budget_form(touch_budget_max="lots"), "touch_budget_max",
                       "Not a valid integer value."),
    "holdout 80": ("tool:welcome", {"enabled": "y", "holdout_pct": "80"}, "holdout_pct",
                   "Enter a whole number from 0 to 50."),
    "negative holdout": ("tool:welcome", {"holdout_pct": "-1"}, "holdout_pct",
                         "Enter a whole number from 0 to 50."),
    "holdout left empty": ("tool:birthday", {"holdout_pct": ""}, "holdout_pct", "This field is required."),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_settings_are_refused_on_their_field_and_nothing_is_saved(make, web, login_as, case):
    target, changes, field, message = BAD[case]
    club = seeded(make.default_club)
    login_as("manager")
    if target == "budget":
        url, data = "/settings/lifecycle/budget", changes
    elif target.startswith("tool:"):
        url, data = tool_url(tool_of(club, target.removeprefix("tool:"))), changes
    else:
        rule = rule_of(club, target.removeprefix("rule:"))
        url, data = rule_url(rule), rule_form(rule, **changes)
    before = snapshot(club)

    response = web.post(url, data)
    assert response.status_code == 422
    assert field_errors(response) == {field: [message]}
    assert snapshot(club) == before
    if target.startswith("rule:") and field != "channel":  # the form comes back with what was typed
        assert html.escape(changes.get(field, ""))[:40] in response.text
    if target.startswith("tool:"):  # the other tools' forms are still on the page, with their own ids
        assert response.text.count('name="holdout_pct"') == len(defaults.TOOLS)
        assert f'id="tool-{tool_of(club, "welcome").id}-holdout_pct"' in response.text


# --- who may --------------------------------------------------------------------------------------


def test_desk_staff_may_not_open_or_change_the_lifecycle_settings(make, web, login_as):
    club = seeded(make.default_club)
    login_as("desk")
    welcome_rule, welcome_tool = rule_of(club, "welcome"), tool_of(club, "welcome")
    before = snapshot(club)
    assert web.get(INDEX).status_code == 403
    assert web.get(rule_url(welcome_rule)).status_code == 403
    assert web.post(rule_url(welcome_rule), rule_form(welcome_rule, days="5")).status_code == 403
    assert web.post(tool_url(welcome_tool), {"holdout_pct": "0"}).status_code == 403
    assert web.post("/settings/lifecycle/budget", budget_form(touch_budget_min="5")).status_code == 403
    assert snapshot(club) == before


def test_another_clubs_rules_and_tools_are_not_found(make, web, login_as):
    club = seeded(make.default_club)
    other = seeded(make.club(name="Other"))
    login_as("manager", club=club)
    theirs_rule, theirs_tool = rule_of(other, "welcome"), tool_of(other, "welcome")
    before = snapshot(other)
    assert web.get(rule_url(theirs_rule)).status_code == 404
    assert web.post(rule_url(theirs_rule), rule_form(theirs_rule, days="5")).status_code == 404
    assert web.post(tool_url(theirs_tool), {"holdout_pct": "0"}).status_code == 404
    assert web.post(tool_url(theirs_tool), {"holdout_pct": "80"}).status_code == 404  # not a field error
    assert web.get("/settings/lifecycle/rules/2147483647").status_code == 404
    assert web.post("/settings/lifecycle/tools/2147483647", {"holdout_pct": "0"}).status_code == 404
    assert snapshot(other) == before


def test_anonymous_visitors_are_sent_to_login(make, web):
    assert make.default_club.id   # a set-up installation: an empty one leads every page to /setup instead
    response = web.get(INDEX)
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"


# --- the engine follows the page --------------------------------------------------------------------


@pytest.mark.parametrize("switched_off", [False, True], ids=["tool on", "tool off"])
def test_a_tool_switched_off_on_the_page_plans_nothing(make, web, login_as, switched_off):
    member = make.member(first_name="Nina", sms_consent=True)
    make.membership(member)  # the first membership starts today: the welcome rule fires on days 0..2
    login_as("manager")
    assert web.get(INDEX).status_code == 200
    welcome = tool_of(member.club, "welcome")
    data = {"holdout_pct": "0"} if switched_off else {"enabled": "y", "holdout_pct": "0"}
    assert web.post(tool_url(welcome), data).status_code == 302

    with unit_of_work():
        plan = engine.run(clock.utcnow())
    planned = [p for p in plan.touchpoints if p.member_id == member.id and p.tool.key == "welcome"]
    stored = db.session.scalars(select(Touchpoint).where(
        Touchpoint.member_id == member.id, Touchpoint.tool_id == welcome.id)).all()
    if switched_off:
        assert planned == [] and stored == []
    else:
        assert [(p.status, p.channel) for p in planned] == [("planned", "sms")]
        assert [(t.status, t.rule.key) for t in stored] == [("planned", "welcome")]
