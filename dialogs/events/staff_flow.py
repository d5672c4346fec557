"""Events for the team: create, change, close, cancel, see who is coming — in the staff chat.

Guided creation (each team member has their own draft, kept across restarts)::

    /newevent ─> title (German) ─> description (German, or skip)
             ─> "another language?" [English] [Türkçe] … [Continue]  ─> title, description in it … ─┐
             ─> area [QM …] [All areas] ─> place ─> start "24.12.2026 18:00" ─> end "20:00"          │
             ─> capacity (number or [No limit]) ─> max. party size [1] [2] [4] [6]                 <─┘
             ─> registration deadline (date and time, or [Until the start])
             ─> reminders [2 days and 2 hours before] [No reminders] or typed "3d 1h"
             ─> preview [✅ Publish] [✏️ change a field …] [🗑 Discard]

    /editevent ID ─> card [🕒 Time] [📍 Place] [👥 Capacity] [⏰ Reminders]
        time / place ─> typed ─> "tell N people?" [✅ Change and tell them] ─> notices in their languages,
                                                                              reminders re-queued
        capacity ─> typed / [No limit] ─> applied; waiting parties that now fit are promoted
    /closeevent ID, /reopenevent ID       registration closed / open again
    /cancelevent ID ─> "tell N people?" [Yes, cancel the event] ─> everyone told, reminders dropped
    /signups ID                            who is coming, who is waiting (display names only)
    /eventlist                             upcoming events with their numbers

The import of calendar files (``kiezbot events import``) uses :func:`import_events` here, so a
re-imported change of time or place reaches participants exactly like a change made in the chat.

Modules: this one is the guided creation and the dispatch of texts and buttons; :mod:`.staff_edit` the
commands on stored events; :mod:`.staff_services` what chat and command line share;
:mod:`.staff_texts` cards and texts; dates, times and lead times are read by :mod:`dialogs.core.staff_input`.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from dialogs.core.engine import Context, Dialogs
from dialogs.core.i18n import N_
from dialogs.core.messages import Button
from dialogs.core.staff_input import InputError, local_time, parse_time, parse_when, read_when  # noqa: F401
from dialogs.core.text import clip, esc
from dialogs.events.rules import (DEFAULT_REMINDER_LEADS, FALLBACK_LANGUAGE, MAX_DESCRIPTION, MAX_PLACE, MAX_TITLE,
                                  EventText, NewEvent)
from dialogs.events.staff_edit import (apply_leads, ask_cancel_event, close_event, edit_event, event_list,
                                       list_signups, on_edit_text, on_event_button, reopen_event)
from dialogs.events.staff_services import ImportProblem, ImportReport, import_events  # noqa: F401  (bot/cli/events)
from dialogs.translation import offers
from dialogs.events.staff_texts import MAX_CAPACITY, MAX_PARTY, _dt, _language_name, _stay, draft_lines, read_leads


# --- the staff conversation -----------------------------------------------------------------------
EDIT_STEPS = {"etime", "eplace", "ecap", "erem", "confirm", "confirmcancel"}
FIELDS = ["title", "description", "languages", "area", "place", "start", "end", "capacity", "party", "deadline",
          "reminders"]


async def new_event(ctx: Context) -> None:
    ctx.goto("evadm.title", texts={}, lang=FALLBACK_LANGUAGE, leads=list(DEFAULT_REMINDER_LEADS), editing=False)
    ctx.say(ctx._("<b>New event</b> — I will ask step by step; /cancel stops.") + "\n\n" + _title_question(ctx))


def _title_question(ctx: Context) -> str:
    lang = ctx.data.get("lang", FALLBACK_LANGUAGE)
    return ctx._("What is the title in {language}?", language=_language_name(ctx, lang))


async def ask(ctx: Context, name: str) -> None:
    t = ctx.t
    _stay(ctx, name)
    if name == "title":
        ctx.say(_title_question(ctx))
    elif name == "description":
        ctx.say(t._("A short description in {language} (what, for whom, what to bring)?",
                    language=_language_name(ctx, ctx.data.get("lang", FALLBACK_LANGUAGE))),
                [[Button(t._("Skip"), "evadm:skip")]])
    elif name == "languages":
        have = set(ctx.data.get("texts", {})) - offers.machine_made(ctx)     # machine-made: the team may type theirs
        others = [lang for lang in ctx.engine.catalogs.languages if lang.code not in have]
        buttons = [Button(lang.name, f"evadm:lang:{lang.code}") for lang in others]
        rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
        rows.append([Button(t._("Continue ▶"), "evadm:langs")])
        ctx.say(t._("Add the title in another language? Optional — residents without their language see the "
                    "German text."), rows)
    elif name == "area":
        areas = await ctx.store.areas.all()
        rows = [[Button(area.name, f"evadm:area:{area.key}")] for area in areas]
        rows.append([Button(t._("All areas"), "evadm:area:-")])
        ctx.say(t._("For which area is the event?"), rows)
    elif name == "place":
        ctx.say(t._("Where does it take place? (address or room, for example <i>Nachbarschaftsladen, "
                    "Badstraße 10</i>)"))
    elif name == "start":
        ctx.say(t._("When does it start? Date and time, for example <i>24.12.2026 18:00</i>."))
    elif name == "end":
        ctx.say(t._("When does it end? A time on the same day (<i>20:00</i>) or date and time."))
    elif name == "capacity":
        ctx.say(t._("How many places are there? Type a number."), [[Button(t._("No limit"), "evadm:cap:none")]])
    elif name == "party":
        ctx.say(t._("How many people may one resident sign up at most (including themselves)?"),
                [[Button(t.number(n), f"evadm:party:{n}") for n in (1, 2, 4, 6)]])
    elif name == "deadline":
        ctx.say(t._("Until when can residents sign up? Date and time, for example <i>22.12.2026 12:00</i>."),
                [[Button(t._("Until the start"), "evadm:dl:none")]])
    elif name == "reminders":
        ctx.say(t._("Reminders to the participants before the event? Type other times like <i>3d 1h</i> "
                    "(days, hours, minutes)."),
                [[Button(t._("2 days and 2 hours before"), "evadm:rem:default")],
                 [Button(t._("No reminders"), "evadm:rem:none")]])


async def advance(ctx: Context, done: str) -> None:
    if (ctx.data.get("editing") and done != "title") or done == FIELDS[-1]:
        return await preview(ctx)
    return await ask(ctx, FIELDS[FIELDS.index(done) + 1])

async def preview(ctx: Context) -> None:
    t = ctx.t
    ctx.data["editing"] = True
    _stay(ctx, "preview")
    rows = [[Button(t._("✅ Publish"), "evadm:publish")],
            [Button(t._("✏️ Title/text"), "evadm:fix:title"), Button(t._("✏️ Area"), "evadm:fix:area"),
             Button(t._("✏️ Place"), "evadm:fix:place")],
            [Button(t._("✏️ Start"), "evadm:fix:start"), Button(t._("✏️ End"), "evadm:fix:end"),
             Button(t._("✏️ Places"), "evadm:fix:capacity")],
            [Button(t._("✏️ Party size"), "evadm:fix:party"), Button(t._("✏️ Deadline"), "evadm:fix:deadline"),
             Button(t._("✏️ Reminders"), "evadm:fix:reminders")],
            [Button(t._("🗑 Discard"), "evadm:discard")]]
    texts = ctx.data.get("texts", {})
    if offers.can_offer(ctx, texts.get(FALLBACK_LANGUAGE, {}).get("title", ""), texts):
        rows.insert(1, offers.offer_button(ctx, "evadm"))
    ctx.say(t._("<b>Preview</b> — is everything right?") + "\n\n" + "\n".join(draft_lines(ctx)), rows)


def _check_times(ctx: Context) -> str:
    """A reason the draft's times do not fit together, or ""."""
    t, d = ctx.t, ctx.data
    start, end, deadline = _dt(d.get("start")), _dt(d.get("end")), _dt(d.get("deadline"))
    if start is not None and start <= ctx.now:
        return t._("This time is in the past. Please type a future date and time.")
    if start is not None and end is not None and end <= start:
        return t._("The end must be after the start ({start}).", start=t.datetime(start, "short"))
    if start is not None and deadline is not None and deadline > start:
        return t._("The registration deadline must be before the start ({start}).", start=t.datetime(start, "short"))
    if deadline is not None and deadline <= ctx.now:
        return t._("This time is in the past. Please type a future date and time.")
    return ""


