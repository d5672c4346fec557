"""Typing instead of tapping: what residents write, in ten languages and with typos, reaches the flow
they mean; what is not understood gets the menu and an example in their language."""
from __future__ import annotations

import pytest

from dialogs.intents.resident_flow import IntentMatcher, normalise, word_similarity
from locales import intent_data, offered_codes
from tests.chat import ChatClient

# At least ten phrasings per intent, across the ten languages, typos included. They are sentences a
# resident might write, not copies of the phrase files.
PHRASINGS = {
    "office": ["wo ist das Büro", "Wann hat das Quartiersbüro heute offen?", "öfnungszeiten bitte",
               "where is the offfice?", "office hours", "ofis nerede", "büronuz ne zaman açık", "أين المكتب",
               "ما هي ساعات العمل؟", "где находится офис", "де ваш офіс?", "gdzie jest biuro",
               "unde este biroul?", "къде е офисът", "Telefonnummer vom Büro"],
    "idea": ["Ich habe eine Idee für den Spielplatz", "ich hab ne idee", "Vorschlag für unseren Kiez",
             "i have an iddea", "I'd like to suggest something", "bir fikrim var", "öneri yapmak istiyorum",
             "عندي فكرة للحي", "хочу предложить идею", "маю ідею для району", "mam pomysł na podwórko",
             "am o idee pentru cartier", "имам предложение", "Antrag für den Aktionsfonds"],
    "question": ["Ich habe eine Frage", "Ich möchte dem Team schreiben", "ich hätte eine Frge",
                 "I have a question", "sorum var", "لدي سؤال", "у меня вопрос",
                 "маю питання", "mam pytanie", "am o întrebare", "имам въпрос"],
    "events": ["Welche Veranstaltungen gibt es?", "veranstalltungen im kiez", "gibt es ein Fest?",
               "any events this week", "etkinlikler", "ما هي الفعاليات", "какие мероприятия", "які є заходи",
               "wydarzenia", "evenimente în cartier", "събития"],
    "meetings": ["Wann tagt der Quartiersrat?", "nächste Sitzung der Jury", "quartiersrad",
                 "when is the next council meeting", "mahalle konseyi toplantısı", "متى اجتماع مجلس الحي",
                 "заседание совета квартала", "засідання ради", "posiedzenie rady osiedla", "ședința consiliului",
                 "заседание на съвета"],
    "my_submissions": ["Was ist aus meiner Idee geworden?", "meine Ideen", "status of my idea", "my submissions",
                       "fikrime ne oldu", "gönderilerim", "ماذا حدث لفكرتي", "мои заявки", "що з моєю ідеєю",
                       "moje zgłoszenia", "ideile mele", "моите идеи"],
    "privacy": ["Datenschutz", "meine Daten", "datenschuts", "privacy policy", "my data", "gizlilik",
                "بياناتي", "мои данные", "мої дані", "ochrona danych", "datele mele personale",
                "лични данни"],
    # More phrasings of delete and human (30 per language each): tests/data/intent_phrases.yaml.
    "delete": ["meine Daten löschen", "delete my data", "احذف بياناتي", "удалить мои данные", "verilerimi silin",
               "видаліть мої дані", "usuń moje dane", "ștergeți datele mele", "изтрийте данните ми",
               "Vergiss mich"],
    "human": ["can I talk to someone", "Ich möchte mit einem Menschen sprechen", "gerçek bir insanla konuşmak istiyorum",
              "أريد التحدث مع شخص حقيقي", "хочу поговорить с человеком", "хочу поговорити з людиною",
              "chcę porozmawiać z człowiekiem", "vreau să vorbesc cu o persoană", "искам да говоря с човек",
              "talk to a real person"],
    "language": ["Sprache ändern", "ich spreche kein Deutsch", "change language", "english please",
                 "türkçe lütfen", "العربية من فضلك", "сменить язык", "змінити мову", "zmień język", "schimbă limba",
                 "смяна на езика"],
    "help": ["Hilfe", "hilfr", "how does this work", "help me", "yardım", "مساعدة", "помогите", "допоможіть",
             "pomocy", "ajutor", "помощ"],
    "menu": ["Menü", "zurück zum Hauptmenü", "main menu", "menu pls", "ana menü", "القائمة الرئيسية",
             "главное меню", "головне меню", "menu główne", "meniul principal", "главно меню"],
    "greeting": ["Hallo", "hi", "merhaba", "السلام عليكم", "привет", "привіт", "cześć", "здравейте", "bună ziua",
                 "Guten Morgen"],
}
UNRELATED = ["1234", "asdf", "🙂", "👍", "ok", "OK!", "danke", "ja", "nein", "test", "lol", "???", "qwertz", "tamam",
             "شكرا", "спасибо", "dziękuję", "mulțumesc", "благодаря", "", "   ",
             "Das Büro " + "und " * 30 + "so weiter"]          # a long letter to the team is no wish for a flow


