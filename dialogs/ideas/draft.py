"""The resident's draft of a submission: its state, the prompt (text and keyboard) of every step,
parking it when the resident goes elsewhere, and the content it becomes when sent."""
from __future__ import annotations

from typing import Any

from dialogs.core.engine import PARKED, Context, Dialogs, Handler
from dialogs.core.messages import Button
from dialogs.core.ports import ChatState
from dialogs.core.text import clip, esc
from dialogs.ideas.rules import (AKTIONSFONDS_CAP, DEFAULT_MAX_PER_DAY, KIND_ICONS, KINDS, MAX_PHOTOS, MAX_TEXT,
                                 MAX_TITLE, MAX_VOICE_SECONDS, Attachment, Content, euros)


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
    return "review"          # photos and the place are offered on the summary, not as a step of their own


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
    explain = ctx._("Aktionsfonds: money for material for a small action that you organise in your "
                    "neighbourhood (up to {cap}). A jury of residents decides.",
                    cap=ctx.t.money(AKTIONSFONDS_CAP, whole=True))
    ctx.say(ctx._("What would you like to send to the team?") + f"\n\n{KIND_ICONS['aktionsfonds']} " + explain,
            rows + [cancel_row(ctx)])


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
    if d["kind"] != "question" and not photos and not d.get("location"):
        # No step of its own for them (one tap fewer), and no extra button (WhatsApp shows three as buttons).
        lines += ["", ctx._("You can still add photos (up to {max}) or the place on the map (📎 → Location): "
                            "just send them now.", max=MAX_PHOTOS)]
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


def stale(ctx: Context) -> None:
    ctx.toast = ctx._("This button is no longer valid.")

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