async def publish(ctx: Context) -> None:
    t, d = ctx.t, ctx.data
    start = _dt(d.get("start"))
    problem = _check_times(ctx) if start else t._("The start time is missing.")
    if problem:                                   # e.g. the preview was left open until the start passed
        ctx.say(problem)
        return await ask(ctx, "start")
    assert start is not None
    texts = {code: EventText(v["title"], v.get("description", "")) for code, v in d.get("texts", {}).items()}
    event = await ctx.store.events.create(NewEvent(
        texts=texts, place=d.get("place", ""), starts_at=start, ends_at=_dt(d.get("end")),
        area_key=d.get("area") or None, capacity=d.get("capacity"), max_party=int(d.get("max_party", 1)),
        registration_deadline=_dt(d.get("deadline")), reminder_leads=tuple(d.get("leads", ())),
        source="staff"))
    ctx.reset()
    ctx.say(t._("✅ Published as event {id}. Residents find it under /events. Change it with /editevent {id}, "
                "see sign-ups with /signups {id}.", id=event.id))


async def on_text(ctx: Context) -> None:
    """A team member answers the step they are in."""
    step = ctx.step.split(".", 1)[1] if "." in ctx.step else ""
    t, inbound = ctx.t, ctx.inbound
    text = inbound.text.strip() if inbound.kind == "text" else ""
    if not text:
        ctx.say(t._("Please answer with text, or /cancel."))
        return
    if step in EDIT_STEPS:
        return await on_edit_text(ctx, step, text)
    if step == "title":
        if len(text) > MAX_TITLE:
            ctx.say(t._("Please keep the title under {n} characters.", n=t.number(MAX_TITLE)))
            return
        texts = ctx.data.setdefault("texts", {})
        lang = ctx.data.get("lang", FALLBACK_LANGUAGE)
        kept = "" if lang in offers.machine_made(ctx) else texts.get(lang, {}).get("description", "")
        texts[lang] = {"title": text, "description": kept}
        typed(ctx, lang)
        return await ask(ctx, "description")
    if step == "description":
        lang = ctx.data.get("lang", FALLBACK_LANGUAGE)
        ctx.data.setdefault("texts", {}).setdefault(lang, {"title": "", "description": ""})["description"] = \
            clip(text, MAX_DESCRIPTION)
        typed(ctx, lang)
        return await after_description(ctx)
    if step == "place":
        ctx.data["place"] = clip(text, MAX_PLACE)
        return await advance(ctx, "place")
    if step in ("start", "deadline"):
        try:
            when = read_when(text, ctx.now, ctx.engine.timezone)
        except InputError as error:
            ctx.say(error.html(t) if error.kind == "gap" else
                    t._("I could not read this date. Please write it like <i>24.12.2026 18:00</i>."))
            return
        previous = ctx.data.get(step)
        ctx.data[step] = when.isoformat()
        problem = _check_times(ctx)
        if problem:
            ctx.data[step] = previous
            ctx.say(problem)
            return await ask(ctx, step)
        return await advance(ctx, step)
    if step == "end":
        start = _dt(ctx.data.get("start"))
        clock, tz = parse_time(text), ctx.engine.timezone
        try:
            when = local_time(start.astimezone(ZoneInfo(tz)).date(), clock, tz, text) if clock and start \
                else read_when(text, ctx.now, tz)
        except InputError as error:
            ctx.say(error.html(t) if error.kind == "gap" else
                    t._("I could not read this time. Please write it like <i>20:00</i> or <i>24.12.2026 20:00</i>."))
            return
        previous = ctx.data.get("end")
        ctx.data["end"] = when.isoformat()
        problem = _check_times(ctx)
        if problem:
            ctx.data["end"] = previous
            ctx.say(problem)
            return await ask(ctx, "end")
        return await advance(ctx, "end")
    if step == "capacity":
        if not text.isdecimal() or not 1 <= int(text) <= MAX_CAPACITY:
            ctx.say(t._("Please type a number of places from 1 to {max}, or tap “No limit”.",
                        max=t.number(MAX_CAPACITY)), [[Button(t._("No limit"), "evadm:cap:none")]])
            return
        ctx.data["capacity"] = int(text)
        return await advance(ctx, "capacity")
    if step == "party":
        if not text.isdecimal() or not 1 <= int(text) <= MAX_PARTY:
            ctx.say(t._("Please type a number from 1 to {max}.", max=t.number(MAX_PARTY)))
            return
        ctx.data["max_party"] = int(text)
        return await advance(ctx, "party")
    if step == "reminders":
        leads = read_leads(text)
        if leads is None:
            ctx.say(t._("I could not read this. Examples: <i>2d 2h</i>, <i>1 day</i>, <i>90 min</i>."))
            return
        ctx.data["leads"] = list(leads)
        return await advance(ctx, "reminders")
    if step == "preview":
        return await preview(ctx)
    ctx.say(t._("Please tap one of the buttons above, or /cancel."))


