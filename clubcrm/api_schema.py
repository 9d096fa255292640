"""The OpenAPI 3.1 document of the JSON API under /api/v1 (served at /api/v1/openapi.json).

Every shape here is what blueprints/api/ really answers: objects are closed (additionalProperties: false), values
that can be missing are nullable, so that a client generated from it, and the tests' Schemathesis run, can rely on it.
Every input it allows is accepted and every input it refuses is refused: blueprints/api checks text against the same
patterns (defined here, once). Patterns use explicit character classes, never \\s: JSON Schema's, Rust's and Python's
ideas of white space differ. What no schema can say is a named format: `phone` (a number valid in the club's country).
"""
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.models.lead import LEAD_SOURCES

MAX_ID = 2**31 - 1
STATES = ["lead", "active", "frozen", "expired", "cancelled", "future", "none"]
VERDICTS = ["helps", "hurts", "no_effect", "no_evidence", "not_measured", "no_holdout"]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **more) -> dict:
    return {"type": [kind, "null"], **more}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": list(properties) if required is None else required}


# C0 and C1 control characters and DEL: no text the API reads may hold them.
CONTROLS = "\x00-\x1f\x7f-\x9f"
# What Python's str.strip() and str.split() take for white space, control characters aside.
SPACES = " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Text without control characters.
PLAIN = f"^[^{CONTROLS}]*$"
# Plain text with at least one character that is not a space (a name, a card code).
FILLED = f"^[^{CONTROLS}]*[^{SPACES}{CONTROLS}][^{CONTROLS}]*$"
# A day from 2000-01-01 to 2100-12-31 (reports mean nothing outside), written YYYY-MM-DD.
DAY = "^(?:20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"
# The format of a phone number: empty or blank (none), or a number valid in the club's country, in any common
# format (spaces, dashes, brackets, a 00 or + prefix) or E.164.
PHONE_FORMAT = "phone"
# The format of an email address: empty or blank (none), or an address email-validator accepts (its syntax rules,
# internationalised addresses included; no DNS lookup), spaces around it allowed.
EMAIL_FORMAT = "email-address"

ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DATE = {"type": "string", "format": "date"}
DAY_QUERY = {"type": "string", "format": "date", "pattern": DAY}
INSTANT = {"type": "string", "format": "date-time"}

MEMBER = {
    "id": ID, "club_id": ID, "name": {"type": "string"}, "first_name": {"type": "string"},
    "last_name": {"type": "string"}, "phone": _nullable("string", description="E.164"),
    "email": _nullable("string"), "card_code": _nullable("string"), "locale": {"type": "string"},
    "interest": _nullable("string"), "source": {"type": "string"},
    "is_lead": {"type": "boolean", "description": "True until the first sale."},
    "sms_consent": {"type": "boolean"}, "created_at": INSTANT,
}

