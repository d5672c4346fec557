"""The team's card for a submission: its text, buttons and media, and posting it (and a resident's
answers) to the staff chat through the outbox.

The card is drawn from the store and the engine only (no conversation), so it can also be re-drawn
outside a chat — e.g. when a machine translation of the submission arrives.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from dialogs.core.engine import Context, Dialogs
from dialogs.core.i18n import Translator
from dialogs.core.messages import Button, Media, Reply
from dialogs.core.ports import Store
from dialogs.core.text import clip, esc
from dialogs.ideas import translated
from dialogs.ideas.decisions import title_of
from dialogs.ideas.rules import (FINAL, KIND_ICONS, KINDS, REJECT_REASONS, STATUS_ICONS, STATUS_LABELS, Note,
                                 Submission, euros, find_similar)
from dialogs.privacy.resident_flow import ANONYMISED_CHAT_ID, log_staff_access
from dialogs.translation import flows, view
from dialogs.translation.jobs import SUBMISSION, Job

# One logger for the team's side of ideas (the card and the conversation).
log = logging.getLogger("dialogs.ideas.moderation")


# --- who and in which language ---------------------------------------------------------------
def staff_t(ctx: Context) -> Translator:
    """Cards in the staff group are in the default language; a private chat uses the member's own."""
    if ctx.inbound.sender.chat_kind == "group" or ctx.resident.language is None:
        return ctx.engine.translator(ctx.engine.default_language)
    return ctx.t


def team_t(ctx: Context) -> Translator:
    return ctx.engine.translator(ctx.engine.default_language)


async def staff_name(ctx: Context) -> str:
    member = await ctx.store.staff.get(ctx.inbound.sender.user_id)
    return (member.name if member and member.name else ctx.inbound.sender.display_name) or "—"


# --- the card ------------------------------------------------------------------------------------
async def card_text(store: Store, engine: Dialogs, t: Translator, sub: Submission, *, footer: str = "") -> str:
    area = await store.areas.get(sub.area_key)
    lines = [f"{KIND_ICONS.get(sub.kind, '')} <b>{esc(sub.ref)}</b> · {t._(KINDS.get(sub.kind, sub.kind))}",
             t._("Area: {area} · Language: {language}", area=t.ltr(esc(area.name if area else sub.area_key)),
                 language=esc(engine.language(sub.language).name)),
             t._("Received: {when}", when=t.datetime(sub.created_at, "short")),
             f"{STATUS_ICONS.get(sub.status, '')} " + t._("Status: {status}", status=t._(STATUS_LABELS[sub.status]))]
    if sub.assignee_name:
        lines.append("🙋 " + t._("Taken by: {name}", name=esc(sub.assignee_name)))
    lines.append("")
    policy = flows.policy(engine)
    earlier = await store.submissions.in_area(sub.area_key, exclude_id=sub.id)
    jobs = (await translated.load(store, engine, [sub.id] + [e.id for e in earlier]) if policy.enabled
            else translated.Jobs(policy.team_language))
    lines += translated.body(t, sub, jobs)
    extras = []
    if sub.content.costs_cents is not None:
        extras.append("💶 " + t._("Material costs: {amount}", amount=t.money(euros(sub.content.costs_cents))))
    if sub.content.latitude is not None and sub.content.longitude is not None:
        lat, lon = sub.content.latitude, sub.content.longitude
        url = f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=18/{lat:.5f}/{lon:.5f}"
        extras.append("📍 " + t._("Location: {url}", url=esc(url)))
    if sub.voices:
        extras.append("🎤 " + t.ngettext("{n} voice note", "{n} voice notes", len(sub.voices)))
        extras += translated.voices(t, sub, jobs)
    if sub.photos:
        extras.append("🖼 " + t.ngettext("{n} photo", "{n} photos", len(sub.photos)))
    if extras:
        lines += [""] + extras
    notes = await store.submissions.notes(sub.id, limit=4)
    if notes:
        lines += ["", t._("<b>Conversation</b>")]
        for note in notes:
            who = esc(note.name) if note.author == "staff" else t._("Resident")
            said = translated.note_text(t, sub.id, note, jobs)
            icon = "❓" if note.author == "staff" else "💬"
            lines.append(f"{icon} {who} ({t.datetime(note.at, 'short')}): {said}")
    # Compared in the team's language where translations are there: a Turkish and a German idea about the same
    # benches are found alike.
    similar = find_similar(*translated.comparable(sub.id, sub.title, sub.text, jobs),
                           translated.earlier_in_team_language(earlier, jobs))
    if similar:
        lines += ["", t._("<b>Similar earlier submissions</b>")]
        for other, _score in similar:
            lines.append(f"• {esc(other.ref)} “{esc(clip(other.title or other.text, 60))}” — "
                         f"{t._(STATUS_LABELS[other.status])}")
    decided = decision_line(t, sub)
    if decided:
        lines += ["", decided]
    if footer:
        lines += ["", footer]
    return "\n".join(lines)


