"""Broadcasts: the team writes one message to many residents (staff chat or a team member's chat).

Steps::

    /broadcast ──> who? [Everyone] [one button per area] [Subscribers: <body>]      step bcast.audience
        └─ (body) ──> which area? [all areas] [one per area]
    ──> "write the German text"                                                     step bcast.text
    ──> versions menu: [add <language>] … [Preview] [Cancel]                        step bcast.menu
        └─ add <language> ──> "write the <language> text" ──> versions menu
    ──> preview: every version as residents see it, how many get what
        [Send to N residents] [Change texts] [Cancel]                               step bcast.preview
    ──> "Broadcast #12 is going out to N residents" [Stop]
        progress at 25 / 50 / 75 % [Stop] (posted by the delivery engine) ──> final counts

Residents without a version in their language get the German one, with a note saying so — unless the
team accepts a machine translation for it ([🌐 Offer machine translations] in the versions menu, when a
translation service is configured: one per missing language, to accept, edit or drop; accepted ones are
marked as machine translations, and a text the team typed always wins). Residents
who have not acknowledged the privacy notice, or who blocked kiezbot, are not counted and not sent to.
The send button carries a one-time token from the draft, so a double tap or a second team member's
tap on someone else's preview sends nothing twice; Stop is decided in the database (one wins).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dialogs.broadcasts.sending import FALLBACK_LANGUAGE, Audience, BroadcastInfo, text_for
from dialogs.core.engine import Context, Dialogs
from dialogs.events.staff_flow import parse_when
from dialogs.core.i18n import N_, Translator
from dialogs.core.messages import MAX_TEXT, Button, Reply
from dialogs.core.text import esc, visible_length
from dialogs.translation import offers

MAX_BROADCAST_TEXT = MAX_TEXT - 400          # room for the header and the "only in German" note

# Bodies residents can subscribe to (the meetings feature registers who they are in storage).
BODY_LABELS: dict[str, str] = {
    "council": N_("Neighbourhood council (Quartiersrat)"),
    "jury": N_("Action fund jury (Aktionsfondsjury)"),
}


# --- texts the delivery engine needs as well ---------------------------------------------------------
def resident_message(t: Translator, text: str, fallback: bool) -> Reply:
    """What one resident receives: a header in their language, then the team's text."""
    lines = [t._("📢 <b>A message from your neighbourhood management team</b>")]
    body = esc(text)
    if fallback:
        lines.append(t._("<i>This message is only available in German.</i>"))
        # German inside a right-to-left message: each line keeps its own direction
        body = "\n".join(t.ltr(line) if line.strip() else line for line in body.split("\n"))
    lines += ["", body]
    return Reply(text="\n".join(lines))


def stop_button(t: Translator, broadcast_id: int) -> list[list[Button]]:
    return [[Button(t._("Stop broadcast #{id}", id=broadcast_id), f"bcast:stop:{broadcast_id}")]]


def progress_message(t: Translator, info: BroadcastInfo) -> Reply:
    percent = round(100 * info.finished / info.total) if info.total else 100
    return Reply(text=t._("Broadcast #{id}: {done} of {total} messages handled ({percent} %), {sent} of them "
                          "delivered.", id=info.id, done=t.number(info.finished), total=t.number(info.total),
                          percent=percent, sent=t.number(info.sent)),
                 buttons=stop_button(t, info.id))


def final_message(t: Translator, info: BroadcastInfo) -> Reply:
    if info.state == "stopped":
        head = t._("<b>Broadcast #{id} was stopped</b> by {name}.", id=info.id, name=t.ltr(esc(info.stopped_by)))
    else:
        head = t._("<b>Broadcast #{id} is finished.</b>", id=info.id)
    lines = [head,
             t._("Delivered: {n}", n=t.number(info.sent)),
             t._("Failed: {n}", n=t.number(info.failed)),
             t._("Not reachable (they blocked kiezbot): {n}", n=t.number(info.blocked))]
    if info.cancelled:
        lines.append(t._("Not sent because of the stop: {n}", n=t.number(info.cancelled)))
    return Reply(text="\n".join(lines))


# --- the conversation ----------------------------------------------------------------------------------
def language_name(ctx: Context, code: str) -> str:
    return ctx.t.ltr(ctx.engine.language(code).name)


async def audience_label(ctx: Context, audience: Audience) -> str:
    area = await ctx.store.areas.get(audience.area_key) if audience.area_key else None
    area_name = ctx.t.ltr(esc(area.name)) if area else ""
    if audience.kind == "area":
        return ctx._("residents of {area}", area=area_name)
    if audience.kind == "body":
        body = ctx._(BODY_LABELS.get(audience.body or "", audience.body or ""))
        if area_name:
            return ctx._("subscribers of the {body} in {area}", body=esc(body), area=area_name)
        return ctx._("subscribers of the {body}", body=esc(body))
    return ctx._("all residents")