SCHEMAS = {
    "Error": _object({"error": _object({
        "code": {"type": "string", "description": "Machine-readable: invalid, not_found, expired, rate_limited..."},
        "message": {"type": "string", "description": "In plain words, in the language of Accept-Language."},
        "field": _nullable("string", description="The input field at fault, if one is."),
    })}),
    "Member": _object(MEMBER),
    "Membership": _object({
        "id": ID, "plan_id": ID, "plan": {"type": "string"}, "starts_on": DATE,
        "ends_on": {**DATE, "description": "The last day (inclusive), in the club's time zone."},
        "visit_limit": _nullable("integer"), "cancelled_on": _nullable("string", format="date"),
    }),
    "Balance": _object({
        "service_id": ID, "service": {"type": "string"}, "balance": {"type": "integer", "minimum": 0},
        "expires_on": _nullable("string", format="date"),
    }),
    "Standing": _object({
        "state": {"type": "string", "enum": STATES},
        "membership": {"anyOf": [_ref("Membership"), {"type": "null"}]},
        "days_left": _nullable("integer"),
        "frozen_until": _nullable("string", format="date"),
    }),
    "Visit": _object({
        "id": ID, "member_id": ID, "membership_id": _nullable("integer"), "checked_in_at": INSTANT,
        "source": {"type": "string", "description": "desk, api, import"},
    }),
    "LeadInput": {
        "type": "object",
        "description": "A website form. Send first_name (and last_name), or name (split at its last word). Text "
                       "holds no control characters.",
        "properties": {
            "name": _nullable("string", maxLength=80, pattern=PLAIN),
            "first_name": _nullable("string", maxLength=80, pattern=PLAIN),
            "last_name": _nullable("string", maxLength=80, pattern=PLAIN),
            "phone": _nullable("string", maxLength=32, format=PHONE_FORMAT,
                               description="A phone number valid in the club's country, in any common format "
                                           "(format `phone`); empty means none. A number that is not valid: 422."),
            "email": _nullable("string", maxLength=254, format=EMAIL_FORMAT,
                               description="An email address (format `email-address`: the syntax the `email-validator` "
                                           "package accepts, no DNS lookup); empty means none. Any other text: 422."),
            "interest": _nullable("string", maxLength=120, pattern=PLAIN),
            "consent": _nullable("boolean", description="SMS consent given on the form; needs a phone."),
            "locale": {"anyOf": [{"type": "string", "enum": list(SUPPORTED_LOCALES)}, {"type": "null"}]},
            "club_id": _nullable("integer", minimum=1, maximum=MAX_ID,
                                 description="Only for an owner's token when there are several clubs."),
            "source": {"anyOf": [{"type": "string", "enum": list(LEAD_SOURCES)}, {"type": "null"}],
                       "description": "Where the lead came from (default web_form). `referral` needs "
                                      "referrer_member_id; `campaign` needs campaign."},
            "campaign": _nullable("string", maxLength=80, pattern=PLAIN,
                                  description="A campaign's label (as a UTM campaign), with any source; needed with "
                                              "source `campaign`."),
            "referrer_member_id": _nullable("integer", minimum=1, maximum=MAX_ID, description=(
                "The referring member (source `referral` only): a member of the club, else 404 with "
                "error.field referrer_member_id.")),
        },
        "allOf": [
            # source referral names the referring member, and only it does.
            {"if": {"required": ["source"], "properties": {"source": {"const": "referral"}}},
             "then": {"required": ["referrer_member_id"], "properties": {"referrer_member_id": {"type": "integer"}}}},
            {"if": {"required": ["referrer_member_id"], "properties": {"referrer_member_id": {"type": "integer"}}},
             "then": {"required": ["source"], "properties": {"source": {"const": "referral"}}}},
            # source campaign carries the campaign's label.
            {"if": {"required": ["source"], "properties": {"source": {"const": "campaign"}}},
             "then": {"required": ["campaign"], "properties": {"campaign": {"type": "string", "pattern": FILLED}}}},
        ],
        # A name: first_name with a letter in it, else name.
        "anyOf": [
            {"required": ["first_name"], "properties": {"first_name": {"type": "string", "pattern": FILLED}}},
            {"required": ["name"], "properties": {"name": {"type": "string", "pattern": FILLED}}},
        ],
        # SMS consent needs a phone.
        "if": {"required": ["consent"], "properties": {"consent": {"const": True}}},
        "then": {"required": ["phone"], "properties": {"phone": {"type": "string", "pattern": FILLED}}},
    },
    "LeadAnswer": _object({
        "member": _ref("Member"),
        "duplicate": {"type": "boolean", "enum": [False]},
    }),
    "LeadDuplicate": _object({
        "member_id": {"type": "integer", "minimum": 1, "description": "The known member's id (only the id: a "
                      "website may echo the answer)."},
        "duplicate": {"type": "boolean", "enum": [True], "description": "The phone or email is a known member's; "
                      "no member was created. SMS consent ticked with the member's own phone is not granted here: "
                      "one confirmation SMS asks that phone, and consent starts when it answers YES within 48 "
                      "hours."},
        "new_cycle": {"type": "boolean", "description": "True: the known member is a lost lead (no sale, no open "
                      "lead cycle) who asked again: a new lead cycle opened for them with this source. False: "
                      "nothing changed (a lead whose cycle is open, or a member who bought before)."},
    }),
    "CheckinInput": {
        "type": "object",
        "description": "card_code or member_id (not both). A blank card_code counts as none.",
        "properties": {
            "card_code": _nullable("string", maxLength=64, pattern=PLAIN),
            "member_id": _nullable("integer", minimum=1, maximum=MAX_ID),
            "club_id": _nullable("integer", minimum=1, maximum=MAX_ID,
                                 description="With card_code, for an owner's token when there are several clubs."),
        },
        "oneOf": [
            {"required": ["card_code"], "properties": {"card_code": {"type": "string", "pattern": FILLED}}},
            {"required": ["member_id"], "properties": {"member_id": {"type": "integer"}}},
        ],
    },
    "CheckinAnswer": _object({
        "visit": _ref("Visit"),
        "repeated": {"type": "boolean", "description": "True: a check-in moments ago; this is that visit."},
        "member": {"anyOf": [_ref("Member"), _ref("Guest")],
                   "description": "A member of another club of the chain (a chain plan) is shown as a Guest."},
        "membership": {"anyOf": [_ref("Membership"), {"type": "null"}]},
        "balances": {"type": "array", "items": _ref("Balance"),
                     "description": "Empty for a guest: packages are used in the home club."},
    }),
    "Guest": _object({
        "id": ID, "club_id": {**ID, "description": "The member's home club."}, "name": {"type": "string"},
        "card_code": _nullable("string"),
        "guest": {"type": "boolean", "const": True,
                  "description": "Another club's member: only what the check-in needs is shown."},
    }),
    "MemberAnswer": _object({
        "member": _ref("Member"), "standing": _ref("Standing"),
        "balances": {"type": "array", "items": _ref("Balance")},
    }),
    "MemberFound": _object({**MEMBER, "state": {"type": "string", "enum": STATES}}),
    "SearchAnswer": _object({"members": {"type": "array", "items": _ref("MemberFound"), "maxItems": 20}}),
    "ToolRow": _object({
        "key": {"type": "string", "description": "The tool's key, or `programme` for the whole programme's line."},
        "name": {"type": "string"},
        "verdict": {"type": "string", "enum": VERDICTS, "description":
                    "Read from `low`..`high`: helps (the whole interval above 0), hurts (below 0), no_effect (within "
                    "±5 points), no_evidence (not yet decided), not_measured (the holdout share is 0%), no_holdout "
                    "(an arm has no cycle)."},
        "verdict_text": {"type": "string", "description": "The verdict in words, in the language of "
                                                          "Accept-Language."},
        "difference": _nullable("number", description="Renewal rate with minus without, stratified by club and "
                                                       "holdout share (Mantel–Haenszel); 0.05 = 5 points."),
        "low": _nullable("number", description="The interval the verdict reads: an always-valid confidence "
                                               "sequence (valid however often the report is read) at the level "
                                               "`alpha`, split among the `family` of tools."),
        "high": _nullable("number", description="The interval's upper end (see `low`)."),
        "alpha": _nullable("number", description="The error rate of this line's interval: 0.05, divided by the "
                                                 "family for a tool."),
        "months_to_verdict": _nullable("number", minimum=0, description=(
            "Months until a verdict at 80% power for an effect of max(5 points, `break_even`), at the club's rate "
            "of cycles reaching the trigger; 0: reached; null: unknown (no cycle reached it in the period).")),
        "time_text": {"type": "string", "description": "The time to a verdict in words (more than 36 months: says "
                                                       "so and points to the programme line or the holdout share)."},
        "held_share": _nullable("number", description="The share of the assigned cycles held out, observed."),
        "expected_share": _nullable("number", description="The held-out share expected from the shares in force."),
        "srm_p": _nullable("number", description="The chi-square test's p of held_share against expected_share."),
        "srm_alarm": {"type": "boolean", "description": "Sample-ratio alarm (srm_p < 0.001): the line's figures "
                                                       "cannot be trusted until the cause is found."},
        "break_even": _nullable("number", description="The effect (0.02 = 2 points) at which the tool pays for "
                                                      "itself: its cost per assigned cycle over a renewal's value."),
        "cost_per_extra_renewal": _nullable("integer", description=(
            "What one renewal more costs, in minor units of `currency`; only when the whole interval is above 0.")),
        "cost_low": _nullable("integer", description="The cost per extra renewal at the interval's upper end."),
        "cost_high": _nullable("integer", description="The cost per extra renewal at the interval's lower end."),
        "assigned": {"type": "integer", "description": "Cycles drawn into the tool's arm (intention to treat)."},
        "assigned_renewed": {"type": "integer"}, "assigned_rate": _nullable("number"),
        "held": {"type": "integer", "description": "Cycles held out."}, "held_renewed": {"type": "integer"},
        "held_rate": _nullable("number"),
        "naive_rate": _nullable("number", description="Renewed after the tool reached them: not its effect."),
        "holdout_pct": _nullable("integer", description="The holdout share configured now (the programme's: the "
                                                        "club's programme holdout)."),
        "sms_sent": {"type": "integer"}, "sms_delivered": {"type": "integer"},
        "sms_opened": {"type": "integer", "description": "Delivered SMS whose member opened their page from the "
                                                         "text's link (counted once the page was shown)."},
        "segments": {"type": "integer"},
        "cost_minor": {"type": "integer"}, "currency": {"type": "string"}, "calls": {"type": "integer"},
        "replies": {"type": "integer"}, "bookings": {"type": "integer"},
    }),
    "RenewalsAnswer": _object({
        "club_id": ID, "from": DATE, "to": DATE, "plan_id": _nullable("integer"),
        "renewals": _object({
            "cycles": {"type": "integer"}, "pending": {"type": "integer"}, "renewed": {"type": "integer"},
            "rate": _nullable("number"),
        }),
        "programme": {**_ref("ToolRow"), "description": "What the whole programme adds to renewals: the members "
                      "held out of every lifecycle contact for the year against all the others (its activity: all "
                      "its tools')."},
        "tools": {"type": "array", "items": _ref("ToolRow")},
        "family": {"type": "integer", "minimum": 1,
                   "description": "The tools enabled at the period's start, judged together: alpha is split among "
                                  "them."},
        "computed_at": {**INSTANT, "description": "When the worker computed the stored renewal figures."},
        "as_of": {**DATE, "description": "The club-local day the figures stand on (pending cycles are judged "
                                         "then)."},
    }),
    "BeingComputed": _object({
        "status": {"type": "string", "enum": ["being_computed"]},
        "message": {"type": "string"},
        "retry_after": {"type": "integer", "minimum": 1, "description": "Seconds to wait before asking again."},
    }),
}


