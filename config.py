"""Settings as classes; every key can be overridden by a CLUBCRM_-prefixed environment variable."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent


class Config:
    # None: development makes one per machine in instance/secret_key; production refuses to start.
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{ROOT / 'instance' / 'clubcrm.db'}"
    # pool_pre_ping: a pooled connection is tested before each use, so the first request after a database restart
    # gets a new connection instead of a 500 from the dead one (a SELECT 1 per request: cheap on both engines).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Seconds to wait for a PostgreSQL connection: an unreachable server is answered 503, before gunicorn's timeout.
    DATABASE_CONNECT_TIMEOUT_SECONDS = 5
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # A repeated check-in inside this many seconds returns the first visit instead of logging another.
    CHECKIN_REPEAT_SECONDS = 300
    # A sale from this many days before to this many days after the previous contract's end is a renewal.
    RENEWAL_WINDOW_BEFORE_DAYS = 60
    RENEWAL_WINDOW_AFTER_DAYS = 30
    # A second membership sale to one member within this many seconds is taken for a double click; so is the
    # same package sold again (it answers the first sale).
    SALE_REPEAT_SECONDS = 60
    # The same new lead registered again at the desk by the same login, and the same staff SMS to one member,
    # within this many seconds answer the first lead or message (a double click, a resubmitted form).
    LEAD_REPEAT_SECONDS = 60
    # A lead cycle without a sale for this many days is closed as lost (no answer) by the worker's nightly job.
    LEAD_CYCLE_DAYS = 60
    SMS_REPEAT_SECONDS = 60
    # The member card warns this many days before the end of a membership.
    EXPIRY_ALERT_DAYS = 14
    LOW_BALANCE_UNITS = 2
    # The most days one membership can be frozen, all its freezes together.
    MAX_FREEZE_DAYS = 90
    # Login sessions (checked on every request): ended after this many hours without a request, and this many
    # days after the login whatever happens.
    LOGIN_IDLE_HOURS = 12
    LOGIN_MAX_DAYS = 7
    # Login throttling, failed attempts within a sliding window: per client address across emails, per account
    # from one address, per account from all untrusted devices, and per trusted device (one that logged in to
    # the account before, known by its signed device cookie, kept this many days).
    LOGIN_THROTTLE_WINDOW_SECONDS = 900
    LOGIN_FAILURES_PER_CLIENT = 20
    LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT = 5
    LOGIN_FAILURES_PER_ACCOUNT = 50
    LOGIN_FAILURES_PER_DEVICE = 5
    LOGIN_DEVICE_COOKIE_DAYS = 365
    # werkzeug's default (scrypt) for real logins; tests use a cheap hash to stay fast.
    PASSWORD_HASH_METHOD = "scrypt"
    SESSION_COOKIE_SAMESITE = "Lax"
    # Twilio: without a SID, a token and a sender (TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID) messages wait
    # in the outbox. TWILIO_API_BASE points the SDK at another host (tests use a fake Twilio on loopback).
    TWILIO_ACCOUNT_SID = None
    TWILIO_AUTH_TOKEN = None
    TWILIO_FROM = None
    TWILIO_MESSAGING_SERVICE_SID = None
    TWILIO_API_BASE = None
    TWILIO_TIMEOUT_SECONDS = 10
    # The site's address as Twilio reaches it (https://crm.example.com), without a trailing slash: webhook
    # signatures are checked against it + the request path. None refuses every webhook (403).
    PUBLIC_URL = None
    # Member links (PUBLIC_URL/m/<token> in an SMS, opening the member's own page) work this many days after the
    # message is sent. Tokens that find no page (unknown, expired, erased) are answered 404, at most this many a
    # minute per client address (then 429).
    MEMBER_LINK_DAYS = 30
    MEMBER_PAGE_MISSES_PER_MINUTE = 20
    # At most this many messages a second from one dispatcher (Twilio queues beyond a sender's rate).
    TWILIO_MESSAGES_PER_SECOND = 10
    # What one SMS segment costs, in minor units of the club's currency (8 = €0.08): the rule editor shows a
    # text's cost per 1,000 members with it. An estimate only; Twilio's bill is the truth.
    SMS_SEGMENT_PRICE_MINOR = 8
    # Requests per minute to /api/v1 per token (and per client address without a valid token), counted in each
    # process's memory.
    API_RATE_LIMIT_PER_MINUTE = 120
    # Rows per page of the lists that grow with a club (Today, the outbox, imports, members at risk); at most 500.
    LIST_PAGE_SIZE = 50
    # Request budgets (blueprints/request_budget.py): the most bytes of body a request may send, enforced while
    # it is read, chunked or not, and answered 413. Staff forms (Flask's own setting); a form's text fields alike.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    # A lead or a check-in is a few hundred bytes.
    API_MAX_CONTENT_LENGTH = 64 * 1024
    # A request without a login (the login form, Twilio's webhooks, public pages) never needs more.
    ANONYMOUS_MAX_CONTENT_LENGTH = 64 * 1024
    # Behind a proxy: how many proxies in front set each X-Forwarded-* header (Werkzeug's ProxyFix). 0 trusts
    # none: a client could otherwise send X-Forwarded-For itself and pick the address its throttles count.
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0
    PROXY_FIX_X_HOST = 0
    PROXY_FIX_X_PORT = 0
    PROXY_FIX_X_PREFIX = 0
    # Strict-Transport-Security's max-age; 0 sends none (development runs on plain http).
    HSTS_SECONDS = 0
    # An import whose thread has not written its heartbeat (every 1,000 rows) for this long lost its process: the
    # worker marks it failed and deletes its file.
    IMPORT_HEARTBEAT_TIMEOUT_MINUTES = 3
    # Where uploaded import files wait (personal data, 0700): None is instance/imports.
    IMPORT_FOLDER = None
    # The one-time code /setup asks for while the database holds no club (0600, deleted after setup): None is
    # instance/setup-code.
    SETUP_CODE_FILE = None
    # PostgreSQL cancels any SQL statement of a web request that runs longer than this (clubcrm/statement_timeout.py):
    # a report too heavy for a page answers "took too long" instead of holding a web worker past gunicorn's 30 s
    # timeout while the desk waits. 0 = no limit. The worker and the CLI have none.
    STATEMENT_TIMEOUT_MS = 5000
    # A standby worker tries to take the one worker lock of the database this often (clubcrm/worker_lock.py).
    WORKER_LOCK_POLL_SECONDS = 5


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # Tests sell several contracts at one frozen instant; test_sales turns the guard back on.
    SALE_REPEAT_SECONDS = 0
    # Tests move the clock by hours and days with one logged-in browser; test_login_sessions puts the real
    # lifetimes back.
    LOGIN_IDLE_HOURS = 24 * 400
    LOGIN_MAX_DAYS = 400


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    # Browsers then refuse plain http to this site for a year (behind the TLS-terminating proxy).
    HSTS_SECONDS = 365 * 24 * 3600


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    """Return the config class named by NAME or CLUBCRM_ENV (development by default)."""
    return CONFIGS[name or os.environ.get("CLUBCRM_ENV", "development")]
