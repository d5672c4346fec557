"""Residents send ideas, Aktionsfonds applications, hints and questions to the team.

Steps (the draft lives in the conversation state, so it survives restarts)::

    menu "💡 Submit an idea" / /idea
      kind [Aktionsfonds | project idea | hint | question]             ideas.kind
      area (skipped when the office finder already knows it)           ideas.area
      short title (≤ 80 characters)                                    ideas.title
      text (≤ 2,000) and/or voice notes (≤ 2, ≤ 5 min each) [Next]     ideas.body
      Aktionsfonds only: the rules, the next jury session, the amount  ideas.costs
      summary [Send] [Change something] [Cancel]                       ideas.review
         (photos ≤ 5 and/or a location: sent at any step, the summary reminds of them; no step of their own)
         └─ change: pick a part ─> that step ─> back to the summary
         └─ send: daily limit? ─> stored, reference BAD-2026-014 ─> card to the team (outbox) ─> menu
    menu "❓ Ask the team" / /ask [text]: area ─> question (text or voice) ─> summary ─> send
    /start or the menu with a draft: [Continue the draft] [Discard it]
    /myideas: own submissions with their state and the team's last message

    team asks back ──> resident's next text (or the [Answer] button, also for voice) goes to the team
    team asks to revise ──> [Revise and send again] ──> summary of the submission ──> send updates it

Photos, voices or a location sent in any step are kept (within the limits) instead of refused;
a text too long for a title becomes the description. Buttons carry only an action, a kind code,
an area key or a submission id, and each is checked against the draft and the database.

The draft and its prompts are in :mod:`dialogs.ideas.draft`; answers, revisions and /myideas in
:mod:`dialogs.ideas.answers`; the team's card in :mod:`dialogs.ideas.staff_card`.
"""
from __future__ import annotations

from typing import Any

from dialogs.core.engine import Context, Dialogs, Handler
from dialogs.core.i18n import N_
from dialogs.core.messages import Button
from dialogs.core.ports import ChatState
from dialogs.core.text import clip, esc
from dialogs.ideas.answers import my_ideas, on_answer, start_answer, start_revision, take_answer
from dialogs.ideas.draft import (DEFAULT_MAX_PER_DAY, DRAFT_STEPS, EDITABLE, PROMPTS, IdeasSettings, advance,
                                 ask_body, ask_media, ask_title, content_of, edit_menu, enter, has_content,
                                 in_draft, next_step, offer_draft, park, review, settings, stale, step_of, unpark)
from dialogs.ideas.rules import (AKTIONSFONDS_CAP, REALISTIC_AMOUNT_MAX, KINDS,
                                 MAX_PHOTOS, MAX_TEXT, MAX_TITLE, MAX_VOICE_SECONDS,
                                 MAX_VOICES, Event, cents, parse_amount, start_of_day)
from dialogs.ideas.staff_card import post_card
from dialogs.translation import flows as translation

__all__ = ["DEFAULT_MAX_PER_DAY", "IdeasSettings", "register", "settings"]


async def begin(ctx: Context, kind: str | None = None, text: str = "") -> None:
    if unpark(ctx) or (in_draft(ctx) and has_content(ctx.data)):
        return await offer_draft(ctx)
    data: dict[str, Any] = {}
    if kind:
        data["kind"] = kind
    if ctx.resident.area_key and await ctx.store.areas.get(ctx.resident.area_key):
        data["area"] = ctx.resident.area_key      # found by the office finder; can be changed in the summary
    ctx.goto("ideas.kind", **data)
    limit = settings(ctx.engine).max_per_day
    if await sent_today(ctx) >= limit:
        ctx.say(ctx.t.ngettext("You have reached today's limit of {n} submission. You can prepare your draft now "
                               "and send it tomorrow.",
                               "You have reached today's limit of {n} submissions. You can prepare your draft "
                               "now and send it tomorrow.", limit))
    text = text.strip()
    if text and len(text) <= MAX_TEXT:
        ctx.data.update(text=text, body_done=True)
    await advance(ctx)


async def sent_today(ctx: Context) -> int:
    return await ctx.store.submissions.count_since(ctx.inbound.sender.chat_id,
                                                   start_of_day(ctx.now, ctx.engine.timezone))


async def cmd_idea(ctx: Context) -> None:
    await begin(ctx)


async def cmd_ask(ctx: Context) -> None:
    await begin(ctx, "question", ctx.inbound.text)


def offering_draft(original: Handler) -> Handler:
    """/start, /menu and the menu button first offer to continue a half-finished draft."""
    async def handler(ctx: Context) -> None:
        if ctx.resident.consent_at is not None and (unpark(ctx) or (in_draft(ctx) and has_content(ctx.data))):
            return await offer_draft(ctx)
        await original(ctx)
    return handler