def typed(ctx: Context, lang: str) -> None:
    """The team typed a title or description in ``lang``: a changed German text withdraws the machine
    translations of the old one; a text of their own wins over a machine translation."""
    if lang != FALLBACK_LANGUAGE:
        return offers.typed(ctx, lang)
    texts = ctx.data.get("texts", {})
    for code in offers.stale(ctx):
        texts.pop(code, None)


async def on_machine(ctx: Context, action: str, code: str) -> None:
    """The preview's machine translations: offer them, or accept, edit or drop one (:mod:`dialogs.translation.offers`)."""
    texts = ctx.data.setdefault("texts", {})
    if action == "mt":
        await offers.offer(ctx, "evadm", texts.get(FALLBACK_LANGUAGE, {}), texts)
        return await preview(ctx)
    fields = offers.decide(ctx, action, code, "description")
    if fields is None:
        return
    if action == "mtok":
        texts[code] = {"title": clip(fields["title"], MAX_TITLE), "description": clip(fields["description"],
                                                                                        MAX_DESCRIPTION)}
    if action != "mted":
        return await preview(ctx)
    ctx.data["lang"] = code
    await ask(ctx, "title")
    ctx.say("\n\n".join(esc(text) for text in fields.values() if text.strip()))    # to copy, change and send back


