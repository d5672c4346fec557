"""What the staff console's queue reads: submissions filtered and paged in SQL, one submission with
everything its page shows, and the Telegram file id behind a photo or voice note.

Residents appear only by pseudonym (:func:`storage.privacy.pseudonym_with`); their chat id never leaves
this module. Every function opens its own short session; decisions are not made here (they go through
the same conditional UPDATE as the chat's buttons, ``dialogs/ideas``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from dialogs.ideas.rules import OPEN, Earlier, Event, Note, Submission, find_similar
from dialogs.privacy.resident_flow import ANONYMISED_CHAT_ID
from dialogs.translation.jobs import DONE, SUBMISSION, Job
from storage.ideas import SqlSubmissions, SubmissionAttachmentRow, SubmissionNoteRow, SubmissionRow, aware
from storage.privacy import SqlAccessLog, pseudonym_key, pseudonym_with
from storage.translation import SqlTranslationJobs, TranslationJobRow

MAX_SEARCH = 100


@dataclass(frozen=True)
class QueueFilter:
    area: str | None = None
    kind: str | None = None
    status: str | None = None           # one status, "open" (default: every open one) or "all"
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None       # exclusive
    search: str | None = None           # part of the reference, title or text


@dataclass(frozen=True)
class QueueItem:
    id: int
    ref: str
    area_key: str
    kind: str
    status: str
    language: str
    title: str
    text: str
    created_at: datetime
    assignee_name: str
    photos: int
    voices: int
    translated_title: str = ""          # the title in the team's language, when a translation is done


@dataclass(frozen=True)
class MediaItem:
    """A photo or voice note of a submission (or a voice note in its conversation), by its place."""

    kind: str                           # photo | voice
    index: int                          # position among the submission's attachments (notes: the note's id)
    attachment_id: int
    duration: int = 0


@dataclass(frozen=True)
class EarlierOfResident:
    id: int
    ref: str
    kind: str
    status: str
    title: str
    created_at: datetime


@dataclass
class SubmissionPage:
    submission: Submission
    resident: str                       # pseudonym ("r-…"), or "" after erasure
    media: list[MediaItem]
    notes: list[Note]
    events: list[Event]
    similar: list[tuple[Earlier, float]]
    earlier: list[EarlierOfResident]
    jobs: list[Job] = field(default_factory=list)


def _query(f: QueueFilter):  # noqa: ANN202
    s = SubmissionRow
    query = select(s)
    if f.status in (None, "", "open"):
        query = query.where(s.status.in_(OPEN))
    elif f.status != "all":
        query = query.where(s.status == f.status)
    if f.area:
        query = query.where(s.area_key == f.area)
    if f.kind:
        query = query.where(s.kind == f.kind)
    if f.language:
        query = query.where(s.language == f.language)
    if f.since is not None:
        query = query.where(s.created_at >= f.since)
    if f.until is not None:
        query = query.where(s.created_at < f.until)
    if f.search:
        needle = f.search.strip()[:MAX_SEARCH].lower()
        query = query.where(or_(*(func.lower(column).contains(needle, autoescape=True)
                                  for column in (s.ref, s.title, s.text))))
    return query


async def queue_page(sessions: async_sessionmaker, f: QueueFilter, *, limit: int = 25, offset: int = 0,
                     team_language: str = "de") -> tuple[list[QueueItem], int]:
    """One page of submissions (oldest first: the team works the queue from its front) and how many match."""
    query = _query(f)
    async with sessions() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = (await session.execute(query.order_by(SubmissionRow.created_at, SubmissionRow.id)
                                      .limit(limit).offset(offset))).scalars().all()
        counts: dict[tuple[int, str], int] = {}
        titles: dict[int, str] = {}
        if rows:
            ids = [r.id for r in rows]
            a = SubmissionAttachmentRow
            counts = {(sid, kind): n for sid, kind, n in (await session.execute(
                select(a.submission_id, a.kind, func.count()).where(a.submission_id.in_(ids))
                .group_by(a.submission_id, a.kind))).all()}
            j = TranslationJobRow
            titles = dict((await session.execute(
                select(j.source_id, j.result).where(j.task == "translate", j.source_kind == SUBMISSION,
                                                    j.source_id.in_(ids), j.source_field == "title",
                                                    j.target_language == team_language, j.status == DONE,
                                                    j.result.is_not(None)))).all())
    items = [QueueItem(r.id, r.ref, r.area_key, r.kind, r.status, r.language, r.title, r.text,
                       aware(r.created_at) or r.created_at, r.assignee_name, counts.get((r.id, "photo"), 0),
                       counts.get((r.id, "voice"), 0), titles.get(r.id) or "") for r in rows]
    return items, total


async def queue_languages(sessions: async_sessionmaker) -> list[str]:
    async with sessions() as session:
        return sorted((await session.execute(select(SubmissionRow.language).distinct())).scalars())


async def submission_page(sessions: async_sessionmaker, ref: str) -> SubmissionPage | None:
    """Everything the submission page shows (read-only)."""
    async with sessions() as session:
        subs = SqlSubmissions(session)
        sub = await subs.by_ref(ref)
        if sub is None:
            return None
        attachments = (await session.execute(
            select(SubmissionAttachmentRow).where(SubmissionAttachmentRow.submission_id == sub.id)
            .order_by(SubmissionAttachmentRow.position, SubmissionAttachmentRow.id))).scalars().all()
        media = [MediaItem(a.kind, index, a.id, a.duration) for index, a in enumerate(attachments)]
        notes = list(await subs.notes(sub.id, limit=200))
        events = list(await subs.events(sub.id))
        similar = find_similar(sub.title, sub.text, await subs.in_area(sub.area_key, exclude_id=sub.id))
        key = await pseudonym_key(session)
        resident = pseudonym_with(key, sub.chat_id) if sub.chat_id != ANONYMISED_CHAT_ID else ""
        earlier: list[EarlierOfResident] = []
        if resident:
            s = SubmissionRow
            earlier = [EarlierOfResident(r.id, r.ref, r.kind, r.status, r.title or r.text[:80],
                                         aware(r.created_at) or r.created_at)
                       for r in (await session.execute(
                           select(s.id, s.ref, s.kind, s.status, s.title, s.text, s.created_at)
                           .where(s.chat_id == sub.chat_id, s.id != sub.id)
                           .order_by(s.created_at.desc(), s.id.desc()).limit(20))).all()]
        jobs = await SqlTranslationJobs(session).for_sources(SUBMISSION, [sub.id])
    return SubmissionPage(sub, resident, media, notes, events, similar, earlier, jobs)


async def record_submission_access(sessions: async_sessionmaker, ref: str, *, actor: str, action: str,
                                   detail: str, at: datetime) -> None:
    """One line of the staff access log about the resident behind ``ref`` (by pseudonym), as the chat's
    ``/idea REF`` writes one."""
    async with sessions() as session, session.begin():
        chat_id = await session.scalar(select(SubmissionRow.chat_id).where(SubmissionRow.ref == ref))
        if chat_id is None or chat_id == ANONYMISED_CHAT_ID:
            return
        await SqlAccessLog(session).record(actor=actor, action=action, chat_id=chat_id, detail=detail, at=at)


async def media_file(sessions: async_sessionmaker, ref: str, kind: str, index: int) -> tuple[str, str] | None:
    """(Telegram file id, kind) of a submission's attachment at ``index``, or of the
    voice note of its conversation note ``index`` (``kind == "note"``)."""
    s = SubmissionRow
    async with sessions() as session:
        sub_id = await session.scalar(select(s.id).where(s.ref == ref))
        if sub_id is None:
            return None
        if kind == "note":
            file_id = await session.scalar(select(SubmissionNoteRow.voice_file_id).where(
                SubmissionNoteRow.submission_id == sub_id, SubmissionNoteRow.id == index))
            return (file_id, "voice") if file_id else None
        rows: Sequence = (await session.execute(
            select(SubmissionAttachmentRow.file_id, SubmissionAttachmentRow.kind)
            .where(SubmissionAttachmentRow.submission_id == sub_id)
            .order_by(SubmissionAttachmentRow.position, SubmissionAttachmentRow.id))).all()
    if not 0 <= index < len(rows):
        return None
    file_id, attachment_kind = rows[index]
    return file_id, attachment_kind


async def submission_version(sessions: async_sessionmaker, ref: str) -> tuple[int, int, str] | None:
    """(id, version, status) of a submission, for a decision form (no content)."""
    s = SubmissionRow
    async with sessions() as session:
        row = (await session.execute(select(s.id, s.version, s.status).where(s.ref == ref))).first()
    return (row[0], row[1], row[2]) if row is not None else None
