"""The phrase table of issue 20: at least 30 phrasings per language for "delete my data", "talk to a
person", the office and an idea, in every language kiezbot offers; sentences with a negation or a
near-word ("statt" for "start") open nothing. In the conversation: "delete my data" reaches the delete
confirmation that spells out the consequences, "talk to a person" an answer with the office hours and then
"Ask the team"."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogs.intents.resident_flow import IntentMatcher
from locales import intent_data, offered_codes
from tests.chat import ChatClient

TABLE = yaml.safe_load((Path(__file__).parent / "data" / "intent_phrases.yaml").read_text(encoding="utf-8"))
INTENTS = ("delete", "human", "office", "idea")
MIN_HIT_RATE = 0.95        # per language; the table was written while tuning the phrase files


@pytest.fixture(scope="module")
def matcher() -> IntentMatcher:
    return IntentMatcher.from_data(intent_data())


def hit_rate(matcher: IntentMatcher, code: str) -> tuple[float, list[str]]:
    hits, misses = 0, []
    cases = [(i, t) for i, texts in (TABLE[code] or {}).items() for t in texts]
    for intent, text in cases:
        found = matcher.match(text)
        got = found.intent if found else None
        if got == (None if intent == "none" else intent):
            hits += 1
        else:
            misses.append(f"{code} {intent}: {text!r} -> {got}")
    return hits / len(cases), misses


def test_the_table_has_30_phrasings_per_intent_in_every_offered_language():
    for code in offered_codes() - {"de_simple"}:         # Einfache Sprache is German: the "de" table
        for intent in INTENTS:
            assert len(TABLE[code][intent]) >= 30, (code, intent)
        assert TABLE[code]["none"], code


@pytest.mark.parametrize("code", sorted(offered_codes() - {"de_simple"}))
def test_hit_rate_per_language(matcher, code):
    rate, misses = hit_rate(matcher, code)
    assert rate >= MIN_HIT_RATE, f"{code}: {rate:.0%}\n" + "\n".join(misses)


@pytest.mark.parametrize("code", sorted(offered_codes() - {"de_simple"}))
def test_negations_and_near_words_open_nothing(matcher, code):
    for text in TABLE[code]["none"]:
        found = matcher.match(text)
        assert found is None, f"{text!r} -> {found.intent} ({found.phrase.text!r})"


def test_statt_is_no_typo_of_start_and_exact_words_stay_exact(matcher):
    assert matcher.match("statt") is None
    assert matcher.match("start").intent == "menu"
    data = {"routes": {"menu": ["menu"]}, "languages": {"xx": {"phrases": {"menu": ["=start"]}}}}
    strict = IntentMatcher.from_data(data)
    assert strict.match("start") and not strict.match("starten") and not strict.match("statt")


def test_a_negation_inside_the_phrase_still_counts(matcher):
    assert matcher.match("ich spreche kein Deutsch").intent == "language"
    assert matcher.match("verstehe nicht").intent == "help"
    assert matcher.match("not a bot, a person please").intent == "human"


# --- in the conversation ----------------------------------------------------------------------------

async def resident(dialogs, chat_id: int, code: str) -> ChatClient:
    client = ChatClient(dialogs, chat_id=chat_id, language_code="de")
    await client.onboard(code)
    return client


@pytest.mark.parametrize(("code", "text", "expected"), [
    ("en", "Please erase everything you have stored about me", "This cannot be undone"),
    ("de", "Bitte löschen Sie alles, was Sie über mich gespeichert haben", "Das lässt sich nicht rückgängig"),
    ("tr", "Hakkımda sakladığınız her şeyi silin", "geri alınamaz"),
    ("ru", "Удалите всё, что вы обо мне храните", "нельзя отменить"),
])
async def test_delete_my_data_leads_to_the_confirmation_with_its_consequences(dialogs, code, text, expected):
    client = await resident(dialogs, 7101 + len(text), code)
    answer = await client.says(text)
    assert expected.casefold() in answer.text.casefold()
    assert "privacy:erase" in answer.button_data().values() and "privacy:keep" in answer.button_data().values()


async def test_talk_to_a_person_answers_with_office_hours_then_ask_the_team(dialogs):
    client = await resident(dialogs, 7201, "en")
    await client.says("Badstraße 10")                              # now kiezbot knows the resident's area
    answer = await client.says("I want to talk to a real person")
    assert "QM Badstraße" in answer.text and "in person" in answer.text
    assert "Open now" in answer.text or "Closed now" in answer.text or "not known yet" in answer.text
    assert "question" in answer.text.casefold()                    # and "Ask the team" is open


async def test_talk_to_a_person_without_a_known_office_points_to_the_office_finder(dialogs):
    client = await resident(dialogs, 7202, "de")
    answer = await client.says("Ich möchte lieber mit einer Person sprechen statt mit dem Bot")
    assert "Sprechzeiten" in answer.text or "Öffnungszeiten" in answer.text
    assert "Willkommen zurück" not in answer.text                   # "statt" did not open the menu


async def test_a_negated_wish_opens_nothing(dialogs):
    client = await resident(dialogs, 7203, "de")
    answer = await client.says("Ich möchte meine Daten nicht löschen")
    assert "privacy:erase" not in answer.button_data().values()
    assert "nicht verstanden" in answer.text
