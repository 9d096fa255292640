"""Reading spreadsheets: encodings and delimiters as Excel writes them, headers in six languages, dates, yes/no."""
from datetime import date

import pytest

from clubcrm.errors import InvalidInput
from clubcrm.imports.headers import guess_field, guess_mapping, has_name
from clubcrm.imports.reading import decode, read_table, sniff_delimiter
from clubcrm.imports.rows import normalize, read_date, read_locale, read_yes_no, split_name
from clubcrm.models import Club

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize("header, field", [
    # en
    ("First name", "first_name"), ("Surname", "last_name"), ("Name", "full_name"), ("Mobile", "phone"),
    ("E-mail address", "email"), ("Card number", "card_code"), ("Date of birth", "birth_date"),
    ("Language", "locale"), ("Notes", "notes"), ("Interested in", "interest"), ("SMS consent", "sms_consent"),
    # de
    ("Vorname", "first_name"), ("Nachname", "last_name"), ("Telefonnummer", "phone"), ("E-Mail", "email"),
    ("Kartennummer", "card_code"), ("Geburtsdatum", "birth_date"), ("Sprache", "locale"),
    ("Bemerkung", "notes"), ("Einwilligung SMS", "sms_consent"), ("SMS-Einwilligung", "sms_consent"),
    # ru
    ("Имя", "first_name"), ("Фамилия", "last_name"), ("ФИО", "full_name_rev"), ("Ф.И.О.", "full_name_rev"),
    ("Телефон", "phone"), ("Эл. почта", "email"), ("Номер карты", "card_code"),
    ("Дата рождения", "birth_date"), ("Язык", "locale"), ("Примечание", "notes"),
    ("Согласие на СМС", "sms_consent"),
    # fi
    ("Etunimi", "first_name"), ("Sukunimi", "last_name"), ("Nimi", "full_name"), ("Puhelinnumero", "phone"),
    ("Sähköposti", "email"), ("Jäsenkortti", "card_code"), ("Syntymäaika", "birth_date"), ("Kieli", "locale"),
    ("Lisätiedot", "notes"), ("Tekstiviestilupa", "sms_consent"),
    # sl
    ("Ime", "first_name"), ("Priimek", "last_name"), ("Ime in priimek", "full_name"), ("Mobitel", "phone"),
    ("E-pošta", "email"), ("Številka kartice", "card_code"), ("Datum rojstva", "birth_date"),
    ("Jezik", "locale"), ("Opombe", "notes"), ("Soglasje za SMS", "sms_consent"),
    # sk
    ("Meno", "first_name"), ("Priezvisko", "last_name"), ("Telefónne číslo", "phone"),
    ("Číslo karty", "card_code"), ("Dátum narodenia", "birth_date"), ("Jazyk", "locale"),
    ("Poznámka", "notes"), ("Súhlas so SMS", "sms_consent"),
    # case, accents and punctuation do not matter
    ("  SAHKOPOSTI: ", "email"), ("telefon", "phone"), ("DATUM NARODENIA", "birth_date"), ("Shoe size", None),
])
def test_headers_are_guessed_in_each_language(header, field):
    assert guess_field(header) == field


def test_german_name_beside_vorname_is_the_family_name():
    assert guess_mapping(["Name", "Vorname", "Handy", "Name"]) == ["last_name", "first_name", "phone", None]
    assert not has_name(guess_mapping(["Telefon", "E-Mail"]))


def test_utf8_with_bom_and_comma():
    table = read_table("\ufeffFirst name,Last name,Phone\r\nMäkinen,Aino,040 1234567\r\n".encode("utf-8"))
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ",")
    assert table.headers == ["First name", "Last name", "Phone"]   # no BOM left on the first header
    assert table.records == [(2, ["Mäkinen", "Aino", "040 1234567"])]


def test_utf16_with_bom_and_tabs():
    table = read_table("Vorname\tNachname\nJürgen\tMüller\n".encode("utf-16"))
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.records == [(2, ["Jürgen", "Müller"])]


def test_cp1251_semicolons_from_a_russian_excel():
    text = "Фамилия;Имя;Телефон\r\nИванов;Иван;8 916 123-45-67\r\nЩукина;Юлия;+7 916 765 43 21\r\n"
    table = read_table(text.encode("cp1251"))
    assert (table.encoding, table.delimiter) == ("cp1251", ";")
    assert table.headers == ["Фамилия", "Имя", "Телефон"]
    assert table.records[1] == (3, ["Щукина", "Юлия", "+7 916 765 43 21"])


