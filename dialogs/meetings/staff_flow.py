"""Staff keep the sessions of the Quartiersrat and the Aktionsfondsjury, in the staff chat.

New session (``/newmeeting``), one question at a time, each answer kept in the draft::

    body [Quartiersrat | Aktionsfondsjury] ─> area [buttons] ─> start "14.02.2027 18:00"
      ─> end "20:00" [Skip] ─> place ─> agenda in German (or a link) [Skip]
      ─> more languages? [English …] ─> text ─> back [Continue]
      ─> (jury) submission deadline "07.02.2027"
      ─> preview [✅ Save | Start over | Cancel] ─> saved; subscribers' reminders planned

``/movemeeting [ID]``: pick a session ─> new start ─> (jury) new deadline [Keep] ─> [✅ Move it]
  ─> pending reminders cancelled, subscribers told in their language, new reminders planned.
``/cancelmeeting [ID]``: pick a session ─> [❌ Yes, cancel it | No] ─> subscribers told.

Dates are read in the one staff grammar of :mod:`dialogs.core.staff_input` ("14.02.2027 18:00",
"2027-02-14 18:00", Europe/Berlin; a time skipped when the clocks go forward is refused, of the hour
that happens twice in October the first is meant), with the session checks of :mod:`.staff_parsing`;
anything else gets a friendly retry in the same step. Confirm buttons act only on the session in the presser's own
draft, and moving or cancelling is a conditional update: of two team members clicking at once, one
wins and the other is told.
"""
from __future__ import annotations

from datetime import datetime
from collections.abc import Awaitable, Callable
from typing import Any

from dialogs.core.engine import Context, Dialogs
from dialogs.core.i18n import N_
from dialogs.meetings.resident_flow import (BODY_ICONS, area_name, body_name, cancel_session, leads_of,
                              move_session, schedule_session, session_text, when)
from dialogs.core.messages import Button
from dialogs.core.ports import BODIES, Meeting
from dialogs.core.text import clip, esc
from dialogs.meetings.staff_parsing import (EXAMPLE_DATE, EXAMPLE_START, MAX_AGENDA, InputError, is_link,
                                            parse_agenda_url, parse_datetime, parse_deadline, parse_end, parse_place)
from dialogs.meetings.staff_texts import preview_text, short_label
from dialogs.translation import offers


# --- drafts ------------------------------------------------------------------------------------
def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def meeting_from_draft(data: dict[str, Any]) -> Meeting:
    start = _dt(data["start"])
    assert start is not None
    return Meeting(area_key=data["area"], body=data["body"], starts_at=start, ends_at=_dt(data.get("end")),
                   place=data["place"], agenda=dict(data.get("agenda") or {}), agenda_url=data.get("agenda_url"),
                   deadline=_dt(data.get("deadline")))


# --- /newmeeting -------------------------------------------------------------------------------
async def new_meeting(ctx: Context) -> None:
    ctx.goto("meetstaff.body")
    ctx.say(ctx._("<b>New session.</b> Which body meets? (/cancel stops at any time)"),
            [[Button(f"{BODY_ICONS[b]} {body_name(ctx.t, b)}", f"meetstaff:body:{b}")] for b in BODIES])


async def ask_area(ctx: Context) -> None:
    areas = await ctx.store.areas.all()
    ctx.say(ctx._("Which area?"), [[Button(a.name, f"meetstaff:area:{a.key}")] for a in areas])


def ask_start(ctx: Context) -> None:
    ctx.say(ctx._("When does it start? Type date and time, for example <code>{example}</code>.",
                  example=EXAMPLE_START))


def ask_end(ctx: Context) -> None:
    ctx.say(ctx._("When does it end? Type the time, for example <code>20:00</code> — or skip."),
            [[Button(ctx._("Skip"), "meetstaff:skip:end")]])


def ask_place(ctx: Context) -> None:
    ctx.say(ctx._("Where does it take place? Type the place and address, for example "
                  "<i>Vor-Ort-Büro, Prinzenallee 30</i>."))


def ask_agenda(ctx: Context) -> None:
    ctx.say(ctx._("The agenda in German: type it, or send a link to it (https://…). Skip if there is none yet."),
            [[Button(ctx._("Skip"), "meetstaff:skip:agenda")]])


