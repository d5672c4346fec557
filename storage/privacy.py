"""Tables of data protection: the staff access log, retention notices, the pseudonym key.

* ``access_log`` — append-only: who of the team (or which CLI user) exported, erased or looked at a
  resident's data, when, and about whom. The resident is named by a *pseudonym* (a keyed hash of the
  chat id, see :func:`pseudonym`), so the log survives the resident's erasure without keeping their
  Telegram id; the data-protection officer can still answer "who looked at X's data?" by computing
  X's pseudonym (``kiezbot privacy log --resident CHAT_ID``). Retention deletes rows after
  ``KIEZBOT_RETENTION_ACCESS_LOG_DAYS``; the one change ever made to a row: when X's data are erased,
  X's lines get a random pseudonym (``e-…``, :func:`erased_pseudonym`) instead, so that the key —
  kept in the same database — no longer links X to them (or, through "submission BAD-…" in their
  details, to X's anonymised submissions).
* ``retention_notices`` — which inactivity warning a resident got last (stage in days before the
  deletion, when, and the announced date); erased with the resident.
* ``privacy_keys`` — secrets kiezbot makes for itself on first use: the random key of the pseudonyms,
  and (``storage/webhook.py``) the webhook secret when the operator sets none.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from dialogs.core.ports import AccessEntry
from storage.models import Base, utcnow

PSEUDONYM_KEY = "pseudonym"


class AccessLogRow(Base):
    """Append-only: one access of staff (bot or CLI) to a resident's personal data."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(32), default="")     # pseudonym, never the chat id
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_access_log_subject_at", "subject", "at"),)


class RetentionNoticeRow(Base):
    """The last inactivity warning sent to a resident (stage = days before the deletion)."""

    __tablename__ = "retention_notices"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    stage: Mapped[int] = mapped_column(Integer)
    warned_at: Mapped[datetime]
    delete_on: Mapped[datetime]


class PrivacyKeyRow(Base):
    """Secrets kiezbot generates for itself (the pseudonym key); no personal data."""

    __tablename__ = "privacy_keys"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


async def generated_secret(session: AsyncSession, name: str, make: Callable[[], str]) -> str:
    """The installation's secret ``name``; made once by ``make`` (concurrent first uses, also from
    other processes, agree on one value)."""
    value = await session.scalar(select(PrivacyKeyRow.value).where(PrivacyKeyRow.name == name))
    if value is None:
        dialect = session.bind.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        await session.execute(insert(PrivacyKeyRow).values(name=name, value=make())
                              .on_conflict_do_nothing(index_elements=["name"]))
        value = await session.scalar(select(PrivacyKeyRow.value).where(PrivacyKeyRow.name == name))
    assert value is not None
    return value


async def pseudonym_key(session: AsyncSession) -> bytes:
    """The installation's pseudonym key; created once (concurrent first uses agree on one key)."""
    return bytes.fromhex(await generated_secret(session, PSEUDONYM_KEY, lambda: secrets.token_hex(32)))


async def load_pseudonym_key(sessions: async_sessionmaker) -> bytes:
    """:func:`pseudonym_key` in a transaction of its own (for the log formatter at start-up)."""
    async with sessions() as session, session.begin():
        return await pseudonym_key(session)


def pseudonym_with(key: bytes, chat_id: int) -> str:
    """``r-`` and 16 hex digits of HMAC-SHA256(key, chat id): stable per installation, not reversible
    without the key (a plain hash of a Telegram id could be reversed by trying all ids)."""
    return "r-" + hmac.new(key, str(chat_id).encode(), hashlib.sha256).hexdigest()[:16]


async def pseudonym(session: AsyncSession, chat_id: int) -> str:
    return pseudonym_with(await pseudonym_key(session), chat_id)


def erased_pseudonym() -> str:
    """``e-`` and 16 random hex digits: replaces an erased resident's pseudonym in the access log. Random,
    so nothing in the database (the key included) leads from a chat id to it."""
    return "e-" + secrets.token_hex(8)


class SqlAccessLog:
    """The :class:`dialogs.core.ports.AccessLog` port: append and read, never update."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pseudonym(self, chat_id: int) -> str:
        return await pseudonym(self.session, chat_id)

    async def record(self, *, actor: str, action: str, chat_id: int | None, detail: str = "",
                     at: datetime | None = None, subject: str | None = None) -> str:
        """``subject``: instead of ``chat_id``'s pseudonym (an erasure's line: ``ErasureReport.erased_as``)."""
        if subject is None:
            subject = await self.pseudonym(chat_id) if chat_id is not None else ""
        self.session.add(AccessLogRow(at=at or utcnow(), actor=actor[:160], action=action[:32], subject=subject,
                                      detail=detail))
        await self.session.flush()
        return subject

    async def entries(self, chat_id: int | None = None, limit: int = 100) -> Sequence[AccessEntry]:
        query = select(AccessLogRow).order_by(AccessLogRow.at.desc(), AccessLogRow.id.desc()).limit(limit)
        if chat_id is not None:
            query = query.where(AccessLogRow.subject == await self.pseudonym(chat_id))
        rows = (await self.session.execute(query)).scalars()
        return [AccessEntry(r.at, r.actor, r.action, r.subject, r.detail) for r in rows]

    async def purge_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(AccessLogRow).where(AccessLogRow.at < cutoff))
        return result.rowcount or 0
