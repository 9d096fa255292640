"""The composition root: create_app builds the Flask app from a short list of register steps."""
from pathlib import Path

from flask import Flask

import config as config_module
from clubcrm.extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app from a config class (or overrides), then CLUBCRM_ environment variables."""
    app = Flask(
        "clubcrm",
        root_path=str(ROOT),
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure(app, config)
    register_proxy_fix(app)
    register_request_budgets(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    register_log_redaction()
    return app


def configure(app: Flask, config: type | dict | None) -> None:
    """Load settings: the class, instance/config.py, CLUBCRM_* from the environment, then OVERRIDES."""
    overrides = config if isinstance(config, dict) else {}
    cls = config if isinstance(config, type) else config_module.config_for(overrides.get("ENV"))
    app.config.from_object(cls)
    if not app.config.get("TESTING"):
        app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CLUBCRM")
    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config.update(overrides)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith(("postgres://", "postgresql://")):
        uri = "postgresql+psycopg://" + uri.split("://", 1)[1]
        app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("postgresql"):
        # No JIT: it compiles the reports' large aggregates for longer than they run (measured by the reports
        # bench: 10.8 -> 8.6 s), and a CRM's other statements are too small to gain from it.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"options": "-c jit=off",
                                   "connect_timeout": int(app.config["DATABASE_CONNECT_TIMEOUT_SECONDS"]),
                                   **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"timeout": 30}, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        }
    if not app.config.get("SECRET_KEY"):
        if cls is config_module.ProductionConfig:
            raise RuntimeError("Set CLUBCRM_SECRET_KEY: production refuses to start without a secret key.")
        app.config["SECRET_KEY"] = machine_secret(Path(app.instance_path) / "secret_key")


def machine_secret(path: Path) -> str:
    """Read this machine's secret key, making a random one on first use (never a key from the repo)."""
    import secrets

    from clubcrm.private_files import private_once

    # Created 0600 from the start (it was briefly world-readable under umask 022), and once for all workers.
    return private_once(path, lambda: secrets.token_hex(32).encode()).decode().strip()


def register_proxy_fix(app: Flask) -> None:
    """Believe the X-Forwarded-* headers of as many proxies as PROXY_FIX_X_* say (none by default)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    counts = {key: int(app.config[f"PROXY_FIX_{key.upper()}"] or 0)
              for key in ("x_for", "x_proto", "x_host", "x_port", "x_prefix")}
    if any(counts.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)


def register_request_budgets(app: Flask) -> None:
    """Limit each request's body to the budget of its kind of route, before anything reads it."""
    from blueprints import request_budget

    request_budget.install(app)


def register_extensions(app: Flask) -> None:
    """Bind the extensions to this app."""
    from clubcrm import i18n
    from clubcrm.models import Staff
    from clubcrm.sqlite import enable_sqlite_pragmas

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
        default_translation_directories=str(ROOT / "clubcrm" / "translations"),
    )
    i18n.install_template_gettext(app)
    i18n.keep_translations_per_request(app, babel)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # a login session row is checked instead (blueprints/auth.py)
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")

    @login_manager.user_loader
    def load_staff(staff_id: str) -> Staff | None:
        staff = db.session.get(Staff, int(staff_id)) if staff_id.isdigit() else None
        return staff if staff is not None and staff.active else None

    with app.app_context():
        enable_sqlite_pragmas(db.engine)


