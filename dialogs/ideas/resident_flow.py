"""Residents send ideas, Aktionsfonds applications, hints and questions to the team.

Steps (the draft lives in the conversation state, so it survives restarts)::

    menu "💡 Submit an idea" / /idea
      kind [Aktionsfonds | project idea | hint | question]             ideas.kind
      area (skipped when the office finder already knows it)           ideas.area
      short title (≤ 80 characters)                                    ideas.title
      text (≤ 2,000) and/or voice notes (≤ 2, ≤ 5 min each) [Next]     ideas.body
      Aktionsfonds only: the rules, the next jury session, the amount  ideas.costs
      photos (≤ 5) and/or location [Done]                              ideas.media
      summary [Send] [Change something] [Cancel]                       ideas.review
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
"""
from __future__ import annotations

from typing import Any

from dialogs.core.engine import PARKED, Context, Dialogs, Handler
from dialogs.core.i18n import N_
from dialogs.core.messages import Button
from dialogs.ideas.moderation import post_answer, post_card, title_of
from dialogs.core.ports import ChatState
from dialogs.ideas.rules import (AKTIONSFONDS_CAP, DEFAULT_MAX_PER_DAY, KIND_ICONS, KINDS, MAX_PHOTOS,
                                 MAX_TEXT, MAX_TITLE, MAX_VOICE_SECONDS, MAX_VOICES, REALISTIC_AMOUNT_MAX,
                                 RESIDENT_STATUS,
                                 STATUS_ICONS, Attachment, Content, Event, Note, Submission, cents, euros,
                                 parse_amount, start_of_day)
from dialogs.core.text import clip, esc

DRAFT_STEPS = ("kind", "area", "title", "body", "costs", "media", "review")
CONTENT_KEYS = ("title", "text", "voices", "photos", "location", "costs_cents")
EDITABLE = ("title", "body", "costs", "media", "area", "kind")


class IdeasSettings:
    """What the wiring may set (``build_dialogs(max_submissions_per_day=…)``)."""

    def __init__(self, max_per_day: int = DEFAULT_MAX_PER_DAY) -> None:
        self.max_per_day = max_per_day


def settings(app: Dialogs) -> IdeasSettings:
    found = getattr(app, "ideas_settings", None)
    if found is None:
        found = IdeasSettings()
        setattr(app, "ideas_settings", found)   # noqa: B010 - the engine has no slot for a flow's settings
    return found


# --- the draft -----------------------------------------------------------------------------------
def step_of(ctx: Context) -> str:
    return ctx.step.split(".", 1)[1] if ctx.step.startswith("ideas.") else ""


def in_draft(ctx: Context) -> bool:
    return step_of(ctx) in DRAFT_STEPS


def has_content(data: dict[str, Any]) -> bool:
    return any(data.get(key) not in (None, "", []) for key in CONTENT_KEYS)


def enter(ctx: Context, step: str) -> None:
    ctx.state = ChatState(f"ideas.{step}", ctx.data)


def next_step(d: dict[str, Any]) -> str:
    """The first part still missing; the summary when nothing is."""
    kind = d.get("kind")
    if kind not in KINDS:
        return "kind"
    if not d.get("area"):
        return "area"
    if kind != "question" and not d.get("title"):
        return "title"
    if not d.get("body_done"):
        return "body"
    if kind == "aktionsfonds" and d.get("costs_cents") is None:
        return "costs"
    if kind != "question" and not d.get("media_done"):
        return "media"
    return "review"


async def advance(ctx: Context) -> None:
    step = next_step(ctx.data)
    enter(ctx, step)
    await PROMPTS[step](ctx)


def cancel_row(ctx: Context) -> list[Button]:
    return [Button("✖ " + ctx._("Cancel"), "idea:cancel")]


def kind_label(ctx: Context, kind: str) -> str:
    return ctx._(KINDS.get(kind, kind))