def keeping_draft(original: Handler) -> Handler:
    """Changing the language in the middle of a draft keeps the draft."""
    async def handler(ctx: Context) -> None:
        saved = ctx.state if in_draft(ctx) and has_content(ctx.data) else None
        await original(ctx)
        if saved is not None and not ctx.step:
            ctx.state = saved
            await offer_draft(ctx)
    return handler


# --- buttons -------------------------------------------------------------------------------------
async def on_button(ctx: Context) -> None:
    action, arg = ctx.inbound.parts(2)
    if action == "new":
        return await begin(ctx)
    if action == "ask":
        return await begin(ctx, "question")
    if action == "mine":
        return await my_ideas(ctx)
    if action == "answer":
        return await start_answer(ctx, arg)
    if action == "revise":
        return await start_revision(ctx, arg)
    if action == "cancel" and step_of(ctx) == "answer":
        saved = ctx.data.get("saved")
        if saved:
            ctx.state = ChatState(saved["step"], saved["data"])
            return await offer_draft(ctx)
        return await ctx.show_menu()
    if action == "kind" and arg in KINDS and not in_draft(ctx):
        return await begin(ctx, arg)
    if action in ("resume", "discard"):
        unpark(ctx)                         # an offer made before the resident went elsewhere
    if not in_draft(ctx):
        ctx.toast = ctx._("This button is no longer valid.")
        return await ctx.show_menu()
    d = ctx.data
    if action == "kind" and arg in KINDS:
        if d.get("revise_of") and arg != d.get("kind") and "question" in (arg, d.get("kind")):
            return stale(ctx)
        d["kind"] = arg
        if arg != "aktionsfonds":
            d.pop("costs_cents", None)
        return await advance(ctx)
    if action == "area" and not d.get("revise_of"):
        area = await ctx.store.areas.get(arg)
        if area is None:
            return stale(ctx)
        d["area"] = area.key
        return await advance(ctx)
    if action == "next" and arg == step_of(ctx) == "body" and d.get("voices"):
        d["body_done"] = True
        return await advance(ctx)
    if action == "next" and arg == step_of(ctx) == "media":
        return await advance(ctx)
    if action == "rm" and arg in ("voices", "photos", "location"):
        d.pop(arg, None)
        if arg == "voices" and not d.get("text"):
            d["body_done"] = False
        return await PROMPTS[step_of(ctx)](ctx)
    if action == "review":
        d.pop("editing", None)
        return await advance(ctx)           # the summary, or first the part that went missing
    if action == "edit" and not arg and step_of(ctx) == "review":
        return edit_menu(ctx)
    if action == "edit" and arg in EDITABLE and step_of(ctx) == "review":
        if (arg == "costs" and d.get("kind") != "aktionsfonds") or (arg == "area" and d.get("revise_of")):
            return stale(ctx)
        d["editing"] = True
        enter(ctx, arg)
        return await PROMPTS[arg](ctx)
    if action == "send" and step_of(ctx) == "review":
        return await send(ctx)
    if action == "cancel":
        if has_content(d):
            ctx.say(ctx._("Discard this draft?"),
                    [[Button("🗑 " + ctx._("Yes, discard it"), "idea:discard")],
                     [Button("▶ " + ctx._("No, continue"), "idea:resume")]])
            return
        return await discard(ctx)
    if action == "discard":
        return await discard(ctx)
    if action == "resume":
        return await PROMPTS[step_of(ctx)](ctx)
    stale(ctx)

async def discard(ctx: Context) -> None:
    await ctx.show_menu(ctx._("Your draft has been discarded. What would you like to do?"))

# --- typed text, photos, voice notes, locations ------------------------------------------------------
async def on_input(ctx: Context) -> None:
    step = step_of(ctx)
    if step == "answer":
        return await on_answer(ctx)
    if step not in DRAFT_STEPS:
        ctx.reset()
        return await ctx.show_menu()
    kind = ctx.inbound.kind
    if kind == "photo":
        return await take_photo(ctx)
    if kind == "voice":
        return await take_voice(ctx)
    if kind == "location":
        ctx.data["location"] = [ctx.inbound.latitude, ctx.inbound.longitude]
        if step != "media":
            ctx.say("📍 " + ctx._("Location added."))
        return await PROMPTS[step](ctx)
    if kind != "text":
        ctx.say(ctx._("I can only keep texts, photos, voice notes and locations here."))
        return await PROMPTS[step](ctx)
    await TEXT_STEPS[step](ctx, ctx.inbound.text.strip())


