"""Personal data of residents: one registry that knows how to export and erase all of it.

``/mydata`` (GDPR Art. 15), ``/delete`` (Art. 17), the retention job and the CLI all go through
:class:`SqlPersonalData`, which asks every registered *contributor* in turn. Each feature that stores
anything about a resident registers one contributor per kind of data, next to its models, and lists
its module in ``storage/all_models.py``. Every entry point wires them all once at start-up and refuses
to start while a table is neither covered nor declared (``storage/wiring.py``, which marks the registry
wired). Export and erasure refuse loudly (:class:`NotWired`) in a process that was not wired, instead of
silently answering with half a registry; this module does not import the wiring itself (the wiring
imports every feature, and every feature imports this module).

What a feature must register
----------------------------
For every table it adds to ``Base.metadata``, a feature does exactly one of:

1. ``register_personal_data(name, tables=(...), export=..., erase=..., sample=...)`` when the table
   can hold anything about a resident (their chat or user id, name, phone, e-mail, file ids of their
   voice notes and photos, texts they wrote, sign-ups, subscriptions):

   * ``export(subject) -> JSON-able | None`` — everything about ``subject.chat_id`` in plain,
     readable fields (datetimes are fine: they become ISO strings). ``None``/empty means nothing.
   * ``erase(subject) -> int`` — delete or anonymise it inside ``subject.session`` (the caller's
     transaction; do not commit) and return the number of rows touched. Examples of what the
     features register:

     - ideas/moderation: *anonymise* the resident's submissions — drop chat id, name, voice/photo
       file ids and contact — and keep the text and decision for the council's record; delete or
       strip staff-chat outbox cards that quote them;
     - events: delete the sign-ups, freeing places, and promote the waitlist through the events
       domain function (so the promoted residents are told, through the outbox);
     - meetings: delete the resident's subscriptions (pending reminders go with the outbox);
     - outbox (here): delete every row addressed to the chat, pending or delivered.

   * ``sample(session, person)`` — for the tests only: create realistic data of this kind for the
     :class:`SamplePerson` (use all of their identifiers that the table can hold). The generic
     erasure test (``tests/test_erasure.py``) fills every table through the samples, runs ``/delete``
     and then scans every column of every table for the person's identifiers.
   * ``order`` — erasers run in ascending order; the resident's profile goes last (100), so
     erasers can still read the resident's language, e.g. to notify someone else.

2. ``declare_no_personal_data("table", reason="...")`` when the table holds nothing about residents
   (reference data, staff-made content).

A table that does neither makes ``tests/test_erasure.py`` fail and name the table.

Kept on purpose after erasure (by design without an identifier): anonymised submissions (names, phone
numbers and e-mail addresses masked, see ``dialogs/privacy/masking.py``), and the staff access log, whose lines
about the erased resident get a random pseudonym instead of the keyed one (see ``storage/privacy.py``).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import MetaData, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.core.messages import reply_from_dict
from dialogs.core.ports import ErasureReport
from dialogs.core.text import plain
from storage.models import ConversationRow, OutboxRow, ResidentRow, utcnow
from storage.privacy import AccessLogRow, RetentionNoticeRow, erased_pseudonym, pseudonym


@dataclass(frozen=True)
class Subject:
    """Whose data an exporter or eraser handles, in which transaction, at which instant."""

    session: AsyncSession
    chat_id: int
    now: datetime
    # The person's names as kiezbot knows them (Telegram profile, names given for sign-ups …), gathered
    # from every contributor's ``names`` before anything is erased: erasers mask them in what stays.
    names: tuple[str, ...] = ()
    # The random pseudonym that replaces the resident's keyed one in records kept after the erasure
    # (the staff access log): those records then lead to nobody (see storage/privacy.py).
    erased_as: str = ""


@dataclass(frozen=True)
class SamplePerson:
    """A resident with every kind of identifier, for the tests' samples."""

    chat_id: int
    display_name: str
    phone: str
    email: str
    photo_file_id: str
    voice_file_id: str
    now: datetime

    def identifiers(self) -> list[str]:
        return [str(self.chat_id), self.display_name, self.phone, self.email, self.photo_file_id,
                self.voice_file_id]


ExportFn = Callable[[Subject], Awaitable[Any]]
EraseFn = Callable[[Subject], Awaitable[int]]
SampleFn = Callable[[AsyncSession, SamplePerson], Awaitable[None]]
NamesFn = Callable[[AsyncSession, int], Awaitable[Iterable[str]]]


@dataclass(frozen=True)
class Contributor:
    name: str
    tables: tuple[str, ...]
    export: ExportFn
    erase: EraseFn
    sample: SampleFn | None = None
    order: int = 50
    names: NamesFn | None = None


_CONTRIBUTORS: dict[str, Contributor] = {}
_NO_PERSONAL_DATA: dict[str, str] = {}


def register_personal_data(name: str, *, tables: Sequence[str], export: ExportFn, erase: EraseFn,
                           sample: SampleFn | None = None, order: int = 50,
                           names: NamesFn | None = None) -> None:
    """Register how to export and erase one kind of a resident's data (see the module docstring)."""
    _CONTRIBUTORS[name] = Contributor(name, tuple(tables), export, erase, sample, order, names)