async def audience_buttons(ctx: Context) -> list[list[Button]]:
    areas = await ctx.store.areas.all()
    rows = [[Button(ctx._("Everyone"), "bcast:aud:all")]]
    rows += [[Button(area.name, f"bcast:aud:area:{area.key}")] for area in areas]
    rows += [[Button(ctx._("Subscribers: {body}", body=ctx._(BODY_LABELS.get(body, body))), f"bcast:body:{body}")]
             for body in ctx.store.broadcasts.bodies()]
    rows.append([Button(ctx._("Cancel"), "bcast:cancel")])
    return rows


async def start(ctx: Context) -> None:
    ctx.goto("bcast.audience")
    ctx.say(ctx._("<b>New broadcast.</b> Who should receive it?"), await audience_buttons(ctx))


async def choose_body_area(ctx: Context, body: str) -> None:
    if body not in ctx.store.broadcasts.bodies():
        ctx.toast = ctx._("This button is no longer valid.")
        return await start(ctx)
    areas = await ctx.store.areas.all()
    rows = [[Button(ctx._("All areas"), f"bcast:aud:body:{body}:")]]
    rows += [[Button(area.name, f"bcast:aud:body:{body}:{area.key}")] for area in areas]
    ctx.goto("bcast.audience")
    ctx.say(ctx._("Subscribers of which area?"), rows)


async def set_audience(ctx: Context, value: str) -> None:
    audience = Audience.decode(value)
    if audience.kind == "area" or (audience.kind == "body" and audience.area_key):
        if await ctx.store.areas.get(audience.area_key or "") is None:
            ctx.toast = ctx._("This button is no longer valid.")
            return await start(ctx)
    if audience.kind == "body" and audience.body not in ctx.store.broadcasts.bodies():
        ctx.toast = ctx._("This button is no longer valid.")
        return await start(ctx)
    ctx.goto("bcast.text", audience=audience.encode(), texts={}, lang=FALLBACK_LANGUAGE)
    ctx.say(ctx._("To: {audience}.\nNow write the message in <b>German</b> — residents without a version in "
                  "their language get this one.", audience=await audience_label(ctx, audience)))


async def ask_text(ctx: Context, code: str) -> None:
    ctx.data["lang"] = code
    ctx.state.step = "bcast.text"
    ctx.say(ctx._("Write the message in <b>{language}</b>.", language=language_name(ctx, code)))


async def show_versions(ctx: Context, note: str = "") -> None:
    texts: dict[str, str] = ctx.data.get("texts", {})
    ctx.state.step = "bcast.menu"
    written = ", ".join(language_name(ctx, code) for code in texts)
    missing = [lang for lang in ctx.engine.catalogs.languages if lang.code not in texts]
    rows = [[Button(ctx._("Add {language}", language=ctx.t.ltr(lang.name)), f"bcast:lang:{lang.code}")]
            for lang in missing]
    if offers.can_offer(ctx, texts.get(FALLBACK_LANGUAGE, ""), texts):
        rows.append(offers.offer_button(ctx, "bcast"))
    rows.append([Button(ctx._("Preview"), "bcast:preview"), Button(ctx._("Cancel"), "bcast:cancel")])
    lines = [note] if note else []
    lines.append(ctx._("Versions so far: {languages}. Add another language, or look at the preview — everyone "
                       "else gets the German text.", languages=written))
    ctx.say("\n".join(lines), rows)


async def on_text(ctx: Context) -> None:
    code = ctx.data.get("lang") or FALLBACK_LANGUAGE
    if ctx.inbound.kind != "text" or not ctx.inbound.text.strip():
        ctx.say(ctx._("Please send the message as text. Pictures and files cannot be broadcast yet."))
        return
    text = ctx.inbound.text.strip()
    if visible_length(esc(text)) > MAX_BROADCAST_TEXT:
        ctx.say(ctx._("That is {n} characters; a broadcast can have at most {max}. Please send a shorter text.",
                      n=ctx.t.number(len(text)), max=ctx.t.number(MAX_BROADCAST_TEXT)))
        return
    texts = ctx.data.setdefault("texts", {})
    texts[code] = text
    if code == FALLBACK_LANGUAGE:     # machine translations of the old German text are out of date
        for stale in offers.stale(ctx):
            texts.pop(stale, None)
    else:                             # typed by the team: wins over a machine translation
        offers.typed(ctx, code)
    await show_versions(ctx, ctx._("Saved the {language} text.", language=language_name(ctx, code)))


