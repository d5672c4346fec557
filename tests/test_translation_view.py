"""How machine translations and transcripts are shown: the translation first, marked in the reader's
language ("machine translation from Turkish"), the original beneath; pending and unavailable said so;
nothing changes when no translation was asked for."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dialogs.core.i18n import FSI, PDI, Translator
from dialogs.core.text import plain, telegram_html_problem
from dialogs.translation import view
from dialogs.translation.jobs import Job, Source, voice_field
from locales import load_catalogs

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)
ALL = ["de", "de_simple", "en", "tr", "ar", "ru", "uk", "pl", "bg", "ro"]


def reader(code: str) -> Translator:
    catalogs = load_catalogs(all_languages=True)
    return Translator(catalogs.language(code), catalogs.translations(code))


def job(status: str = "done", result: str | None = "EINE BANK FÜR DEN HOF", *, task: str = "translate",
        source_language: str | None = None, detected: str | None = "tr", target: str = "de",
        field: str = "text") -> Job:
    return Job(id=1, task=task, source=Source("submission", 42, field), target_language=target, text="…",
               source_language=source_language, html=False, audio_ref=None, mime=None, status=status,
               attempts=1, next_try_at=None, result=result, detected_language=detected,
               provider="libretranslate", error=None, created_at=NOW)


ORIGINAL = "Avluya bir bank <3 & ağaçlar"


def test_the_team_reads_the_translation_first_and_the_original_beneath():
    shown = view.with_translation(reader("de"), ORIGINAL, job())
    assert shown == ("🌐 <i>Maschinell übersetzt, Originalsprache: Türkisch</i>\nEINE BANK FÜR DEN HOF\n\n"
                     "<i>Original (Türkisch):</i>\nAvluya bir bank &lt;3 &amp; ağaçlar")
    assert telegram_html_problem(shown) is None


def test_a_resident_reads_the_teams_words_in_their_language_with_the_german_original():
    asked = job(result="Bank tam olarak nerede olmalı?", detected="de", target="tr")
    shown = plain(view.with_translation(reader("tr"), "Wo genau soll die Bank stehen?", asked))
    assert shown == ("🌐 Makine çevirisi, kaynak dil: Almanca\nBank tam olarak nerede olmalı?\n\n"
                     "Orijinal metin (Almanca):\nWo genau soll die Bank stehen?")


def test_arabic_readers_get_the_left_to_right_original_isolated():
    shown = view.with_translation(reader("ar"), "Wo genau?\nBadstraße 10", job(result="أين بالضبط؟", detected="de"))
    assert shown.endswith(f"{FSI}Wo genau?{PDI}\n{FSI}Badstraße 10{PDI}")
    assert "ترجمة آلية، اللغة الأصلية: الألمانية" in shown


@pytest.mark.parametrize("status, note", [("pending", "Übersetzung folgt"), ("running", "Übersetzung folgt"),
                                          ("failed", "Übersetzung nicht verfügbar"),
                                          ("given_up", "Übersetzung nicht verfügbar")])
def test_while_pending_or_after_failing_the_original_is_shown_with_a_note(status, note):
    shown = view.with_translation(reader("de"), ORIGINAL, job(status, None))
    assert shown == f"Avluya bir bank &lt;3 &amp; ağaçlar\n🌐 <i>{note}</i>"


def test_without_a_translation_everything_looks_as_before():
    assert view.with_translation(reader("de"), ORIGINAL, None) == "Avluya bir bank &lt;3 &amp; ağaçlar"
    same = job(result=None, detected="de")                               # it already was German
    assert view.with_translation(reader("de"), "Eine Bank", same) == "Eine Bank"


def test_an_unknown_source_language_is_still_marked():
    shown = plain(view.with_translation(reader("en"), "Salut", job(result="Hello", detected=None)))
    assert shown == "🌐 Machine translation\nHello\n\nOriginal:\nSalut"
    persian = plain(view.with_translation(reader("de"), "سلام", job(result="Hallo", detected="fa")))
    assert persian.startswith("🌐 Maschinell übersetzt, Originalsprache: Persisch")


def test_a_voice_note_shows_its_text_translated_for_the_team():
    transcript = job(task="transcribe", result="أريد مقعدًا في الفناء", detected="ar", field=voice_field(1))
    translation = job(result="Ich möchte eine Bank im Hof", detected="ar", field=voice_field(1))
    shown = view.transcript(reader("de"), transcript, translation)
    assert plain(shown) == ("🎤 🌐 Maschinell übersetzt, Originalsprache: Arabisch\nIch möchte eine Bank im Hof\n\n"
                            "Original (Arabisch):\nأريد مقعدًا في الفناء")
    alone = plain(view.transcript(reader("de"), transcript, None))
    assert alone == "🎤 Sprachnachricht als Text (Arabisch):\nأريد مقعدًا في الفناء"
    pending = plain(view.transcript(reader("de"), transcript, job("pending", None, field=voice_field(1))))
    assert pending == "🎤 Sprachnachricht als Text (Arabisch):\nأريد مقعدًا في الفناء\n🌐 Übersetzung folgt"
    assert plain(view.transcript(reader("de"), job("running", None, task="transcribe"))) == \
        "🎤 Sprachnachricht: Text folgt"
    assert plain(view.transcript(reader("de"), job("given_up", None, task="transcribe"))) == \
        "🎤 Sprachnachricht: kein Text verfügbar"
    assert plain(view.transcript(reader("de"), job(result="", task="transcribe"))) == \
        "🎤 In der Sprachnachricht wurden keine Wörter erkannt."
    assert view.transcript(reader("de"), None) == ""


@pytest.mark.parametrize("code", ALL)
def test_the_marks_are_in_every_language(code):
    t = reader(code)
    english = reader("en")
    shown = view.with_translation(t, "Merhaba", job(result="X"))
    assert telegram_html_problem(shown) is None
    name = view.language_name("tr", t.language.locale)
    assert name in shown
    if code != "en":
        for msgid in (view.MACHINE_FROM, view.PENDING, view.UNAVAILABLE, view.TRANSCRIPT_PENDING, view.NO_WORDS):
            assert t._(msgid, language="x") != english._(msgid, language="x"), (code, msgid)


def test_a_spreadsheet_gets_the_text_or_the_state():
    assert view.as_plain(job()) == "EINE BANK FÜR DEN HOF"
    assert view.as_plain(job("pending", None)) == "pending"
    assert view.as_plain(job("given_up", None)) == "unavailable"
    assert view.as_plain(job(result=None, detected="de")) == "" and view.as_plain(None) == ""


def test_a_card_finds_its_jobs():
    jobs = [job(field="title"), job(task="transcribe", field=voice_field(1)), job(field=voice_field(1))]
    assert view.pick(jobs, Source("submission", 42, "title")) is jobs[0]
    assert view.pick(jobs, Source("submission", 42, voice_field(1)), task="transcribe") is jobs[1]
    assert view.pick(jobs, Source("submission", 42, "text")) is None
    assert view.pick(jobs, Source("submission", 42, "title"), target="tr") is None