async def take_photo(ctx: Context) -> None:
    d = ctx.data
    photos = d.setdefault("photos", [])
    step = step_of(ctx)
    if len(photos) >= MAX_PHOTOS:
        ctx.say(ctx._("You have already added {max} photos; that is the maximum. This one was not added.",
                      max=MAX_PHOTOS))
    else:
        photos.append(ctx.inbound.file_id)
        caption = ctx.inbound.text.strip()
        if caption and len(((d.get("text") or "") + "\n" + caption).strip()) <= MAX_TEXT:
            d["text"] = ((d.get("text") or "") + "\n" + caption).strip()
            d["body_done"] = True
        if step != "media":
            ctx.say("🖼 " + ctx._("Photo added."))
    await PROMPTS[step](ctx)


async def take_voice(ctx: Context) -> None:
    d = ctx.data
    voices = d.setdefault("voices", [])
    step = step_of(ctx)
    duration = ctx.inbound.duration
    if duration > MAX_VOICE_SECONDS:
        ctx.say(ctx._("This voice note is {length} long; please keep it under {minutes} minutes.",
                      length=f"{duration // 60}:{duration % 60:02d}", minutes=MAX_VOICE_SECONDS // 60))
    elif len(voices) >= MAX_VOICES:
        ctx.say(ctx._("You have already added {max} voice notes; that is the maximum. This one was not added.",
                      max=MAX_VOICES))
    else:
        voices.append([ctx.inbound.file_id, duration])
        if step not in ("body", "media"):
            ctx.say("🎤 " + ctx._("Voice note added."))
    await PROMPTS[step](ctx)


async def text_while_choosing(ctx: Context, text: str) -> None:
    """Someone starts typing their idea before picking a kind or area: keep it as the description."""
    d = ctx.data
    if text and not d.get("text") and len(text) <= MAX_TEXT:
        d.update(text=text, body_done=True)
        ctx.say(ctx._("I have kept your text for the description."))
    else:
        ctx.say(ctx._("Please tap one of the buttons."))
    await PROMPTS[step_of(ctx)](ctx)


async def text_at_review(ctx: Context, text: str) -> None:
    ctx.say(ctx._("Please tap “Send”, “Change something” or “Cancel”."))
    await review(ctx)


async def text_title(ctx: Context, text: str) -> None:
    d = ctx.data
    if not text:
        return await ask_title(ctx)
    if len(text) > MAX_TITLE:
        if not d.get("text") and len(text) <= MAX_TEXT:
            d.update(text=text, body_done=True)
            ctx.say(ctx._("That is too long for a title, so I have kept it as your description. Now a short "
                          "title, please (at most {max} characters).", max=MAX_TITLE))
            return
        ctx.say(ctx._("That is {n} characters; a title may have at most {max}. Please write a shorter one.",
                      n=ctx.t.number(len(text)), max=MAX_TITLE))
        return
    d["title"] = " ".join(text.split())
    await advance(ctx)


async def text_body(ctx: Context, text: str) -> None:
    d = ctx.data
    if not text:
        return await ask_body(ctx)
    if len(text) > MAX_TEXT:
        ctx.say(ctx._("Your text has {n} characters; at most {max} fit. Please shorten it — or write the most "
                      "important part and send the rest as a voice note.",
                      n=ctx.t.number(len(text)), max=ctx.t.number(MAX_TEXT)))
        return
    d.update(text=text, body_done=True)
    await advance(ctx)


async def text_costs(ctx: Context, text: str) -> None:
    amount = parse_amount(text)
    t = ctx.t
    if amount is None:
        ctx.say(ctx._("I could not read an amount in “{text}”. Please write only the euros, for example "
                      "<i>150</i> or <i>150,50</i>.", text=t.ltr(esc(clip(text, 40)))))
        return
    if amount <= 0:
        ctx.say(ctx._("Please write an amount greater than zero, for example <i>150</i>."))
        return
    if amount > REALISTIC_AMOUNT_MAX:                # a typo or a test; too large to show as money
        ctx.say(ctx._("“{text}” does not look like a realistic amount. Please write roughly what the material "
                      "will cost in euros, for example <i>150</i>: the Aktionsfonds pays at most {cap} per "
                      "action.", text=t.ltr(esc(clip(text, 40))), cap=t.money(AKTIONSFONDS_CAP, whole=True)))
        return
    if amount > AKTIONSFONDS_CAP:
        ctx.say(ctx._("{amount} is more than the Aktionsfonds can pay for one action (at most {cap}). Please "
                      "check the amount. If your action needs more, send it as a project idea: the team will "
                      "advise you.", amount=t.money(amount), cap=t.money(AKTIONSFONDS_CAP, whole=True)),
                [[Button("💡 " + ctx._("Send it as a project idea"), "idea:kind:project")]])
        return
    ctx.data["costs_cents"] = cents(amount)
    await advance(ctx)


async def text_media(ctx: Context, text: str) -> None:
    ctx.say(ctx._("Please send photos or your location, or tap “Done”."))
    await ask_media(ctx)


TEXT_STEPS = {"kind": text_while_choosing, "area": text_while_choosing, "title": text_title, "body": text_body,
              "costs": text_costs, "media": text_media, "review": text_at_review}


# --- sending --------------------------------------------------------------------------------------
async def send(ctx: Context) -> None:
    d = ctx.data
    missing = next_step(d)
    if missing != "review":               # e.g. an area deactivated meanwhile
        return await advance(ctx)
    if await ctx.store.areas.get(d["area"]) is None:
        d.pop("area", None)
        return await advance(ctx)
    if d.get("revise_of"):
        return await resend(ctx)
    limit = settings(ctx.engine).max_per_day
    if await sent_today(ctx) >= limit:
        ctx.say(ctx.t.ngettext(
            "You have already sent {n} submission today; that is the daily limit. Your draft is kept: send it "
            "tomorrow (/start, then “Continue the draft”).",
            "You have already sent {n} submissions today; that is the daily limit. Your draft is kept: send it "
            "tomorrow (/start, then “Continue the draft”).", limit))
        return
    sub = await ctx.store.submissions.create(content_of(d), chat_id=ctx.inbound.sender.chat_id,
                                             language=ctx.t.code, now=ctx.now,
                                             actor_name=ctx.resident.display_name or ctx.inbound.sender.display_name)
    await translation.ask_for_submission(ctx.store, ctx.engine, sub, ctx.now)   # done later, by the job runner
    await post_card(ctx, sub)
    ref = "<b>" + ctx.t.ltr(esc(sub.ref)) + "</b>"
    if sub.kind == "question":
        text = ctx._("Thank you! Your question is with the team now (reference {ref}). You will get the answer "
                     "here in this chat.", ref=ref)
    else:
        text = ctx._("Thank you! The team has received it (reference {ref}).\n\nWhat happens next: a member of "
                     "the team reads every submission and decides on it. You will get a message here, and "
                     "/myideas shows the state at any time.", ref=ref)
        if sub.kind == "aktionsfonds":
            text += "\n\n" + ctx._("For the Aktionsfonds, the team checks your application first; then the jury "
                                   "of residents decides at its next session.")
    await ctx.show_menu(text)


async def resend(ctx: Context) -> None:
    d = ctx.data
    sub = await ctx.store.submissions.get(int(d["revise_of"]))
    if sub is None or sub.chat_id != ctx.inbound.sender.chat_id or sub.status != "needs_revision":
        return await ctx.show_menu(ctx._("This submission can no longer be changed: the team has already "
                                         "decided on it. /myideas shows its state."))
    content = content_of(d)
    content.area_key = sub.area_key
    event = Event("resubmitted", "resident", sub.chat_id, ctx.resident.display_name, to_status="revised")
    if not await ctx.store.submissions.transition(sub, to_status="revised", event=event, now=ctx.now,
                                                  content=content):
        return await ctx.show_menu(ctx._("This submission can no longer be changed: the team has already "
                                         "decided on it. /myideas shows its state."))
    fresh = await ctx.store.submissions.get(sub.id)
    assert fresh is not None
    await translation.ask_for_submission(ctx.store, ctx.engine, fresh, ctx.now)
    await post_card(ctx, fresh)
    await ctx.show_menu(ctx._("Thank you! Your revised submission {ref} is with the team again.",
                              ref="<b>" + ctx.t.ltr(esc(sub.ref)) + "</b>"))


def register(app: Dialogs) -> None:
    settings(app)
    app.command("idea", cmd_idea, N_("send an idea or an Aktionsfonds application to the team"))
    app.command("ask", cmd_ask, N_("ask the team a question"))
    app.command("myideas", my_ideas, N_("what you have sent and what became of it"))
    app.button("idea", on_button)
    app.step("ideas", on_input)
    app.menu_entry(20, N_("💡 Submit an idea"), "idea:new")
    app.menu_entry(30, N_("❓ Ask the team"), "idea:ask")
    app.menu_entry(40, N_("📋 My submissions"), "idea:mine")
    # The answer to a question from the team is taken before any other free-text reading of it.
    app.free_text.insert(0, take_answer)
    app.leaving.append(park)
    for name in ("start", "menu"):
        if name in app.commands:
            app.commands[name] = offering_draft(app.commands[name])
    if "menu" in app.buttons:
        app.buttons["menu"] = offering_draft(app.buttons["menu"])
    if "lang" in app.buttons:
        app.buttons["lang"] = keeping_draft(app.buttons["lang"])