def _error(description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}
    if headers:
        answer["headers"] = headers
    return answer


RESPONSES = {
    "BadRequest": _error("The body is not a JSON object, or the query holds a NUL character."),
    "Unauthorized": _error("No token, an unknown token, a revoked token, or the login is switched off.", {
        "WWW-Authenticate": {"required": True, "schema": {"type": "string"}},
    }),
    "Forbidden": _error("The login's role may not do this."),
    "NotFound": _error("No such row (a member, a card, a plan, a club), or one of a club this login cannot see."),
    "TooLarge": _error("The body is larger than 64 KiB."),
    "UnsupportedMediaType": _error("The body is not sent as application/json."),
    "Unprocessable": _error("A field is not valid; error.field names it."),
    "TooManyRequests": _error("Over the rate limit of this token (or of this address without a valid token).", {
        "Retry-After": {"required": True, "description": "Seconds to wait.",
                        "schema": {"type": "string", "pattern": "^[0-9]+$"}},
    }),
    "Unavailable": _error("Nothing was saved. error.code unavailable: the database cannot be reached right now; "
                          "try again after Retry-After seconds. error.code too_long: the request ran past its "
                          "statement time limit; ask for less (a shorter period, one club).", {
        "Retry-After": {"required": False, "description": "Seconds to wait (sent with error.code unavailable).",
                        "schema": {"type": "string", "pattern": "^[0-9]+$"}},
    }),
}