def ask_more_languages(ctx: Context) -> None:
    done = set((ctx.data.get("agenda") or {}).keys())
    buttons = [Button(("✓ " if lang.code in done else "") + lang.name, f"meetstaff:lang:{lang.code}")
               for lang in ctx.engine.catalogs.languages if lang.code != "de"]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([Button(ctx._("Continue"), "meetstaff:skip:languages")])
    ctx.say(ctx._("Add the agenda in another language? Residents who read that language see it instead of the "
                  "German text."), rows)


def ask_deadline(ctx: Context) -> None:
    ctx.say(ctx._("Until which day can residents hand in applications for this jury session? Type the date, "
                  "for example <code>{example}</code>.", example=EXAMPLE_DATE))


async def after_agenda(ctx: Context) -> None:
    if ctx.data["body"] == "jury":
        ctx.state.step = "meetstaff.deadline"
        return ask_deadline(ctx)
    await preview(ctx)


async def preview(ctx: Context) -> None:
    t = ctx.t
    ctx.state.step = "meetstaff.preview"
    meeting = meeting_from_draft(ctx.data)
    name = await area_name(ctx.store, meeting.area_key)
    subscribers = len(await ctx.store.meetings.subscribers(meeting.body, meeting.area_key))
    languages = [lang.name for lang in ctx.engine.catalogs.languages if lang.code in meeting.agenda]
    rows = [[Button(t._("✅ Save"), "meetstaff:save:")],
            [Button(t._("Start over"), "meetstaff:restart:"), Button(t._("Cancel"), "meetstaff:stop:")]]
    if offers.can_offer(ctx, meeting.agenda.get("de", ""), meeting.agenda):
        rows.insert(1, offers.offer_button(ctx, "meetstaff"))
    ctx.say(preview_text(t, meeting, name, languages, subscribers, leads_of(ctx.engine)), rows)


async def on_text(ctx: Context) -> None:
    step = ctx.step.split(".", 1)[1] if "." in ctx.step else ""
    if ctx.inbound.kind == "document" and step in ("agenda", "translation"):
        ctx.say(ctx._("I cannot keep files here. Please send a link to the agenda (https://…), for example on "
                      "your website, or type it."))
        return
    if ctx.inbound.kind != "text":
        ctx.say(ctx._("Please type it as text (or /cancel)."))
        return
    text = ctx.inbound.text
    tz = ctx.t.tz
    try:
        if step == "start":
            ctx.data["start"] = parse_datetime(text, tz, ctx.now).isoformat()
            ctx.state.step = "meetstaff.end"
            return ask_end(ctx)
        if step == "end":
            start = _dt(ctx.data["start"])
            assert start is not None
            ctx.data["end"] = parse_end(text, start, tz, ctx.now).isoformat()
            ctx.state.step = "meetstaff.place"
            return ask_place(ctx)
        if step == "place":
            ctx.data["place"] = parse_place(text)
            ctx.state.step = "meetstaff.agenda"
            return ask_agenda(ctx)
        if step == "agenda":
            if is_link(text):
                ctx.data["agenda_url"] = parse_agenda_url(text)
                return await after_agenda(ctx)
            ctx.data["agenda"] = {"de": clip(text, MAX_AGENDA)}
            ctx.state.step = "meetstaff.more"
            return ask_more_languages(ctx)
        if step == "translation":
            code = ctx.data.pop("lang", "")
            if code in ctx.engine.catalogs.by_code:
                ctx.data.setdefault("agenda", {})[code] = clip(text, MAX_AGENDA)
                offers.typed(ctx, code)                 # the team's own text wins over a machine translation
            if ctx.data.pop("back_to_preview", False):
                return await preview(ctx)
            ctx.state.step = "meetstaff.more"
            return ask_more_languages(ctx)
        if step == "deadline":
            start = _dt(ctx.data["start"])
            assert start is not None
            ctx.data["deadline"] = parse_deadline(text, start, tz, ctx.now).isoformat()
            return await preview(ctx)
        if step == "newstart":
            return await moved_start(ctx, parse_datetime(text, tz, ctx.now))
        if step == "newdeadline":
            new_start = _dt(ctx.data["start"])
            assert new_start is not None
            ctx.data["deadline"] = parse_deadline(text, new_start, tz, ctx.now).isoformat()
            return await confirm_move(ctx)
    except InputError as error:
        ctx.say(error.html(ctx.t))
        return
    # A step that expects a button (body, area, preview …): say so, keep the draft.
    ctx.say(ctx._("Please use the buttons above — or /cancel."))