def draft_name(ctx: Context, data: dict[str, Any] | None = None) -> str:
    d = ctx.data if data is None else data
    # Translators: quotation marks around a resident's own words, as your language writes them.
    if d.get("title"):
        return ctx._("“{quoted}”", quoted=ctx.t.ltr(esc(d["title"])))
    if d.get("text"):
        return ctx._("“{quoted}”", quoted=ctx.t.ltr(esc(clip(d["text"], 40))))
    return kind_label(ctx, d.get("kind", "project"))


# --- prompts, one per step -----------------------------------------------------------------------
async def ask_kind(ctx: Context) -> None:
    rows = [[Button(f"{KIND_ICONS[k]} {ctx._(label)}", f"idea:kind:{k}")] for k, label in KINDS.items()]
    ctx.say(ctx._("What would you like to send to the team?"), rows + [cancel_row(ctx)])


async def ask_area(ctx: Context) -> None:
    areas = await ctx.store.areas.all()
    rows = [[Button(area.name, f"idea:area:{area.key}")] for area in areas]
    ctx.say(ctx._("Which neighbourhood is it about?"), rows + [cancel_row(ctx)])


async def ask_title(ctx: Context) -> None:
    ctx.say(ctx._("Please give it a short title (at most {max} characters), for example "
                  "<i>Flower boxes for our street</i>.", max=MAX_TITLE),
            [back_row(ctx)] if ctx.data.get("editing") else [cancel_row(ctx)])


async def ask_body(ctx: Context) -> None:
    d = ctx.data
    voices = len(d.get("voices") or [])
    minutes = MAX_VOICE_SECONDS // 60
    rows: list[list[Button]] = []
    if voices:
        text = ctx.t.ngettext("{n} voice note received.", "{n} voice notes received.", voices)
        text += " " + ctx._("You can add a text too, or tap “Next”.")
        rows.append([Button(ctx._("Next ▶"), "idea:next:body")])
        if d.get("editing"):
            rows.append([Button("🗑 " + ctx._("Remove the voice notes"), "idea:rm:voices")])
    elif d.get("kind") == "question":
        text = ctx._("Type your question for the team, or send a voice note (up to {minutes} minutes).",
                     minutes=minutes)
    else:
        text = ctx._("Now describe it in your own words: write up to {max} characters, or send a voice note "
                     "(up to {minutes} minutes).", max=ctx.t.number(MAX_TEXT), minutes=minutes)
    if d.get("editing") and not voices:
        text = ctx._("Send the new text (it replaces the old one), or a voice note.")
    rows.append(back_row(ctx) if d.get("editing") else cancel_row(ctx))
    ctx.say(text, rows)


async def aktionsfonds_rules(ctx: Context) -> str:
    t = ctx.t
    lines = [ctx._("<b>The Aktionsfonds in short</b>\n"
                   "• at most {cap} per action\n"
                   "• only material and consumables, no fees\n"
                   "• nothing is paid for things bought before the decision\n"
                   "• a jury of residents decides", cap=t.money(AKTIONSFONDS_CAP, whole=True))]
    session = await ctx.store.meetings.next_jury_session(ctx.data.get("area", ""), ctx.now)
    if session is None:
        lines.append(ctx._("The date of the next jury session is not fixed yet; the team will tell you."))
    elif session.deadline is not None and session.deadline < ctx.now:
        lines.append(ctx._("The deadline for the jury session on {date} has passed; the team will tell you which "
                           "session your application goes to.", date=t.date(session.starts_at)))
    elif session.deadline is not None:
        lines.append(ctx._("The next jury session is on {date}. Please send your application by {deadline}.",
                           date=t.date(session.starts_at), deadline=t.date(session.deadline)))
    else:
        lines.append(ctx._("The next jury session is on {date}.", date=t.date(session.starts_at)))
    return "\n\n".join(lines)


