"""The team's decisions on a submission, without a chat: the rules the Telegram card and the web console share.

::

    outcome = await decide(store, submission_id, expected_version, "reject", Actor(42, "Dana"),
                           reason="duplicate", note="See BAD-2026-003.", texts=engine, now=now)
    outcome.status   # "done" | "changed" (someone was faster) | "missing" | "invalid"

``decision`` is one of :data:`DECISIONS` ("approve", "reject", "reply", "ask", "revise"). The change is
one conditional UPDATE on status and version (``expected_version`` is the version the deciding person
saw), so of two people deciding at once exactly one wins, across processes. On success the audit log
gets its row, the access log notes that the team decided (the resident sees it in /mydata), the
team's text becomes a note of the conversation, and the resident is told in their own language
through the durable outbox — all in the caller's transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dialogs.core.i18n import RLM, Translator
from dialogs.core.messages import Button, Reply
from dialogs.core.ports import Store
from dialogs.core.text import esc
from dialogs.ideas.rules import FINAL, MAX_TEXT, REJECT_REASONS, Decision, Event, Note, Submission
from dialogs.privacy.resident_flow import ANONYMISED_CHAT_ID
from dialogs.translation import flows as translation_flows
from dialogs.translation import view
from dialogs.translation.jobs import DONE, SUBMISSION, Job, note_field

# action code (in the card's buttons) -> (state it leads to, audit action)
ACTIONS = {
    "ok": ("approved", "approved"),
    "no": ("rejected", "rejected"),
    "re": ("replied", "replied"),
    "ask": ("waiting", "asked"),
    "rev": ("needs_revision", "revision_requested"),
}
# the public names of the decisions -> action codes
DECISIONS = {"approve": "ok", "reject": "no", "reply": "re", "ask": "ask", "revise": "rev"}
TEXT_ACTIONS = ("no", "re", "ask", "rev")        # may carry a note; "re", "ask" and "rev" need one
NOTE_REQUIRED = ("re", "ask", "rev")


class Texts(Protocol):
    """Where the resident's message gets its language from (the engine: ``Dialogs``)."""

    def translator(self, code: str | None) -> Translator: ...


@dataclass(frozen=True)
class Actor:
    """Who decides: a team member's id (Telegram user id, or the console's user id) and name.

    ``label`` is how the access log names them (default ``staff:<id> <name>``)."""

    id: int
    name: str
    label: str = ""

    @property
    def access_label(self) -> str:
        return self.label or f"staff:{self.id} {self.name}".strip()


@dataclass(frozen=True)
class Outcome:
    status: str                      # "done" | "changed" | "missing" | "invalid"
    submission: Submission | None    # as it is now (after the decision, or as someone else left it)

    @property
    def ok(self) -> bool:
        return self.status == "done"


def allowed(sub: Submission, code: str, reason: str = "", note: str = "") -> bool:
    """Whether the action ``code`` fits this kind of submission with this reason and note."""
    if code not in ACTIONS:
        return False
    question = sub.kind == "question"
    if code == "ok" and question or code == "rev" and question or code == "re" and not question:
        return False
    if code == "no" and reason not in REJECT_REASONS:
        return False
    if code in NOTE_REQUIRED and not note.strip():
        return False
    return len(note) <= MAX_TEXT


async def decide(store: Store, submission_id: int, expected_version: int, decision: str, actor: Actor,
                 reason: str | None = None, note: str | None = None, *, texts: Texts, now: datetime,
                 translate: bool = True) -> Outcome:
    """Approve, reject, reply, ask back or request a revision — once, whoever is first.

    ``note`` reaches the resident machine-translated into their language (with the original beneath)
    when a translation service is configured, unless ``translate`` is False."""
    sub = await store.submissions.get(submission_id)
    if sub is None:
        return Outcome("missing", None)
    code = DECISIONS.get(decision, decision if decision in ACTIONS else "")
    reason, note = reason or "", (note or "").strip()
    if not allowed(sub, code, reason, note):
        return Outcome("invalid", sub)
    if not sub.is_open or sub.version != expected_version:
        return Outcome("changed", sub)
    return await apply(store, sub, code, actor, reason=reason, note=note, texts=texts, now=now,
                       translate=translate)