async def on_button(ctx: Context) -> None:
    action, arg = ctx.inbound.parts(2)
    step = ctx.step
    if action == "body" and step == "meetstaff.body" and arg in BODIES:
        ctx.goto("meetstaff.area", body=arg)
        return await ask_area(ctx)
    if action == "area" and step == "meetstaff.area" and await ctx.store.areas.get(arg) is not None:
        ctx.data["area"] = arg
        ctx.state.step = "meetstaff.start"
        return ask_start(ctx)
    if action == "skip" and arg == "end" and step == "meetstaff.end":
        ctx.data["end"] = None
        ctx.state.step = "meetstaff.place"
        return ask_place(ctx)
    if action == "skip" and arg == "agenda" and step == "meetstaff.agenda":
        return await after_agenda(ctx)
    if action == "skip" and arg == "languages" and step == "meetstaff.more":
        return await after_agenda(ctx)
    if action == "lang" and step == "meetstaff.more" and arg in ctx.engine.catalogs.by_code and arg != "de":
        ctx.data["lang"] = arg
        ctx.state.step = "meetstaff.translation"
        ctx.say(ctx._("Type the agenda in {language}:", language=ctx.engine.language(arg).name))
        return
    if (action == "mt" or action in offers.ACTIONS) and step == "meetstaff.preview":
        return await on_machine(ctx, action, arg)
    if action == "save" and step == "meetstaff.preview":
        return await save(ctx)
    if action == "restart" and step.startswith("meetstaff."):
        return await new_meeting(ctx)
    if action == "stop" and step.startswith("meetstaff."):
        ctx.reset()
        ctx.say(ctx._("Cancelled. Nothing was changed."))
        return
    if action == "move" and arg.isdecimal():
        return await begin_move(ctx, int(arg))
    if action == "keepdl" and step == "meetstaff.newdeadline":
        return await keep_deadline(ctx)
    if action == "domove" and step == "meetstaff.confirmmove" and arg == str(ctx.data.get("id")):
        return await do_move(ctx)
    if action == "cancel" and arg.isdecimal():
        return await begin_cancel(ctx, int(arg))
    if action == "docancel" and step == "meetstaff.confirmcancel" and arg == str(ctx.data.get("id")):
        return await do_cancel(ctx)
    ctx.toast = ctx._("This button is no longer valid.")


async def on_machine(ctx: Context, action: str, code: str) -> None:
    """The preview's machine translations of the agenda: offer them, or accept, edit or drop one
    (:mod:`dialogs.translation.offers`)."""
    agenda = ctx.data.setdefault("agenda", {})
    if action == "mt":
        await offers.offer(ctx, "meetstaff", {"agenda": agenda.get("de", "")}, agenda)
        return await preview(ctx)
    fields = offers.decide(ctx, action, code, "agenda")
    if fields is None:
        return
    if action == "mted":
        ctx.data.update(lang=code, back_to_preview=True)
        ctx.state.step = "meetstaff.translation"
        ctx.say(ctx._("Type the agenda in {language}:", language=ctx.engine.language(code).name) + "\n\n"
                + esc(fields["agenda"]))                # to copy, change and send back
        return
    if action == "mtok":
        agenda[code] = clip(fields["agenda"], MAX_AGENDA)
    await preview(ctx)


async def save(ctx: Context) -> None:
    meeting = meeting_from_draft(ctx.data)
    if meeting.starts_at <= ctx.now:       # the draft waited (a restart, a long lunch) past its own start
        ctx.state.step = "meetstaff.start"
        ctx.say(ctx._("The start of this session has passed meanwhile. Please type a new date and time, for "
                      "example <code>{example}</code>.", example=EXAMPLE_START))
        return
    planned = await schedule_session(ctx.engine, ctx.store, meeting, ctx.now)
    ctx.reset()
    ctx.say(ctx.t.ngettext("✅ Saved as session #{id}. {n} reminder is planned.",
                           "✅ Saved as session #{id}. {n} reminders are planned.", planned.reminders,
                           id=planned.meeting.id) + "\n" +
            ctx._("To move it: /movemeeting {id} — to cancel it: /cancelmeeting {id}", id=planned.meeting.id))


