"""A submission as the team reads it: machine translations first, the resident's words beneath.

The card (:mod:`dialogs.ideas.staff_card`), ``/idea REF`` and the similarity check read the jobs of one
submission once (:func:`load`) and ask this module how to show a part of it. Without a translation
service (or for a resident who writes the team's language) there are no jobs and everything reads as
written, exactly as before.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dialogs.core.i18n import Translator
from dialogs.core.text import clip, esc
from dialogs.ideas.rules import Earlier, Note, Submission
from dialogs.translation import flows, view
from dialogs.translation.jobs import DONE, FINISHED, SUBMISSION, Job, note_field, note_voice_field, voice_field


@dataclass
class Jobs:
    """The translation and transcription jobs of some submissions, and the team's language."""

    team: str
    jobs: list[Job] = field(default_factory=list)

    def get(self, sub_id: int, field_name: str, *, task: str = "translate") -> Job | None:
        for job in self.jobs:
            if (job.source.id == sub_id and job.source.field == field_name and job.task == task
                    and (task == "transcribe" or job.target_language == self.team)):
                return job
        return None

    def result(self, sub_id: int, field_name: str) -> str | None:
        """The team-language text of a field, when its translation is done (else None)."""
        job = self.get(sub_id, field_name)
        return job.result if job is not None and job.status == DONE and job.result else None

    @property
    def pending(self) -> bool:
        return any(not job.finished for job in self.jobs)


async def load(store: Any, engine: Any, ids: Sequence[int]) -> Jobs:
    team = flows.policy(engine).team_language
    if not ids:
        return Jobs(team)
    return Jobs(team, list(await store.translations.for_sources(SUBMISSION, list(ids))))


def body(t: Translator, sub: Submission, jobs: Jobs) -> list[str]:
    """The title (bold) and text: translated first and marked, the original beneath; or the original with
    "translation pending" / "unavailable"."""
    original = ([f"<b>{esc(sub.title)}</b>"] if sub.title else []) + ([esc(sub.text)] if sub.text else [])
    parts = [jobs.get(sub.id, "title") if sub.title else None, jobs.get(sub.id, "text") if sub.text else None]
    asked = [j for j in parts if j is not None and not j.not_needed]
    if not asked:
        return original
    done = [j for j in asked if j.status == DONE and (j.result or "").strip()]
    if not done:
        unavailable = all(j.finished for j in asked)
        note = t._(view.UNAVAILABLE) if unavailable else t._(view.PENDING)
        return original + [f"{view.MARK} <i>{note}</i>"]
    title_job, text_job = parts
    translated = []
    if sub.title:
        shown = title_job.result if title_job is not None and title_job.status == DONE and title_job.result else sub.title
        translated.append(f"<b>{esc(shown)}</b>")
    if sub.text:
        shown = text_job.result if text_job is not None and text_job.status == DONE and text_job.result else sub.text
        translated.append(esc(shown))
    source = next((j.detected_language or j.source_language for j in done if j.detected_language or j.source_language),
                  None)
    name = view.language_name(source, t.language.locale) if source else None
    heading = t._(view.ORIGINAL, language=name) if name else t._(view.ORIGINAL_UNKNOWN)
    lines = [view.marker(t, source)] + translated + ["", f"<i>{heading}</i>"] + original
    if any(not j.finished for j in asked):
        lines.append(f"{view.MARK} <i>{t._(view.PENDING)}</i>")
    return lines


def voices(t: Translator, sub: Submission, jobs: Jobs) -> list[str]:
    """What each voice note said (transcript and its translation), when transcripts were asked for."""
    out = []
    for n, _voice in enumerate(sub.voices, 1):
        heard = jobs.get(sub.id, voice_field(n), task="transcribe")
        if heard is not None:
            out.append(view.transcript(t, heard, jobs.get(sub.id, voice_field(n))))
    return out


def note_text(t: Translator, sub_id: int, note: Note, jobs: Jobs) -> str:
    """A resident's answer in the conversation, translated for the team (staff notes as written)."""
    said = esc(clip(note.text, 300)) if note.text else ""
    if note.author == "resident" and note.text:
        job = jobs.get(sub_id, note_field(note.id))
        if job is not None:
            said = view.with_translation(t, clip(note.text, 300), _clipped(job))
    if note.voice_file_id:
        said = (said + " " if said else "") + "🎤"
        heard = jobs.get(sub_id, note_voice_field(note.id), task="transcribe") if note.author == "resident" else None
        if heard is not None:
            said += "\n" + view.transcript(t, heard, jobs.get(sub_id, note_voice_field(note.id)))
    return said


def _clipped(job: Job) -> Job:
    return replace(job, result=clip(job.result, 300)) if job.result else job


def comparable(sub_id: int, title: str, text: str, jobs: Jobs) -> tuple[str, str]:
    """Title and text in the team's language where a translation is there (for the similarity check)."""
    return jobs.result(sub_id, "title") or title, jobs.result(sub_id, "text") or text


def earlier_in_team_language(candidates: Sequence[Earlier], jobs: Jobs) -> list[Earlier]:
    out = []
    for c in candidates:
        title, text = comparable(c.id, c.title, c.text, jobs)
        out.append(c if (title, text) == (c.title, c.text) else replace(c, title=title, text=text))
    return out


def unfinished(jobs: Jobs) -> bool:
    return any(job.status not in FINISHED for job in jobs.jobs)


__all__ = ["Jobs", "body", "comparable", "earlier_in_team_language", "load", "note_text", "voices"]