async def apply(store: Store, sub: Submission, code: str, actor: Actor, *, reason: str = "", note: str = "",
                texts: Texts, now: datetime, translate: bool = True, translation: str | None = None) -> Outcome:
    """The decision on ``sub`` as the caller read it (its version is the expected one). ``translation``:
    the note in the resident's language as the team saw it in the preview (sent as it is)."""
    to_status, audit_action = ACTIONS[code]
    decision = Decision(actor.id, actor.name, reason=reason, note=note) if to_status in FINAL else None
    event = Event(audit_action, "staff", actor.id, actor.name, to_status=to_status, reason=reason, note=note)
    if not await store.submissions.transition(sub, to_status=to_status, event=event, now=now, decision=decision):
        return Outcome("changed", await store.submissions.get(sub.id) or sub)
    if sub.chat_id != ANONYMISED_CHAT_ID:
        await store.access_log.record(actor=actor.access_label, action=audit_action, chat_id=sub.chat_id,
                                      detail=f"submission {sub.ref}", at=now)
    note_id = 0
    if note:
        note_id = await store.submissions.add_note(sub.id, Note("staff", actor.name, note, now), staff_id=actor.id)
    await tell_resident(store, texts, sub, code, reason=reason, text=note, now=now, note_id=note_id,
                        translate=translate, translation=translation)
    return Outcome("done", await store.submissions.get(sub.id) or sub)


def title_of(t: Translator, sub: Submission) -> str:
    """The escaped title, or a placeholder for a question sent only as a voice note."""
    return t.ltr(esc(sub.title)) if sub.title else t._("(voice note)")


async def reader_of(store: Store, sub: Submission) -> str:
    resident = await store.residents.get(sub.chat_id)
    return resident.language if resident and resident.language else sub.language


async def tell_resident(store: Store, texts: Texts, sub: Submission, action: str, *, reason: str = "",
                        text: str = "", now: datetime, note_id: int = 0, translate: bool = True,
                        translation: str | None = None) -> None:
    """The decision, in the resident's language, through the outbox (once per version).

    What the team typed goes out machine-translated with the original beneath when the resident reads
    another language: at once with the ``translation`` the team previewed, else when the translation job
    is done (:func:`deliver_translated`) — or, if the service does not deliver within the bounded wait,
    as written with a note, so the message is never lost nor stuck."""
    if sub.chat_id == ANONYMISED_CHAT_ID:       # the resident erased their data: nobody to tell
        return
    reader = await reader_of(store, sub)
    t = texts.translator(reader)
    if text and translate and translation_flows.for_reader(texts, reader):
        team = translation_flows.policy(texts).team_language
        if translation:
            reply = resident_notice(t, sub, action, reason=reason, text=text, typed=translated(t, translation, text, team))
            await store.outbox.enqueue(sub.chat_id, reply, due_at=now, key=f"notice:{sub.ref}:{sub.version + 1}",
                                       purpose="idea_notice")
            return
        request = translation_flows.policy(texts).for_resident(
            translation_flows.submission_source(sub.id, note_field(note_id)), text, reader)
        if request is not None and note_id:
            await store.translations.request(request, now)
            reply = resident_notice(t, sub, action, reason=reason, text=text, typed=as_written(t, text))
            wait = translation_flows.settings(texts).wait
            await store.outbox.enqueue(sub.chat_id, reply, due_at=now + wait, key=waiting_key(sub.ref, note_id),
                                       purpose="idea_notice")
            return
    reply = resident_notice(t, sub, action, reason=reason, text=text)
    if reply is not None:
        await store.outbox.enqueue(sub.chat_id, reply, due_at=now, key=f"notice:{sub.ref}:{sub.version + 1}",
                                   purpose="idea_notice")


def waiting_key(ref: str, note_id: int) -> str:
    """The outbox key of a notice waiting for its translation (the ":w" ends it: no other key has it as prefix)."""
    return f"notice:{ref}:n{note_id}:w"


def translated(t: Translator, translation: str, original: str, team: str) -> str:
    """What the team typed, for the resident: the machine translation (marked), the original beneath."""
    name = view.language_name(team, t.language.locale)
    heading = t._(view.ORIGINAL, language=name) if name else t._(view.ORIGINAL_UNKNOWN)
    return f"{view.marker(t, team)}\n{esc(translation)}\n\n<i>{heading}</i>\n{esc(original)}"


def as_written(t: Translator, original: str) -> str:
    """What the team typed when its translation could not be had: as written, with a note."""
    return f"{esc(original)}\n{view.MARK} <i>{t._(view.UNAVAILABLE)}</i>"


