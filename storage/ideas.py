"""Tables and repository of submissions (ideas, Aktionsfonds applications, hints, questions).

- ``submissions``: one row per submission; ``status`` + ``version`` make every change a
  conditional UPDATE, so of two team members deciding at once exactly one wins.
- ``submission_attachments``: photos and voice notes by Telegram file id (the files stay on Telegram).
- ``submission_notes``: questions, answers and notes between the team and the resident.
- ``submission_events``: the audit log. Rows are only ever inserted by this code.
- ``reference_counters``: the running number per area and year behind ``BAD-2026-014``, taken with
  one atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (race-free on SQLite and PostgreSQL).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (BigInteger, Float, ForeignKey, Index, Integer, String, Text, bindparam, delete, func, or_, select,
                        update)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from dialogs.translation.view import as_plain
from dialogs.ideas.rules import (OPEN, Attachment, Content, CountRow, Decision, Earlier, Event, Note, Submission,
                                 area_code, format_ref)
from storage.models import AreaRow, Base
from storage.translation import TranslationJobRow, job_of
from storage.statements import SessionStatements, Statements, built_once

_BERLIN = ZoneInfo("Europe/Berlin")
BIGINT_ID = BigInteger().with_variant(Integer, "sqlite")   # SQLite autoincrements only INTEGER keys


class SubmissionRow(Base):
    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(BIGINT_ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(16))
    area_key: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(160), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    costs_cents: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="new")
    version: Mapped[int] = mapped_column(Integer, default=1)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    assignee_name: Mapped[str] = mapped_column(String(128), default="")
    decided_by_id: Mapped[int | None] = mapped_column(BigInteger)
    decided_by_name: Mapped[str] = mapped_column(String(128), default="")
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(String(16), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    revisions: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_submissions_chat_created", "chat_id", "created_at"),
        Index("ix_submissions_status_created", "status", "created_at"),
        Index("ix_submissions_area_created", "area_key", "created_at"),
        # Buttons on old cards and notices carry the id: an id must never be given out twice.
        {"sqlite_autoincrement": True},
    )


class SubmissionAttachmentRow(Base):
    __tablename__ = "submission_attachments"
    id: Mapped[int] = mapped_column(BIGINT_ID, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(8))
    file_id: Mapped[str] = mapped_column(String(256))
    duration: Mapped[int] = mapped_column(Integer, default=0)


class SubmissionNoteRow(Base):
    __tablename__ = "submission_notes"
    id: Mapped[int] = mapped_column(BIGINT_ID, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(16))          # staff | resident
    staff_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(128), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    voice_file_id: Mapped[str | None] = mapped_column(String(256))


class SubmissionEventRow(Base):
    """Audit log: append-only (no code path updates or deletes these rows)."""

    __tablename__ = "submission_events"
    id: Mapped[int] = mapped_column(BIGINT_ID, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(128), default="")
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class ReferenceCounterRow(Base):
    __tablename__ = "reference_counters"
    area_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything kiezbot stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def _submission(row: SubmissionRow, attachments: Sequence[SubmissionAttachmentRow]) -> Submission:
    content = Content(area_key=row.area_key, kind=row.kind, title=row.title, text=row.text,
                      attachments=[Attachment(a.kind, a.file_id, a.duration)
                                   for a in sorted(attachments, key=lambda a: a.position)],
                      costs_cents=row.costs_cents, latitude=row.latitude, longitude=row.longitude)
    return Submission(id=row.id, ref=row.ref, chat_id=row.chat_id, language=row.language, content=content,
                      status=row.status, version=row.version, created_at=aware(row.created_at),
                      updated_at=aware(row.updated_at), assignee_id=row.assignee_id,
                      assignee_name=row.assignee_name, decided_by_name=row.decided_by_name,
                      decided_at=aware(row.decided_at), decision_reason=row.decision_reason,
                      decision_note=row.decision_note, revisions=row.revisions)


def _next_number_statement(insert):  # noqa: ANN001, ANN202 — the dialect's INSERT
    table = ReferenceCounterRow.__table__
    return (insert(table).values(area_code=bindparam("b_code"), year=bindparam("b_year"), last_number=1)
            .on_conflict_do_update(index_elements=[table.c.area_code, table.c.year],
                                   set_={"last_number": table.c.last_number + 1})
            .returning(table.c.last_number))


# Built once (the flows call these on every idea sent): see storage/repositories.py.
_NEXT_NUMBER = {"postgresql": built_once(_next_number_statement(pg_insert)),
                "sqlite": built_once(_next_number_statement(sqlite_insert))}
_SUBMISSIONS = SubmissionRow.__table__
_ATTACHMENTS = SubmissionAttachmentRow.__table__
_NOTES_TABLE = SubmissionNoteRow.__table__
_COUNT_SINCE = built_once(select(func.count()).select_from(_SUBMISSIONS)
                          .where(_SUBMISSIONS.c.chat_id == bindparam("chat_id"),
                                 _SUBMISSIONS.c.created_at >= bindparam("since")))
_BY_ID = built_once(select(_SUBMISSIONS).where(_SUBMISSIONS.c.id == bindparam("id")))
_WAITING_FOR = built_once(select(_SUBMISSIONS)
                          .where(_SUBMISSIONS.c.chat_id == bindparam("chat_id"), _SUBMISSIONS.c.status == "waiting")
                          .order_by(_SUBMISSIONS.c.updated_at.desc()).limit(1))
_IN_AREA = built_once(select(_SUBMISSIONS.c.id, _SUBMISSIONS.c.ref, _SUBMISSIONS.c.title, _SUBMISSIONS.c.text,
                             _SUBMISSIONS.c.status)
                      .where(_SUBMISSIONS.c.area_key == bindparam("area_key"),
                             _SUBMISSIONS.c.id != bindparam("exclude_id"))
                      .order_by(_SUBMISSIONS.c.created_at.desc()).limit(bindparam("limit", type_=Integer)))
_ATTACHMENTS_OF = built_once(select(_ATTACHMENTS).where(
    _ATTACHMENTS.c.submission_id.in_(bindparam("ids", expanding=True))))
_NOTES = built_once(select(_NOTES_TABLE).where(_NOTES_TABLE.c.submission_id == bindparam("id"))
                    .order_by(_NOTES_TABLE.c.id.desc()).limit(bindparam("limit", type_=Integer)))


class SqlSubmissions:
    def __init__(self, session: AsyncSession, sql: Statements | None = None) -> None:
        self.session = session
        self.sql = sql or SessionStatements(session)

    # --- reading ------------------------------------------------------------------------------
    async def _load(self, stmt) -> list[Submission]:  # noqa: ANN001 — a select of SubmissionRow built per call
        # populate_existing: a conditional UPDATE earlier in this transaction must be visible here
        rows = (await self.session.execute(stmt.execution_options(populate_existing=True))).scalars().all()
        return await self._with_attachments(rows)

    async def _with_attachments(self, rows: Sequence) -> list[Submission]:
        """Submissions from rows of the table (ORM rows or the prebuilt statements' rows: same names)."""
        if not rows:
            return []
        ids = [r.id for r in rows]
        by_sub: dict[int, list] = {i: [] for i in ids}
        for a in await self.sql.rows(_ATTACHMENTS_OF, {"ids": ids}):
            by_sub[a.submission_id].append(a)
        return [_submission(r, by_sub[r.id]) for r in rows]

    async def get(self, submission_id: int) -> Submission | None:
        found = await self._with_attachments(await self.sql.rows(_BY_ID, {"id": submission_id}))
        return found[0] if found else None

    async def by_ref(self, ref: str) -> Submission | None:
        found = await self._load(select(SubmissionRow).where(SubmissionRow.ref == ref))
        return found[0] if found else None

    async def of_resident(self, chat_id: int, limit: int = 10) -> Sequence[Submission]:
        return await self._load(select(SubmissionRow).where(SubmissionRow.chat_id == chat_id)
                                .order_by(SubmissionRow.created_at.desc(), SubmissionRow.id.desc()).limit(limit))

    async def count_since(self, chat_id: int, since: datetime) -> int:
        return await self.sql.scalar(_COUNT_SINCE, {"chat_id": chat_id, "since": since}) or 0

    async def open_items(self, limit: int = 50) -> Sequence[Submission]:
        return await self._load(select(SubmissionRow).where(SubmissionRow.status.in_(OPEN))
                                .order_by(SubmissionRow.created_at, SubmissionRow.id).limit(limit))

    async def in_area(self, area_key: str, *, exclude_id: int, limit: int = 500) -> Sequence[Earlier]:
        rows = await self.sql.rows(_IN_AREA, {"area_key": area_key, "exclude_id": exclude_id, "limit": limit})
        return [Earlier(*r) for r in rows]

    async def waiting_for(self, chat_id: int) -> Submission | None:
        found = await self._with_attachments(await self.sql.rows(_WAITING_FOR, {"chat_id": chat_id}))
        return found[0] if found else None

    async def notes(self, submission_id: int, limit: int = 5) -> Sequence[Note]:
        rows = await self.sql.rows(_NOTES, {"id": submission_id, "limit": limit})
        return [_note(r) for r in reversed(rows)]

    async def last_team_notes(self, submission_ids: Sequence[int]) -> dict[int, Note]:
        if not submission_ids:
            return {}
        latest = (select(func.max(SubmissionNoteRow.id))
                  .where(SubmissionNoteRow.submission_id.in_(list(submission_ids)),
                         SubmissionNoteRow.author == "staff")
                  .group_by(SubmissionNoteRow.submission_id))
        rows = (await self.session.execute(select(SubmissionNoteRow)
                                           .where(SubmissionNoteRow.id.in_(latest)))).scalars().all()
        return {r.submission_id: _note(r) for r in rows}

    async def events(self, submission_id: int) -> Sequence[Event]:
        rows = (await self.session.execute(
            select(SubmissionEventRow).where(SubmissionEventRow.submission_id == submission_id)
            .order_by(SubmissionEventRow.id))).scalars().all()
        return [Event(action=r.action, actor_kind=r.actor_kind, actor_id=r.actor_id, actor_name=r.actor_name,
                      to_status=r.to_status, from_status=r.from_status, reason=r.reason, note=r.note,
                      at=aware(r.at)) for r in rows]

    async def counts(self) -> Sequence[CountRow]:
        rows = await self.session.execute(
            select(SubmissionRow.area_key, SubmissionRow.kind, SubmissionRow.status, SubmissionRow.language,
                   func.count()).group_by(SubmissionRow.area_key, SubmissionRow.kind, SubmissionRow.status,
                                          SubmissionRow.language))
        return [CountRow(*row) for row in rows.all()]

    # --- writing ------------------------------------------------------------------------------
    async def next_number(self, code: str, year: int) -> int:
        """The next running number of an area and year, atomically (concurrent senders never share one)."""
        stmt = _NEXT_NUMBER["postgresql" if self.sql.dialect_name == "postgresql" else "sqlite"]
        return int(await self.sql.scalar(stmt, {"b_code": code, "b_year": year}))

    async def create(self, content: Content, *, chat_id: int, language: str, now: datetime,
                     actor_name: str) -> Submission:
        year = now.astimezone(_BERLIN).year
        code = area_code(content.area_key)
        number = await self.next_number(code, year)
        row = SubmissionRow(ref=format_ref(code, year, number), chat_id=chat_id, language=language,
                            status="new", version=1, created_at=now, updated_at=now, revisions=0,
                            assignee_name="", decided_by_name="", decision_reason="", decision_note="")
        _set_content(row, content)
        self.session.add(row)
        await self.session.flush()
        self._add_attachments(row.id, content)
        self.session.add(SubmissionEventRow(submission_id=row.id, at=now, actor_kind="resident", actor_id=chat_id,
                                            actor_name=actor_name, action="created", from_status=None,
                                            to_status="new", reason="", note=""))
        await self.session.flush()
        created = await self.get(row.id)
        assert created is not None
        return created

    def _add_attachments(self, submission_id: int, content: Content) -> None:
        for position, att in enumerate(content.attachments):
            self.session.add(SubmissionAttachmentRow(submission_id=submission_id, position=position, kind=att.kind,
                                                     file_id=att.file_id, duration=att.duration))

    async def transition(self, sub: Submission, *, to_status: str, event: Event, now: datetime,
                         assignee: tuple[int, str] | None = None, decision: Decision | None = None,
                         content: Content | None = None) -> bool:
        values: dict = {"status": to_status, "version": SubmissionRow.version + 1, "updated_at": now}
        if assignee is not None:
            values.update(assignee_id=assignee[0], assignee_name=assignee[1][:128])
        if decision is not None:
            values.update(decided_by_id=decision.by_id, decided_by_name=decision.by_name[:128], decided_at=now,
                          decision_reason=decision.reason, decision_note=decision.note)
        if content is not None:
            values.update(kind=content.kind, title=content.title, text=content.text,
                          costs_cents=content.costs_cents, latitude=content.latitude, longitude=content.longitude,
                          revisions=SubmissionRow.revisions + 1)
        result = await self.session.execute(
            update(SubmissionRow)
            .where(SubmissionRow.id == sub.id, SubmissionRow.version == sub.version,
                   SubmissionRow.status == sub.status)
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return False
        if content is not None:
            await self.session.execute(delete(SubmissionAttachmentRow)
                                       .where(SubmissionAttachmentRow.submission_id == sub.id))
            self._add_attachments(sub.id, content)
        self.session.add(SubmissionEventRow(
            submission_id=sub.id, at=now, actor_kind=event.actor_kind, actor_id=event.actor_id,
            actor_name=event.actor_name[:128], action=event.action, from_status=sub.status, to_status=to_status,
            reason=event.reason, note=event.note))
        await self.session.flush()
        return True

    async def add_note(self, submission_id: int, note: Note, *, staff_id: int | None = None) -> int:
        row = SubmissionNoteRow(submission_id=submission_id, at=note.at, author=note.author, staff_id=staff_id,
                                name=note.name[:128], text=note.text, voice_file_id=note.voice_file_id)
        self.session.add(row)
        await self.session.flush()
        return row.id


def _set_content(row: SubmissionRow, content: Content) -> None:
    row.area_key = content.area_key
    row.kind = content.kind
    row.title = content.title
    row.text = content.text
    row.costs_cents = content.costs_cents
    row.latitude = content.latitude
    row.longitude = content.longitude


def _note(row: SubmissionNoteRow) -> Note:
    return Note(author=row.author, name=row.name, text=row.text, at=aware(row.at) or row.at,
                voice_file_id=row.voice_file_id, id=row.id)


# --- export (kiezbot export ideas) -------------------------------------------------------------------
@dataclass(frozen=True)
class ExportRow:
    """One submission as the Quartiersrat or the jury sees it: no Telegram ids, no file ids."""

    ref: str
    created_at: datetime
    area_name: str
    kind: str
    status: str
    language: str
    title: str
    text: str
    costs_cents: int | None
    photos: int
    voice_notes: int
    has_location: bool
    assignee_name: str
    decided_by_name: str
    decided_at: datetime | None
    decision_reason: str
    decision_note: str
    # machine translations into the team's language (``view.as_plain``: the text, "pending" or "unavailable")
    title_translation: str = ""
    text_translation: str = ""
    source_language: str = ""          # as the translation service detected it (or the resident's hint)
    voice_notes_as_text: str = ""      # transcripts (translated where a translation is there), " | " between


def _translations(jobs: Sequence[Any]) -> dict[str, Any]:
    """The fields of an ExportRow from the translation jobs of one submission."""
    by = {(j.task, j.source.field): j for j in jobs}
    title, text = by.get(("translate", "title")), by.get(("translate", "text"))
    found = next((j.detected_language or j.source_language for j in (title, text)
                  if j is not None and j.status == "done" and (j.detected_language or j.source_language)), "")
    voices = []
    for (task, field), job in sorted(by.items(), key=lambda kv: kv[0][1]):
        if task == "transcribe" and field.startswith("voice:"):
            translated = by.get(("translate", field))
            shown = as_plain(translated) if translated is not None and translated.status == "done" and \
                translated.result else as_plain(job)
            if shown:
                voices.append(shown)
    return {"title_translation": as_plain(title), "text_translation": as_plain(text), "source_language": found or "",
            "voice_notes_as_text": " | ".join(voices)}


def _export_query(area: str | None, statuses: Sequence[str] | None):
    stmt = select(SubmissionRow)
    if area:
        stmt = stmt.where(SubmissionRow.area_key == area)
    if statuses:
        stmt = stmt.where(SubmissionRow.status.in_(list(statuses)))
    return stmt


async def count_for_export(sessions: async_sessionmaker, area: str | None = None,
                           statuses: Sequence[str] | None = None) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(_export_query(area, statuses).subquery())) or 0


async def export_rows(sessions: async_sessionmaker, area: str | None = None, statuses: Sequence[str] | None = None,
                      batch: int = 500) -> AsyncIterator[ExportRow]:
    """Submissions oldest first, streamed in batches (for large exports)."""
    async with sessions() as session:
        names = dict((await session.execute(select(AreaRow.key, AreaRow.name))).all())
        counts_q = (select(SubmissionAttachmentRow.submission_id, SubmissionAttachmentRow.kind, func.count())
                    .group_by(SubmissionAttachmentRow.submission_id, SubmissionAttachmentRow.kind))
        last_id = 0
        while True:
            rows = (await session.execute(_export_query(area, statuses).where(SubmissionRow.id > last_id)
                                          .order_by(SubmissionRow.id).limit(batch))).scalars().all()
            if not rows:
                return
            ids = [r.id for r in rows]
            media: dict[tuple[int, str], int] = {
                (sid, kind): n for sid, kind, n in
                (await session.execute(counts_q.where(SubmissionAttachmentRow.submission_id.in_(ids)))).all()}
            jobs: dict[int, list[Any]] = {}
            for job_row in (await session.execute(select(TranslationJobRow).where(
                    TranslationJobRow.source_kind == "submission", TranslationJobRow.source_id.in_(ids),
                    or_(TranslationJobRow.source_field.in_(("title", "text")),
                        TranslationJobRow.source_field.startswith("voice:"))))).scalars().all():
                jobs.setdefault(job_row.source_id, []).append(job_of(job_row))
            for r in rows:
                yield ExportRow(**_translations(jobs.get(r.id, [])),ref=r.ref, created_at=aware(r.created_at) or r.created_at,
                                area_name=names.get(r.area_key, r.area_key), kind=r.kind, status=r.status,
                                language=r.language, title=r.title, text=r.text, costs_cents=r.costs_cents,
                                photos=media.get((r.id, "photo"), 0), voice_notes=media.get((r.id, "voice"), 0),
                                has_location=r.latitude is not None, assignee_name=r.assignee_name,
                                decided_by_name=r.decided_by_name, decided_at=aware(r.decided_at),
                                decision_reason=r.decision_reason, decision_note=r.decision_note)
            last_id = rows[-1].id
