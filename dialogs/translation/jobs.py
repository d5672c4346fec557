"""Translation and transcription jobs as plain data, and the rules for creating, retrying and following them.

A job is what the outbox is for messages: written in the same transaction as the thing it is about (a
resident's idea, a note from the team), then done by a runner in the background
(``bot/translation/runner.py``), so a slow, failing or absent service never delays or loses anything::

    request ──> pending ──claim──> running ──> done          (result; or no result: same language)
                  ▲                   │   └──> failed        (Refused: cannot succeed; error kept)
                  └── retry (backoff) ┘   └──> given_up      (Unavailable max_attempts times; error kept)

A **source** names what is translated: ``(kind, id, field)`` — e.g. ``("submission", 42, "title")``, the
transcript of a voice note ``("submission", 42, "voice:3")`` (attachment 3), a note in the conversation
``("submission", 42, "note:7")``, a broadcast's text ``("broadcast", 5, "text")``. Everything that
belongs to a resident's submission has kind ``submission``: its personal-data link is the submission's
(``storage/translation_personal_data.py``), so it is exported, erased and retained with it.

A transcription job names the language its transcript is to be translated into (``target_language``,
the team's); when the transcript is there, :func:`follow_up` asks for that translation.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from dialogs.translation.languages import base_code, needs_translation

Task = Literal["translate", "transcribe"]
TASKS: tuple[Task, ...] = ("translate", "transcribe")
PENDING, RUNNING, DONE, FAILED, GIVEN_UP = "pending", "running", "done", "failed", "given_up"
FINISHED = (DONE, FAILED, GIVEN_UP)
UNAVAILABLE = (FAILED, GIVEN_UP)

SUBMISSION = "submission"       # the source kind of everything a resident sends and the team says back


@dataclass(frozen=True)
class Source:
    kind: str
    id: int
    field: str


def voice_field(attachment_id: int) -> str:
    """The field of a voice note's transcript (and of the transcript's translation)."""
    return f"voice:{attachment_id}"


def note_field(note_id: int) -> str:
    """A text in the conversation between resident and team (answer, ask-back, reply, rejection note)."""
    return f"note:{note_id}"


def note_voice_field(note_id: int) -> str:
    """A voice note sent as an answer in the conversation."""
    return f"note:{note_id}:voice"


@dataclass(frozen=True)
class JobRequest:
    """What is to be translated or transcribed (the flows build these; storage keeps them)."""

    task: Task
    source: Source
    target_language: str                 # kiezbot code; for a transcription: the language of its translation
    text: str | None = None              # translate: the text, as written
    source_language: str | None = None   # hint (None: detect)
    html: bool = False                   # translate: Telegram HTML rather than plain text
    audio_ref: str | None = None         # transcribe: Telegram file id of the voice note
    mime: str | None = None              # transcribe: its MIME type


@dataclass(frozen=True)
class Job:
    """A job as stored."""

    id: int
    task: Task
    source: Source
    target_language: str
    text: str | None
    source_language: str | None
    html: bool
    audio_ref: str | None
    mime: str | None
    status: str
    attempts: int
    next_try_at: datetime | None
    result: str | None
    detected_language: str | None
    provider: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def not_needed(self) -> bool:
        """Done without a result: the text already was in the target language."""
        return self.task == "translate" and self.status == DONE and self.result is None


# --- the runner's rules -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    """Waits between attempts: 15 s, 30 s, 1 min, 2, 4, 8, 16 min, then every half hour — ten attempts span
    about an hour and a half, so a service that is away for a restart or an update costs nothing, and one
    that stays away leaves the job ``given_up`` (visible to staff) after that."""

    max_attempts: int = 10      # KIEZBOT_TRANSLATE_MAX_ATTEMPTS
    base: float = 15.0          # seconds before the 2nd attempt, doubling …
    cap: float = 1800.0         # … up to half an hour

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1, 2, …)."""
        return min(self.cap, self.base * 2 ** max(0, attempts - 1))

    def after_failure(self, attempts: int, now: datetime, retry_after: float | None = None) -> datetime | None:
        """When to try again after ``attempts`` failed attempts; ``None``: give up."""
        if attempts >= self.max_attempts:
            return None
        return now + timedelta(seconds=max(self.delay(attempts), retry_after or 0.0))


def follow_up(job: Job, transcript: str, spoken: str | None) -> JobRequest | None:
    """After a transcription: the translation of its transcript into ``job.target_language``, unless there
    is nothing to translate or it already is in that language."""
    if job.task != "transcribe" or not job.target_language or not transcript.strip():
        return None
    if not needs_translation(spoken, job.target_language):
        return None
    return JobRequest("translate", job.source, job.target_language, text=transcript, source_language=spoken)


# --- what flows ask for (the wiring phase calls these) -------------------------------------------------
@dataclass(frozen=True)
class TranslationPolicy:
    """What is switched on: ``translate`` when a translation service is configured, ``transcribe`` when a
    transcription service is. ``TranslationPolicy()`` is "none": flows request nothing, as before."""

    translate: bool = False
    transcribe: bool = False
    team_language: str = "de"

    @property
    def enabled(self) -> bool:
        return self.translate or self.transcribe

    def for_team(self, source: Source, text: str, language: str | None) -> JobRequest | None:
        """A resident's text (title, text, answer) for the team: in the team's language, unless it is."""
        if not self.translate or not text.strip() or not needs_translation(language, self.team_language):
            return None
        return JobRequest("translate", source, self.team_language, text=text, source_language=language)

    def for_resident(self, source: Source, text: str, reader: str) -> JobRequest | None:
        """What the team wrote (ask back, reply, rejection note, revision request) in the reader's language."""
        if not self.translate or not text.strip() or not needs_translation(self.team_language, reader):
            return None
        return JobRequest("translate", source, base_code(reader), text=text, source_language=self.team_language)

    def voice(self, source: Source, file_id: str, mime: str, language: str | None) -> JobRequest | None:
        """A voice note: its transcript (followed by the transcript's translation for the team)."""
        if not self.transcribe or not file_id:
            return None
        return JobRequest("transcribe", source, self.team_language if self.translate else "",
                          source_language=language, audio_ref=file_id, mime=mime or "audio/ogg")

    def for_many(self, source: Source, texts: Mapping[str, str], languages: Iterable[str]) -> list[JobRequest]:
        """A broadcast, event or meeting text staff wrote: one machine translation for every language in
        ``languages`` that has no text of its own (texts staff typed always win; Einfache Sprache reads
        German)."""
        if not self.translate:
            return []
        original = (texts.get(self.team_language) or "").strip()
        if not original:
            return []
        wanted = []
        for code in languages:
            if (texts.get(code) or "").strip() or not needs_translation(self.team_language, code):
                continue
            if base_code(code) not in {base_code(c) for c in wanted}:
                wanted.append(code)
        return [JobRequest("translate", source, base_code(code), text=original, source_language=self.team_language)
                for code in wanted]


__all__ = ["DONE", "FAILED", "FINISHED", "GIVEN_UP", "Job", "JobRequest", "PENDING", "RUNNING", "RetryPolicy",
           "SUBMISSION", "Source", "TASKS", "TranslationPolicy", "UNAVAILABLE", "follow_up", "note_field",
           "note_voice_field", "voice_field"]
