"""Translation as the flows use it: what is switched on for this kiezbot, and the jobs a flow asks for.

The wiring (``bot/runtime.py``) calls :func:`configure` with the policy built from the settings (and,
when a translation service is configured, a live translator for the team's previews); without it every
flow behaves exactly as before (``TranslationPolicy()``: "none").

* :func:`ask_for_submission` — after a resident's submission (or revision) is stored: translations of
  its title and text for the team, a transcript (and its translation) of every voice note;
* :func:`ask_for_note` — a resident's answer in the conversation (text or voice);
* :func:`preview` — what a resident will read of a text the team typed, translated now (bounded wait), or
  ``None`` when the service does not answer in time — the message then goes through a job instead.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dialogs.core import outside
from dialogs.translation.jobs import SUBMISSION, Job, Source, TranslationPolicy, note_field, note_voice_field, voice_field
from dialogs.translation.languages import base_code, needs_translation, source_hint
from dialogs.translation.ports import ServiceError, Translator

log = logging.getLogger(__name__)

VOICE_MIME = "audio/ogg"          # Telegram voice notes are Opus in Ogg
# A notice to a resident waits this long for its translation; then the team's original goes out (with a note).
DEFAULT_WAIT = timedelta(minutes=2)
PREVIEW_SECONDS = 4.0             # the team's preview waits at most this long for a translation


@dataclass
class TranslationSettings:
    policy: TranslationPolicy
    live: Translator | None = None           # for previews; None: previews say the translation will follow
    wait: timedelta = DEFAULT_WAIT


def settings(app: Any) -> TranslationSettings:
    found = getattr(app, "translation_settings", None)
    if found is None:
        found = TranslationSettings(TranslationPolicy())
        setattr(app, "translation_settings", found)   # noqa: B010 - the engine has no slot for a flow's settings
    return found


def configure(app: Any, policy: TranslationPolicy, *, live: Translator | None = None,
              wait: timedelta | None = None) -> None:
    found = settings(app)
    found.policy = policy
    found.live = live if policy.translate else None
    if wait is not None:
        found.wait = wait


def policy(app: Any) -> TranslationPolicy:
    return settings(app).policy


def submission_source(submission_id: int, field: str) -> Source:
    return Source(SUBMISSION, submission_id, field)


async def ask_for_submission(store: Any, app: Any, sub: Any, now: datetime) -> int:
    """Jobs for a stored submission: title and text for the team, the voice notes as text. Returns how many."""
    p = policy(app)
    if not p.enabled:
        return 0
    asked = 0
    for field, text in (("title", sub.title), ("text", sub.text)):
        request = p.for_team(submission_source(sub.id, field), text or "", source_hint(sub.language, text or ""))
        if request is not None:
            await store.translations.request(request, now)
            asked += 1
    for n, voice in enumerate(sub.voices, 1):
        request = p.voice(submission_source(sub.id, voice_field(n)), voice.file_id, VOICE_MIME, sub.language)
        if request is not None:
            await store.translations.request(request, now)
            asked += 1
    return asked


async def ask_for_note(store: Any, app: Any, submission_id: int, note_id: int, text: str, voice: str | None,
                       language: str | None, now: datetime) -> int:
    """Jobs for a resident's answer in the conversation."""
    p = policy(app)
    asked = 0
    if text:
        request = p.for_team(submission_source(submission_id, note_field(note_id)), text, source_hint(language, text))
        if request is not None:
            await store.translations.request(request, now)
            asked += 1
    if voice:
        request = p.voice(submission_source(submission_id, note_voice_field(note_id)), voice, VOICE_MIME, language)
        if request is not None:
            await store.translations.request(request, now)
            asked += 1
    return asked


def for_reader(app: Any, reader: str | None) -> bool:
    """Whether what the team types is machine-translated for a resident reading ``reader``."""
    p = policy(app)
    return bool(p.translate and reader and needs_translation(p.team_language, reader))


async def preview(app: Any, text: str, reader: str, *, html: bool = False) -> str | None:
    """``text`` (the team's language) in the reader's language now, if the service answers within
    :data:`PREVIEW_SECONDS`; ``None`` otherwise (the caller then relies on a job). Inside an update the
    wait happens outside its database transaction (:mod:`dialogs.core.outside`)."""
    found = settings(app)
    if found.live is None or not for_reader(app, reader):
        return None
    live, source, target = found.live, found.policy.team_language, base_code(reader)

    async def translate() -> str | None:
        try:
            done = await asyncio.wait_for(live.translate(text, source, target, html=html), PREVIEW_SECONDS)
        except (ServiceError, asyncio.TimeoutError, OSError) as exc:
            log.info("translation preview: the service did not answer (%s); a job will translate it",
                     type(exc).__name__)
            return None
        return done.text if done.text.strip() else None
    # Not inside the update's transaction: the engine makes the call between two rounds (dialogs.core.outside).
    return await outside.call(("translate", text, source, target, html), translate)


def jobs_by_field(jobs: list[Job], source_id: int) -> dict[tuple[str, str], Job]:
    """``(task, field) -> job`` of one submission (translations into the team's language and transcripts)."""
    return {(j.task, j.source.field): j for j in jobs if j.source.id == source_id}


__all__ = ["DEFAULT_WAIT", "TranslationSettings", "ask_for_note", "ask_for_submission", "configure", "for_reader",
           "jobs_by_field", "policy", "preview", "settings", "submission_source"]
