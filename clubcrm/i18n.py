"""Languages and time zones: what we support and how each request picks its own."""
from flask import g, has_request_context, request, session
from flask_login import current_user

SUPPORTED_LOCALES = ("en", "de", "ru", "fi", "sl", "sk")
# Each language named in itself, for the switcher.
LOCALE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "ru": "Русский",
    "fi": "Suomi",
    "sl": "Slovenščina",
    "sk": "Slovenčina",
}


def locale_or(locale: str | None, fallback: str) -> str:
    """LOCALE if we support it, else FALLBACK (a club's default language)."""
    return locale if locale in SUPPORTED_LOCALES else fallback


def select_locale() -> str:
    """Pick the language: the switcher's choice, the login's own, the browser's, the club's."""
    if not has_request_context():
        return "en"  # the worker and the CLI choose with force_locale
    if g.get("member_locale"):   # a member's own page speaks the member's language
        return g.member_locale
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    if current_user and current_user.is_authenticated:
        if current_user.locale in SUPPORTED_LOCALES:
            return current_user.locale
    best = request.accept_languages.best_match(SUPPORTED_LOCALES)
    if best:
        return best
    if current_user and current_user.is_authenticated and current_user.club:
        return current_user.club.default_locale
    return "en"


def select_timezone() -> str:
    """Show times in the club's own time zone."""
    if not has_request_context():
        return "UTC"
    if g.get("member_timezone"):
        return g.member_timezone
    if current_user and current_user.is_authenticated:
        if current_user.club:
            return current_user.club.timezone
        from clubcrm.extensions import db
        from clubcrm.models import Club

        chosen = session.get("club_id")
        club = db.session.get(Club, chosen) if isinstance(chosen, int) else None
        if club is not None:
            return club.timezone
    return "UTC"


TRANSLATIONS_KEY = "_translations"


def install_template_gettext(app) -> None:
    """Let templates find their language's translations once per render, not once per string.

    Flask-Babel's template callables look the request's translations up anew for each of the 40-160 strings of a
    page (the app context, the locale, the domain), a sixth of rendering the desk's search page (profiled). A
    context processor puts the translations of the language in force at render time (force_locale included)
    into each template's context; templates imported without context (macros) fall back to the lookup."""
    from flask_babel import get_translations
    from jinja2 import pass_context

    app.context_processor(lambda: {TRANSLATIONS_KEY: get_translations()})

    def of(context):
        found = context.get(TRANSLATIONS_KEY)
        return found if found is not None else get_translations()

    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda context, s: of(context).ugettext(s)),
        ngettext=pass_context(lambda context, s, p, n: of(context).ungettext(s, p, n)),
        pgettext=pass_context(lambda context, c, s: of(context).upgettext(c, s)),
        npgettext=pass_context(lambda context, c, s, p, n: of(context).unpgettext(c, s, p, n)),
        newstyle=True,
    )


KEPT = "_clubcrm_translations"


def keep_translations_per_request(app, babel) -> None:
    """Have Python's gettext (lazy labels, flash messages, services) find the request's translations kept on `g`.

    Flask-Babel's domain looks them up anew on every string (the app context twice, the locale, its name, a cache);
    a member card's 85 labels spent 5% of its time there (profiled). The translations are kept with the locale they
    belong to, so force_locale, which swaps the locale, gets its own."""
    from flask import g
    from flask_babel import Domain, get_locale

    class RequestDomain(Domain):
        def get_translations(self):
            locale = get_locale()
            if locale is None:
                return super().get_translations()
            kept = g.get(KEPT)
            if kept is not None and kept[0] is locale:
                return kept[1]
            found = super().get_translations()
            setattr(g, KEPT, (locale, found))
            return found

    with app.app_context():
        babel.domain_instance = RequestDomain(domain=babel.domain)
