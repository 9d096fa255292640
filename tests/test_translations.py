"""The gettext catalogs: complete, reviewed, placeholder-safe and in step with the code.

Needs no database: it reads the .po files and re-extracts the sources the way `pybabel extract`
does with babel.cfg, so a string added to the code without a translation fails here.
"""
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from clubcrm.i18n import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "clubcrm" / "translations"
LOCALES = ("en", "de", "ru", "fi", "sl", "sk")
# The same keywords as `pybabel extract -k _l -k lazy_gettext -k lazy_ngettext:1,2`: the defaults plus our lazy
# aliases (lazy_ngettext: a count's plural, issue 16).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
# A %-placeholder such as %(name)s or %(price).2f.
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
FIX = "Run `make translations`, translate the new entries in every locale, and commit the .po files."


@cache
def catalog(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


@cache
def source_messages() -> dict[tuple[str, str | None], tuple[bool, str]]:
    """Every translatable string in the code: (msgid, context) -> (is plural, first place found)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    found: dict[tuple[str, str | None], tuple[bool, str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((msgid, context), (isinstance(message, tuple), f"{filename}:{lineno}"))
    return found


def entries(locale: str):
    """The catalog's messages, without the header entry."""
    return [m for m in catalog(locale) if m.id]


def forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def stray_percents(text: str) -> int:
    """Percent signs that are neither placeholders nor %%: templates always %-format the text."""
    return PLACEHOLDER.sub("", text).replace("%%", "").count("%")


def describe(message) -> str:
    return repr(message.id if not isinstance(message.id, (list, tuple)) else message.id[0])


def test_every_supported_locale_has_a_catalog():
    assert set(SUPPORTED_LOCALES) == set(LOCALES)
    for locale in LOCALES:
        assert (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").is_file(), locale


def test_extraction_finds_python_and_template_strings():
    msgids = {msgid for msgid, _context in source_messages()}
    assert {"Check in", "New lead", "Wrong email or password."} <= msgids


@pytest.mark.parametrize("locale", LOCALES)
def test_nothing_is_fuzzy(locale):
    assert not catalog(locale).fuzzy, f"{locale}: the header entry is marked fuzzy"
    fuzzy = [describe(m) for m in entries(locale) if m.fuzzy]
    assert not fuzzy, f"{locale}: fuzzy entries need review: {', '.join(fuzzy)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_entry_is_translated(locale):
    wanted = catalog(locale).num_plurals
    problems = []
    for message in entries(locale):
        got = forms(message)
        if message.pluralizable and len(got) != wanted:
            problems.append(f"{describe(message)} has {len(got)} plural forms, Plural-Forms says {wanted}")
        elif not all(text.strip() for text in got):
            problems.append(f"{describe(message)} is untranslated")
    assert not problems, f"{locale}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match(locale):
    problems = []
    for message in entries(locale):
        ids = list(message.id) if message.pluralizable else [message.id]
        # Every form carries the plural msgid's placeholders; a form may also mirror the singular's.
        allowed = [placeholders(ids[-1]), placeholders(ids[0])]
        for index, text in enumerate(forms(message)):
            label = describe(message) + (f" [form {index}]" if message.pluralizable else "")
            if placeholders(text) not in allowed:
                problems.append(f"{label}: has {sorted(placeholders(text))}, msgid has {sorted(allowed[0])}")
            if stray_percents(text) != stray_percents(ids[-1]):
                problems.append(f"{label}: a lone % sign; write %% for a literal percent")
    assert not problems, f"{locale}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_holds_every_string_in_the_code(locale):
    missing, not_plural = [], []
    for (msgid, context), (plural, where) in sorted(source_messages().items()):
        message = catalog(locale).get(msgid, context=context)
        if message is None:
            missing.append(f"{msgid!r} ({where})")
        elif plural and not message.pluralizable:
            not_plural.append(f"{msgid!r} ({where})")
    assert not missing, (
        f"{locale}: {len(missing)} string(s) in the code are not in the catalog:\n  "
        + "\n  ".join(missing) + f"\n{FIX}"
    )
    assert not not_plural, (
        f"{locale}: now plural (ngettext) in the code but singular in the catalog:\n  "
        + "\n  ".join(not_plural) + f"\n{FIX}"
    )
