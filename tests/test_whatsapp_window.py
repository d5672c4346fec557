"""bot/whatsapp/window.py: free-form only within 24 hours of the resident's last message; outside it
templates per purpose and language or a recorded "not sendable"; STOP in every offered language."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.whatsapp.window import (STOP_WORDS, UNREQUESTED, Templates, TemplatesError, decide, is_start, is_stop,
                                 one_line)
from locales import languages
from tests.fake_whatsapp import FakeWhatsApp, GraphError

NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
TEMPLATES = Templates.from_mapping({
    "reminder": {"de": {"name": "kiezbot_erinnerung", "params": ["first_line", "text"]},
                 "tr": {"name": "kiezbot_hatirlatma"}},
    "decision": {"de": {"name": "kiezbot_entscheidung"}},
})
REMINDER = "<b>Quartiersrat</b>\nMorgen, 18:00\nVor-Ort-Büro, Koloniestr. 129"


def run(purpose: str, language: str = "de", last: timedelta | None = timedelta(hours=1), stopped: bool = False):
    return decide(purpose=purpose, language=language, text=REMINDER, now=NOW, stopped=stopped,
                  last_inbound_at=None if last is None else NOW - last, templates=TEMPLATES)


def test_inside_the_window_everything_goes_free_form():
    for purpose in ("", "staff_answer", "meeting-reminder", "idea_notice", "broadcast"):
        assert run(purpose).kind == "free"
    assert run("meeting-reminder", last=timedelta(hours=23, minutes=59)).kind == "free"


def test_outside_the_window_a_reminder_goes_as_its_template_with_one_line_parameters():
    decision = run("meeting-reminder", last=timedelta(hours=24))
    assert decision.kind == "template" and decision.template.name == "kiezbot_erinnerung"
    assert decision.template.language == "de"
    assert decision.params == ("Quartiersrat", "*Quartiersrat* · Morgen, 18:00 · Vor-Ort-Büro, Koloniestr. 129")
    assert run("event-reminder", "tr", last=None).template.name == "kiezbot_hatirlatma"
    assert run("meeting-reminder", "de_simple", last=None).template.name == "kiezbot_erinnerung"   # base language


def test_without_a_template_it_is_recorded_as_not_sendable_never_another_language():
    for purpose, language in (("meeting-reminder", "ar"), ("broadcast", "de"), ("event-change", "de")):
        decision = run(purpose, language, last=timedelta(days=3))
        assert decision.kind == "not_sendable" and decision.reason.startswith("not sendable on WhatsApp")
        assert language in decision.reason
    late = run("", last=timedelta(hours=25))          # a reply that waited past the window
    assert late.kind == "not_sendable" and "window" in late.reason


def test_stop_ends_unrequested_messages_but_not_answers():
    for purpose in UNREQUESTED:
        assert run(purpose, stopped=True).kind == "not_sendable"
    assert run("", stopped=True).kind == "free"
    assert "STOP" in run("broadcast", stopped=True).reason


def test_stop_words_in_every_offered_language():
    examples = {"de": "Abmelden", "de_simple": "STOPP!", "en": "Stop", "tr": "DUR", "ar": "توقف", "ru": "Стоп",
                "uk": "Відписатися", "pl": "wypisz", "bg": "Спри", "ro": "Oprește"}
    assert {lang.code for lang in languages()} <= set(examples)
    for text in examples.values():
        assert is_stop(text) and not is_start(text)
    for sentence in ("Ich möchte mich nicht abmelden", "stop sign on Soldiner Str.", "Stoppschild", "start"):
        assert not is_stop(sentence)
    assert is_start("START") and is_start("Başla")


def test_the_templates_file_is_checked():
    for bad in ({"reminders": {}}, {"reminder": {"de": {}}}, {"reminder": {"de": {"name": "x", "params": ["body"]}}},
                ["reminder"]):
        with pytest.raises(TemplatesError):
            Templates.from_mapping(bad)
    assert Templates.from_mapping(None).find("reminder", "de") is None


@given(st.text(max_size=3000))
def test_template_parameters_are_what_meta_accepts(text):
    fake = FakeWhatsApp()
    fake.add_template("t", {"de"}, body_params=1)
    value = one_line(text) or "…"
    try:
        fake._check_template({"name": "t", "language": {"code": "de"},
                              "components": [{"type": "body", "parameters": [{"type": "text", "text": value}]}]})
    except GraphError as exc:
        assert not value.strip(), exc.details     # only an all-blank message gives a blank parameter


def test_stop_words_are_whole_messages():
    assert all(w == w.strip() for w in STOP_WORDS)
