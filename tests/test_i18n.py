"""Ten languages: complete and consistent catalogs, Telegram's limits in every language, replies that
really are in the resident's language, Einfache Sprache, staff texts with German fallback, and the
language choice.

The catalog checks read every ``.po`` file under ``locales/`` — the catalogs of flows added later
(ideas, events, meetings …) are checked the moment they exist, in all ten languages.
"""
from __future__ import annotations

import io
import re
import shutil
import string
from pathlib import Path

import pytest
import yaml
from babel import Locale
from babel.messages.pofile import read_po
from sqlalchemy import update

import locales
from bot import cli
from dialogs.core.i18n import pick_text
from dialogs.core.messages import MAX_CALLBACK_DATA, MAX_CAPTION, MAX_TEXT
from dialogs.office.resident_flow import DISTRICTS
from dialogs.core.text import visible_length
from locales import catalog_tool, languages
from storage.models import AreaRow
from storage.seed import AREAS_FILE
from tests.chat import ChatClient
from tests.i18n_walk import SAMPLE_TEXTS, telegram_html_problems, visible_lines

CORE_LANGUAGES = ["de", "de_simple", "en", "tr", "ar", "ru", "uk", "pl", "bg", "ro"]
LANGS = {lang.code: lang for lang in languages()}
OFFERED = sorted(locales.offered_codes())
DOMAINS = sorted({p.stem for code in LANGS for p in (locales.ROOT / code / "LC_MESSAGES").glob("*.po")})
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


# --- checks on one message / one catalog (also tested on broken examples below) ---------------------

def _forms(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def message_problems(message, nplurals: int) -> list[str]:
    """What is wrong with one translated catalog entry (empty list: nothing)."""
    ids = _forms(message.id)
    strings = _forms(message.string)
    where = repr(ids[0][:60])
    if message.fuzzy:
        return [f"{where}: fuzzy (fuzzy strings are not used at run time)"]
    if not all(strings):
        return [f"{where}: untranslated"]
    problems = []
    if message.pluralizable and len(strings) != nplurals:
        problems.append(f"{where}: {len(strings)} plural forms, the language has {nplurals}")
    wanted = set().union(*(PLACEHOLDER.findall(i) for i in ids))
    wanted_tags = sorted(TAG.findall(ids[-1]))
    for text in strings:
        found = set(PLACEHOLDER.findall(text))
        # A plural form may leave out {n} ("no places left"), nothing else.
        if found != wanted and not (message.pluralizable and found | {"n"} == wanted | {"n"}):
            problems.append(f"{where}: placeholders {sorted(found)} instead of {sorted(wanted)}")
        if sorted(TAG.findall(text)) != wanted_tags:
            problems.append(f"{where}: HTML tags {sorted(TAG.findall(text))} instead of {wanted_tags}")
        try:
            list(string.Formatter().parse(text))
        except ValueError as exc:
            problems.append(f"{where}: not a valid format string ({exc})")
    return problems


def plural_rule_problems(code: str, locale: str, plural_forms: str) -> list[str]:
    """Does a gettext Plural-Forms header pick one CLDR category per form, as Babel's CLDR data says?"""
    try:
        catalog_tool.form_categories(plural_forms, locale)
    except catalog_tool.PluralRuleChange as exc:
        return [f"{code}: {exc}"]
    return []


def catalog_file_problems(code: str, path: Path) -> list[str]:
    lang = LANGS[code]
    if not path.exists():
        return [f"{path.relative_to(locales.ROOT)} is missing (other languages have it)"]
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang.locale)
    problems = []
    # By meaning, not by the header's text: Babel versions write the same rule in other words and orders.
    problems += plural_rule_problems(code, lang.locale, catalog.plural_forms)
    for message in catalog:
        if message.id:
            problems += message_problems(message, catalog.num_plurals)
    return problems


# --- the real catalogs ---------------------------------------------------------------------------

def test_the_ten_languages_are_listed_and_offered():
    assert [code for code in LANGS if code in CORE_LANGUAGES] == CORE_LANGUAGES
    assert set(CORE_LANGUAGES) <= set(OFFERED)
    assert LANGS["ar"].rtl and not any(LANGS[c].rtl for c in CORE_LANGUAGES if c != "ar")


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("code", OFFERED)
def test_catalog_is_complete_and_consistent(code, domain):
    problems = catalog_file_problems(code, locales.ROOT / code / "LC_MESSAGES" / f"{domain}.po")
    assert not problems, f"{code}/{domain}.po:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("code", list(LANGS))
