"""The resident's side of the conversation with the team: answers to the team's questions,
revising a submission on request, and /myideas."""
from __future__ import annotations

from dialogs.core.engine import Context
from dialogs.core.messages import Button
from dialogs.core.ports import ChatState
from dialogs.core.text import clip, esc
from dialogs.ideas.decisions import title_of
from dialogs.ideas.draft import cancel_row, has_content, in_draft, offer_draft, review, stale, unpark
from dialogs.ideas.rules import (MAX_TEXT, MAX_VOICE_SECONDS, RESIDENT_STATUS, STATUS_ICONS, Event, Note,
                                 Submission)
from dialogs.ideas.staff_card import post_answer
from dialogs.translation import flows as translation


# --- answers to the team's questions, revisions ------------------------------------------------------
async def own_submission(ctx: Context, arg: str) -> Submission | None:
    if not arg.isdecimal() or len(arg) > 18:
        return None
    sub = await ctx.store.submissions.get(int(arg))
    if sub is None or sub.chat_id != ctx.inbound.sender.chat_id:
        return None
    return sub


async def start_answer(ctx: Context, arg: str) -> None:
    sub = await own_submission(ctx, arg)
    if sub is None:
        stale(ctx)
        return await ctx.show_menu()
    if not sub.is_open:
        ctx.say(ctx._("The team has already decided on {ref}. If you have something to add, tap “Ask the "
                      "team” in the menu.", ref=ctx.t.ltr(esc(sub.ref))))
        return await ctx.show_menu()
    saved = {"step": ctx.step, "data": dict(ctx.data)} if in_draft(ctx) and has_content(ctx.data) else None
    ctx.goto("ideas.answer", sub_id=sub.id, saved=saved)
    ctx.say(ctx._("Write your answer to the team about {ref} “{title}”, or send a voice note.",
                  ref=ctx.t.ltr(esc(sub.ref)), title=title_of(ctx.t, sub)),
            [cancel_row(ctx)])


async def on_answer(ctx: Context) -> None:
    sub = await own_submission(ctx, str(ctx.data.get("sub_id", "")))
    saved = ctx.data.get("saved")
    if sub is None:
        ctx.reset()
        return await ctx.show_menu()
    inbound = ctx.inbound
    if inbound.kind == "voice" and inbound.duration <= MAX_VOICE_SECONDS:
        await attach_answer(ctx, sub, "", inbound.file_id)
    elif inbound.kind == "text" and inbound.text.strip() and len(inbound.text.strip()) <= MAX_TEXT:
        await attach_answer(ctx, sub, inbound.text.strip(), None)
    else:
        ctx.say(ctx._("Please write your answer (at most {max} characters) or send a voice note (up to {minutes} "
                      "minutes).", max=ctx.t.number(MAX_TEXT), minutes=MAX_VOICE_SECONDS // 60))
        return
    if saved:
        ctx.state = ChatState(saved["step"], saved["data"])
        return await offer_draft(ctx)
    await ctx.show_menu()


async def attach_answer(ctx: Context, sub: Submission, text: str, voice: str | None) -> None:
    name = ctx.resident.display_name or ctx.inbound.sender.display_name
    note = Note("resident", name, text, ctx.now, voice_file_id=voice)
    note_id = await ctx.store.submissions.add_note(sub.id, note)
    asked = await translation.ask_for_note(ctx.store, ctx.engine, sub.id, note_id, text, voice, ctx.t.code, ctx.now)
    if sub.status == "waiting":
        event = Event("answered", "resident", sub.chat_id, name, to_status="answered")
        if await ctx.store.submissions.transition(sub, to_status="answered", event=event, now=ctx.now):
            sub = await ctx.store.submissions.get(sub.id) or sub
    await post_answer(ctx, sub, note, note_id, translating=bool(asked))
    ctx.say(ctx._("Thank you! Your answer is with the team ({ref}).", ref=ctx.t.ltr(esc(sub.ref))))


async def take_answer(ctx: Context) -> bool:
    """At the menu, the next text after a question from the team is the answer to it."""
    text = ctx.inbound.text.strip()
    if not text or len(text) > MAX_TEXT:
        return False
    sub = await ctx.store.submissions.waiting_for(ctx.inbound.sender.chat_id)
    if sub is None:
        return False
    await attach_answer(ctx, sub, text, None)
    await ctx.show_menu()
    return True


async def start_revision(ctx: Context, arg: str) -> None:
    sub = await own_submission(ctx, arg)
    if sub is None:
        stale(ctx)
        return await ctx.show_menu()
    if sub.status != "needs_revision":
        return await ctx.show_menu(ctx._("This submission can no longer be changed: the team has already "
                                         "decided on it. /myideas shows its state."))
    if (unpark(ctx) or in_draft(ctx)) and has_content(ctx.data) and ctx.data.get("revise_of") != sub.id:
        ctx.say(ctx._("Please send or discard your unfinished draft first."))
        return await offer_draft(ctx)
    c = sub.content
    ctx.goto("ideas.review", kind=c.kind, area=c.area_key, title=c.title, text=c.text,
             voices=[[v.file_id, v.duration] for v in sub.voices], photos=[p.file_id for p in sub.photos],
             location=[c.latitude, c.longitude] if c.latitude is not None else None,
             costs_cents=c.costs_cents, body_done=True, rules_shown=True,
             revise_of=sub.id, revise_ref=sub.ref)
    if not ctx.data["location"]:
        ctx.data.pop("location")
    if ctx.data["costs_cents"] is None:
        ctx.data.pop("costs_cents")
    await review(ctx)


# --- /myideas --------------------------------------------------------------------------------------
async def my_ideas(ctx: Context) -> None:
    subs = await ctx.store.submissions.of_resident(ctx.inbound.sender.chat_id, limit=10)
    if not subs:
        ctx.say(ctx._("You have not sent anything to the team yet."),
                [[Button(ctx._("💡 Submit an idea"), "idea:new"), Button(ctx._("❓ Ask the team"), "idea:ask")]])
        return
    notes = await ctx.store.submissions.last_team_notes([s.id for s in subs])
    t = ctx.t
    lines = [ctx._("<b>What you have sent</b> (newest first):")]
    rows: list[list[Button]] = []
    for sub in subs:
        lines += ["", f"{STATUS_ICONS.get(sub.status, '')} <b>{t.ltr(esc(sub.ref))}</b> “{title_of(t, sub)}”",
                  f"{t.date(sub.created_at, 'medium')} · {ctx._(RESIDENT_STATUS[sub.status])}"]
        note = notes.get(sub.id)
        if note is not None and note.text:
            lines.append(ctx._("The team wrote: {text}", text=t.ltr(esc(clip(note.text, 300)))))
        if sub.status == "waiting":
            rows.append([Button("✍️ " + ctx._("Answer {ref}", ref=sub.ref), f"idea:answer:{sub.id}")])
        elif sub.status == "needs_revision":
            rows.append([Button("✏️ " + ctx._("Revise {ref}", ref=sub.ref), f"idea:revise:{sub.id}")])
    ctx.say("\n".join(lines), rows)
