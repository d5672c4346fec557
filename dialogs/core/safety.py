"""Safety under hostile or careless input: flood control, size limits, content kiezbot cannot read.

The engine applies these to every resident's update (staff are exempt)::

    update ──> FloodGuard.hit (per person, last minute)
                 ├─ over the limit, first time in the window ─> one friendly "slow down", nothing else
                 ├─ over the limit again ─────────────────────> silence (nothing stored, no answer)
                 └─ fine ─> text over 4,000 characters? clipped, and the resident is told
                              └─> consent ─> screen(): photo > 10 MB, voice > 5 min / 20 MB,
                                             a file, sticker, GIF, video, contact or poll that the
                                             current step does not accept ─> friendly answer, step kept
                                             (at the menu the engine's fallback answers those)
                                             else ─> the flows

A flow that wants files (or any other kind) in one of its steps says so with
``app.accepts("mystep", "document")``; everything else is answered here, in the resident's language.
The flood window lives in the process's memory: with several webhook instances each counts its own
share, which still stops a flood (a resident's updates are spread over them).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta
from enum import Enum

from dialogs.core.i18n import N_, Translator
from dialogs.core.messages import Inbound

MAX_INBOUND_TEXT = 4000
MB = 1024 * 1024
MAX_PHOTO_BYTES = 10 * MB
MAX_VOICE_SECONDS = 5 * 60
MAX_VOICE_BYTES = 20 * MB           # the Bot API cannot download larger files anyway
MAX_DOCUMENT_BYTES = 20 * MB
SCREENED_KINDS = ("document", "sticker", "other")   # answered unless the step accepts them

SLOW_DOWN = N_("Please slow down a little — you are sending me a lot of messages at once. "
               "I will answer you again in a minute.")


class Verdict(Enum):
    OK = "ok"          # handle the update
    WARN = "warn"      # over the limit: answer "slow down" once
    DROP = "drop"      # over the limit and already warned: stay silent


class FloodGuard:
    """At most ``limit`` updates per person in any ``window`` (sliding); pure, the clock is passed in.

    Updates over the limit count too, so someone who keeps hammering stays silenced until they
    pause for a whole window. ``limit <= 0`` switches flood control off.
    """

    def __init__(self, limit: int = 20, window: timedelta = timedelta(minutes=1), max_people: int = 50_000) -> None:
        self.limit = limit
        self.window = window
        self.max_people = max_people
        self._hits: dict[int, deque[datetime]] = {}
        self._warned: set[int] = set()

    def hit(self, person: int, now: datetime) -> Verdict:
        if self.limit <= 0:
            return Verdict.OK
        if person not in self._hits and len(self._hits) >= self.max_people:
            self._forget_idle(now)
        hits = self._hits.setdefault(person, deque(maxlen=2 * self.limit))
        cutoff = now - self.window
        while hits and hits[0] <= cutoff:
            hits.popleft()
        over = len(hits) >= self.limit
        hits.append(now)
        if not over:
            self._warned.discard(person)
            return Verdict.OK
        if person in self._warned:
            return Verdict.DROP
        self._warned.add(person)
        return Verdict.WARN

    def _forget_idle(self, now: datetime) -> None:
        cutoff = now - self.window
        for person in [p for p, hits in self._hits.items() if not hits or hits[-1] <= cutoff]:
            del self._hits[person]
            self._warned.discard(person)


def clip_text(inbound: Inbound) -> tuple[Inbound, bool]:
    """An inbound text (or caption, or command arguments) cut to :data:`MAX_INBOUND_TEXT` characters, and
    without NUL characters in what may be stored (text, file name, button data): PostgreSQL's text cannot
    hold them ("invalid byte sequence for encoding UTF8: 0x00"), and a submission would be lost with them."""
    if "\x00" in inbound.text or "\x00" in inbound.file_name or "\x00" in inbound.data:
        inbound = replace(inbound, text=inbound.text.replace("\x00", ""),
                          file_name=inbound.file_name.replace("\x00", ""), data=inbound.data.replace("\x00", ""))
    if len(inbound.text) <= MAX_INBOUND_TEXT:
        return inbound, False
    return replace(inbound, text=inbound.text[:MAX_INBOUND_TEXT]), True


def slow_down_notice(t: Translator) -> str:
    return t._(SLOW_DOWN)


def clipped_notice(t: Translator) -> str:
    return t._("Your message was very long: I have read only the first {limit} characters.",
               limit=t.number(MAX_INBOUND_TEXT))


def refusal(inbound: Inbound, t: Translator, accepted: Collection[str], *, answered_here: bool) -> str | None:
    """What to tell the resident when the message may not go on to the flows; None when it may.

    ``answered_here``: in a step, or with no fallback at the menu — otherwise the menu's fallback answers an
    unsupported kind (it knows the examples of what one can write)."""
    kind = inbound.kind
    if kind == "photo" and inbound.file_size > MAX_PHOTO_BYTES:
        return t._("This photo is too large for me (more than {limit} MB). Please send a smaller one.",
                   limit=t.number(MAX_PHOTO_BYTES // MB))
    if kind == "voice" and (inbound.duration > MAX_VOICE_SECONDS or inbound.file_size > MAX_VOICE_BYTES):
        length = f"{inbound.duration // 60}:{inbound.duration % 60:02d}"
        return t.ngettext("This voice note is {length} long, too long for me. Please keep it under {n} minute.",
                          "This voice note is {length} long, too long for me. Please keep it under {n} "
                          "minutes.", MAX_VOICE_SECONDS // 60, length=t.ltr(length))
    if kind in SCREENED_KINDS and kind not in accepted and answered_here:
        if kind == "document":
            return t._("I cannot open files here. Please write your message, or send a voice note, "
                       "a photo or a location.")
        return t._("I can only read text, voice notes, photos and locations. Please send me one of those.")
    if kind == "document" and inbound.file_size > MAX_DOCUMENT_BYTES:
        return t._("This file is too large for me (more than {limit} MB).", limit=t.number(MAX_DOCUMENT_BYTES // MB))
    return None