@pytest.fixture(scope="module")
def matcher() -> IntentMatcher:
    return IntentMatcher.from_data(intent_data())


def test_the_table_has_ten_phrasings_per_intent_in_many_languages():
    routed = set(intent_data()["routes"])
    assert set(PHRASINGS) == routed
    assert all(len(texts) >= 10 for texts in PHRASINGS.values())


@pytest.mark.parametrize(("intent", "text"), [(i, t) for i, texts in PHRASINGS.items() for t in texts])
def test_free_text_finds_the_intent(matcher, intent, text):
    found = matcher.match(text)
    assert found is not None, f"{text!r} not understood"
    assert found.intent == intent, f"{text!r} -> {found.intent} (phrase {found.phrase.text!r})"


@pytest.mark.parametrize("text", UNRELATED)
def test_unrelated_text_is_no_wish(matcher, text):
    assert matcher.match(text) is None


@pytest.mark.parametrize("code", sorted(offered_codes()))
def test_every_language_has_phrases_and_examples_that_route_to_their_intent(matcher, code):
    entry = intent_data()["languages"][code]
    if code != "de_simple":            # Einfache Sprache adds to the German phrases
        missing = [i for i in intent_data()["routes"] if not entry["phrases"].get(i)]
        assert not missing, f"{code}: no phrases for {missing}"
    assert "office" in entry["examples"]
    for intent, example in entry["examples"].items():
        found = matcher.match(example)
        assert found is not None and found.intent == intent, f"{code} example {example!r} -> {found}"


def test_no_phrase_stands_for_two_intents(matcher):
    owner: dict[tuple[str, ...], str] = {}
    clashes = []
    for phrase in matcher.phrases:
        if owner.setdefault(phrase.words, phrase.intent) != phrase.intent:
            clashes.append(f"{phrase.text!r}: {owner[phrase.words]} and {phrase.intent}")
    assert not clashes


def test_phrases_are_data_extendable_without_code():
    data = {"routes": {"office": ["office"], "events": ["events", "veranstaltungen"]},
            "languages": {"xx": {"phrases": {"events": ["kermes"]}, "examples": {"events": "kermes var mı"}}}}
    matcher = IntentMatcher.from_data(data)
    assert matcher.match("Gibt es eine Kermes?").intent == "events"
    assert matcher.command_for("events", {"veranstaltungen": object()}) == "veranstaltungen"
    assert matcher.command_for("events", {}) is None
    with pytest.raises(ValueError, match="unknown intent 'ideas'"):
        IntentMatcher.from_data({"routes": {"office": ["office"]}, "languages": {"de": {"phrases": {"ideas": ["x"]}}}})


def test_fast_word_scores_agree_with_the_plain_word_by_word_comparison(matcher):
    texts = [t for texts in PHRASINGS.values() for t in texts] + UNRELATED + ["veranstalltungen quartiersrad öfnungszeiten"]
    vocabulary = {w for phrase in matcher.phrases for w in phrase.words}
    for text in texts:
        words = normalise(text)
        fast = matcher.word_scores(words)
        for pw in vocabulary:
            slow = max((word_similarity(pw, w) for w in words), default=0.0)
            assert fast.get(pw, 0.0) == pytest.approx(slow), (text, pw)


def test_normalising_folds_case_accents_and_arabic_spellings():
    assert normalise("ÖFFNUNGSZEİTEN!") == ["offnungszeiten"]
    assert normalise("Şikâyet, ığdır") == ["sikayet", "igdir"]
    assert normalise("إلى المكتبة") == normalise("الى المكتبه")
    assert normalise("зв'язатися") == ["звязатися"]


# --- in the conversation ----------------------------------------------------------------------------

async def resident(dialogs, chat_id: int, code: str) -> ChatClient:
    client = ChatClient(dialogs, chat_id=chat_id, language_code="de")
    await client.onboard(code)
    return client