def resident_notice(t: Translator, sub: Submission, action: str, *, reason: str = "", text: str = "",
                    typed: str | None = None) -> Reply | None:
    """The resident's message about a decision; ``typed``: the team's text as HTML (default: escaped)."""
    ref, title = t.ltr(esc(sub.ref)), title_of(t, sub)
    typed = esc(text) if typed is None else typed
    buttons: list[list[Button]] = []
    if action == "ok":
        if sub.kind == "aktionsfonds":
            msg = t._("Good news: the team has accepted your Aktionsfonds application {ref} “{title}”. The "
                      "Aktionsfonds jury decides on it at its next session; the team will tell you the result.",
                      ref=ref, title=title)
        elif sub.kind == "hint":
            msg = t._("Thank you: the team has taken up your hint {ref} “{title}”.", ref=ref, title=title)
        else:
            msg = t._("Good news: the team has accepted your idea {ref} “{title}”. The team will get in touch "
                      "with you about the next steps.", ref=ref, title=title)
    elif action == "no":
        msg = t._("The team could not accept your submission {ref} “{title}”.", ref=ref, title=title)
        sentence = REJECT_REASONS.get(reason, ("", ""))[1]
        if sentence:
            msg += "\n" + t._("Reason: {reason}", reason=t._(sentence))
        if typed:
            msg += "\n\n" + t._("Message from the team: {text}", text=typed)
        msg += "\n\n" + t._("If you have questions, tap “Ask the team” in the menu.")
    elif action == "re":
        msg = t._("The team has answered your question {ref}:", ref=ref) + "\n\n" + typed
    elif action == "ask":
        msg = (t._("The team has a question about your submission {ref} “{title}”:", ref=ref, title=title)
               + "\n\n" + typed + "\n\n" + t._("Just write your answer here in the chat."))
        buttons = [[Button("✍️ " + t._("Answer"), f"idea:answer:{sub.id}")]]
    elif action == "rev":
        msg = (t._("The team asks you to revise your submission {ref} “{title}”:", ref=ref, title=title)
               + "\n\n" + typed + "\n\n" + t._("Tap the button to change it and send it again."))
        buttons = [[Button("✏️ " + t._("Revise and send again"), f"idea:revise:{sub.id}")]]
    else:
        return None
    if t.rtl:
        msg = RLM + msg
    return Reply(msg, buttons)


# --- translations arriving (the job runner's announce hook) ------------------------------------------
AUDIT_TO_CODE = {audit: code for code, (_status, audit) in ACTIONS.items()}


async def deliver_translated(store: Store, texts: Texts, finished: Sequence[Job], now: datetime) -> int:
    """Notices that waited for their translation: the translated one goes out now in place of the waiting
    one; if the translation failed, the waiting one (the original, with a note) goes out now. A notice whose
    wait ran out has gone out as written already: nothing more is sent. Returns how many were queued."""
    team = translation_flows.policy(texts).team_language
    queued = 0
    for job in finished:
        field = job.source.field
        if (job.task != "translate" or job.source.kind != SUBMISSION or not field.startswith("note:")
                or field.count(":") != 1 or job.target_language == team or not job.finished):
            continue
        note_id = int(field.split(":")[1])
        sub = await store.submissions.get(job.source.id)
        if sub is None or sub.chat_id == ANONYMISED_CHAT_ID:
            continue
        if not await store.outbox.cancel(waiting_key(sub.ref, note_id)):
            continue                # sent as written already (or handled by an earlier announce)
        events = [e for e in await store.submissions.events(sub.id)
                  if e.actor_kind == "staff" and e.note == job.text and e.action in AUDIT_TO_CODE]
        action, reason = (AUDIT_TO_CODE[events[-1].action], events[-1].reason) if events else ("re", "")
        t = texts.translator(await reader_of(store, sub))
        original = job.text or ""
        done = job.status == DONE and (job.result or "").strip()
        typed = translated(t, job.result or "", original, team) if done else as_written(t, original)
        reply = resident_notice(t, sub, action, reason=reason, text=original, typed=typed)
        if reply is not None:
            await store.outbox.enqueue(sub.chat_id, reply, due_at=now, purpose="idea_notice",
                                       key=f"notice:{sub.ref}:n{note_id}:{'t' if done else 'u'}")
            queued += 1
    return queued
