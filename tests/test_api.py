"""The JSON API under /api/v1: tokens, leads, check-ins, members, the renewals report, errors and the rate limit."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import ApiToken, AuditEvent, ConsentEvent, Member, Message, Visit
from clubcrm.services import api_tokens, packages
from tests.conftest import NOW, TODAY
from tests.report_snapshots import compute_all, until_computed
from tests.statements import statements


def issue(staff, label: str = "") -> str:
    with unit_of_work():
        return api_tokens.issue(staff, label)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def post(web, url: str, body, token: str):
    """POST BODY as JSON with TOKEN."""
    return web.open("POST", url, json=body, headers=bearer(token))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def error_of(response) -> dict:
    assert response.is_json, response.data[:200]
    assert set(response.json) == {"error"} and set(response.json["error"]) == {"code", "message", "field"}
    return response.json["error"]


def test_a_request_without_a_valid_token_is_refused_401(web, make):
    desk = make.staff("desk")
    member = make.member()
    token = issue(desk)
    no_header = web.get(f"/api/v1/members/{member.id}")
    assert no_header.status_code == 401 and no_header.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(no_header)["code"] == "unauthorized"
    for header in ("Bearer nonsense", "Bearer ccrm_" + "x" * 43, f"Basic {token}", "Bearer"):
        answer = web.get(f"/api/v1/members/{member.id}", headers={"Authorization": header})
        assert answer.status_code == 401, header
    assert web.get(f"/api/v1/members/{member.id}", headers=bearer(token)).status_code == 200
    row = db.session.scalar(select(ApiToken))
    assert row.last_used_at == NOW and row.token_hash != token and row.prefix == token[:12]
    assert token.startswith("ccrm_") and row.token_hash == api_tokens.hash_token(token)

    with unit_of_work():
        api_tokens.revoke(desk, row.id)
    assert web.get(f"/api/v1/members/{member.id}", headers=bearer(token)).status_code == 401
    other = issue(desk)
    with unit_of_work():
        desk.active = False
    assert web.get(f"/api/v1/members/{member.id}", headers=bearer(other)).status_code == 401
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "api_token")).all()
    assert sorted(actions) == ["create", "create", "revoke"]


def test_a_web_form_lead_is_registered_once_found_again_by_phone_or_email(web, make):
    token = issue(make.staff("desk"))
    sent = {"name": "Liisa Maria Web", "phone": "040 123 4567", "email": "Liisa@Example.com", "interest": "yoga",
            "consent": True, "locale": "fi"}
    created = post(web, "/api/v1/leads", sent, token)
    assert created.status_code == 201, created.json
    lead = created.json["member"]
    assert created.json["duplicate"] is False and created.headers["Location"].endswith(f"/api/v1/members/{lead['id']}")
    assert (lead["first_name"], lead["last_name"], lead["phone"], lead["email"]) == (
        "Liisa Maria", "Web", "+358401234567", "liisa@example.com")
    assert lead["is_lead"] and lead["sms_consent"] and lead["source"] == "web_form" and lead["locale"] == "fi"
    member = db.session.get(Member, lead["id"])
    assert member.sms_consent_source == "web_form" and member.interest == "yoga"

    by_phone = post(web, "/api/v1/leads", {"first_name": "L", "phone": "+358 40 123 4567"}, token)
    by_email = web.open("POST", "/api/v1/leads", json={"name": "Someone", "email": " LIISA@example.com "},
                        headers=bearer(token))
    for answer in (by_phone, by_email):
        # Only the id comes back: a website echoing the answer must not show who the known member is.
        assert answer.status_code == 200
        assert answer.json == {"member_id": lead["id"], "duplicate": True, "new_cycle": False}
    assert count(Member) == 1


def test_a_known_person_ticking_consent_with_their_own_phone_asks_that_phone_not_with_someone_elses(web, make):
    token = issue(make.staff("desk"))
    known = make.member(first_name="Known", phone="+358401110001", email="known@example.com")
    assert not known.sms_consent
    # The email is theirs, the phone is not: nothing about their consent can be read from that.
    other_phone = post(web, "/api/v1/leads", {"name": "K", "email": "known@example.com", "phone": "040 999 0000",
                                              "consent": True}, token)
    assert other_phone.status_code == 200 and other_phone.json["duplicate"] is True
    assert count(ConsentEvent) == 0 and count(Message) == 0 and not db.session.get(Member, known.id).sms_consent
    # Their own phone: nothing proves who typed it, so the phone is asked (tests/test_consent_confirmation.py).
    own_phone = post(web, "/api/v1/leads", {"name": "K", "phone": "040 111 0001", "consent": True}, token)
    assert own_phone.status_code == 200 and own_phone.json == {"member_id": known.id, "duplicate": True,
                                                            "new_cycle": False}
    db.session.expire_all()
    assert not db.session.get(Member, known.id).sms_consent and count(ConsentEvent) == 0
    [message] = db.session.scalars(select(Message)).all()
    assert (message.member_id, message.idempotency_key.startswith("consent:")) == (known.id, True)
    assert count(Member) == 1


def test_a_lead_that_cannot_be_registered_names_its_field_and_writes_nothing(web, make):
    token = issue(make.staff("desk"))
    refused = [
        ({"name": "No Phone", "consent": True}, "consent"),
        ({"email": "who@example.com"}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 7}, "name"),
        ({"name": "A", "phone": "12"}, "phone"),
        ({"name": "A", "email": "not an email"}, "email"),
        ({"name": "A", "consent": "yes"}, "consent"),
        ({"name": "A", "locale": "xx"}, "locale"),
        ({"name": "A\x00B"}, "name"),
        ({"name": "\ud800"}, "name"),
        ({"name": "A", "interest": "x" * 121}, "interest"),
        ({"name": "x" * 81}, "name"),
        # What the OpenAPI document refuses is refused (a control character, two @, a blank first name alone).
        ({"name": "A\x01B"}, "name"),
        ({"first_name": "A", "last_name": "B\u0085"}, "last_name"),
        ({"name": "A", "email": "a@b@c"}, "email"),
        ({"first_name": "\u3000 "}, "name"),
        ({"name": "A", "locale": "xx", "phone": "040 123 4567"}, "locale"),
    ]
    for body, field in refused:
        answer = post(web, "/api/v1/leads", body, token)
        assert answer.status_code == 422, (body, answer.json)
        assert error_of(answer)["field"] == field, body
    unknown_club = post(web, "/api/v1/leads", {"name": "A", "club_id": 99}, token)
    assert unknown_club.status_code == 404 and error_of(unknown_club)["field"] == "club_id"
    not_json = web.open("POST", "/api/v1/leads", data="name=A", headers=bearer(token),
                        content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 415 and error_of(not_json)["code"] == "unsupported_media_type"
    for raw in ("[1, 2]", "{not json", "null", "[" * 20_000):
        answer = web.open("POST", "/api/v1/leads", data=raw, headers=bearer(token), content_type="application/json")
        assert answer.status_code == 400 and error_of(answer)["code"] == "bad_request", raw[:20]
    huge = post(web, "/api/v1/leads", {"name": "A", "interest": "x" * 70_000}, token)
    assert huge.status_code == 413 and error_of(huge)["code"] == "too_large"
    assert count(Member) == 0


def test_a_check_in_by_card_answers_the_visit_and_a_repeat_the_same_visit(web, make):
    token = issue(make.staff("desk"))
    member = make.member(first_name="Anna", last_name="Card", card_code="C100")
    membership = make.membership(member)
    with unit_of_work():
        packages.grant(None, member, make.service(name="PT"), 10, TODAY, "sale")
    first = post(web, "/api/v1/checkins", {"card_code": " c100 "}, token)
    assert first.status_code == 201, first.json
    assert first.json["repeated"] is False and first.json["member"]["name"] == "Anna Card"
    assert first.json["membership"]["ends_on"] == membership.ends_on.isoformat()
    assert first.json["balances"] == [{"service_id": first.json["balances"][0]["service_id"], "service": "PT",
                                       "balance": 10, "expires_on": (TODAY + timedelta(days=180)).isoformat()}]
    assert first.json["visit"]["source"] == "api"

    clock.set_now(NOW + timedelta(seconds=60))
    again = post(web, "/api/v1/checkins", {"member_id": member.id}, token)
    assert again.status_code == 200 and again.json["repeated"] is True
    assert again.json["visit"]["id"] == first.json["visit"]["id"]
    assert count(Visit) == 1 and db.session.scalar(select(Visit.source)) == "api"


def test_a_refused_check_in_says_why_and_writes_nothing(web, make):
    token = issue(make.staff("desk"))
    expired = make.member(card_code="OLD1")
    make.membership(expired, today=TODAY - timedelta(days=90))
    lead = make.member()
    audits = count(AuditEvent)
    for body, code in (({"card_code": "OLD1"}, "expired"), ({"member_id": lead.id}, "no_membership")):
        answer = post(web, "/api/v1/checkins", body, token)
        assert answer.status_code == 403 and error_of(answer)["code"] == code, answer.json
        assert answer.json["error"]["field"] == "member_id" and answer.json["error"]["message"]
    unknown = post(web, "/api/v1/checkins", {"card_code": "NOPE"}, token)
    assert unknown.status_code == 404 and error_of(unknown)["field"] == "card_code"
    for body, field in (({}, "card_code"), ({"card_code": "OLD1", "member_id": lead.id}, "card_code"),
                        ({"member_id": 0}, "member_id"), ({"member_id": True}, "member_id"),
                        ({"card_code": "   "}, "card_code")):
        answer = post(web, "/api/v1/checkins", body, token)
        assert answer.status_code == 422 and error_of(answer)["field"] == field, body
    assert count(Visit) == 0 and count(AuditEvent) == audits


def test_a_member_is_shown_and_found_but_another_clubs_member_is_not_found(web, make):
    token = issue(make.staff("desk"))
    member = make.member(first_name="Mäkinen", last_name="Search", card_code="S1")
    make.membership(member)
    stranger = make.member(club=make.club(), first_name="Mäkinen", last_name="Elsewhere", card_code="S2")
    shown = web.get(f"/api/v1/members/{member.id}", headers=bearer(token))
    assert shown.status_code == 200
    assert shown.json["member"]["card_code"] == "S1" and shown.json["standing"]["state"] == "active"
    assert shown.json["standing"]["days_left"] == 29
    hidden = web.get(f"/api/v1/members/{stranger.id}", headers=bearer(token))
    assert hidden.status_code == 404 and error_of(hidden)["code"] == "not_found"
    assert post(web, "/api/v1/checkins", {"member_id": stranger.id}, token).status_code == 404
    their_card = post(web, "/api/v1/checkins", {"card_code": "S2"}, token)
    assert their_card.status_code == 403 and error_of(their_card)["code"] == "other_club"   # as the desk says
    assert count(Visit) == 0
    found = web.get("/api/v1/members?q=makinen", headers=bearer(token))
    assert [(m["id"], m["state"]) for m in found.json["members"]] == [(member.id, "active")]
    assert web.get("/api/v1/members?q=", headers=bearer(token)).json == {"members": []}
    missing = web.get("/api/v1/members", headers=bearer(token))
    assert missing.status_code == 422 and error_of(missing)["field"] == "q"


def test_the_renewals_report_is_for_managers_and_checks_its_period(web, make):
    desk, manager = make.staff("desk"), make.staff("manager")
    plan = make.plan()
    other_plan = make.plan(club=make.club())
    refused = web.get("/api/v1/reports/renewals", headers=bearer(issue(desk)))
    assert refused.status_code == 403 and error_of(refused)["code"] == "not_allowed"
    token = issue(manager)
    # No stored figures yet: 202 at once, with Retry-After, and not one query of the figures' tables.
    with statements() as seen:
        waiting = web.get("/api/v1/reports/renewals", headers=bearer(token))
    assert waiting.status_code == 202 and waiting.headers["Retry-After"] == "60"
    assert waiting.json["status"] == "being_computed" and waiting.json["retry_after"] == 60
    assert not [sql for sql in seen if "membership" in sql or "assignment" in sql or "touchpoint" in sql], seen
    compute_all()
    # The stored figures are there, but the per-tool table of this period is not: asked for, 202 at once.
    url = f"/api/v1/reports/renewals?from=2025-06-01&to=2026-03-10&plan_id={plan.id}"
    with statements() as seen:
        first = web.get(url, headers=bearer(token))
    assert first.status_code == 202 and first.headers["Retry-After"] == "60"
    assert not [sql for sql in seen if "assignment" in sql or "touchpoint" in sql], seen
    report = until_computed(web.get, url, headers=bearer(token))
    assert report.status_code == 200, report.json
    assert report.json["as_of"] == TODAY.isoformat() and report.json["computed_at"]
    assert (report.json["from"], report.json["to"], report.json["plan_id"]) == ("2025-06-01", "2026-03-10", plan.id)
    assert report.json["renewals"] == {"cycles": 0, "pending": 0, "renewed": 0, "rate": None}
    keys = {row["key"] for row in report.json["tools"]}
    assert {"renewal_offer", "birthday"} <= keys
    assert all(row["verdict"] == "no_holdout" for row in report.json["tools"])
    default = until_computed(web.get, "/api/v1/reports/renewals", headers=bearer(token)).json
    assert (default["from"], default["to"]) == ((TODAY - timedelta(days=364)).isoformat(), TODAY.isoformat())
    for query, field in (("from=2026-13-01", "from"), ("from=1990-01-01", "from"), ("to=", "to"), ("from=", "from"),
                         ("to=2026-3-10", "to"), ("to=2026-02-30", "to"), ("to=20260310", "to"),
                         ("plan_id=x", "plan_id"), ("plan_id=", "plan_id"), ("club_id=", "club_id")):
        answer = web.get(f"/api/v1/reports/renewals?{query}", headers=bearer(token))
        assert answer.status_code == 422 and error_of(answer)["field"] == field, (query, answer.json)
    for query, field in ((f"plan_id={other_plan.id}", "plan_id"), ("club_id=999", "club_id")):
        answer = web.get(f"/api/v1/reports/renewals?{query}", headers=bearer(token))
        assert answer.status_code == 404 and error_of(answer)["field"] == field, (query, answer.json)
    # A period given backwards is read forwards; a longer one than three years is shortened to its last three.
    backwards = until_computed(web.get, "/api/v1/reports/renewals?from=2026-03-10&to=2026-01-01",
                                               headers=bearer(token)).json
    assert (backwards["from"], backwards["to"]) == ("2026-01-01", "2026-03-10")
    long = until_computed(web.get, "/api/v1/reports/renewals?from=2020-01-01&to=2026-01-01",
                                          headers=bearer(token)).json
    assert (long["from"], long["to"]) == ("2022-12-31", "2026-01-01")


def test_an_owner_of_several_clubs_names_the_club(web, make):
    first, second = make.default_club, make.club(name="Second")
    token = issue(make.staff("owner"))
    missing = post(web, "/api/v1/leads", {"name": "Owner Lead"}, token)
    assert missing.status_code == 422 and error_of(missing)["field"] == "club_id"
    created = post(web, "/api/v1/leads", {"name": "Owner Lead", "club_id": second.id}, token)
    assert created.status_code == 201 and created.json["member"]["club_id"] == second.id
    assert web.get(f"/api/v1/members?q=owner&club_id={first.id}", headers=bearer(token)).json == {"members": []}
    found = web.get(f"/api/v1/members?q=owner&club_id={second.id}", headers=bearer(token)).json["members"]
    assert [m["id"] for m in found] == [created.json["member"]["id"]]
    unknown = web.get("/api/v1/reports/renewals?club_id=999", headers=bearer(token))
    assert unknown.status_code == 404 and error_of(unknown)["field"] == "club_id"


def test_too_many_requests_get_429_per_token_and_per_address(app, web, make):
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 3
    member = make.member()
    token, other = issue(make.staff("desk")), issue(make.staff("desk"))
    url = f"/api/v1/members/{member.id}"
    assert [web.get(url, headers=bearer(token)).status_code for _ in range(3)] == [200, 200, 200]
    limited = web.get(url, headers=bearer(token))
    assert limited.status_code == 429 and error_of(limited)["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert web.get(url, headers=bearer(other)).status_code == 200   # another token has its own count
    assert [web.get(url).status_code for _ in range(4)] == [401, 401, 401, 429]   # guesses, per address
    clock.set_now(NOW + timedelta(seconds=60))
    assert web.get(url, headers=bearer(token)).status_code == 200


def test_errors_under_the_api_are_json_and_elsewhere_html_pages(web, make):
    token = issue(make.staff("desk"))
    unknown = web.get("/api/v1/nothing/here", headers=bearer(token))
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "not_found"
    wrong = web.open("DELETE", "/api/v1/leads", headers=bearer(token))
    assert wrong.status_code == 405 and error_of(wrong)["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]
    nul = web.get("/api/v1/members?q=a%00b", headers=bearer(token))
    assert nul.status_code == 400 and error_of(nul)["code"] == "bad_request"
    page = web.get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    document = web.get("/api/v1/openapi.json")   # no token needed
    assert document.status_code == 200 and document.json["openapi"].startswith("3.")
    assert {"/leads", "/checkins", "/members", "/members/{member_id}", "/reports/renewals"} <= set(
        document.json["paths"])


def test_the_api_token_command_prints_a_token_that_works(runner, web, make):
    desk = make.staff("desk")
    member = make.member()
    result = runner.invoke(args=["api-token", desk.email.upper(), "--label", "turnstile"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert re.fullmatch(r"ccrm_[A-Za-z0-9_-]{43}", token)
    assert web.get(f"/api/v1/members/{member.id}", headers=bearer(token)).status_code == 200
    assert db.session.scalar(select(ApiToken.label)) == "turnstile"
    unknown = runner.invoke(args=["api-token", "nobody@example.com"])
    assert unknown.exit_code == 2 and "No login has this email address." in unknown.output
    assert count(ApiToken) == 1


def test_staff_create_and_revoke_tokens_in_the_app(web, make, login_as):
    member = make.member()
    desk = login_as("desk")
    created = web.post("/api-tokens/", data={"label": "front turnstile"})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code class="token">(ccrm_[^<]+)</code>', created.text).group(1)
    assert web.get(f"/api/v1/members/{member.id}", headers=bearer(token)).status_code == 200
    row = db.session.scalar(select(ApiToken))
    listed = web.get("/api-tokens/")
    assert row.prefix in listed.text and "front turnstile" in listed.text and token not in listed.text

    stranger = make.staff("desk")
    with unit_of_work():
        theirs = api_tokens.issue(stranger)
    their_row = db.session.scalar(select(ApiToken).where(ApiToken.staff_id == stranger.id))
    assert web.post(f"/api-tokens/{their_row.id}/revoke").status_code == 302   # not theirs to revoke: not found
    assert web.get(f"/api/v1/members/{member.id}", headers=bearer(theirs)).status_code == 200

    revoked = web.post(f"/api-tokens/{row.id}/revoke", follow_redirects=True)
    assert revoked.status_code == 200 and f"Token {row.prefix}… is revoked." in revoked.text
    assert web.get(f"/api/v1/members/{member.id}", headers=bearer(token)).status_code == 401
    assert desk.id == row.staff_id


def test_who_may_revoke_whose_token(make, ctx):
    desk = make.staff("desk")
    manager = make.staff("manager")
    elsewhere = make.staff("manager", club=make.club())
    owner = make.staff("owner")
    ids = {}
    for staff in (desk, manager, elsewhere):
        issue(staff)
        ids[staff.id] = db.session.scalar(select(ApiToken.id).where(ApiToken.staff_id == staff.id))
    assert {t.id for t in api_tokens.visible_to(desk)} == {ids[desk.id]}
    assert {t.id for t in api_tokens.visible_to(manager)} == {ids[desk.id], ids[manager.id]}
    assert len(api_tokens.visible_to(owner)) == 3
    from clubcrm.errors import NotFound

    for acting, target in ((desk, manager), (elsewhere, desk)):
        try:
            with unit_of_work():
                api_tokens.revoke(acting, ids[target.id])
        except NotFound:
            pass
        else:
            raise AssertionError(f"{acting.email} revoked {target.email}'s token")
    with unit_of_work():
        api_tokens.revoke(manager, ids[desk.id])
        api_tokens.revoke(owner, ids[elsewhere.id])
    revoked = db.session.scalars(select(ApiToken.id).where(ApiToken.revoked_at.is_not(None))).all()
    assert sorted(revoked) == sorted([ids[desk.id], ids[elsewhere.id]])
