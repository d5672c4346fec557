"""Moderation: the team's cards, queue and decisions on residents' submissions.

Steps (team members, in the staff chat or in their private chat)::

    card in the staff chat: [Approve|Reply] [Reject] [Ask back] [Please revise] [Take it]
      ├─ Approve ─────────────────────────────────────────────> approved; card edited in place
      ├─ Reject ─> reason buttons ─> "add a message?" ──┬─ [Send without text] ─> rejected
      │                                                  └─ typed note ─> preview [Send] ─> rejected
      ├─ Ask back ─> typed question ─> preview [Send] ─> resident asked; their answer comes back here
      ├─ Please revise ─> typed note ─> preview [Send] ─> resident edits and resends ─> back in the queue
      ├─ Reply (questions) ─> typed answer ─> preview [Send] ─> replied
      └─ Take it ─────────────────────────────────────────────> assigned; card edited in place
    /queue       open items, oldest first (buttons open a card)
    /idea REF    one card (without REF in a private chat: the resident's "submit an idea")
    /stats       counts by area, kind, status and language

Buttons carry only an action, the submission id and the version of the item the card showed
(``mod:ok:12:3``). A press re-reads the item: if it changed since the card was drawn (someone else
decided, took it, or the resident answered), nothing happens and the presser is told who changed it
and when, and sees the card as it is now. The change itself is a conditional UPDATE on status and
version, so of two people pressing at once exactly one wins even across processes. A replayed,
stale or forged button therefore changes nothing, and only staff reach these handlers (the engine
checks membership).

The resident is told every decision in their own language; what the team typed is relayed as
written (escaped) — or, with a translation service, machine-translated with the original beneath, as
previewed before "Send" ("Send without translation" keeps it as written; :mod:`dialogs.ideas.decisions`).
Cards and replies to the staff group are in the default language. The decisions themselves live in
:mod:`dialogs.ideas.decisions` (shared with the web console), the card in :mod:`dialogs.ideas.staff_card`.
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime

from dialogs.core.engine import Context, Dialogs
from dialogs.core.i18n import N_, Translator
from dialogs.core.logsafe import who
from dialogs.core.messages import Button, Inbound, Reply
from dialogs.core.ports import Store
from dialogs.core.text import clip, esc
from dialogs.ideas import decisions
from dialogs.ideas.decisions import TEXT_ACTIONS, Actor
from dialogs.ideas.rules import (FINAL, KINDS, MAX_TEXT, OPEN, REJECT_REASONS, STATUS_ICONS, STATUS_LABELS,
                                 STATUSES, Event, Submission, normalise_ref)
from dialogs.ideas.staff_card import log_access, show_card, staff_name, staff_t
from dialogs.privacy import resident_flow as privacy
from dialogs.privacy.resident_flow import ANONYMISED_CHAT_ID
from dialogs.translation import flows as translation_flows
from dialogs.translation import view

log = logging.getLogger(__name__)

QUEUE_BUTTONS = 10


# --- pressing buttons ---------------------------------------------------------------------------
def parse(inbound: Inbound) -> tuple[str, int | None, int | None, str]:
    """``mod:<action>:<id>[:<version>[:<extra>]]`` -> (action, id, version, extra); no number: None."""
    action, sub_id, version, extra = inbound.parts(4)
    return action, _number(sub_id), _number(version), extra


def _number(field: str) -> int | None:
    return int(field) if field.isdecimal() and len(field) < 19 else None    # at most 18 digits: fits a BIGINT


async def already(ctx: Context, sub: Submission) -> None:
    """The item changed before this press: say who and when, and show the card as it is now."""
    t = staff_t(ctx)
    if sub.status in FINAL and sub.decided_at is not None:
        ctx.toast = t._("Already decided by {name} on {date} at {time}.", name=sub.decided_by_name,
                        date=t.date(sub.decided_at, "medium"), time=t.time(sub.decided_at))
    else:
        events = await ctx.store.submissions.events(sub.id)
        last = events[-1] if events else None
        who = t._("Resident") if last is None or last.actor_kind == "resident" else last.actor_name
        ctx.toast = t._("{name} changed this just now. The card shows the current state.", name=who)
    ctx.reset()
    await show_card(ctx, sub, edit=True)


async def on_button(ctx: Context) -> None:
    t = staff_t(ctx)
    action, sub_id, version, extra = parse(ctx.inbound)
    sub = await ctx.store.submissions.get(sub_id) if sub_id is not None else None
    if sub is None:
        log.warning("staff %s pressed %r for no submission", who(ctx.inbound.sender.user_id), ctx.inbound.data)
        ctx.toast = t._("This submission does not exist (any more).")
        return
    if action == "show":
        await log_access(ctx, sub, "show")
        return await show_card(ctx, sub, edit=False, with_media=True)
    if action == "card":
        ctx.reset()
        return await show_card(ctx, sub, edit=True)
    if action in ("send", "raw"):
        return await send(ctx, sub, translate=action == "send")
    if version is None:
        return invalid(ctx)
    if not sub.is_open or version != sub.version:
        return await already(ctx, sub)            # decided, taken or answered since this card was drawn
    question = sub.kind == "question"
    v = f"{sub.id}:{sub.version}"
    if action == "take":
        return await take(ctx, sub)
    if action == "ok" and not question:
        return await decide(ctx, sub, "ok")
    if action == "no":
        ctx.reset()
        rows = [[Button(t._(label), f"mod:why:{v}:{code}")] for code, (label, _s) in REJECT_REASONS.items()]
        rows.append([Button("« " + t._("Back"), f"mod:card:{sub.id}")])
        return await show_card(ctx, sub, edit=True, footer=t._("Why is it rejected? Pick a reason:"), buttons=rows)
    if action in ("why", "nt") and extra in REJECT_REASONS:
        if action == "nt":
            return await decide(ctx, sub, "no", reason=extra)
        ctx.goto("mod.text", action="no", id=sub.id, version=sub.version, reason=extra)
        footer = t._("Reason: {reason}. Reply to this message with a note for the resident (sent as you write "
                     "it), or send it without one.", reason=t._(REJECT_REASONS[extra][0]))
        rows = [[Button(t._("Send without text"), f"mod:nt:{v}:{extra}")],
                [Button("« " + t._("Back"), f"mod:card:{sub.id}")]]
        return await show_card(ctx, sub, edit=True, footer=footer, buttons=rows)
    if action in ("ask", "rev") or (action == "re" and question):
        if action == "rev" and question:
            return invalid(ctx)
        ctx.goto("mod.text", action=action, id=sub.id, version=sub.version, reason="")
        name = esc(await staff_name(ctx))
        footer = {"ask": t._("{name}: reply to this message with your question for the resident (sent as you "
                             "write it).", name=name),
                  "rev": t._("{name}: reply to this message with what the resident should change (sent as you "
                             "write it).", name=name),
                  "re": t._("{name}: reply to this message with your answer for the resident (sent as you write "
                            "it).", name=name)}[action]
        return await show_card(ctx, sub, edit=True, footer=footer,
                               buttons=[[Button("« " + t._("Back"), f"mod:card:{sub.id}")]])
    invalid(ctx)


async def send(ctx: Context, sub: Submission, *, translate: bool = True) -> None:
    """The previewed question, note or answer: sent if the item is still as it was when it was typed —
    machine-translated as previewed, or (``translate`` False: "Send without translation") as written."""
    draft = ctx.data if ctx.step == "mod.confirm" else {}
    if draft.get("id") != sub.id or draft.get("action") not in TEXT_ACTIONS:
        ctx.toast = staff_t(ctx)._("Nothing to send from you here. Start again from the card.")
        return
    if not sub.is_open or draft.get("version") != sub.version:
        return await already(ctx, sub)
    await decide(ctx, sub, draft["action"], reason=draft.get("reason", ""), text=draft.get("text", ""),
                 translate=translate, translation=draft.get("translation") if translate else None)


def invalid(ctx: Context) -> None:
    log.warning("staff %s pressed an invalid button %r", who(ctx.inbound.sender.user_id), ctx.inbound.data)
    ctx.toast = staff_t(ctx)._("This button is no longer valid.")


async def take(ctx: Context, sub: Submission) -> None:
    t = staff_t(ctx)
    me = ctx.inbound.sender.user_id
    if sub.assignee_id == me:
        ctx.toast = t._("It is already yours.")
        return await show_card(ctx, sub, edit=True)
    if sub.assignee_id is not None:
        # Someone else took it (perhaps a moment ago, from the same card): say who, don't steal it.
        return await already(ctx, sub)
    name = await staff_name(ctx)
    event = Event("assigned", "staff", me, name, to_status=sub.status, note=sub.assignee_name)
    if not await ctx.store.submissions.transition(sub, to_status=sub.status, event=event, now=ctx.now,
                                                  assignee=(me, name)):
        return await already(ctx, await ctx.store.submissions.get(sub.id) or sub)
    await log_access(ctx, sub, "take")
    ctx.toast = t._("{ref} is yours now.", ref=sub.ref)
    await show_card(ctx, await ctx.store.submissions.get(sub.id) or sub, edit=True)


async def decide(ctx: Context, sub: Submission, action: str, *, reason: str = "", text: str = "",
                 translate: bool = True, translation: str | None = None) -> None:
    """Approve, reject, reply, ask back or request a revision — once, whoever presses first."""
    t = staff_t(ctx)
    me = ctx.inbound.sender.user_id
    member = await ctx.store.staff.get(me)
    actor = Actor(me, await staff_name(ctx), label=f"staff:{me} {member.name if member else ''}".strip())
    outcome = await decisions.apply(ctx.store, sub, action, actor, reason=reason, note=text, texts=ctx.engine,
                                    now=ctx.now, translate=translate, translation=translation)
    ctx.reset()
    if not outcome.ok:
        return await already(ctx, outcome.submission or sub)
    ctx.toast = {"ok": t._("Approved. The resident will be told."),
                 "no": t._("Rejected. The resident will be told."),
                 "re": t._("Answer sent to the resident."),
                 "ask": t._("Question sent to the resident."),
                 "rev": t._("Revision request sent to the resident.")}[action]
    await show_card(ctx, outcome.submission or sub, edit=True)


# --- typed texts (questions, notes, answers) --------------------------------------------------------
async def on_text(ctx: Context) -> None:
    t = staff_t(ctx)
    draft = dict(ctx.data)
    if ctx.inbound.kind != "text" or not ctx.inbound.text.strip():
        ctx.say(t._("Please write it as a text message (or /cancel)."))
        return
    text = ctx.inbound.text.strip()
    if len(text) > MAX_TEXT:
        ctx.say(t._("That is {n} characters; at most {max} fit. Please shorten it.", n=t.number(len(text)),
                    max=t.number(MAX_TEXT)))
        return
    sub = await ctx.store.submissions.get(int(draft.get("id") or 0))
    action = draft.get("action")
    if sub is None or action not in TEXT_ACTIONS:
        ctx.reset()
        return
    ref = esc(sub.ref)
    question = {"ask": t._("Send this question to the resident of {ref}?", ref=ref),
                "rev": t._("Ask the resident of {ref} to revise it, with this note?", ref=ref),
                "re": t._("Send this answer to the resident of {ref}?", ref=ref),
                "no": t._("Reject {ref} ({reason}) with this note to the resident?", ref=ref,
                          reason=t._(REJECT_REASONS.get(draft.get("reason", ""), ("—", ""))[0]))}[action]
    shown, translation = await resident_preview(ctx, t, sub, action, draft.get("reason", ""), text)
    ctx.goto("mod.confirm", action=action, id=sub.id, version=draft.get("version"), reason=draft.get("reason", ""),
             text=text, translation=translation)
    # "Send" and "Cancel" turn this message into the full card (edited in place), so it is sent as a copy
    # of the card: through the outbox, under the submission's key — /delete takes it back too.
    rows = [[Button("📨 " + t._("Send"), f"mod:send:{sub.id}"), Button(t._("Cancel"), f"mod:card:{sub.id}")]]
    if shown:
        rows.insert(1, [Button(t._("Send without translation"), f"mod:raw:{sub.id}")])
    preview = Reply(question + "\n\n" + esc(text) + shown, rows)
    await ctx.notify(ctx.inbound.sender.chat_id, preview, key=f"card:{sub.ref}:copy:{uuid.uuid4().hex[:12]}",
                     purpose="staff_copy", language=t.code)


async def resident_preview(ctx: Context, t: Translator, sub: Submission, action: str, reason: str,
                           text: str) -> tuple[str, str | None]:
    """For a resident who reads another language than the team: what they will read (the message with the
    machine translation, translated now), or that the translation follows. ``("", None)`` otherwise."""
    if sub.chat_id == ANONYMISED_CHAT_ID:
        return "", None
    reader = await decisions.reader_of(ctx.store, sub)
    if not translation_flows.for_reader(ctx.engine, reader):
        return "", None
    name = esc(view.language_name(reader, t.language.locale) or reader)
    translation = await translation_flows.preview(ctx.engine, text, reader)
    if translation is None:
        wait = translation_flows.settings(ctx.engine).wait
        return "\n\n" + view.MARK + " " + t._(
            "The machine translation into {language} follows when the translation service answers; after "
            "{minutes} minutes at the latest, your text goes out as written.", language=name,
            minutes=max(1, int(wait.total_seconds() // 60))), None
    rt = ctx.engine.translator(reader)
    team = translation_flows.policy(ctx.engine).team_language
    notice = decisions.resident_notice(rt, sub, action, reason=reason, text=text,
                                       typed=decisions.translated(rt, translation, text, team))
    read = notice.text if notice is not None else ""
    return ("\n\n" + "<b>" + t._("The resident reads {language}. This is what they will get:", language=name)
            + "</b>\n\n" + read), translation


# --- commands ------------------------------------------------------------------------------------
async def queue(ctx: Context) -> None:
    t = staff_t(ctx)
    items = await ctx.store.submissions.open_items(limit=50)
    if not items:
        ctx.say(t._("The queue is empty. 🎉"))
        return
    lines = ["<b>" + t.ngettext("{n} open submission, oldest first", "{n} open submissions, oldest first",
                                len(items)) + "</b>"]
    for sub in items:
        line = (f"{STATUS_ICONS.get(sub.status, '')} <b>{esc(sub.ref)}</b> · {t._(KINDS[sub.kind])} · "
                f"{t._(STATUS_LABELS[sub.status])} · {t.date(sub.created_at, 'short')}\n"
                f"    “{esc(clip(sub.title or sub.text, 60))}”")
        if sub.assignee_name:
            line += " · 🙋 " + esc(sub.assignee_name)
        lines.append(line)
    buttons = [[Button(f"{sub.ref} {clip(sub.title or sub.text, 30)}", f"mod:show:{sub.id}")]
               for sub in items[:QUEUE_BUTTONS]]
    ctx.say("\n".join(lines), buttons)


async def idea(ctx: Context) -> None:
    t = staff_t(ctx)
    arg = ctx.inbound.text.strip()
    if not arg and ctx.inbound.sender.chat_kind == "private" and "idea" in ctx.engine.commands:
        return await ctx.engine.commands["idea"](ctx)      # a team member submitting an idea themselves
    ref = normalise_ref(arg)
    if ref is None:
        ctx.say(t._("Please give a reference, for example {example}.", example="/idea BAD-2026-014"))
        return
    sub = await ctx.store.submissions.by_ref(ref)
    if sub is None:
        ctx.say(t._("There is no submission {ref}.", ref=esc(ref)))
        return
    await log_access(ctx, sub, "show")
    await show_card(ctx, sub, edit=False, with_media=True)


async def stats(ctx: Context) -> None:
    t = staff_t(ctx)
    rows = await ctx.store.submissions.counts()
    total = sum(r.count for r in rows)
    if not total:
        ctx.say(t._("No submissions yet."))
        return
    open_count = sum(r.count for r in rows if r.status in OPEN)
    areas = {a.key: a.name for a in await ctx.store.areas.all()}

    def block(title: str, counter: Counter, label) -> list[str]:
        return ["", f"<b>{title}</b>"] + [f"{esc(label(key))}: {t.number(n)}" for key, n in counter.most_common()]

    by = {field: Counter() for field in ("area_key", "kind", "status", "language")}
    for r in rows:
        for field, counter in by.items():
            counter[getattr(r, field)] += r.count
    lines = ["<b>" + t._("Submissions: {total}, open: {open}", total=t.number(total),
                         open=t.number(open_count)) + "</b>"]
    lines += block(t._("By area"), by["area_key"], lambda k: areas.get(k, k))
    lines += block(t._("By kind"), by["kind"], lambda k: t._(KINDS.get(k, k)))
    lines += block(t._("By status"), by["status"],
                   lambda k: t._(STATUS_LABELS[k]) if k in STATUSES else k)
    lines += block(t._("By language"), by["language"], lambda k: ctx.engine.language(k).name)
    ctx.say("\n".join(lines))


async def withdraw_staff_copies(store: Store, engine: Dialogs, chat_id: int, now: datetime) -> int:
    """Before a resident's data are erased: take the team's copies of their submissions (cards with
    their text, photos and voice notes; relayed answers) back out of the staff chat."""
    subs = await store.submissions.of_resident(chat_id, limit=10_000)
    keys = [f"{kind}:{sub.ref}" for sub in subs for kind in ("card", "answer")]
    t = engine.translator(engine.default_language)
    text = t._("🗑 Removed at the resident's request ({refs}).", refs=esc(", ".join(sub.ref for sub in subs)))
    withdrawn = 0
    for staff_chat, sent in (await store.outbox.sent_messages(keys)).items():
        message_ids = list(dict.fromkeys(sent))     # a card drawn again in place has its message once
        await store.outbox.enqueue(staff_chat, Reply(text, withdraw=message_ids), due_at=now, purpose="withdraw")
        withdrawn += len(message_ids)
    return withdrawn


def register(app: Dialogs) -> None:
    privacy.before_erasure("staff copies", withdraw_staff_copies)
    app.staff_command("queue", queue, N_("open submissions, oldest first"))
    app.staff_command("idea", idea, N_("one submission by its reference"))
    app.staff_command("stats", stats, N_("counts by area, kind, status and language"))
    app.staff_button("mod", on_button)
    app.staff_step("mod", on_text)