async def names_of(session: AsyncSession, chat_id: int) -> tuple[str, ...]:
    """Every name kiezbot knows for ``chat_id`` (asked of each contributor's ``names``), for masking."""
    found: list[str] = []
    for contributor in contributors():
        if contributor.names is not None:
            found += [n for n in await contributor.names(session, chat_id) if n and n.strip()]
    return tuple(dict.fromkeys(found))


def declare_no_personal_data(*tables: str, reason: str) -> None:
    """State that ``tables`` hold nothing about residents (checked by the erasure test)."""
    for table in tables:
        _NO_PERSONAL_DATA[table] = reason


def contributors() -> list[Contributor]:
    return sorted(_CONTRIBUTORS.values(), key=lambda c: (c.order, c.name))


def tables_without_personal_data() -> dict[str, str]:
    return dict(_NO_PERSONAL_DATA)


def uncovered_tables(metadata: MetaData) -> list[str]:
    """Tables that no contributor covers and that are not declared free of personal data."""
    covered = {t for c in _CONTRIBUTORS.values() for t in c.tables} | set(_NO_PERSONAL_DATA)
    return sorted(t.name for t in metadata.sorted_tables if t.name not in covered)


def jsonable(value: Any) -> Any:
    """Datetimes to ISO strings, tuples to lists, recursively (the export is a JSON document)."""
    if isinstance(value, datetime):
        # SQLite hands back naive datetimes; kiezbot stores UTC.
        return (value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    return value


_wired = False


class NotWired(RuntimeError):
    """Export, erasure or retention in a process whose entry point never called ``storage.wiring.wire()``."""


def mark_wired() -> None:
    """Called by :func:`storage.wiring.wire` once every feature's registrations are imported."""
    global _wired
    _wired = True


def require_wired(what: str) -> None:
    """Raise :class:`NotWired` unless the entry point wired every feature: ``what`` would be partial."""
    if not _wired:
        raise NotWired(f"{what} needs every feature's personal-data handlers, but this process never wired them: "
                       "its entry point must call storage.wiring.wire() (or prepare()) at start")


class SqlPersonalData:
    """The :class:`dialogs.core.ports.PersonalData` port over all registered contributors."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def export(self, chat_id: int, now: datetime | None = None) -> dict[str, Any]:
        require_wired("the export of a resident's data")
        subject = Subject(self.session, chat_id, now or utcnow())
        out: dict[str, Any] = {}
        for contributor in contributors():
            value = await contributor.export(subject)
            if value not in (None, [], {}):
                out[contributor.name] = jsonable(value)
        return out

    async def erase(self, chat_id: int, now: datetime | None = None) -> ErasureReport:
        require_wired("the erasure of a resident's data")
        subject = Subject(self.session, chat_id, now or utcnow(), await names_of(self.session, chat_id),
                          erased_as=erased_pseudonym())
        report = ErasureReport(erased_as=subject.erased_as)
        for contributor in contributors():
            report.erased[contributor.name] = await contributor.erase(subject)
        await self.session.flush()
        return report


# --- the foundation's own data ------------------------------------------------------------------

async def _export_profile(s: Subject) -> dict | None:
    row = await s.session.get(ResidentRow, s.chat_id)
    if row is None:
        return None
    return {"telegram_chat_id": row.chat_id, "language": row.language, "privacy_notice_accepted_at": row.consent_at,
            "area": row.area_key, "name_from_telegram": row.display_name, "first_contact_at": row.created_at,
            "last_contact_at": row.last_seen_at, "unreachable_since": row.unreachable_at}


async def _profile_names(session: AsyncSession, chat_id: int) -> list[str]:
    row = await session.get(ResidentRow, chat_id)
    return [row.display_name] if row is not None and row.display_name else []


async def _erase_profile(s: Subject) -> int:
    result = await s.session.execute(delete(ResidentRow).where(ResidentRow.chat_id == s.chat_id))
    return result.rowcount or 0


def _conversation_filter(chat_id: int):
    return or_(ConversationRow.chat_id == chat_id, ConversationRow.user_id == chat_id)


async def _export_conversations(s: Subject) -> list[dict]:
    rows = (await s.session.execute(select(ConversationRow).where(_conversation_filter(s.chat_id)))).scalars()
    return [{"in_private_chat": r.chat_id == r.user_id, "step": r.step, "draft": r.data, "updated_at": r.updated_at}
            for r in rows]


async def _erase_conversations(s: Subject) -> int:
    result = await s.session.execute(delete(ConversationRow).where(_conversation_filter(s.chat_id)))
    return result.rowcount or 0


def outbox_entry(row: OutboxRow) -> dict:
    """An outbox row as the resident reads it (text without markup; attachments by name only)."""
    reply = reply_from_dict(row.payload or {})
    entry: dict[str, Any] = {"purpose": row.purpose, "state": row.state, "due_at": row.due_at,
                             "sent_at": row.sent_at, "text": plain(reply.text)}
    if reply.buttons:
        entry["buttons"] = [b.label for line in reply.buttons for b in line]
    if reply.document:
        entry["file"] = reply.document.filename
    if reply.media:
        entry["media"] = [m.kind for m in reply.media]
    return entry


async def _export_outbox(s: Subject) -> list[dict]:
    rows = (await s.session.execute(select(OutboxRow).where(OutboxRow.chat_id == s.chat_id)
                                    .order_by(OutboxRow.due_at, OutboxRow.id))).scalars()
    return [outbox_entry(r) for r in rows]


async def _erase_outbox(s: Subject) -> int:
    # Pending ones are not sent any more; delivered ones are copies of what the chat already shows.
    result = await s.session.execute(delete(OutboxRow).where(OutboxRow.chat_id == s.chat_id))
    return result.rowcount or 0


async def _sample_outbox(session: AsyncSession, person: SamplePerson) -> None:
    from dialogs.core.messages import Media, Reply, reply_to_dict
    reply = Reply(text=f"Hello {person.display_name}, we call you at {person.phone}",
                  media=[Media("photo", person.photo_file_id)])
    session.add(OutboxRow(chat_id=person.chat_id, payload=reply_to_dict(reply), purpose="sample", state="pending",
                          dedupe_key=f"sample:{person.chat_id}:pending"))
    session.add(OutboxRow(chat_id=person.chat_id, payload=reply_to_dict(Reply(text="delivered")), purpose="sample",
                          state="sent", sent_at=person.now, dedupe_key=f"sample:{person.chat_id}:sent"))


async def _export_retention(s: Subject) -> dict | None:
    row = await s.session.get(RetentionNoticeRow, s.chat_id)
    if row is None:
        return None
    return {"warning_days_before": row.stage, "warned_at": row.warned_at, "deletion_announced_for": row.delete_on}


async def _erase_retention(s: Subject) -> int:
    result = await s.session.execute(delete(RetentionNoticeRow).where(RetentionNoticeRow.chat_id == s.chat_id))
    return result.rowcount or 0


async def _sample_retention(session: AsyncSession, person: SamplePerson) -> None:
    session.add(RetentionNoticeRow(chat_id=person.chat_id, stage=30, warned_at=person.now, delete_on=person.now))


ACTOR_KINDS = {"staff": "neighbourhood team", "cli": "administrator", "system": "kiezbot (automatic)"}


async def _export_access_log(s: Subject) -> list[dict]:
    subject = await pseudonym(s.session, s.chat_id)
    rows = (await s.session.execute(select(AccessLogRow).where(AccessLogRow.subject == subject)
                                    .order_by(AccessLogRow.at))).scalars()
    # Residents learn that and when the team accessed their data, not the team member's account.
    return [{"at": r.at, "action": r.action, "by": ACTOR_KINDS.get(r.actor.split(":", 1)[0], "neighbourhood team")}
            for r in rows]


async def _unlink_access_log(s: Subject) -> int:
    """The accountability record stays, but under a random pseudonym: the key in the database no longer
    leads from the chat id to these lines (nor, through their details, to anonymised submissions)."""
    result = await s.session.execute(
        update(AccessLogRow).where(AccessLogRow.subject == await pseudonym(s.session, s.chat_id))
        .values(subject=s.erased_as or erased_pseudonym()).execution_options(synchronize_session=False))
    return result.rowcount or 0


async def _sample_access_log(session: AsyncSession, person: SamplePerson) -> None:
    session.add(AccessLogRow(at=person.now, actor="staff:1 Sample", action="show",
                             subject=await pseudonym(session, person.chat_id), detail="sample"))


register_personal_data("profile", tables=("residents",), export=_export_profile, erase=_erase_profile, order=100,
                       names=_profile_names)
register_personal_data("conversations", tables=("conversations",), export=_export_conversations,
                       erase=_erase_conversations, order=90)
register_personal_data("outbox", tables=("outbox",), export=_export_outbox, erase=_erase_outbox,
                       sample=_sample_outbox, order=80)
register_personal_data("retention", tables=("retention_notices",), export=_export_retention,
                       erase=_erase_retention, sample=_sample_retention, order=80)
register_personal_data("staff_access", tables=("access_log",), export=_export_access_log, erase=_unlink_access_log,
                       sample=_sample_access_log, order=80)
declare_no_personal_data("areas", "offices", "planning_areas", "area_overrides", "streets", "addresses", "datasets",
                         reason="reference data (areas, offices, Berlin's address list)")
declare_no_personal_data("staff", reason="the team's membership list (staff members, not residents)")
declare_no_personal_data("privacy_keys", reason="kiezbot's own secrets: the pseudonym key, the webhook secret")


__all__ = ["Contributor", "NotWired", "SamplePerson", "SqlPersonalData", "Subject", "contributors", "declare_no_personal_data",
           "mark_wired", "register_personal_data", "require_wired", "tables_without_personal_data",
           "uncovered_tables"]