def decision_line(t: Translator, sub: Submission) -> str:
    if sub.status not in FINAL or sub.decided_at is None:
        return ""
    who, when = esc(sub.decided_by_name), t.datetime(sub.decided_at, "short")
    if sub.status == "approved":
        return "✅ " + t._("Approved by {name}, {when}", name=who, when=when)
    if sub.status == "replied":
        line = "✅ " + t._("Answered by {name}, {when}", name=who, when=when)
    else:
        label = REJECT_REASONS.get(sub.decision_reason, ("", ""))[0]
        line = "❌ " + t._("Rejected by {name}, {when}. Reason: {reason}", name=who, when=when,
                          reason=t._(label) if label else "—")
    if sub.decision_note:
        line += "\n" + t._("Message to the resident: {text}", text=esc(clip(sub.decision_note, 500)))
    return line


def card_buttons(t: Translator, sub: Submission) -> list[list[Button]]:
    if not sub.is_open:
        return []
    i = f"{sub.id}:{sub.version}"
    if sub.kind == "question":
        return [[Button("💬 " + t._("Reply"), f"mod:re:{i}"), Button("❌ " + t._("Reject"), f"mod:no:{i}")],
                [Button("❓ " + t._("Ask back"), f"mod:ask:{i}"), Button("🙋 " + t._("Take it"), f"mod:take:{i}")]]
    return [[Button("✅ " + t._("Approve"), f"mod:ok:{i}"), Button("❌ " + t._("Reject"), f"mod:no:{i}")],
            [Button("❓ " + t._("Ask back"), f"mod:ask:{i}"), Button("✏️ " + t._("Please revise"), f"mod:rev:{i}")],
            [Button("🙋 " + t._("Take it"), f"mod:take:{i}")]]


def card_media(sub: Submission) -> list[Media]:
    photos, voices = sub.photos, sub.voices
    media = [Media("photo", p.file_id, f"{esc(sub.ref)} · 🖼 {n}/{len(photos)}") for n, p in enumerate(photos, 1)]
    media += [Media("voice", v.file_id, f"{esc(sub.ref)} · 🎤 {n}/{len(voices)}") for n, v in enumerate(voices, 1)]
    return media


async def post_card(ctx: Context, sub: Submission) -> None:
    """Put a new (or resent) submission in front of the team, through the durable outbox."""
    chat = ctx.engine.staff_chat_id
    if chat is None:
        log.info("no staff chat configured (KIEZBOT_STAFF_CHAT_ID): %s is stored and shown in /queue only", sub.ref)
        return
    await ctx.notify(chat, await team_card(ctx.store, ctx.engine, sub), key=card_key(sub), purpose="staff_card")


def card_key(sub: Submission) -> str:
    """The outbox key of the card of ``sub`` as posted to the staff chat (a revision is posted anew)."""
    return f"card:{sub.ref}" if not sub.revisions else f"card:{sub.ref}:r{sub.revisions}"


async def team_card(store: Store, engine: Dialogs, sub: Submission) -> Reply:
    """The card as the staff chat gets it (default language, with photos and voice notes)."""
    t = engine.translator(engine.default_language)
    header = "🔁 " + t._("Revised by the resident") if sub.revisions else ""
    text = await card_text(store, engine, t, sub)
    if header:
        text = header + "\n" + text
    return Reply(text, card_buttons(t, sub), media=card_media(sub))