async def preview(ctx: Context) -> None:
    texts: dict[str, str] = ctx.data.get("texts", {})
    if FALLBACK_LANGUAGE not in texts:
        return await ask_text(ctx, FALLBACK_LANGUAGE)
    audience = Audience.decode(ctx.data.get("audience", "all"))
    by_language = await ctx.store.broadcasts.audience_languages(audience)
    total = sum(by_language.values())
    german_fallback = sum(n for code, n in by_language.items() if text_for(texts, code)[1])
    label = await audience_label(ctx, audience)
    for code, text in texts.items():
        t = ctx.engine.translator(code)
        ctx.say(ctx._("Preview, {language}:", language=language_name(ctx, code)) + "\n\n"
                + resident_message(t, text, fallback=False).text)
    if total == 0:
        ctx.state.step = "bcast.menu"
        ctx.say(ctx._("Nobody would receive this: {audience} — no resident there has agreed to messages yet. "
                      "Choose another audience with /broadcast.", audience=label),
                [[Button(ctx._("Cancel"), "bcast:cancel")]])
        return
    token = secrets.token_hex(4)
    ctx.data["token"] = token
    ctx.state.step = "bcast.preview"
    lines = [ctx.t.ngettext("It goes to {n} resident: {audience}.", "It goes to {n} residents: {audience}.",
                            total, audience=label)]
    if german_fallback:
        lines.append(ctx.t.ngettext("{n} of them gets the German text (no version in their language).",
                                    "{n} of them get the German text (no version in their language).",
                                    german_fallback))
    ctx.say("\n".join(lines), [
        [Button(ctx.t.ngettext("Send to {n} resident", "Send to {n} residents", total), f"bcast:send:{token}")],
        [Button(ctx._("⏰ Send later…"), f"bcast:later:{token}")],
        [Button(ctx._("Change the texts"), "bcast:edit"), Button(ctx._("Cancel"), "bcast:cancel")]])


# --- machine translations for the missing languages (dialogs.translation.offers) ---------------------
async def offer_machine(ctx: Context) -> None:
    texts: dict[str, str] = ctx.data.get("texts", {})
    await offers.offer(ctx, "bcast", {"text": texts.get(FALLBACK_LANGUAGE, "")}, texts)
    await show_versions(ctx)


def machine_marked(t: Translator, text: str) -> str:
    """A machine translation from German for readers of ``t``'s language, marked (the staff console's composer)."""
    return offers.marked(t, FALLBACK_LANGUAGE, text)


async def on_machine(ctx: Context, action: str, code: str) -> None:
    fields = offers.decide(ctx, action, code, "text")
    if fields is None:
        return
    ctx.data.pop("token", None)
    if action == "mtok":
        ctx.data.setdefault("texts", {})[code] = fields["text"]
        return await show_versions(ctx, ctx._("Saved the {language} text.", language=language_name(ctx, code)))
    if action == "mted":
        await ask_text(ctx, code)
        ctx.say(esc(fields["text"]))            # to copy, change and send back
        return
    await show_versions(ctx)


def _valid_preview(ctx: Context, token: str, step: str = "bcast.preview") -> bool:
    if ctx.step != step or not token or ctx.data.get("token") != token:
        ctx.toast = ctx._("This preview is no longer valid — it was sent or changed already.")
        return False
    return True


async def _create(ctx: Context, send_at: datetime | None = None) -> tuple[int, int]:
    """The broadcast row from the draft; (its id, how many residents it would reach now)."""
    audience = Audience.decode(ctx.data.get("audience", "all"))
    total = sum((await ctx.store.broadcasts.audience_languages(audience)).values())
    sender = ctx.inbound.sender
    broadcast_id = await ctx.store.broadcasts.create(
        audience, dict(ctx.data.get("texts", {})), created_by=sender.user_id, created_by_name=sender.display_name,
        language=ctx.t.code, report_chat_id=sender.chat_id, now=ctx.now, send_at=send_at)
    ctx.reset()
    return broadcast_id, total


async def send(ctx: Context, token: str) -> None:
    if not _valid_preview(ctx, token):
        return
    broadcast_id, total = await _create(ctx)
    ctx.say(ctx.t.ngettext("<b>Broadcast #{id}</b> is going out to {n} resident. I will report the progress here.",
                           "<b>Broadcast #{id}</b> is going out to {n} residents. I will report the progress here.",
                           total, id=broadcast_id),
            stop_button(ctx.t, broadcast_id))


def when_example(ctx: Context) -> str:
    tomorrow = ctx.now.astimezone(ZoneInfo(ctx.engine.timezone)) + timedelta(days=1)
    return f"{tomorrow:%d.%m.%Y} 18:00"