def test_plural_rule_agrees_with_cldr(code):
    assert plural_rule_problems(code, LANGS[code].locale, catalog_tool.plural_forms(code)) == []


def test_catalogs_are_in_step_with_the_code():
    """Every translatable string of dialogs/ is in the catalogs, and nothing else (else: `kiezbot i18n update`)."""
    for domain, template in catalog_tool.templates().items():
        with (locales.ROOT / "de" / "LC_MESSAGES" / f"{domain}.po").open("rb") as fh:
            catalog = read_po(fh, locale="de")
        assert {m.id for m in catalog if m.id} == {m.id for m in template if m.id}, domain


# --- the checks themselves catch what they should --------------------------------------------------

BROKEN_PO = '''
msgid ""
msgstr ""
"Language: ru\\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"

#, python-brace-format
msgid "{address} lies in <b>{area}</b>"
msgstr "{adres} находится в {area}"

#, fuzzy
msgid "Cancelled."
msgstr "Отменено."

msgid "Main menu"
msgstr ""

#, python-brace-format
msgid "{n} place left"
msgid_plural "{n} places left"
msgstr[0] "остался {n} место"
msgstr[1] "осталось {n} места"
msgstr[2] ""

#, python-brace-format
msgid "Hi {name"
msgstr "Привет {name"
'''


def test_the_catalog_checks_catch_broken_translations():
    catalog = read_po(io.BytesIO(BROKEN_PO.encode()), locale="ru")
    problems = " | ".join(p for m in catalog if m.id for p in message_problems(m, catalog.num_plurals))
    assert "placeholders ['adres', 'area'] instead of ['address', 'area']" in problems
    assert "HTML tags [] instead of ['</b>', '<b>']" in problems
    assert "'Cancelled.': fuzzy" in problems
    assert "'Main menu': untranslated" in problems
    assert "'{n} place left': untranslated" in problems         # the third Russian form is missing
    assert "not a valid format string" in problems


def test_the_plural_check_catches_wrong_counts():
    assert plural_rule_problems("tr", "tr", "nplurals=1; plural=0;")            # Babel's old table: one form
    assert plural_rule_problems("ru", "ru", "nplurals=2; plural=(n != 1);")     # German rule for Russian
    assert not plural_rule_problems("tr", "tr", "nplurals=2; plural=(n != 1);")
    two_forms_for_russian = read_po(io.BytesIO(BROKEN_PO.replace('msgstr[2] ""\n', "").encode()), locale="ru")
    plural = next(m for m in two_forms_for_russian if m.pluralizable)
    plural.string = ("осталось {n} место", "осталось {n} мест")
    assert any("2 plural forms, the language has 3" in p for p in message_problems(plural, 3))


# --- unreviewed translations ----------------------------------------------------------------------

def test_status_counts_unreviewed_translations_and_reviewers_can_clear_them(tmp_path, monkeypatch):
    copy = tmp_path / "locales"
    shutil.copytree(locales.ROOT, copy)
    monkeypatch.setattr(catalog_tool, "ROOT", copy)
    before = catalog_tool.status()
    assert before["de"].unreviewed == 0
    office = len([m for _, m in catalog_tool.unreviewed("tr") if _ == "office"])
    assert office > 0 and before["tr"].unreviewed > office
    assert catalog_tool.mark_reviewed("tr", {"office"}) == office
    after = catalog_tool.status()
    assert after["tr"].unreviewed == before["tr"].unreviewed - office
    assert after["tr"].untranslated == 0 and after["ar"] == before["ar"]
    text = (copy / "tr" / "LC_MESSAGES" / "start.po").read_text(encoding="utf-8")
    assert "# unreviewed (machine translation)\n" in text and "#, fuzzy" not in text


def test_i18n_status_command_reports_every_language(capsys):
    assert cli.main(["i18n", "status"]) == 0
    out = capsys.readouterr().out
    for code in CORE_LANGUAGES:
        assert re.search(rf"^{code}: \d+ strings, 0 untranslated, 0 fuzzy, \d+ unreviewed$", out, re.MULTILINE), code


def test_update_keeps_translations_marks_and_headers(tmp_path, monkeypatch):
    copy = tmp_path / "locales"
    shutil.copytree(locales.ROOT, copy)
    monkeypatch.setattr(catalog_tool, "ROOT", copy)
    before = {p: p.read_bytes() for p in copy.rglob("*.po")}
    assert set(catalog_tool.update().values()) == {0}
    assert {p: p.read_bytes() for p in copy.rglob("*.po")} == before      # a no-op when nothing changed


# --- Einfache Sprache ------------------------------------------------------------------------------