def register_blueprints(app: Flask) -> None:
    """Mount every blueprint; the only place that imports them."""
    from werkzeug.routing import IntegerConverter

    class IdConverter(IntegerConverter):
        """A row id in a URL: 1 to 2**31 - 1, so no typed number can overflow a database integer."""

        def __init__(self, url_map) -> None:
            super().__init__(url_map, min=1, max=2**31 - 1)

    app.url_map.converters["id"] = IdConverter

    @app.before_request
    def refuse_nul_bytes() -> None:
        """Refuse text with NUL bytes: no person types one, and PostgreSQL cannot store it."""
        from flask import abort, request

        if any("\x00" in value for source in (request.args, request.form)
               for _key, value in source.items(multi=True)):
            abort(400)

    @app.before_request
    def limit_statements() -> None:
        """Give this request's SQL statements the time limit of STATEMENT_TIMEOUT_MS (PostgreSQL); the worker and
        the CLI have no request and so no limit."""
        from clubcrm import statement_timeout

        statement_timeout.arm(int(app.config["STATEMENT_TIMEOUT_MS"] or 0))

    @app.teardown_request
    def unlimit_statements(_error: BaseException | None) -> None:
        from clubcrm import statement_timeout

        statement_timeout.disarm()

    from blueprints import (api, api_tokens, auth, checklist, clubs, data, desk, errors, imports, leads, lifecycle,
                            member_page, members, outbox, photos, reports, sales, sessions, settings, setup, tasks,
                            twilio_hooks)

    # setup first: while the database holds no club, its guard sends every page to /setup before others act.
    for module in (setup, auth, desk, checklist, members, leads, photos, sales, sessions, settings, clubs, lifecycle,
                   tasks, outbox, reports, imports, data, api_tokens, api, twilio_hooks, member_page, errors):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)   # bearer tokens, no cookies: nothing for a forged cross-site request to ride on


def register_log_redaction() -> None:
    """Keep member links' tokens out of the request logs."""
    from clubcrm import log_redaction

    log_redaction.install()


def register_errorhandlers(app: Flask) -> None:
    """Render an error page for every HTTP error and every uncaught DomainError."""
    from blueprints.errors import install_handlers

    install_handlers(app)


def register_security_headers(app: Flask) -> None:
    """Send the security headers (CSP, anti-framing, nosniff, referrer policy, HSTS) with every response."""
    from blueprints import security_headers

    security_headers.install(app)


def register_template_helpers(app: Flask) -> None:
    """Give templates money, date and language helpers, the lifecycle's names and the open task count."""
    from flask_babel import get_locale

    from blueprints import report_tables, tasks
    from blueprints.access import clubs_to_choose
    from clubcrm import formatting, i18n, labels, phones
    from clubcrm.models import OUTCOMES
    from clubcrm.models.member import can_text
    from clubcrm.services.tasks import MEMBER_ASKED
    from clubcrm.sms.screen import status_words
    from clubcrm.sms.outbox import STAFF_TEXT_MAX, first_sms_suffix

    app.jinja_env.globals.update(
        get_locale=get_locale,
        clubs_to_choose=clubs_to_choose,
        SUPPORTED_LOCALES=i18n.SUPPORTED_LOCALES,
        LOCALE_NAMES=i18n.LOCALE_NAMES,
        role_name=labels.role_name,
        state_name=labels.state_name,
        action_name=labels.action_name,
        consent_source_name=labels.consent_source_name,
        lead_source_name=labels.lead_source_name,
        lead_stage_name=labels.lead_stage_name,
        audit_details=labels.audit_details,
        phone_display=phones.display,
        open_task_count=tasks.open_task_count,
        lifecycle_name=tasks.lifecycle_name,
        why=tasks.why,
        call_script=tasks.call_script,
        script_for_clerk=tasks.script_for_clerk,
        can_text=can_text,
        OUTCOMES=OUTCOMES,
        MEMBER_ASKED=MEMBER_ASKED,
        sms_status=status_words,
        sms_suffix=first_sms_suffix,
        booking_status=lambda code: str(labels.BOOKING_STATUS_NAMES.get(code, code)),
        SMS_MAX=STAFF_TEXT_MAX,
        raw=report_tables.raw,
        shown=report_tables.shown,
    )
    app.jinja_env.filters.update(
        money=formatting.money,
        day=formatting.day,
        moment=formatting.moment,
    )


def register_commands(app: Flask) -> None:
    """Add ClubCRM's commands to `flask` / `clubcrm`."""
    from clubcrm.cli import register

    register(app)