async def ask_when(ctx: Context, token: str) -> None:
    if not _valid_preview(ctx, token):
        return
    ctx.state.step = "bcast.when"
    ctx.say(ctx._("When should it go out? Write the date and time, for example <code>{example}</code> "
                  "(Berlin time).", example=when_example(ctx)),
            [[Button("« " + ctx._("Back"), "bcast:preview"), Button(ctx._("Cancel"), "bcast:cancel")]])


async def schedule(ctx: Context) -> None:
    when = parse_when(ctx.inbound.text, ctx.now, ctx.engine.timezone) if ctx.inbound.kind == "text" else None
    if when is None or when <= ctx.now + timedelta(minutes=1):
        ctx.say(ctx._("Please write a date and time in the future, for example <code>{example}</code>.",
                      example=when_example(ctx)))
        return
    broadcast_id, total = await _create(ctx, send_at=when.astimezone(timezone.utc))
    ctx.say(ctx.t.ngettext(
        "<b>Broadcast #{id}</b> goes out on {date} at {time} — to {n} resident as of now; whoever is in the "
        "audience then gets it. Until then you can stop it with the button.",
        "<b>Broadcast #{id}</b> goes out on {date} at {time} — to {n} residents as of now; whoever is in the "
        "audience then gets it. Until then you can stop it with the button.",
        total, id=broadcast_id, date=ctx.t.date(when, "full"), time=ctx.t.time(when)),
        stop_button(ctx.t, broadcast_id))


async def stop(ctx: Context, arg: str) -> None:
    if not arg.isdecimal():
        ctx.toast = ctx._("This button is no longer valid.")
        return
    broadcast_id = int(arg)
    info = await ctx.store.broadcasts.get(broadcast_id)
    if info is None:
        ctx.toast = ctx._("This button is no longer valid.")
        return
    name = ctx.inbound.sender.display_name or str(ctx.inbound.sender.user_id)
    if await ctx.store.broadcasts.stop(broadcast_id, by=name, now=ctx.now):
        ctx.say(ctx._("Broadcast #{id} stopped. What was sent stays sent; nothing more goes out. "
                      "The final counts follow.", id=broadcast_id))
        return
    ctx.toast = ctx._("Broadcast #{id} has already been stopped or has finished.", id=broadcast_id)


async def on_press(ctx: Context) -> None:
    action, arg = ctx.inbound.parts(2, rest=True)       # the rest: an audience is "area:<key>" and the like
    if action == "stop":
        return await stop(ctx, arg)
    if action == "cancel":
        if ctx.step.startswith("bcast."):
            ctx.reset()
            ctx.say(ctx._("Broadcast cancelled; nothing was sent."))
        return
    if not ctx.step.startswith("bcast."):
        ctx.toast = ctx._("This button is no longer valid.")
        return
    if action == "aud" and ctx.step == "bcast.audience":
        return await set_audience(ctx, arg)
    if action == "body" and ctx.step == "bcast.audience":
        return await choose_body_area(ctx, arg)
    if action == "lang" and ctx.step in ("bcast.menu", "bcast.preview"):
        if arg in ctx.engine.catalogs.by_code:
            return await ask_text(ctx, arg)
    if action == "mt" and ctx.step == "bcast.menu":
        return await offer_machine(ctx)
    if action in ("mtok", "mted", "mtno") and ctx.step in ("bcast.menu", "bcast.preview"):
        return await on_machine(ctx, action, arg)
    if action == "preview" and ctx.step in ("bcast.menu", "bcast.when"):
        return await preview(ctx)
    if action == "edit" and ctx.step == "bcast.preview":
        ctx.data.pop("token", None)
        return await show_versions(ctx)
    if action == "send":
        return await send(ctx, arg)
    if action == "later":
        return await ask_when(ctx, arg)
    ctx.toast = ctx._("This button is no longer valid.")


async def on_step(ctx: Context) -> None:
    if ctx.step == "bcast.text":
        return await on_text(ctx)
    if ctx.step == "bcast.audience":
        ctx.say(ctx._("Please choose who should receive it with one of these buttons, or /cancel."),
                await audience_buttons(ctx))
        return
    if ctx.step == "bcast.when":
        return await schedule(ctx)
    if ctx.step == "bcast.preview" and ctx.inbound.kind == "text":
        ctx.say(ctx._("Please use the buttons under the preview: send, change the texts, or cancel."))
        return
    if ctx.step == "bcast.menu" and ctx.inbound.kind == "text":
        ctx.say(ctx._("Please use the buttons: add a language, preview, or cancel."))


def register(app: Dialogs) -> None:
    app.staff_command("broadcast", start, N_("write one message to many residents"))
    app.staff_button("bcast", on_press)
    app.staff_step("bcast", on_step)