ABBREVIATIONS = ["z. B.", "z.B.", "bzw.", "ggf.", "usw.", "d. h.", "d.h.", "u. a.", "u.a.", "etc.", "evtl.",
                 "ca.", "inkl.", "Nr.", "Tel.", "Str.", "Abs.", "Art.", "lit.", "vgl.", "sog.", "bspw.", "o. Ä."]
ACRONYM = re.compile(r"\b[A-ZÄÖÜ]{2,}\b(?!-\d)")          # "BAD-202" is a reference, not an abbreviation
ALLOWED_ACRONYMS = {"OK"}
# Programme terms a reader of Einfache Sprache needs explained once ("Der Quartiersrat ist …").
PROGRAMME_TERMS = ["Quartiersmanagement", "Quartiersrat", "Aktionsfonds", "Aktionsfondsjury", "Projektfonds",
                   "Bezirksamt", "Jury", "Quartiersfonds"]


def simple_texts() -> list[tuple[str, str]]:
    out = []
    for path in sorted((locales.ROOT / "de_simple" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale="de"):
                if message.id:
                    out += [(f"{path.stem}: {_forms(message.id)[0][:50]!r}", s) for s in _forms(message.string) if s]
    return out


def sentences(text: str) -> list[str]:
    text = TAG.sub("", text)
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def words(sentence: str) -> list[str]:
    return [w for w in re.findall(r"\{[^{}]*\}|[\w/@.:-]+", sentence) if re.search(r"\w", w)]


def simple_language_problems(text: str) -> list[str]:
    problems = [f"{len(words(s))} words: {s!r}" for s in sentences(text) if len(words(s)) > 15]
    plain = PLACEHOLDER.sub("", TAG.sub("", text))
    problems += [f"abbreviation {a!r}" for a in ABBREVIATIONS if a in plain]
    problems += [f"abbreviation {a!r}" for a in ACRONYM.findall(plain) if a not in ALLOWED_ACRONYMS]
    return problems


def test_einfache_sprache_has_short_sentences_and_no_abbreviations():
    problems = [f"{where}: {p}" for where, text in simple_texts() for p in simple_language_problems(text)]
    assert not problems, "\n".join(problems)


def test_einfache_sprache_explains_every_programme_term_it_uses():
    texts = [t for _, t in simple_texts()]
    for term in PROGRAMME_TERMS:
        used = any(re.search(rf"\b{term}\b", t) for t in texts)
        explained = any(re.search(rf"\b{term}(\s+(ist|sind|heißt|bedeutet)\b|:)", t)
                        or re.search(rf"\b(heißt|heißen|nennt man|nennen wir)\s+((der|die|das)\s+)?{term}\b", t)
                        for t in texts)
        assert explained or not used, f"Einfache Sprache uses {term!r} but never says what it is"


def test_the_simple_language_check_catches_long_sentences_and_abbreviations():
    assert simple_language_problems("Das ist kurz. Und das auch!") == []
    long = "Wir speichern Ihre Nummer, Ihre Sprache, Ihre Ideen, Ihre Fragen und alles, was Sie uns sonst noch so schicken."
    assert simple_language_problems(long)[0].startswith("19 words")
    assert simple_language_problems("Schreiben Sie z. B. Ihre Adresse.") == ["abbreviation 'z. B.'"]
    assert simple_language_problems("Nach der DSGVO dürfen wir das.") == ["abbreviation 'DSGVO'"]
    assert simple_language_problems("Schreiben Sie zum Beispiel /idea BAD-202.") == []


# --- Telegram's limits, in every language, for every flow ------------------------------------------

@pytest.mark.parametrize("code", CORE_LANGUAGES)
def test_every_reply_of_every_flow_fits_telegram(flow_walks, code):
    walk = flow_walks[code]
    assert walk.actions > 40 and any("Bellermannstraße 81" in r.text for r in walk.replies), "the walk got stuck"
    problems = []
    for reply in walk.replies:
        where = repr(reply.text[:50])
        if visible_length(reply.text) > MAX_TEXT:
            problems.append(f"{where}: {visible_length(reply.text)} characters")
        problems += [f"{where}: {p}" for p in telegram_html_problems(reply.text)]
        for caption in [reply.document.caption if reply.document else ""] + [m.caption for m in reply.media]:
            if visible_length(caption) > MAX_CAPTION:
                problems.append(f"{where}: caption of {visible_length(caption)} characters")
            problems += [f"caption: {p}" for p in telegram_html_problems(caption)]
        for button in (b for row in reply.buttons for b in row):
            if button.data and len(button.data.encode()) > MAX_CALLBACK_DATA:
                problems.append(f"button {button.label!r}: callback data of {len(button.data.encode())} bytes")
            if not button.label.strip() or len(button.label) > 64:
                problems.append(f"button label {button.label!r} would be cut")
    problems += [f"toast {t!r} over 200 characters" for t in walk.toasts if len(t) > 200]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", [c for c in CORE_LANGUAGES if c not in ("de", "en")])
def test_no_reply_of_any_flow_is_left_in_english(flow_walks, code):
    english = {line for r in flow_walks["en"].replies for line in visible_lines(r)} | \
              {b.label for r in flow_walks["en"].replies for row in r.buttons for b in row}
    german = {line for r in flow_walks["de"].replies for line in visible_lines(r)}
    leftovers = [line for r in flow_walks[code].replies for line in visible_lines(r)
                 if line in english and line not in german and translatable(line)]
    assert not leftovers, f"{code} shows English: {leftovers[:5]}"


# --- the office finder answers in the resident's language ------------------------------------------

OFFICE_WALK = [("press", "office:start"), ("say", "Badstraße 10"), ("press", "office:start"),
               ("say", "Unter den Linden 1"), ("press", "office:start"), ("say", "Badstraße"), ("say", "10"),
               ("press", "office:start"), ("say", "Koloniestraße 10"), ("press", "office:pick:0"),
               ("press", "office:start"), ("say", "Xyzzystraße 5"), ("say", "asdf"),
               ("voice", ""), ("press", "office:area:pankstrasse"), ("press", "office:area:badstrasse")]
DATA_WORDS = ["QM", "Berlin", "Gesundbrunnen", "Wedding", "Lichterfelde", "Mitte", "Uhr", "https", "www"]


def translatable(line: str) -> bool:
    """Does the line hold words of a translated sentence — not only names, addresses and numbers?"""
    rest = line
    for value in sorted(DATA_VALUES, key=len, reverse=True):
        rest = rest.replace(value, " ")
    rest = re.sub(r"\S+@\S+|\S+\.(de|com|org)\S*|https?://\S+", " ", rest)
    return bool(re.search(r"[^\W\d_]{2,}", rest))




def _area_facts() -> set[str]:
    data = yaml.safe_load(AREAS_FILE.read_text(encoding="utf-8"))
    facts = set()
    for area in data["areas"]:
        office = area.get("office") or {}
        facts |= {area["name"], area.get("website") or "", office.get("address") or "", office.get("phone") or "",
                  office.get("email") or ""}
    return facts - {""}


STREETS = {re.sub(r"\s*\d+$", "", text) for text in SAMPLE_TEXTS} | {"Koloniestraße", "Bellermannstraße"}
DATA_VALUES: set[str] = (set(SAMPLE_TEXTS) | STREETS | {name for name, _ in DISTRICTS.values()} | set(DATA_WORDS)
                         | _area_facts())


async def office_steps(dialogs, db, code: str, chat_id: int) -> list[list[str]]:
    client = ChatClient(dialogs, chat_id=chat_id, language_code="de")
    await client.onboard(code)
    steps = []
    for kind, value in OFFICE_WALK:
        if kind == "press":
            answer = await client.presses(value)
        elif kind == "say":
            answer = await client.says(value)
        else:
            answer = await client.sends("voice", file_id="v", duration=2)
        lines = [line for r in answer.replies for line in visible_lines(r)]
        lines += [b.label.lstrip("\u200f") for r in answer.replies for row in r.buttons for b in row]
        steps.append(lines)
    return steps


SCRIPTS = {"ar": r"[\u0600-\u06ff]", "ru": r"[а-яё]", "uk": r"[а-яіїєґ]", "bg": r"[а-ъюя]"}


@pytest.mark.parametrize("code", [c for c in CORE_LANGUAGES if c != "de"])
async def test_office_finder_answers_in_the_residents_language(dialogs, db, code):
    german = await office_steps(dialogs, db, "de", 5000)
    other = await office_steps(dialogs, db, code, 5001)
    assert len(german) == len(other)
    for step, (de_lines, lines) in enumerate(zip(german, other)):
        assert lines, f"step {OFFICE_WALK[step]} gave no answer in {code}"
        if code == "de_simple":     # plain German may share lines with German, but not every one
            assert any(line not in de_lines for line in lines if translatable(line)) or \
                not any(translatable(line) for line in lines), f"step {OFFICE_WALK[step]}: same as German"
            continue
        same = [line for line in lines if line in de_lines and translatable(line)]
        assert not same, f"{code}, step {OFFICE_WALK[step]}: still German: {same}"
        if code in SCRIPTS:
            latin_only = [line for line in lines if translatable(line) and not re.search(SCRIPTS[code], line.lower())]
            assert not latin_only, f"{code}, step {OFFICE_WALK[step]}: not in {code}: {latin_only}"


# --- language choice -------------------------------------------------------------------------------

@pytest.mark.parametrize(("telegram", "proposed"), [
    ("ar", "ar"), ("ar-SA", "ar"), ("uk", "uk"), ("ua", "uk"), ("ru", "ru"), ("pl", "pl"), ("bg", "bg"),
    ("ro", "ro"), ("ro-MD", "ro"), ("tr", "tr"), ("tr-TR", "tr"), ("en-GB", "en"), ("EN-us", "en"),
    ("de-AT", "de"), ("pt-br", "de"), ("fa", "de"), ("", "de"), (None, "de"),
])
def test_language_is_proposed_from_telegram(dialogs, telegram, proposed):
    assert dialogs.guess_language(telegram) == proposed


async def test_ten_languages_on_a_compact_keyboard_with_the_proposed_one_first(dialogs):
    client = ChatClient(dialogs, chat_id=6001, language_code="uk")
    answer = await client.says("/start")
    rows, consent = answer.replies[-1].buttons[:5], answer.replies[-1].buttons[5:]
    assert [len(row) for row in rows] == [2, 2, 2, 2, 2]
    assert [[b.data for b in row] for row in consent] == [["consent:yes:uk"], ["consent:read:uk"]]   # notice
    assert rows[0][0].label == "✓ Українська"
    assert "Якою мовою" in answer.text
    labels = {b.label.lstrip("\u200f✓ ") for row in rows for b in row}
    assert labels == {lang.name for lang in languages()}


async def test_arabic_speaker_is_proposed_arabic_and_one_tap_switches(dialogs, db):
    client = ChatClient(dialogs, chat_id=6002, language_code="ar")
    answer = await client.says("/start")
    assert answer.buttons[0].lstrip("\u200f") == "✓ العربية"
    notice = await client.taps("العربية")
    assert "الخصوصية باختصار" in notice.text
    menu = await client.taps("حسنًا")
    assert "ابحث عن مكتبي" in " ".join(menu.buttons)
    await client.says("/language")
    turkish = await client.taps("Türkçe")
    assert "Türkçe" in turkish.text and "📍 Ofisimi bul" in turkish.buttons


async def test_einfache_sprache_can_be_chosen_and_explains_the_programme(dialogs):
    client = ChatClient(dialogs, chat_id=6003, language_code="de")
    first = await client.says("/start")
    assert "Einfache Sprache" in first.buttons
    await client.taps("Einfache Sprache")
    await client.presses("consent:yes")
    answer = await client.says("/start")
    assert "Schön, dass Sie wieder da sind" in answer.text
    again = await client.says("/language")
    assert "Das Quartiersmanagement ist ein Team" in again.text


# --- staff texts per language, German fallback ------------------------------------------------------

def test_pick_text_prefers_the_residents_language_then_german():
    texts = {"de": "Klingeln", "tr": "Zili çalın", "en": " "}
    assert pick_text(texts, "tr") == ("Zili çalın", False)
    assert pick_text(texts, "ar") == ("Klingeln", True)
    assert pick_text(texts, "en") == ("Klingeln", True)          # blank counts as missing
    assert pick_text(texts, "de_simple") == ("Klingeln", False)  # plain German readers read German
    assert pick_text({"de_simple": "Bitte klingeln."}, "de_simple") == ("Bitte klingeln.", False)
    assert pick_text({}, "ru") == ("", False)


@pytest.mark.parametrize(("code", "expected"), [
    ("tr", "Avluda giriş"), ("de", "Eingang im Hof"), ("de_simple", "Eingang im Hof"),
    ("ar", "\u2068Eingang im Hof\u2069 (بالألمانية)"), ("ru", "Eingang im Hof (на немецком)"),
])
async def test_office_note_in_the_residents_language_or_german_marked(dialogs, db, code, expected):
    async with db.sessions() as session, session.begin():
        await session.execute(update(AreaRow).where(AreaRow.key == "badstrasse").values(
            notes={"de": "Eingang im Hof", "tr": "Avluda giriş"}))
    client = ChatClient(dialogs, chat_id=6100, language_code="de")
    await client.onboard(code)
    card = await client.presses("office:area:badstrasse")
    text = "\n".join(r.text for r in card.replies)
    assert expected in text
    assert ("(auf Deutsch)" in text) is False
