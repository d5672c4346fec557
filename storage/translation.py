"""Translation and transcription jobs: the table, the flows' repository, and the runner's queue.

``translation_jobs`` is to translations what ``outbox`` is to messages: a flow writes a job in the same
transaction as the thing it is about (:class:`SqlTranslationJobs`, the
:class:`dialogs.translation.ports.TranslationJobs` port), and runners in every kiezbot process work
them off (:class:`TranslationQueue`, used by ``bot/translation/runner.py``). The table is the truth;
the scheduler only says "look now".

Never done twice
    A runner *claims* due jobs in one short write transaction — ``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL, so two processes take disjoint rows; on SQLite the transaction begins IMMEDIATE, which
    lets one writer in at a time — and marks them ``running`` with its name and a lease. No transaction
    is open while a service works. The result is recorded only by the runner that holds the claim
    (``claimed_by`` and ``status = 'running'`` are part of the UPDATE), so a job that was asked for
    afresh meanwhile (a revised text) or taken over after a lease ran out is never overwritten by a
    late answer. A runner that dies leaves ``running`` rows whose lease runs out; the next drain puts
    them back (the lease is longer than any request may take, so a live runner never loses its claim).

Times come from the caller's clock (tests move it instead of sleeping).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint, and_, delete,
                        func, or_, select, update)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from dialogs.translation.jobs import (DONE, FAILED, FINISHED, GIVEN_UP, PENDING, RUNNING, Job, JobRequest, Source,
                                      Task)
from storage.db import writer_session_factory
from storage.models import Base, utcnow

BIGINT_ID = BigInteger().with_variant(Integer, "sqlite")


class TranslationJobRow(Base):
    """One translation or transcription of one source (kind, id, field) into one language."""

    __tablename__ = "translation_jobs"
    id: Mapped[int] = mapped_column(BIGINT_ID, primary_key=True)
    task: Mapped[str] = mapped_column(String(16))                   # translate | transcribe
    source_kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column(BigInteger)
    source_field: Mapped[str] = mapped_column(String(64))
    target_language: Mapped[str] = mapped_column(String(16))        # "" for a transcript nobody translates
    source_language: Mapped[str | None] = mapped_column(String(16))  # hint; None: detect
    html: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str | None] = mapped_column(Text)                  # what is translated, as written
    audio_ref: Mapped[str | None] = mapped_column(String(256))      # Telegram file id; cleared when finished
    mime: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)  # pending running done failed given_up
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(Text)                # translation / transcript
    detected_language: Mapped[str | None] = mapped_column(String(16))
    provider: Mapped[str | None] = mapped_column(String(32))        # which service saw the text
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    announced_at: Mapped[datetime | None]                           # the runner's announce hook has seen it

    __table_args__ = (
        UniqueConstraint("task", "source_kind", "source_id", "source_field", "target_language"),
        Index("ix_translation_jobs_due", "status", "next_try_at"),
        Index("ix_translation_jobs_source", "source_kind", "source_id"),
    )


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything kiezbot stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def job_of(row: Any) -> Job:
    """A job from an ORM row or a result row with the table's columns."""
    source = Source(row.source_kind, row.source_id, row.source_field)
    return Job(id=row.id, task=row.task, source=source,  # type: ignore[arg-type]
               target_language=row.target_language, text=row.text, source_language=row.source_language,
               html=bool(row.html), audio_ref=row.audio_ref, mime=row.mime, status=row.status,
               attempts=row.attempts, next_try_at=aware(row.next_try_at), result=row.result,
               detected_language=row.detected_language, provider=row.provider, error=row.error,
               created_at=aware(row.created_at), finished_at=aware(row.finished_at))  # type: ignore[arg-type]


def _key(job: JobRequest) -> Any:
    return and_(TranslationJobRow.task == job.task, TranslationJobRow.source_kind == job.source.kind,
                TranslationJobRow.source_id == job.source.id, TranslationJobRow.source_field == job.source.field,
                TranslationJobRow.target_language == job.target_language)


def _fresh(job: JobRequest) -> dict[str, Any]:
    """The columns of a job asked for (again): back to the start."""
    return dict(text=job.text, source_language=job.source_language, html=job.html, audio_ref=job.audio_ref,
                mime=job.mime, status=PENDING, attempts=0, next_try_at=None, claimed_by=None, claimed_until=None,
                result=None, detected_language=None, provider=None, error=None, finished_at=None,
                announced_at=None)


