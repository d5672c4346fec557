"""Sign-in links and sessions of the staff console (``console/``): only hashes of the secrets are stored.

* ``console_links`` — a one-time sign-in link a team member asked for with ``/console`` in a private
  chat: the SHA-256 of its token, whose it is, until when it works, and when it was used. Asking again
  replaces a member's unused link, so at most one works at a time.
* ``console_sessions`` — a browser signed in with such a link: the SHA-256 of the cookie's value, the
  member, the page language, the form token (CSRF) and the idle and absolute ends.

Both belong to a staff row (``ON DELETE CASCADE``): ``kiezbot staff remove`` ends the member's sessions
and links with the row, and every request also reads the staff row, so a session never outlives its
member. Neither table holds anything about residents.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import BigInteger, ForeignKey, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, StaffRow
from storage.personal_data import declare_no_personal_data

# A session's last use is written at most this often (idle timeouts are counted in minutes).
SEEN_EVERY = timedelta(seconds=60)
# Used and expired links are kept this long (a reused link is told "already used", not "unknown").
KEEP_LINKS = timedelta(days=1)


class ConsoleLinkRow(Base):
    __tablename__ = "console_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.user_id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16), default="de")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSessionRow(Base):
    __tablename__ = "console_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.user_id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16), default="de")
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


declare_no_personal_data("console_links", "console_sessions",
                         reason="the team's sign-in links and console sessions (hashes, staff ids), not residents")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything kiezbot stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


class SqlConsoleLinks:
    """The :class:`dialogs.console_signin.staff_flow.ConsoleSignIn` port, inside the update's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issue_link(self, user_id: int, language: str, now: datetime, valid_for: timedelta) -> str:
        token = secrets.token_urlsafe(32)
        links = ConsoleLinkRow.__table__
        await self.session.execute(delete(links).where(
            (links.c.user_id == user_id) & links.c.used_at.is_(None)))
        await self.session.execute(delete(links).where(links.c.expires_at < now - KEEP_LINKS))
        await self.session.execute(links.insert().values(
            token_hash=secret_hash(token), user_id=user_id, language=language[:16], created_at=now,
            expires_at=now + valid_for, used_at=None))
        return token


@dataclass(frozen=True)
class LinkCheck:
    """What a sign-in link is worth: ``ok`` (with the member's name), ``expired``, ``used`` or ``unknown``."""

    status: str
    name: str = ""
    language: str = ""      # the member's chat language when the link was asked for


@dataclass(frozen=True)
class ConsoleUser:
    """The team member behind a console request."""

    user_id: int
    name: str
    language: str
    csrf: str
    session_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class NewSession:
    token: str              # the cookie's value (only its hash is stored)
    user: ConsoleUser


async def check_link(sessions: async_sessionmaker, token: str, now: datetime) -> LinkCheck:
    """Read-only: what opening the link would do (a link preview or a scanner uses nothing up)."""
    async with sessions() as session:
        row = (await session.execute(
            select(ConsoleLinkRow.expires_at, ConsoleLinkRow.used_at, StaffRow.name, ConsoleLinkRow.language)
            .join(StaffRow, StaffRow.user_id == ConsoleLinkRow.user_id)
            .where(ConsoleLinkRow.token_hash == secret_hash(token)))).first()
    if row is None:
        return LinkCheck("unknown")
    expires_at, used_at, name, language = row
    if used_at is not None:
        return LinkCheck("used", language=language)
    if _utc(expires_at) <= now:
        return LinkCheck("expired", language=language)
    return LinkCheck("ok", name, language)


async def redeem_link(sessions: async_sessionmaker, token: str, now: datetime,
                      lifetime: timedelta) -> tuple[LinkCheck, NewSession | None]:
    """Use the link up (one conditional UPDATE: of two tabs opening it at once, one signs in) and start
    a session for its member that ends at ``now + lifetime`` at the latest."""
    links = ConsoleLinkRow.__table__
    async with sessions() as session, session.begin():
        used = (await session.execute(
            update(links).where(links.c.token_hash == secret_hash(token), links.c.used_at.is_(None),
                                links.c.expires_at > now)
            .values(used_at=now).returning(links.c.user_id, links.c.language))).first()
        if used is not None:
            user_id, language = used
            name = await session.scalar(select(StaffRow.name).where(StaffRow.user_id == user_id))
            if name is not None:
                raw, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                rows = ConsoleSessionRow.__table__
                await session.execute(delete(rows).where(rows.c.expires_at < now))
                await session.execute(rows.insert().values(
                    id_hash=secret_hash(raw), user_id=user_id, language=language, csrf=csrf, created_at=now,
                    last_seen_at=now, expires_at=now + lifetime))
                user = ConsoleUser(user_id, name, language, csrf, secret_hash(raw), now + lifetime)
                return LinkCheck("ok", name, language), NewSession(raw, user)
    return await check_link(sessions, token, now), None


async def current_user(sessions: async_sessionmaker, token: str, now: datetime,
                       idle: timedelta) -> ConsoleUser | None:
    """The member whose session ``token`` is, while it lasts (idle and absolute end, staff row present)."""
    if not token or len(token) > 128:
        return None
    digest = secret_hash(token)
    rows = ConsoleSessionRow.__table__
    async with sessions() as session, session.begin():
        row = (await session.execute(
            select(rows.c.user_id, rows.c.language, rows.c.csrf, rows.c.last_seen_at, rows.c.expires_at,
                   StaffRow.name)
            .join(StaffRow, StaffRow.user_id == rows.c.user_id)
            .where(rows.c.id_hash == digest))).first()
        if row is None:
            return None
        user_id, language, csrf, last_seen, expires_at, name = row
        last_seen, expires_at = _utc(last_seen), _utc(expires_at)
        if expires_at <= now or last_seen + idle <= now:
            return None
        if now - last_seen >= SEEN_EVERY:
            await session.execute(update(rows).where(rows.c.id_hash == digest).values(last_seen_at=now))
    return ConsoleUser(user_id, name, language, csrf, digest, expires_at)


async def end_session(sessions: async_sessionmaker, session_hash: str) -> None:
    async with sessions() as session, session.begin():
        await session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.id_hash == session_hash))


async def end_sessions_of(sessions: async_sessionmaker, user_id: int) -> int:
    """End every console session and unused link of one member (what removing them from the team does)."""
    async with sessions() as session, session.begin():
        await session.execute(delete(ConsoleLinkRow).where(ConsoleLinkRow.user_id == user_id))
        result = await session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == user_id))
        return result.rowcount or 0


async def set_language(sessions: async_sessionmaker, session_hash: str, language: str) -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(ConsoleSessionRow).where(ConsoleSessionRow.id_hash == session_hash)
                              .values(language=language[:16]))