# --- /movemeeting and /cancelmeeting -----------------------------------------------------------
async def pick_session(ctx: Context, action: str) -> None:
    meetings = await ctx.store.meetings.upcoming(ctx.now, limit=20)
    if not meetings:
        ctx.say(ctx._("No sessions are planned. Plan one with /newmeeting."))
        return
    names = {a.key: a.name for a in await ctx.store.areas.all()}
    buttons = [[Button(short_label(ctx.t, m, names.get(m.area_key, m.area_key)), f"meetstaff:{action}:{m.id}")]
               for m in meetings]
    ctx.say(ctx._("Which session?"), buttons)


async def session_for_change(ctx: Context, meeting_id: int) -> Meeting | None:
    meeting = await ctx.store.meetings.get(meeting_id)
    if meeting is None:
        ctx.say(ctx._("There is no session #{id}.", id=meeting_id))
    elif meeting.status == "cancelled":
        ctx.say(ctx._("Session #{id} is already cancelled.", id=meeting_id))
    elif meeting.starts_at <= ctx.now:
        ctx.say(ctx._("Session #{id} has already begun or is over.", id=meeting_id))
    else:
        return meeting
    return None


def _id_argument(ctx: Context) -> int | None:
    arg = ctx.inbound.text.strip().lstrip("#")
    return int(arg) if arg.isdecimal() and len(arg) < 10 else None


async def _for_session(ctx: Context, action: str, usage: Callable[[], str],
                       begin: Callable[[Context, int], Awaitable[None]]) -> None:
    """/movemeeting 12, /cancelmeeting 12: the session given, or a list to pick from (``usage`` when
    what was given is no session number)."""
    ctx.reset()
    meeting_id = _id_argument(ctx)
    if meeting_id is None:
        if ctx.inbound.text.strip():
            ctx.say(usage())
        return await pick_session(ctx, action)
    await begin(ctx, meeting_id)


async def move_command(ctx: Context) -> None:
    await _for_session(ctx, "move", lambda: ctx._("Please give the number of the session, for example "
                                                  "/movemeeting 12."), begin_move)


async def begin_move(ctx: Context, meeting_id: int) -> None:
    meeting = await session_for_change(ctx, meeting_id)
    if meeting is None:
        ctx.reset()
        return
    name = await area_name(ctx.store, meeting.area_key)
    ctx.goto("meetstaff.newstart", id=meeting.id, revision=meeting.revision)
    ctx.say(session_text(ctx.t, meeting, name) + "\n\n" +
            ctx._("<b>Move session #{id}.</b> New date and time? For example <code>{example}</code>.",
                  id=meeting.id, example=EXAMPLE_START))


async def moved_start(ctx: Context, new_start: datetime) -> None:
    meeting = await ctx.store.meetings.get(int(ctx.data["id"]))
    if meeting is None:
        ctx.reset()
        ctx.say(ctx._("This session no longer exists."))
        return
    if new_start == meeting.starts_at:
        ctx.say(ctx._("That is its current date. Please type the new date and time."))
        return
    ctx.data["start"] = new_start.isoformat()
    ctx.data["end"] = (meeting.ends_at + (new_start - meeting.starts_at)).isoformat() if meeting.ends_at else None
    ctx.data["deadline"] = meeting.deadline.isoformat() if meeting.deadline else None
    if meeting.body == "jury" and meeting.deadline is not None:
        ctx.state.step = "meetstaff.newdeadline"
        ctx.say(ctx._("And the deadline for applications? Type a new date, for example <code>{example}</code>, "
                      "or keep {date}.", example=EXAMPLE_DATE, date=ctx.t.date(meeting.deadline)),
                [[Button(ctx._("Keep {date}", date=ctx.t.date(meeting.deadline, "short")), "meetstaff:keepdl:")]])
        return
    await confirm_move(ctx)


async def keep_deadline(ctx: Context) -> None:
    deadline, start = _dt(ctx.data.get("deadline")), _dt(ctx.data["start"])
    assert deadline is not None and start is not None
    if deadline.astimezone(ctx.t.tz).date() > start.astimezone(ctx.t.tz).date() or deadline <= ctx.now:
        ctx.say(ctx._("The current deadline does not fit the new date. Please type a new deadline, for example "
                      "<code>{example}</code>.", example=EXAMPLE_DATE))
        return
    await confirm_move(ctx)


