"""WTForms' own messages, translated in our catalogs: WTForms ships no Slovenian, and ours stay consistent."""
from flask_babel import gettext
from flask_wtf.i18n import translations as wtforms_translations


def N_(message: str) -> str:
    """Mark MESSAGE for extraction without translating it here."""
    return message


# The texts must equal WTForms' own msgids; extraction puts them in our catalogs.
KNOWN = frozenset((
    N_("This field is required."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid date value."),
    N_("Not a valid datetime value."),
    N_("Not a valid choice."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Invalid email address."),
))


class Translations:
    """Answer WTForms from our catalogs for the messages above; anything else from WTForms' catalogs."""

    def gettext(self, string: str) -> str:
        return gettext(string) if string in KNOWN else wtforms_translations.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return wtforms_translations.ngettext(singular, plural, n)


translations = Translations()