async def ask_costs(ctx: Context) -> None:
    if not ctx.data.get("rules_shown"):
        ctx.data["rules_shown"] = True
        ctx.say(await aktionsfonds_rules(ctx))
    ctx.say(ctx._("How much will the material cost, roughly? Please write the amount in euros, for example "
                  "<i>150</i> or <i>150,50</i>."),
            [back_row(ctx)] if ctx.data.get("editing") else [cancel_row(ctx)])


async def ask_media(ctx: Context) -> None:
    d = ctx.data
    photos = len(d.get("photos") or [])
    if photos:
        text = ctx.t.ngettext("{n} photo received.", "{n} photos received.", photos)
        text += " " + (ctx._("Send more, or tap “Done”.") if photos < MAX_PHOTOS else
                       ctx._("That is the maximum. Tap “Done”."))
    else:
        text = ctx._("Would you like to add photos (up to {max}) or the place on the map (📎 → Location)? "
                     "Send them now, or tap “Done”.", max=MAX_PHOTOS)
    if d.get("location"):
        text += "\n" + "📍 " + ctx._("Location added.")
    rows = [[Button(ctx._("Done ▶"), "idea:next:media")]]
    if d.get("editing") and photos:
        rows.append([Button("🗑 " + ctx._("Remove the photos"), "idea:rm:photos")])
    if d.get("editing") and d.get("location"):
        rows.append([Button("🗑 " + ctx._("Remove the location"), "idea:rm:location")])
    rows.append(cancel_row(ctx) if not d.get("editing") else back_row(ctx))
    ctx.say(text, rows)


def back_row(ctx: Context) -> list[Button]:
    return [Button("« " + ctx._("Back to the summary"), "idea:review")]


async def review(ctx: Context) -> None:
    d = ctx.data
    d.pop("editing", None)
    t = ctx.t
    area = await ctx.store.areas.get(d.get("area", ""))
    if d.get("revise_of"):
        head = ctx._("<b>Your revised submission {ref} — please check:</b>", ref=t.ltr(esc(d.get("revise_ref", ""))))
    else:
        head = ctx._("<b>Please check before sending:</b>")
    lines = [head, "",
             ctx._("Kind: {kind}", kind=kind_label(ctx, d["kind"])),
             ctx._("Area: {area}", area=t.ltr(esc(area.name if area else d.get("area", ""))))]
    if d.get("title"):
        lines.append(ctx._("Title: {title}", title="<b>" + t.ltr(esc(d["title"])) + "</b>"))
    if d.get("text"):
        lines += ["", "<i>" + t.ltr(esc(d["text"])) + "</i>", ""]
    voices, photos = len(d.get("voices") or []), len(d.get("photos") or [])
    if voices:
        lines.append("🎤 " + t.ngettext("{n} voice note", "{n} voice notes", voices))
    if photos:
        lines.append("🖼 " + t.ngettext("{n} photo", "{n} photos", photos))
    if d.get("location"):
        lines.append("📍 " + ctx._("Location added."))
    if d.get("costs_cents") is not None:
        lines.append("💶 " + ctx._("Material costs: {amount}", amount=t.money(euros(d["costs_cents"]))))
    ctx.say("\n".join(lines).replace("\n\n\n", "\n\n"),
            [[Button("✅ " + ctx._("Send"), "idea:send"), Button("✏️ " + ctx._("Change something"), "idea:edit")],
             cancel_row(ctx)])


PROMPTS: dict[str, Handler] = {"kind": ask_kind, "area": ask_area, "title": ask_title, "body": ask_body,
                               "costs": ask_costs, "media": ask_media, "review": review}


