"""What residents read about a Quartiersrat or Aktionsfondsjury session: its title, time, place and agenda,
the reminders, and the notices when the team moves or cancels it."""
from __future__ import annotations

from datetime import datetime
from html import escape as html_escape

from dialogs.core.engine import Dialogs
from dialogs.core.i18n import N_, RLM, Translator
from dialogs.core.messages import Button, Reply
from dialogs.core.ports import Meeting, Store
from dialogs.core.text import clip, esc
from dialogs.ideas.rules import AKTIONSFONDS_CAP


# --- texts -----------------------------------------------------------------------------------
def body_name(t: Translator, body: str) -> str:
    return t._(BODY_NAMES[body])


BODY_NAMES = {"council": N_("Quartiersrat"), "jury": N_("Aktionsfondsjury")}
BODY_ICONS = {"council": "🏛", "jury": "⚖️"}
AGENDA_IN_LIST = 300
AGENDA_IN_REMINDER = 600


def title(t: Translator, meeting: Meeting, area_name: str) -> str:
    return f"{BODY_ICONS[meeting.body]} <b>{esc(body_name(t, meeting.body))}</b> · {t.ltr(esc(area_name))}"


def when(t: Translator, starts_at: datetime, ends_at: datetime | None = None) -> str:
    if ends_at is not None and ends_at.astimezone(t.tz).date() == starts_at.astimezone(t.tz).date():
        return t._("{date}, {start} to {end}", date=t.date(starts_at), start=t.time(starts_at), end=t.time(ends_at))
    return t._("{date} at {time}", date=t.date(starts_at), time=t.time(starts_at))


def agenda_of(t: Translator, meeting: Meeting) -> tuple[str, bool]:
    """The agenda in the reader's language, else German; second value: shown in German as fallback."""
    text = meeting.agenda.get(t.code)
    if text:
        return text, False
    german = meeting.agenda.get("de") or ""
    return german, bool(german) and not t.code.startswith("de")


def safe_url(url: str) -> str:
    return html_escape(url, quote=True)


def details(t: Translator, meeting: Meeting, *, agenda_limit: int) -> list[str]:
    """Place, agenda and deadline lines of a session, as residents read them."""
    lines = [t._("📍 {place}", place=t.ltr(esc(meeting.place)))]
    agenda, in_german = agenda_of(t, meeting)
    if agenda:
        shown = esc(clip(agenda, agenda_limit))
        if in_german:
            # German inside a right-to-left message: each line keeps its own direction
            shown = "\n".join(t.ltr(line) if line.strip() else line for line in shown.split("\n"))
            shown += " " + t._("(in German)")
        lines.append(t._("📝 Agenda: {agenda}", agenda=shown))
    if meeting.agenda_url:
        lines.append(t._("🔗 <a href=\"{url}\">Agenda (document)</a>", url=safe_url(meeting.agenda_url)))
    if meeting.body == "jury" and meeting.deadline is not None:
        lines.append(t._("⏳ Applications to the Aktionsfonds by: {date}", date=t.date(meeting.deadline)))
    return lines


def session_text(t: Translator, meeting: Meeting, area_name: str, *, agenda_limit: int = AGENDA_IN_LIST) -> str:
    return "\n".join([title(t, meeting, area_name), "🗓 " + when(t, meeting.starts_at, meeting.ends_at),
                      *details(t, meeting, agenda_limit=agenda_limit)])


def _rtl(t: Translator, text: str) -> str:
    # Outbox messages do not pass the engine's finishing step: add the right-to-left mark here.
    return RLM + text if t.rtl and not text.startswith(RLM) else text


def reminder_buttons(t: Translator, meeting: Meeting) -> list[list[Button]]:
    return [[Button(t._("🔕 Unsubscribe"), f"meet:unsub:{meeting.body}:{meeting.area_key}"),
             Button(t._("📅 All sessions"), f"meet:view:{meeting.area_key}")]]


