"""How a machine translation or a transcript is shown: marked as such, with the original beneath.

For every reader — the team reading a resident's idea, a resident reading the team's question — the
translation comes first, marked "Machine translation from Turkish" in the reader's language, and the
original follows under "Original (Turkish):". While the job is pending, or after it failed, the reader
gets the original with a short note ("Translation pending" / "Translation unavailable"); when no
translation was needed (or translation is off) just the original, exactly as before.

Every function returns Telegram HTML and escapes what people wrote. Language names come from CLDR in
the reader's language (:func:`dialogs.translation.languages.language_name`).
"""
from __future__ import annotations

from collections.abc import Iterable

from dialogs.core.i18n import N_, Translator
from dialogs.privacy.resident_flow import data_section
from dialogs.core.text import esc
from dialogs.translation.jobs import DONE, FINISHED, Job, Source
from dialogs.translation.languages import language_name

MARK = "🌐"
VOICE = "🎤"

# Translators: shown above a text a machine translated; {language} is the language it was written in,
# as a name on its own ("Turkish"), so write it in a form that needs no declension.
MACHINE_FROM = N_("Machine translation from {language}")
MACHINE = N_("Machine translation")
# Translators: above the text as it was written, beneath its machine translation.
ORIGINAL = N_("Original ({language}):")
ORIGINAL_UNKNOWN = N_("Original:")
PENDING = N_("Translation pending")
UNAVAILABLE = N_("Translation unavailable")
TRANSCRIPT = N_("Voice note as text ({language}):")
TRANSCRIPT_UNKNOWN = N_("Voice note as text:")
TRANSCRIPT_PENDING = N_("Voice note: text pending")
TRANSCRIPT_UNAVAILABLE = N_("Voice note: text unavailable")
NO_WORDS = N_("No words were recognised in the voice note.")

# The resident's /mydata summary names the section the storage side registers (storage/translation_personal_data.py).
data_section("translations", N_("Machine translations and voice notes as text"))


def _name(t: Translator, code: str | None) -> str | None:
    return language_name(code, t.language.locale) if code else None


def _body(t: Translator, text: str, html: bool) -> str:
    shown = text if html else esc(text)
    return "\n".join(t.ltr(line) if line else line for line in shown.split("\n"))


def marker(t: Translator, source_language: str | None) -> str:
    """The line above a machine translation."""
    name = _name(t, source_language)
    label = t._(MACHINE_FROM, language=name) if name else t._(MACHINE)
    return f"{MARK} <i>{label}</i>"


def with_translation(t: Translator, original: str, job: Job | None, *, html: bool = False) -> str:
    """``original`` (plain text, or Telegram HTML with ``html``) as the reader should see it, given the
    job that translates it for them (``None``: no translation asked for)."""
    body = _body(t, original, html)
    if job is None or job.not_needed or job.status == DONE and not (job.result or "").strip():
        return body
    if job.status != DONE:
        note = t._(UNAVAILABLE) if job.finished else t._(PENDING)
        return f"{body}\n{MARK} <i>{note}</i>"
    source = job.detected_language or job.source_language
    name = _name(t, source)
    heading = t._(ORIGINAL, language=name) if name else t._(ORIGINAL_UNKNOWN)
    translated = _body(t, job.result or "", job.html)
    return f"{marker(t, source)}\n{translated}\n\n<i>{heading}</i>\n{body}"


def transcript(t: Translator, transcription: Job | None, translation: Job | None = None) -> str:
    """What a voice note said, for the team: the transcript's translation first (as
    :func:`with_translation`), or the transcript, or a note that it is pending or unavailable."""
    if transcription is None:
        return ""
    if transcription.status != DONE:
        note = t._(TRANSCRIPT_UNAVAILABLE) if transcription.status in FINISHED else t._(TRANSCRIPT_PENDING)
        return f"{VOICE} <i>{note}</i>"
    text = (transcription.result or "").strip()
    if not text:
        return f"{VOICE} <i>{t._(NO_WORDS)}</i>"
    if translation is not None and translation.status == DONE and not translation.not_needed:
        return f"{VOICE} {with_translation(t, text, translation)}"
    name = _name(t, transcription.detected_language or transcription.source_language)
    heading = t._(TRANSCRIPT, language=name) if name else t._(TRANSCRIPT_UNKNOWN)
    shown = with_translation(t, text, translation)
    return f"{VOICE} <i>{heading}</i>\n{shown}"


def pick(jobs: Iterable[Job], source: Source, *, task: str = "translate", target: str | None = None) -> Job | None:
    """The job for one source (and target language) among those a store returned for a card."""
    for job in jobs:
        if job.task == task and job.source == source and (target is None or job.target_language == target):
            return job
    return None


def as_plain(job: Job | None) -> str:
    """A translation or transcript for a spreadsheet column (``kiezbot export ideas``): the text, or the
    job's state in English, or empty."""
    if job is None or job.not_needed:
        return ""
    if job.status == DONE:
        return job.result or ""
    return {"failed": "unavailable", "given_up": "unavailable"}.get(job.status, "pending")


__all__ = ["MARK", "as_plain", "marker", "pick", "transcript", "with_translation"]
