"""What the staff chat about sessions shows besides the questions: the preview of a new session, the lead
times of its reminders, the one-line labels of the session picker."""
from __future__ import annotations

from dialogs.core.i18n import Translator
from dialogs.core.ports import Meeting
from dialogs.core.text import clip
from dialogs.meetings.reminders import Lead, ReminderLeads
from dialogs.meetings.staff_parsing import MAX_AGENDA
from dialogs.meetings.texts import BODY_ICONS, body_name, session_text


def describe_lead(t: Translator, lead: Lead) -> str:
    if lead.days:
        return t.ngettext("{n} day before", "{n} days before", lead.days)
    if lead.minutes % 60 == 0:
        return t.ngettext("{n} hour before", "{n} hours before", lead.minutes // 60)
    return t.ngettext("{n} minute before", "{n} minutes before", lead.minutes)


def describe_deadline_lead(t: Translator, lead: Lead) -> str:
    if lead.days:
        return t.ngettext("{n} day before the deadline", "{n} days before the deadline", lead.days)
    if lead.minutes % 60 == 0:
        return t.ngettext("{n} hour before the deadline ends", "{n} hours before the deadline ends",
                          lead.minutes // 60)
    return t.ngettext("{n} minute before the deadline ends", "{n} minutes before the deadline ends", lead.minutes)


def short_label(t: Translator, meeting: Meeting, name: str) -> str:
    return clip(f"#{meeting.id} {BODY_ICONS[meeting.body]} {body_name(t, meeting.body)} · {name} · "
                f"{t.date(meeting.starts_at, 'short')} {t.time(meeting.starts_at)}", 60)




def preview_text(t: Translator, meeting: Meeting, area: str, languages: list[str], subscribers: int,
                 leads: ReminderLeads) -> str:
    """The session as residents will see it, in which languages its agenda is, who gets reminders when."""
    lead_list = [describe_lead(t, lead) for lead in leads.sessions]
    if meeting.body == "jury" and meeting.deadline is not None:
        lead_list += [describe_deadline_lead(t, lead) for lead in leads.deadlines]
    lines = [t._("<b>Preview</b> — residents will see:"), "", session_text(t, meeting, area, agenda_limit=MAX_AGENDA),
             ""]
    if languages:
        lines.append(t._("Agenda in: {languages}", languages=", ".join(languages)))
    lines.append(t.ngettext("{n} resident gets reminders for this body and area.",
                            "{n} residents get reminders for this body and area.", subscribers))
    if lead_list:
        lines.append(t._("Reminders go out: {leads}.", leads=", ".join(lead_list)))
    return "\n".join(lines)