def session_reminder(t: Translator, meeting: Meeting, area_name: str) -> Reply:
    text = t._("🔔 <b>Reminder</b>") + "\n" + session_text(t, meeting, area_name, agenda_limit=AGENDA_IN_REMINDER)
    if meeting.body == "council":
        text += "\n\n" + t._("The session is public: everyone is welcome to listen.")
    return Reply(_rtl(t, text), reminder_buttons(t, meeting))


def deadline_reminder(t: Translator, meeting: Meeting, area_name: str) -> Reply:
    assert meeting.deadline is not None
    text = "\n".join([
        t._("⏳ <b>Aktionsfonds: deadline for applications</b>"),
        title(t, meeting, area_name),
        t._("Applications for the jury session on {session} must reach the neighbourhood office by {deadline}.",
            session=t.date(meeting.starts_at), deadline=t.date(meeting.deadline)),
        "",
        t._("The Aktionsfonds pays up to {amount} for material for a small action by residents in the "
            "neighbourhood. The team helps you fill in the form.", amount=t.money(AKTIONSFONDS_CAP, whole=True))])
    return Reply(_rtl(t, text), reminder_buttons(t, meeting))


def moved_notice(t: Translator, old: Meeting, new: Meeting, area_name: str) -> Reply:
    text = "\n".join([
        t._("📅 <b>New date</b>"),
        title(t, new, area_name),
        t._("Instead of {old}, the session now takes place on:", old=when(t, old.starts_at, old.ends_at)),
        "🗓 <b>" + when(t, new.starts_at, new.ends_at) + "</b>",
        *details(t, new, agenda_limit=AGENDA_IN_REMINDER)])
    return Reply(_rtl(t, text), reminder_buttons(t, new))


def new_place_notice(t: Translator, old: Meeting, new: Meeting, area_name: str) -> Reply:
    """Same date, another place (a changed calendar entry re-imported)."""
    text = "\n".join([
        t._("📍 <b>New place</b>"),
        title(t, new, area_name),
        "🗓 " + when(t, new.starts_at, new.ends_at),
        t._("Previous place: {old}. The session now takes place here:", old=t.ltr(esc(old.place))),
        "<b>" + t._("📍 {place}", place=t.ltr(esc(new.place))) + "</b>",
        *details(t, new, agenda_limit=AGENDA_IN_REMINDER)[1:]])
    return Reply(_rtl(t, text), reminder_buttons(t, new))


def cancelled_notice(t: Translator, meeting: Meeting, area_name: str) -> Reply:
    text = "\n".join([
        t._("❌ <b>Cancelled</b>"),
        title(t, meeting, area_name),
        "🗓 " + when(t, meeting.starts_at, meeting.ends_at),
        t._("This session will not take place.")])
    return Reply(_rtl(t, text), reminder_buttons(t, meeting))


# --- planning and cancelling reminders (used by the staff flow and the command line) ----------
async def area_name(store: Store, key: str) -> str:
    area = await store.areas.get(key)
    return area.name if area is not None else key


class Texts:
    """Messages of one session rendered once per language, shared by all its subscribers."""

    def __init__(self, app: Dialogs, name: str) -> None:
        self.app = app
        self.name = name
        self._cache: dict[tuple[str, str], Reply] = {}

    def get(self, language: str, kind: str, meeting: Meeting, old: Meeting | None = None) -> Reply:
        if (language, kind) not in self._cache:
            t = self.app.translator(language)
            if kind == "session":
                reply = session_reminder(t, meeting, self.name)
            elif kind == "deadline":
                reply = deadline_reminder(t, meeting, self.name)
            elif kind == "moved":
                assert old is not None
                reply = moved_notice(t, old, meeting, self.name)
            elif kind == "place":
                assert old is not None
                reply = new_place_notice(t, old, meeting, self.name)
            else:
                reply = cancelled_notice(t, meeting, self.name)
            self._cache[(language, kind)] = reply
        return self._cache[(language, kind)]