async def after_description(ctx: Context) -> None:
    if ctx.data.get("editing") and ctx.data.get("lang") == FALLBACK_LANGUAGE:
        return await preview(ctx)
    return await ask(ctx, "languages")


async def on_button(ctx: Context) -> None:
    action, arg, extra = ctx.inbound.parts(3)
    t = ctx.t
    step = ctx.step.split(".", 1)[1] if ctx.step.startswith("evadm.") else ""
    # Buttons that act on a stored event (everyone on the team may press them).
    if action in ("e", "apply", "cancelok", "ecap") and arg.isdecimal():
        return await on_event_button(ctx, action, int(arg), extra)
    valid = {"skip": {"description"}, "lang": {"languages"}, "langs": {"languages"}, "area": {"area"},
             "cap": {"capacity"}, "party": {"party"}, "dl": {"deadline"}, "rem": {"reminders", "erem"},
             "publish": {"preview"}, "discard": {"preview"}, "fix": {"preview"},
             **{action: {"preview"} for action in ("mt", *offers.ACTIONS)},
             "abort": {"confirm", "confirmcancel", "etime", "eplace", "ecap", "erem"}}
    if step not in valid.get(action, set()):
        ctx.toast = t._("This button is no longer valid.")
        return
    if action == "abort":
        ctx.reset()
        ctx.say(t._("Cancelled. Nothing was changed."))
        return
    if action == "skip":
        return await after_description(ctx)
    if action == "mt" or action in offers.ACTIONS:
        return await on_machine(ctx, action, arg)
    if action == "lang":
        if arg not in ctx.engine.catalogs.by_code or arg in set(ctx.data.get("texts", {})) - offers.machine_made(ctx):
            ctx.toast = t._("This button is no longer valid.")
            return
        ctx.data["lang"] = arg
        return await ask(ctx, "title")
    if action == "langs":
        ctx.data["lang"] = FALLBACK_LANGUAGE
        return await advance(ctx, "languages")
    if action == "area":
        area = await ctx.store.areas.get(arg) if arg != "-" else None
        if arg != "-" and area is None:
            ctx.toast = t._("This button is no longer valid.")
            return
        ctx.data["area"] = area.key if area else ""
        ctx.data["area_name"] = area.name if area else ""
        return await advance(ctx, "area")
    if action == "cap":
        ctx.data["capacity"] = None
        return await advance(ctx, "capacity")
    if action == "party" and arg.isdecimal() and 1 <= int(arg) <= MAX_PARTY:
        ctx.data["max_party"] = int(arg)
        return await advance(ctx, "party")
    if action == "dl":
        ctx.data["deadline"] = None
        return await advance(ctx, "deadline")
    if action == "rem" and arg in ("default", "none"):
        leads = list(DEFAULT_REMINDER_LEADS) if arg == "default" else []
        if step == "erem":
            return await apply_leads(ctx, leads)
        ctx.data["leads"] = leads
        return await advance(ctx, "reminders")
    if action == "publish":
        return await publish(ctx)
    if action == "discard":
        ctx.reset()
        ctx.say(t._("Discarded. Nothing was published."))
        return
    if action == "fix" and arg in FIELDS:
        if arg == "title":
            ctx.data["lang"] = FALLBACK_LANGUAGE
        return await ask(ctx, arg)
    ctx.toast = t._("This button is no longer valid.")

def register(app: Dialogs) -> None:
    app.staff_command("newevent", new_event, N_("create an event step by step"))
    app.staff_command("eventlist", event_list, N_("upcoming events with their numbers"))
    app.staff_command("editevent", edit_event, N_("change time, place, places or reminders of an event"))
    app.staff_command("signups", list_signups, N_("who signed up for an event"))
    app.staff_command("closeevent", close_event, N_("close registration for an event"))
    app.staff_command("reopenevent", reopen_event, N_("open registration again"))
    app.staff_command("cancelevent", ask_cancel_event, N_("cancel an event and tell everyone"))
    app.staff_button("evadm", on_button)
    app.staff_step("evadm", on_text)