async def test_turkish_wish_at_the_menu_opens_the_office_finder_in_turkish(dialogs):
    client = await resident(dialogs, 7001, "tr")
    answer = await client.says("ofis nredee")                # "nerede", mistyped: "ofis" carries it
    assert "Adresinizi yazın" in answer.text and "QM Badstraße" in answer.buttons


async def test_arabic_wish_at_the_menu_opens_the_office_finder_in_arabic(dialogs):
    client = await resident(dialogs, 7002, "ar")
    answer = await client.says("وين المكتب؟")
    assert "اكتب عنوانك" in answer.text


async def test_address_at_the_menu_still_goes_to_the_office_finder(dialogs):
    client = await resident(dialogs, 7003, "de")
    answer = await client.says("Badstraße 10")
    assert "QM Badstraße" in answer.text and "Büro:" in answer.text


async def test_intent_runs_only_a_registered_flow_else_the_menu(dialogs):
    dialogs.commands.pop("events", None)          # as before the events flow was installed
    client = await resident(dialogs, 7004, "pl")
    dialogs.commands.pop("events", None)          # as in a deployment without the events flow
    without = await client.says("jakie są wydarzenia?")
    assert "Co chcesz zrobić?" in without.text and "📍 Znajdź moje biuro" in without.buttons
    seen = []

    async def events(ctx):
        seen.append(ctx.inbound.command)
        ctx.say("EVENTS")

    dialogs.command("events", events)
    with_flow = await client.says("jakie są wydarzenia?")
    assert with_flow.text == "EVENTS" and seen == ["events"]


async def test_a_wish_naming_a_street_goes_to_that_flow_when_it_exists(dialogs):
    dialogs.commands.pop("idea", None)                         # as before the ideas flow existed
    client = await resident(dialogs, 7005, "de")
    dialogs.commands.pop("idea", None)            # as in a deployment without the ideas flow
    answer = await client.says("Ich habe eine Idee für die Badstraße")
    assert "Welche Hausnummer" in answer.text                  # no ideas flow yet: the street is all we have
    await client.says("/cancel")

    async def idea(ctx):
        ctx.say("IDEA")

    dialogs.command("idea", idea)
    assert (await client.says("Ich habe eine Idee für die Badstraße")).text == "IDEA"
    assert "QM Badstraße" in (await client.says("Badstraße 10")).text     # an exact address stays an address


@pytest.mark.parametrize(("code", "example"), [
    ("de", "„Wo ist mein Quartiersbüro?“"), ("tr", "“Mahalle ofisi nerede?”"), ("ar", "أين مكتب الحي؟"),
    ("de_simple", "„Wo ist das Büro?“"), ("uk", "«Де знаходиться офіс?»"),
])
async def test_not_understood_gets_the_menu_and_an_example_in_the_residents_language(dialogs, code, example):
    client = await resident(dialogs, 7006, code)
    answer = await client.says("asdf")
    assert example in answer.text
    assert len(answer.buttons) >= 2                            # the menu


async def test_example_names_the_ideas_flow_once_it_exists(dialogs):
    async def idea(ctx):
        ctx.say("IDEA")

    dialogs.command("idea", idea)
    client = await resident(dialogs, 7007, "en")
    answer = await client.says("qwertz")
    assert "“Where is my neighbourhood office?” or “I have an idea”" in answer.text


async def test_voice_note_at_the_menu_is_answered_in_the_residents_language(dialogs):
    client = await resident(dialogs, 7008, "ru")
    answer = await client.sends("voice", file_id="v", duration=3)
    assert "Голосовые сообщения" in answer.text and "«Где находится офис?»" in answer.text


async def test_a_clear_wish_leaves_the_address_step_but_a_greeting_does_not(dialogs):
    client = await resident(dialogs, 7009, "de")
    await client.says("/office")
    hello = await client.says("hallo")
    assert "Badstraße 10" in hello.text                        # the address hint: still in the finder
    privacy = await client.says("Datenschutz?")
    assert "Datenschutzhinweis" in privacy.text
    after = await client.says("Badstraße 10")                  # the step was left; the menu takes addresses too
    assert "QM Badstraße" in after.text


async def test_greeting_at_the_menu_shows_the_menu(dialogs):
    client = await resident(dialogs, 7010, "bg")
    answer = await client.says("Здравейте!")
    assert "Какво бихте искали да направите?" in answer.text and "📍 Намиране на офиса" in answer.buttons