def _json(description: str, schema: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}
    if headers:
        answer["headers"] = headers
    return answer


def _errors(*codes: int) -> dict:
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 413: "TooLarge",
             415: "UnsupportedMediaType", 422: "Unprocessable", 429: "TooManyRequests", 503: "Unavailable"}
    # Any operation may meet a database outage (clubcrm/db_outage.py): 503 with Retry-After, never a 500; and a
    # token of a closed club's staff is refused everywhere: 403 with error.code club_closed.
    every = sorted({*codes, 403, 503})
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in every}


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


CLUB_QUERY = _query("club_id", ID, "Only for an owner's token when there are several clubs (a club this login "
                                   "cannot see, or none: 404).")

PATHS = {
    "/leads": {"post": {
        "operationId": "createLead", "summary": "Register a lead from the club's website form.",
        "description": "A phone number or email that a member of the club already has answers 200 with that "
                       "member's id and duplicate: true, and creates no member; a lost lead asking again gets a "
                       "new lead cycle (new_cycle: true).",
        "requestBody": _body("LeadInput"),
        "responses": {
            "201": _json("Registered.", "LeadAnswer", {"Location": {
                "required": True, "description": "The member's URL.", "schema": {"type": "string"}}}),
            "200": _json("Already known: the existing member's id, nothing created.", "LeadDuplicate"),
            **_errors(400, 401, 404, 413, 415, 422, 429),
        },
    }},
    "/checkins": {"post": {
        "operationId": "createCheckin", "summary": "Check a member in by card code or member id.",
        "description": "Like the desk: a second check-in within the repeat window answers 200 with the first "
                       "visit (repeated: true). A refusal is 403 with error.code: no_membership, not_started, "
                       "expired, cancelled, frozen, visit_limit, other_club or club_closed (the club is closed "
                       "from a day).",
        "requestBody": _body("CheckinInput"),
        "responses": {
            "201": _json("Checked in.", "CheckinAnswer"),
            "200": _json("Checked in moments ago: the same visit again.", "CheckinAnswer"),
            **_errors(400, 401, 403, 404, 413, 415, 422, 429),
        },
    }},
    "/members": {"get": {
        "operationId": "searchMembers", "summary": "Find members by name prefix, phone or card code.",
        "parameters": [
            _query("q", {"type": "string", "maxLength": 100, "pattern": PLAIN},
                   "What the desk would type in its search box.", required=True),
            CLUB_QUERY,
        ],
        "responses": {"200": _json("Up to 20 members, an exact card or phone match first.", "SearchAnswer"),
                      **_errors(400, 401, 404, 422, 429)},
    }},
    "/members/{member_id}": {"get": {
        "operationId": "getMember", "summary": "A member, where they stand today, and their balances.",
        "parameters": [{"name": "member_id", "in": "path", "required": True, "schema": ID}],
        "responses": {"200": _json("The member.", "MemberAnswer"), **_errors(400, 401, 404, 429)},
    }},
    "/reports/renewals": {"get": {
        "operationId": "renewalsReport",
        "summary": "Renewals and what each retention tool adds to them (managers and owners).",
        "parameters": [
            _query("from", DAY_QUERY, "First day (club-local), 2000-01-01 to 2100-12-31. Default: 364 days before "
                                      "`to`. A `from` after `to` is read as the period between them."),
            _query("to", DAY_QUERY, "Last day (club-local), 2000-01-01 to 2100-12-31. Default: today (or `from`, "
                                    "if later). A period is at most three years: a longer one is shortened to the "
                                    "three years up to `to` (the answer's `from` and `to` say the period read)."),
            _query("plan_id", ID, "Only the cycles of this plan (one of the club's, else 404)."),
            CLUB_QUERY,
        ],
        "responses": {
            "200": _json("The report, from the figures the worker stored (computed_at, as_of).", "RenewalsAnswer"),
            "202": _json("The figures of this club, or the per-tool table of this period and plan, are not computed "
                         "yet: the worker computes them (nightly, after an import, on a manager's request, within "
                         "minutes for a club without any, and within a minute for a period first asked for); ask "
                         "again after Retry-After seconds.", "BeingComputed", {"Retry-After": {
                             "required": True, "description": "Seconds to wait.",
                             "schema": {"type": "string", "pattern": "^[0-9]+$"}}}),
            **_errors(400, 401, 403, 404, 422, 429),
        },
    }},
    "/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This document.", "security": [],
        "responses": {
            "200": {"description": "The OpenAPI document.",
                    "content": {"application/json": {"schema": {"type": "object"}}}},
            **_errors(400),
        },
    }},
}


def document(server_url: str = "/api/v1") -> dict:
    """The OpenAPI document, with SERVER_URL as the base of every path."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ClubCRM API", "version": "1",
            "description": "Bearer tokens per staff login (`clubcrm api-token EMAIL`, or API tokens in the app). "
                           "A token acts as its login: its role and its club. Errors are "
                           '{"error": {"code", "message", "field"}} with a 4xx status.',
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "Authorization: Bearer ccrm_..."}},
            "schemas": SCHEMAS,
            "responses": RESPONSES,
        },
    }
