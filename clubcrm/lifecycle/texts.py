"""Default SMS texts of the lifecycle rules, per locale (each tool's module holds its rules' texts); managers edit
the club's copies in the settings."""
import string

from clubcrm.lifecycle.tools import DEFAULT_TEXTS

__all__ = ["BASIC_PLACEHOLDERS", "DEFAULT_TEXTS", "PLACEHOLDERS"]

# Every text may name the member and the club and hold the link to the member's page (its sentence is left out
# where the club's texts carry no links); the rest are the placeholders its default text uses.
BASIC_PLACEHOLDERS = frozenset({"first_name", "club", "link"})
PLACEHOLDERS: dict[str, frozenset[str]] = {
    key: BASIC_PLACEHOLDERS | frozenset(
        field for _, field, _, _ in string.Formatter().parse(texts["en"]) if field is not None)
    for key, texts in DEFAULT_TEXTS.items()
}
