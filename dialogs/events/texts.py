"""What residents read about an event: its summary, their sign-up's status, and the notices when the
waitlist moves, a reminder is due, the team changes or cancels the event, or writes to everyone signed up."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from dialogs.core.engine import Dialogs
from dialogs.core.i18n import Translator
from dialogs.core.messages import Button, Document, Reply
from dialogs.core.ports import Store
from dialogs.core.text import clip, esc
from dialogs.events.rules import Event, Signup, calendar_file, registration_open


# --- how an event reads -----------------------------------------------------------------------
def title_of(t: Translator, event: Event, limit: int = 120) -> str:
    text = esc(clip(event.text(t.code).title, limit))
    return text if event.has_text(t.code) else t.ltr(text)


def when_of(t: Translator, event: Event) -> str:
    start, end = event.starts_at, event.ends_at
    if end is None:
        return t._("{date}, {start}", date=t.date(start), start=t.time(start))
    if t.date(start) == t.date(end):
        return t._("{date}, {start} – {end}", date=t.date(start), start=t.time(start), end=t.time(end))
    return t._("{start} until {end}", start=t.datetime(start, "short"), end=t.datetime(end, "short"))


def places_of(t: Translator, event: Event, now: datetime) -> str:
    if event.status == "cancelled":
        return t._("❌ Cancelled")
    if not registration_open(event, now):
        return t._("🔒 Registration closed")
    if event.capacity is None:
        return t._("✅ Places: no limit")
    if event.is_full():
        return t._("⏳ Fully booked — waitlist")
    return t.ngettext("✅ {n} place free", "✅ {n} places free", event.free_places or 0)


def summary_lines(t: Translator, event: Event, now: datetime) -> list[str]:
    lines = [f"<b>{title_of(t, event)}</b>", "🕒 " + when_of(t, event)]
    if event.place:
        lines.append("📍 " + t.ltr(esc(clip(event.place, 200))))
    lines.append(places_of(t, event, now))
    return lines


def status_of(t: Translator, signup: Signup) -> str:
    if signup.status == "confirmed":
        return t.ngettext("You are signed up (1 person).", "You are signed up ({n} people).", signup.party_size)
    return t._("You are on the waitlist, position {position}.", position=t.number(signup.position or 0))


def ics_name(event: Event) -> str:
    """A file name phones show sensibly: "kiezfruehstueck-12.ics" (ASCII, short)."""
    title = event.text("de").title.lower()
    for umlaut, plain_ in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        title = title.replace(umlaut, plain_)
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")[:40].rstrip("-")
    return f"{slug or 'event'}-{event.id}.ics"


def calendar_document(t: Translator, event: Event, now: datetime, tz: str) -> Document:
    return Document(ics_name(event), calendar_file(event, t.code, now, tz),
                    t._("📎 Open this file to add the event to your phone's calendar."))


# --- notices to other chats (outbox), in the recipient's language ------------------------------
async def translator_for(store: Store, engine: Dialogs, chat_id: int) -> Translator:
    resident = await store.residents.get(chat_id)
    return engine.translator(resident.language if resident else None)


def promoted_notice(t: Translator, event: Event, signup: Signup, now: datetime, tz: str) -> Reply:
    text = t.ngettext(
        "🎉 Good news: a place has become free for “{title}” ({when}). You are now signed up for 1 person.",
        "🎉 Good news: places have become free for “{title}” ({when}). You are now signed up for {n} people.",
        signup.party_size, title=title_of(t, event), when=when_of(t, event))
    text += "\n" + t._("If you cannot come after all, please give the place back so someone else can go.")
    return Reply(text=text, buttons=[[Button(t._("↩️ Give the place back"), f"ev:drop:{signup.id}")],
                                     [Button(t._("My sign-ups"), "ev:mine:")]],
                 document=calendar_document(t, event, now, tz))


def reminder_notice(t: Translator, event: Event, signup: Signup) -> Reply:
    lines = [t._("⏰ Reminder: “{title}”", title=title_of(t, event)), "🕒 " + when_of(t, event)]
    if event.place:
        lines.append("📍 " + t.ltr(esc(clip(event.place, 200))))
    lines.append(t.ngettext("You signed up for 1 person.", "You signed up for {n} people.", signup.party_size))
    lines.append(t._("Cannot come? Please cancel, so your place goes to someone on the waitlist."))
    return Reply(text="\n".join(lines), buttons=[[Button(t._("❌ Cancel my sign-up"), f"ev:drop:{signup.id}")]])


def change_notice(t: Translator, event: Event, signup: Signup, now: datetime, tz: str) -> Reply:
    lines = [t._("✏️ The event “{title}” has been changed. This is the new information:", title=title_of(t, event)),
             "🕒 " + when_of(t, event)]
    if event.place:
        lines.append("📍 " + t.ltr(esc(clip(event.place, 200))))
    lines.append(status_of(t, signup))
    buttons = [[Button(t._("❌ Cancel my sign-up"), f"ev:drop:{signup.id}")]]
    document = None
    if signup.status == "confirmed":
        lines.append(t._("The calendar file below replaces the old one in your calendar."))
        document = calendar_document(t, event, now, tz)
    return Reply(text="\n".join(lines), buttons=buttons, document=document)


def cancelled_notice(t: Translator, event: Event) -> Reply:
    return Reply(text=t._("❌ Unfortunately, the event “{title}” ({when}) has been cancelled. "
                          "Your sign-up is no longer needed. We are sorry.",
                          title=title_of(t, event), when=when_of(t, event)),
                 buttons=[[Button(t._("📅 Other events"), "ev:list:0:")]])




def team_message_notice(t: Translator, event: Event, text: str) -> Reply:
    """The team's own words to everyone signed up (one text for all), headed by the event in the
    resident's language so they know which event it is about."""
    head = t._("📣 A message from the team about “{title}” ({when}):", title=title_of(t, event), when=when_of(t, event))
    return Reply(text=head + "\n\n" + esc(text), buttons=[[Button(t._("My sign-ups"), "ev:mine:")]])