async def post_answer(ctx: Context, sub: Submission, note: Note, note_id: int, *, translating: bool = False) -> None:
    """A resident's answer to a question from the team, to the staff chat, with the card's buttons."""
    chat = ctx.engine.staff_chat_id
    if chat is None:
        log.info("no staff chat configured: the answer on %s is shown in /idea %s only", sub.ref, sub.ref)
        return
    t = team_t(ctx)
    text = "💬 " + t._("The resident answered on {ref} “{title}”:", ref=esc(sub.ref), title=title_of(t, sub))
    if note.text:
        text += "\n\n" + esc(note.text)
    if translating:     # the card is drawn again with the translation when it is there
        text += f"\n{view.MARK} <i>{t._(view.PENDING)}</i>"
    media = [Media("voice", note.voice_file_id, esc(sub.ref))] if note.voice_file_id else []
    await ctx.notify(chat, Reply(text, card_buttons(t, sub), media=media), key=f"answer:{sub.ref}:{note_id}",
                     purpose="staff_answer")


async def show_card(ctx: Context, sub: Submission, *, edit: bool, footer: str = "",
                    buttons: list[list[Button]] | None = None, with_media: bool = False) -> None:
    """The card in place of the pressed one (``edit``), or as a new copy. A new copy goes through the
    outbox under the submission's key, so that the delivery engine keeps its message ids and /delete
    (:func:`withdraw_staff_copies`) takes it back out of this chat too — the staff group or a team
    member's private chat (``/idea REF``, a card opened from ``/queue``)."""
    t = staff_t(ctx)
    text = await card_text(ctx.store, ctx.engine, t, sub, footer=footer)
    shown = card_buttons(t, sub) if buttons is None else buttons
    if edit:
        ctx.say(text, shown, edit=True)
        return
    reply = Reply(text, shown, media=card_media(sub) if with_media else [])
    await ctx.notify(ctx.inbound.sender.chat_id, reply, key=f"card:{sub.ref}:copy:{uuid.uuid4().hex[:12]}",
                     purpose="staff_copy", language=t.code)


async def log_access(ctx: Context, sub: Submission, action: str) -> None:
    """The resident can see in /mydata that (not who) the team opened or decided their submission."""
    if sub.chat_id != ANONYMISED_CHAT_ID:
        await log_staff_access(ctx, action, sub.chat_id, detail=f"submission {sub.ref}")


# --- translations arriving ------------------------------------------------------------------------
def _for_team(job: Job, team: str) -> bool:
    """A job whose result the team reads on the card (not a notice translated for the resident)."""
    return job.task == "transcribe" or job.target_language == team


async def redraw_translated(store: Store, engine: Dialogs, finished: Sequence[Job], now: datetime) -> int:
    """The job runner finished ``finished``: draw the card of each submission concerned again in the staff
    chat, once all of its jobs for the team are finished (a later announce covers the rest) — in place of
    the card posted before, or as a new message when that one is not delivered yet, deleted or can no
    longer be edited (the delivery decides, :class:`bot.delivery.senders.TelegramSender`). Idempotent:
    the outbox key names the jobs the card shows. Returns how many cards were queued."""
    chat = engine.staff_chat_id
    team = flows.policy(engine).team_language
    ids = sorted({j.source.id for j in finished if j.source.kind == SUBMISSION and _for_team(j, team)})
    if chat is None or not ids:
        return 0
    queued = 0
    for sub_id in ids:
        sub = await store.submissions.get(sub_id)
        if sub is None or sub.chat_id == ANONYMISED_CHAT_ID:
            continue
        jobs = [j for j in await store.translations.for_sources(SUBMISSION, [sub_id]) if _for_team(j, team)]
        if not jobs or any(not j.finished for j in jobs):
            continue
        t = engine.translator(engine.default_language)
        text = "🌐 " + t._("Translated: {ref}", ref=esc(sub.ref)) + "\n" + await card_text(store, engine, t, sub)
        key = f"card:{sub.ref}:tr:{sub.version}:{len(jobs)}:{max(j.id for j in jobs)}"
        posted = await store.outbox.first_message(chat, card_key(sub))     # drawn again in place where it can be
        await store.outbox.enqueue(chat, Reply(text, card_buttons(t, sub), replace=posted), due_at=now, key=key,
                                   purpose="staff_card")
        queued += 1
    return queued