async def confirm_move(ctx: Context) -> None:
    t = ctx.t
    meeting = await ctx.store.meetings.get(int(ctx.data["id"]))
    if meeting is None:
        ctx.reset()
        ctx.say(ctx._("This session no longer exists."))
        return
    ctx.state.step = "meetstaff.confirmmove"
    start, end, deadline = _dt(ctx.data["start"]), _dt(ctx.data.get("end")), _dt(ctx.data.get("deadline"))
    assert start is not None
    name = await area_name(ctx.store, meeting.area_key)
    subscribers = len(await ctx.store.meetings.subscribers(meeting.body, meeting.area_key))
    lines = [t._("<b>Move session #{id}?</b>", id=meeting.id),
             f"{BODY_ICONS[meeting.body]} <b>{esc(body_name(t, meeting.body))}</b> · {t.ltr(esc(name))}",
             t._("From: {when}", when=when(t, meeting.starts_at, meeting.ends_at)),
             t._("To: {when}", when=when(t, start, end))]
    if deadline is not None:
        lines.append(t._("Deadline for applications: {date}", date=t.date(deadline)))
    lines.append(t.ngettext("{n} subscriber will be told in their language.",
                            "{n} subscribers will be told in their language.", subscribers))
    ctx.say("\n".join(lines), [[Button(t._("✅ Move it"), f"meetstaff:domove:{meeting.id}"),
                                Button(t._("Cancel"), "meetstaff:stop:")]])


async def do_move(ctx: Context) -> None:
    meeting_id, revision = int(ctx.data["id"]), int(ctx.data["revision"])
    start, end, deadline = _dt(ctx.data["start"]), _dt(ctx.data.get("end")), _dt(ctx.data.get("deadline"))
    assert start is not None
    ctx.reset()
    if start <= ctx.now:
        ctx.say(ctx._("The new date has passed meanwhile. Nothing was moved: /movemeeting {id}", id=meeting_id))
        return
    planned = await move_session(ctx.engine, ctx.store, meeting_id, revision, start, end, deadline, ctx.now)
    if planned is None:
        ctx.say(ctx._("Session #{id} was changed or cancelled meanwhile, so nothing was moved. Please look again: "
                      "/movemeeting {id}", id=meeting_id))
        return
    ctx.say(ctx.t.ngettext("✅ Session #{id} is moved. {n} subscriber is told.",
                           "✅ Session #{id} is moved. {n} subscribers are told.", planned.subscribers,
                           id=meeting_id) + " " +
            ctx.t.ngettext("{n} reminder is planned.", "{n} reminders are planned.", planned.reminders))


async def cancel_command(ctx: Context) -> None:
    await _for_session(ctx, "cancel", lambda: ctx._("Please give the number of the session, for example "
                                                    "/cancelmeeting 12."), begin_cancel)


async def begin_cancel(ctx: Context, meeting_id: int) -> None:
    t = ctx.t
    meeting = await session_for_change(ctx, meeting_id)
    if meeting is None:
        ctx.reset()
        return
    name = await area_name(ctx.store, meeting.area_key)
    subscribers = len(await ctx.store.meetings.subscribers(meeting.body, meeting.area_key))
    ctx.goto("meetstaff.confirmcancel", id=meeting.id)
    ctx.say(session_text(t, meeting, name) + "\n\n" +
            t._("<b>Cancel session #{id}?</b>", id=meeting.id) + " " +
            t.ngettext("{n} subscriber will be told in their language.",
                       "{n} subscribers will be told in their language.", subscribers),
            [[Button(t._("❌ Yes, cancel the session"), f"meetstaff:docancel:{meeting.id}")],
             [Button(t._("No, keep it"), "meetstaff:stop:")]])


async def do_cancel(ctx: Context) -> None:
    meeting_id = int(ctx.data["id"])
    ctx.reset()
    planned = await cancel_session(ctx.engine, ctx.store, meeting_id, ctx.now)
    if planned is None:
        ctx.say(ctx._("Session #{id} was already cancelled (or changed) meanwhile. Nothing else happened.",
                      id=meeting_id))
        return
    ctx.say(ctx.t.ngettext("❌ Session #{id} is cancelled. {n} subscriber is told.",
                           "❌ Session #{id} is cancelled. {n} subscribers are told.", planned.subscribers,
                           id=meeting_id))


def register(app: Dialogs) -> None:
    app.staff_command("newmeeting", new_meeting, N_("plan a session of the Quartiersrat or the Aktionsfondsjury"))
    app.staff_command("movemeeting", move_command, N_("move a session to another date, for example /movemeeting 12"))
    app.staff_command("cancelmeeting", cancel_command, N_("cancel a session, for example /cancelmeeting 12"))
    app.staff_step("meetstaff", on_text)
    app.staff_button("meetstaff", on_button)