@pytest.mark.parametrize("text", [
    "Etunimi;Sukunimi;Kaupunki\nAino;Mäkinen;Jyväskylä\nPäivi;Hämäläinen;Pori\n",
    "Vorname;Nachname\nJürgen;Müller\nGöran;Öztürk\nFrançois;Weiß\n",
    "Nimi;Kaupunki\nPääkkönen Ääri;Hää\nSöörö Lääkäri;Ylöjärvi\n",
])
def test_latin1_is_told_from_cp1251(text):
    table = read_table(text.encode("latin-1"))
    assert table.encoding == "cp1252"
    assert table.records[0][1][1] in ("Mäkinen", "Müller", "Hää")


def test_an_encoding_chosen_by_hand():
    data = "\ufeffИмя;Телефон\nИван;8 916 123-45-67\n".encode("utf-8")
    assert read_table(data, encoding="utf-8").headers == ["Имя", "Телефон"]
    assert read_table("Имя;Тел\nЮля;1\n".encode("cp1251"), encoding="cp1251").records == [(2, ["Юля", "1"])]
    assert read_table("Имя,Тел\nЮля,1\n".encode("cp1251"), delimiter=",").delimiter == ","


def test_an_undecodable_or_empty_file_is_refused_in_plain_words():
    with pytest.raises(InvalidInput) as error:
        read_table(b"")
    assert error.value.field == "file"
    with pytest.raises(InvalidInput):
        read_table(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(InvalidInput) as error:
        read_table(b"First name;Phone\n")
    assert "no members" in str(error.value)
    with pytest.raises(InvalidInput) as error:
        decode(b"abc", "no-such-encoding")
    assert error.value.field == "encoding"


def test_delimiter_sniffing_prefers_the_consistent_split():
    assert sniff_delimiter('Name;Notes\n"Anna";"likes yoga, pilates"\n"Ben";"a, b, c"\n') == ";"
    assert sniff_delimiter("Name,Phone\nAnna,0401234567\n") == ","


@pytest.mark.parametrize("text, expected", [
    ("1990-12-31", date(1990, 12, 31)), ("1990/12/31", date(1990, 12, 31)), ("31.12.1990", date(1990, 12, 31)),
    ("31/12/1990", date(1990, 12, 31)), ("31-12-1990", date(1990, 12, 31)), ("1.2.90", date(1990, 2, 1)),
    ("5.6.05", date(2005, 6, 5)), ("1. 2. 1990", date(1990, 2, 1)), ("1990-12-31 00:00:00", date(1990, 12, 31)),
    ("01.02.1990.", date(1990, 2, 1)), ("", None),
])
def test_dates_in_common_formats_day_first(text, expected):
    assert read_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["31.02.1990", "12/31/1990x", "yesterday", "1990-13-01"])
def test_a_date_that_is_no_date_is_refused(text):
    with pytest.raises(InvalidInput) as error:
        read_date(text, TODAY)
    assert error.value.field == "birth_date"


def test_yes_no_language_and_names():
    assert [read_yes_no(w) for w in ("Yes", "ja", "да", "kyllä", "áno", "x", "1")] == [True] * 7
    assert [read_yes_no(w) for w in ("no", "nein", "нет", "ei", "ne", "nie", "")] == [False] * 7
    with pytest.raises(InvalidInput):
        read_yes_no("maybe")
    club = Club(country="FI", default_locale="fi")
    assert [read_locale(w, club) for w in ("ru", "Deutsch", "English", "русский", "sk-SK", "")] == [
        "ru", "de", "en", "ru", "sk", "fi"]
    assert split_name("Anna Maria Virtanen", False) == ("Anna Maria", "Virtanen")
    assert split_name("Иванов Иван Иванович", True) == ("Иван Иванович", "Иванов")
    assert split_name("Müller, Jürgen", False) == ("Jürgen", "Müller")


def test_a_row_is_normalised_with_the_clubs_country_and_every_problem_is_named():
    club = Club(country="FI", default_locale="fi", timezone="Europe/Helsinki")
    fields = ["full_name", "phone", "email", "birth_date", "sms_consent", "card_code"]
    values, problems = normalize(2, fields, ["Aino Mäkinen", "040 123 4567", "Aino@Example.FI", "1.2.1990", "x",
                                             " c-1 "], club, TODAY)
    assert problems == []
    assert values["phone"] == "+358401234567" and values["email"] == "aino@example.fi"
    assert values["card_code"] == "C-1" and values["sms_consent"] is True and values["locale"] == "fi"
    values, problems = normalize(7, fields, ["", "12", "nope", "32.1.1990", "jein", ""], club, TODAY)
    assert values is None
    assert {(p.line, p.field) for p in problems} == {
        (7, "first_name"), (7, "phone"), (7, "email"), (7, "birth_date"), (7, "sms_consent")}
    _values, problems = normalize(8, fields, ["Ben", "", "", "", "yes", ""], club, TODAY)
    assert [(p.field, str(p.message)) for p in problems] == [("sms_consent", "SMS consent needs a phone number.")]