class SqlTranslationJobs:
    """The flows' side, inside the update's transaction (:class:`dialogs.translation.ports.TranslationJobs`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def request(self, job: JobRequest, now: datetime | None = None) -> Job:
        """Ask for a job; the same request again changes nothing, a changed text starts it afresh.
        A new job costs one statement (``INSERT … ON CONFLICT DO NOTHING RETURNING``)."""
        if job.task == "translate" and not job.text:
            raise ValueError("a translation job needs a text")
        if job.task == "transcribe" and not job.audio_ref:
            raise ValueError("a transcription job needs the voice note's reference")
        session = self.session
        table = TranslationJobRow.__table__
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        values = dict(task=job.task, source_kind=job.source.kind, source_id=job.source.id,
                      source_field=job.source.field, target_language=job.target_language,
                      created_at=now or utcnow(), **_fresh(job))
        row = (await session.execute(insert(table).values(**values).on_conflict_do_nothing(
            index_elements=["task", "source_kind", "source_id", "source_field", "target_language"])
            .returning(*table.c))).first()
        if row is not None:
            return job_of(row)
        row = (await session.execute(select(*table.c).where(_key(job)))).one()
        if (row.text, row.audio_ref, row.html) != (job.text, job.audio_ref, job.html) and not (
                job.task == "transcribe" and row.audio_ref is None and row.status in FINISHED):
            row = (await session.execute(update(table).where(table.c.id == row.id)
                                         .values(created_at=now or utcnow(), **_fresh(job))
                                         .returning(*table.c))).one()
        return job_of(row)

    async def for_sources(self, kind: str, ids: Sequence[int]) -> list[Job]:
        if not ids:
            return []
        rows = await self.session.scalars(
            select(TranslationJobRow).where(TranslationJobRow.source_kind == kind,
                                            TranslationJobRow.source_id.in_(list(ids)))
            .order_by(TranslationJobRow.id))
        return [job_of(r) for r in rows]


async def forget_sources(session: AsyncSession, kind: str, ids: Sequence[int]) -> int:
    """Delete every job of these sources (the resident erased their data, or the submission lost its link
    to them): translations and transcripts are personal data that follow their source."""
    if not ids:
        return 0
    result = await session.execute(delete(TranslationJobRow).where(TranslationJobRow.source_kind == kind,
                                                                   TranslationJobRow.source_id.in_(list(ids))))
    return result.rowcount or 0


class TranslationQueue:
    """Row transitions for one runner (``worker`` names it in ``claimed_by``); see the module docstring."""

    def __init__(self, sessions: async_sessionmaker, worker: str) -> None:
        self.sessions = sessions
        self.worker = worker
        self.writers = writer_session_factory(sessions.kw["bind"])

    async def claim(self, now: datetime, limit: int, lease: timedelta, tasks: Sequence[Task]) -> list[Job]:
        """Take up to ``limit`` due pending jobs of ``tasks``: the longest waiting first (a job tried a minute
        ago comes after one never tried), so while a service is down its probes spread over the jobs."""
        if not tasks or limit <= 0:
            return []
        due = (select(TranslationJobRow.id)
               .where(TranslationJobRow.status == PENDING, TranslationJobRow.task.in_(list(tasks)),
                      or_(TranslationJobRow.next_try_at.is_(None), TranslationJobRow.next_try_at <= now))
               .order_by(func.coalesce(TranslationJobRow.next_try_at, TranslationJobRow.created_at),
                         TranslationJobRow.id).limit(limit))
        async with self.writers() as session, session.begin():
            if session.bind.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list((await session.execute(due)).scalars())
            if not ids:
                return []
            await session.execute(
                update(TranslationJobRow).where(TranslationJobRow.id.in_(ids), TranslationJobRow.status == PENDING)
                .values(status=RUNNING, claimed_by=self.worker, claimed_until=now + lease))
            rows = await session.scalars(select(TranslationJobRow).where(
                TranslationJobRow.id.in_(ids), TranslationJobRow.claimed_by == self.worker,
                TranslationJobRow.status == RUNNING).order_by(TranslationJobRow.id)
                .execution_options(populate_existing=True))
            return [job_of(r) for r in rows]

    def _mine(self, job_id: int) -> Any:
        return and_(TranslationJobRow.id == job_id, TranslationJobRow.claimed_by == self.worker,
                    TranslationJobRow.status == RUNNING)

    async def _finish(self, job_id: int, follow_up: JobRequest | None = None, **values: Any) -> bool:
        async with self.writers() as session, session.begin():
            result = await session.execute(update(TranslationJobRow).where(self._mine(job_id)).values(
                claimed_by=None, claimed_until=None, **values))
            if not result.rowcount:
                return False
            if follow_up is not None:
                await SqlTranslationJobs(session).request(follow_up, values.get("finished_at"))
            return True

    async def done(self, job_id: int, now: datetime, result: str | None, detected: str | None, provider: str,
                   *, follow_up: JobRequest | None = None) -> bool:
        """Record the result (``None``: nothing to translate — the text already was in the target language).
        A transcription's follow-up translation is asked for in the same transaction."""
        return await self._finish(job_id, follow_up, status=DONE, result=result, detected_language=detected,
                                  provider=provider, error=None, finished_at=now, next_try_at=None, audio_ref=None,
                                  attempts=TranslationJobRow.attempts + 1)

    async def retry(self, job_id: int, not_before: datetime, error: str, *, count_attempt: bool = True) -> bool:
        """Back to pending until ``not_before``; ``count_attempt=False`` when the service only said "later" (429)."""
        values: dict[str, Any] = dict(status=PENDING, next_try_at=not_before, error=error[:500])
        if count_attempt:
            values["attempts"] = TranslationJobRow.attempts + 1
        return await self._finish(job_id, **values)

    async def failed(self, job_id: int, now: datetime, error: str, *, gave_up: bool) -> bool:
        """Finished without a result: refused by the service (``failed``) or out of attempts (``given_up``)."""
        return await self._finish(job_id, status=GIVEN_UP if gave_up else FAILED, error=error[:500],
                                  finished_at=now, next_try_at=None, audio_ref=None,
                                  attempts=TranslationJobRow.attempts + 1)

    async def release(self, job_ids: Sequence[int]) -> int:
        """Give claims back untouched (the service is paused, or the runner is stopping)."""
        if not job_ids:
            return 0
        async with self.writers() as session, session.begin():
            result = await session.execute(
                update(TranslationJobRow).where(TranslationJobRow.id.in_(list(job_ids)),
                                                TranslationJobRow.claimed_by == self.worker,
                                                TranslationJobRow.status == RUNNING)
                .values(status=PENDING, claimed_by=None, claimed_until=None))
            return result.rowcount or 0

    async def release_all_mine(self) -> int:
        async with self.writers() as session, session.begin():
            result = await session.execute(
                update(TranslationJobRow).where(TranslationJobRow.claimed_by == self.worker,
                                                TranslationJobRow.status == RUNNING)
                .values(status=PENDING, claimed_by=None, claimed_until=None))
            return result.rowcount or 0

    async def recover_expired(self, now: datetime) -> int:
        """Jobs of a runner that stopped without handing them back: pending again once their lease ran out."""
        async with self.writers() as session, session.begin():
            result = await session.execute(
                update(TranslationJobRow).where(TranslationJobRow.status == RUNNING,
                                                TranslationJobRow.claimed_until < now)
                .values(status=PENDING, claimed_by=None, claimed_until=None))
            return result.rowcount or 0

    # --- the announce hook (bot/translation/runner.py) --------------------------------------------------
    async def unannounced(self, limit: int = 50) -> list[Job]:
        """Finished jobs the announce hook has not seen yet, oldest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(TranslationJobRow).where(TranslationJobRow.status.in_(FINISHED),
                                                TranslationJobRow.announced_at.is_(None))
                .order_by(TranslationJobRow.finished_at, TranslationJobRow.id).limit(limit))
            return [job_of(r) for r in rows]

    async def announced(self, job_ids: Sequence[int], now: datetime) -> int:
        if not job_ids:
            return 0
        async with self.writers() as session, session.begin():
            result = await session.execute(
                update(TranslationJobRow).where(TranslationJobRow.id.in_(list(job_ids)),
                                                TranslationJobRow.announced_at.is_(None),
                                                TranslationJobRow.status.in_(FINISHED))
                .values(announced_at=now))
            return result.rowcount or 0

    async def counts(self) -> dict[str, int]:
        async with self.sessions() as session:
            rows = await session.execute(select(TranslationJobRow.status, func.count())
                                         .group_by(TranslationJobRow.status))
            return {status: n for status, n in rows.all()}


__all__ = ["SqlTranslationJobs", "TranslationJobRow", "TranslationQueue", "forget_sources", "job_of"]