# --- parking: the resident goes elsewhere in the middle of a draft ---------------------------------
def park(ctx: Context, before: ChatState) -> None:
    """Another command or button took the resident out of a draft: keep the draft for later.

    Ideas' own buttons (send, discard, answer …) manage the draft themselves and are left alone.
    """
    inbound = ctx.inbound
    if not before.step.startswith("ideas.") or before.step.split(".", 1)[1] not in DRAFT_STEPS:
        return
    if not has_content(before.data) or in_draft(ctx):
        return
    if inbound.kind == "press" and inbound.data.split(":", 1)[0] == "idea":
        return
    data = {k: v for k, v in before.data.items() if k != PARKED}
    ctx.data[PARKED] = {"step": before.step, "data": data}
    ctx.say(ctx._("Your unfinished draft {name} is kept. To continue it, send {command} or tap “💡 Submit an "
                  "idea” in the menu.", name=draft_name(ctx, data), command=ctx.t.ltr("/idea")))


def unpark(ctx: Context) -> bool:
    """Make a parked draft the conversation again (True if there was one)."""
    if in_draft(ctx):
        return False
    parked = ctx.data.get(PARKED)
    if not isinstance(parked, dict) or not str(parked.get("step", "")).startswith("ideas."):
        return False
    ctx.state = ChatState(parked["step"], dict(parked.get("data") or {}))
    return True


# --- starting, resuming, discarding -----------------------------------------------------------------
async def offer_draft(ctx: Context) -> None:
    ctx.say(ctx._("You have an unfinished draft: {name}. Would you like to continue it or discard it?",
                  name=draft_name(ctx)),
            [[Button("▶ " + ctx._("Continue the draft"), "idea:resume")],
             [Button("🗑 " + ctx._("Discard it"), "idea:discard")]])


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
        d["media_done"] = True
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


def stale(ctx: Context) -> None:
    ctx.toast = ctx._("This button is no longer valid.")


async def discard(ctx: Context) -> None:
    await ctx.show_menu(ctx._("Your draft has been discarded. What would you like to do?"))


def edit_menu(ctx: Context) -> None:
    d = ctx.data
    labels = {"title": ctx._("Title"), "body": ctx._("Text or voice note"), "costs": ctx._("Material costs"),
              "media": ctx._("Photos and location"), "area": ctx._("Area"), "kind": ctx._("Kind")}
    parts = [p for p in EDITABLE
             if not (p == "costs" and d.get("kind") != "aktionsfonds")
             and not (p == "area" and d.get("revise_of"))
             and not (p == "title" and d.get("kind") == "question")]
    rows = [[Button(labels[p], f"idea:edit:{p}")] for p in parts]
    ctx.say(ctx._("What would you like to change?"), rows + [back_row(ctx)])


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
def content_of(d: dict[str, Any]) -> Content:
    attachments = [Attachment("photo", fid) for fid in d.get("photos") or []]
    attachments += [Attachment("voice", fid, int(duration)) for fid, duration in d.get("voices") or []]
    location = d.get("location") or [None, None]
    title = d.get("title") or ""
    if d["kind"] == "question" and not title:
        title = clip((d.get("text") or "").split("\n", 1)[0], MAX_TITLE)
    return Content(area_key=d["area"], kind=d["kind"], title=title, text=d.get("text") or "",
                   attachments=attachments, costs_cents=d.get("costs_cents") if d["kind"] == "aktionsfonds" else None,
                   latitude=location[0], longitude=location[1])


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
    await post_card(ctx, fresh)
    await ctx.show_menu(ctx._("Thank you! Your revised submission {ref} is with the team again.",
                              ref="<b>" + ctx.t.ltr(esc(sub.ref)) + "</b>"))


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
    if sub.status == "waiting":
        event = Event("answered", "resident", sub.chat_id, name, to_status="answered")
        if await ctx.store.submissions.transition(sub, to_status="answered", event=event, now=ctx.now):
            sub = await ctx.store.submissions.get(sub.id) or sub
    await post_answer(ctx, sub, note, note_id)
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
             costs_cents=c.costs_cents, body_done=True, media_done=True, rules_shown=True,
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
