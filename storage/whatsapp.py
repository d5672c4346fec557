"""Residents on WhatsApp: their channel identity, window, STOP, last menu, and message statuses.

* ``whatsapp_contacts`` — one row per WhatsApp user kiezbot has talked to: the WhatsApp id (their phone
  number — personal data) and the **chat id** kiezbot's flows, outbox and logs know them by. Chat ids of
  WhatsApp residents are drawn at random from ``[WHATSAPP_CHAT_BASE, WHATSAPP_CHAT_BASE + 10**15)``,
  above every Telegram id (Telegram's user ids have at most 52 bits, < 4.6·10**15; groups are negative)
  and below 2**53, so they never collide with a Telegram chat, stay exact in JSON, and an erased
  resident's id is not handed to the next person. Also: when they last wrote (the 24-hour window),
  when they sent STOP, and the menu they were offered last (to read a typed number or label).
* ``whatsapp_sent`` — the Cloud API's message id (``wamid``) of each message kiezbot sent, with the
  outbox row it belongs to and the last status Meta reported (sent, delivered, read, failed + error).
  Kept 30 days.

Both are exported by /mydata and erased by /delete (and by retention, which erases through the same
handlers); the phone number appears nowhere else — not in logs (the chat id's pseudonym is used), not in
the outbox (the chat id is).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import JSON, BigInteger, Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, OutboxRow, ResidentRow
from storage.personal_data import SamplePerson, Subject, declare_no_personal_data, register_personal_data

WHATSAPP_CHAT_BASE = 8 * 10**15
WHATSAPP_CHAT_SPAN = 10**15
KEEP_SENT = timedelta(days=30)


def writer(sessions: async_sessionmaker) -> async_sessionmaker:
    """Sessions for this module's read-then-write transactions: on SQLite they BEGIN IMMEDIATE (a deferred
    transaction that read first cannot take the write lock while another connection wrote meanwhile)."""
    return async_sessionmaker(sessions.kw["bind"].execution_options(sqlite_immediate=True), expire_on_commit=False)


def is_whatsapp_chat(chat_id: int) -> bool:
    return WHATSAPP_CHAT_BASE <= chat_id < WHATSAPP_CHAT_BASE + WHATSAPP_CHAT_SPAN


class WhatsAppContactRow(Base):
    __tablename__ = "whatsapp_contacts"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    wa_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime]
    last_inbound_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    menu: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class WhatsAppSentRow(Base):
    __tablename__ = "whatsapp_sent"
    wamid: Mapped[str] = mapped_column(String(128), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)    # outbox.id
    sent_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)


class WhatsAppInboundRow(Base):
    """Message ids of WhatsApp messages kiezbot took, so a delivery Meta repeats (or someone replays) is
    handled once across all processes. Meta's opaque ids and a time: nothing about a person."""

    __tablename__ = "whatsapp_inbound"
    wamid: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


KEEP_INBOUND = timedelta(days=8)          # Meta retries a webhook delivery for up to 7 days


async def claim_inbound(session: AsyncSession, wamid: str, now: datetime) -> bool:
    """True the first time ``wamid`` is seen (by any process), False for a repeat."""
    try:
        async with session.begin_nested():
            session.add(WhatsAppInboundRow(wamid=wamid, received_at=now))
            await session.flush()
    except IntegrityError:
        return False
    if int(now.timestamp()) % 100 == 0:      # now and then: forget ids Meta can no longer repeat
        await session.execute(delete(WhatsAppInboundRow).where(WhatsAppInboundRow.received_at < now - KEEP_INBOUND))
    return True


async def release_inbound(session: AsyncSession, wamid: str) -> None:
    """Handling failed: let Meta's next delivery of ``wamid`` be handled."""
    await session.execute(delete(WhatsAppInboundRow).where(WhatsAppInboundRow.wamid == wamid))


async def contact_by_wa_id(session: AsyncSession, wa_id: str) -> WhatsAppContactRow | None:
    return await session.scalar(select(WhatsAppContactRow).where(WhatsAppContactRow.wa_id == wa_id))


async def contact(session: AsyncSession, chat_id: int) -> WhatsAppContactRow | None:
    return await session.get(WhatsAppContactRow, chat_id)


async def contact_for(session: AsyncSession, wa_id: str, now: datetime) -> WhatsAppContactRow:
    """The contact row of ``wa_id``, made on first contact (a fresh random chat id)."""
    found = await contact_by_wa_id(session, wa_id)
    if found is not None:
        return found
    for _ in range(5):
        row = WhatsAppContactRow(chat_id=WHATSAPP_CHAT_BASE + secrets.randbelow(WHATSAPP_CHAT_SPAN), wa_id=wa_id,
                                 created_at=now)
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
            return row
        except IntegrityError:        # the same person in another process just now, or (rarely) the id
            found = await contact_by_wa_id(session, wa_id)
            if found is not None:
                return found
    raise RuntimeError("no free WhatsApp chat id after 5 tries")


async def record_sent(session: AsyncSession, wamid: str, chat_id: int, outbox_id: int | None, now: datetime) -> None:
    session.add(WhatsAppSentRow(wamid=wamid, chat_id=chat_id, outbox_id=outbox_id, sent_at=now, status="accepted"))
    await session.execute(delete(WhatsAppSentRow).where(WhatsAppSentRow.chat_id == chat_id,
                                                        WhatsAppSentRow.sent_at < now - KEEP_SENT))


async def record_status(session: AsyncSession, wamid: str, status: str,
                        error_code: int | None) -> WhatsAppSentRow | None:
    """Note Meta's status for a message kiezbot sent; statuses only move forward (a late "delivered"
    does not undo "read"); "failed" also marks its outbox row failed with the error code."""
    row = await session.get(WhatsAppSentRow, wamid)
    if row is None:
        return None
    order = ("accepted", "sent", "delivered", "read")
    if status == "failed" or row.status == "failed" or order.index(status) > order.index(row.status):
        if row.status != "failed":
            row.status, row.error_code = status, error_code
    if status == "failed" and row.outbox_id is not None:
        await session.execute(update(OutboxRow).where(OutboxRow.id == row.outbox_id, OutboxRow.state == "sent")
                              .values(state="failed", last_error=f"WhatsApp reported failed ({error_code})"))
    return row


async def stop_unrequested(session: AsyncSession, chat_id: int, now: datetime, purposes: tuple[str, ...]) -> int:
    """STOP: note it and cancel the resident's waiting unrequested messages (reminders, broadcasts …)."""
    await session.execute(update(WhatsAppContactRow).where(WhatsAppContactRow.chat_id == chat_id)
                          .values(stopped_at=now))
    result = await session.execute(update(OutboxRow).where(
        OutboxRow.chat_id == chat_id, OutboxRow.state == "pending", OutboxRow.purpose.in_(purposes))
        .values(state="cancelled", last_error="not sent: the resident sent STOP on WhatsApp"))
    return result.rowcount or 0


# --- personal data ---------------------------------------------------------------------------------
async def _export(s: Subject) -> dict | None:
    row = await contact(s.session, s.chat_id)
    if row is None:
        return None
    sent = (await s.session.execute(select(WhatsAppSentRow.sent_at, WhatsAppSentRow.status)
                                    .where(WhatsAppSentRow.chat_id == s.chat_id)
                                    .order_by(WhatsAppSentRow.sent_at))).all()
    return {"whatsapp_number": row.wa_id, "first_contact": row.created_at, "last_message": row.last_inbound_at,
            "stopped_unrequested_messages_at": row.stopped_at, "last_menu_offered": row.menu,
            "messages_sent_to_you": [{"sent_at": at, "status": status} for at, status in sent]}


async def _erase(s: Subject) -> int:
    sent = await s.session.execute(delete(WhatsAppSentRow).where(WhatsAppSentRow.chat_id == s.chat_id))
    contacts = await s.session.execute(delete(WhatsAppContactRow).where(WhatsAppContactRow.chat_id == s.chat_id))
    return (sent.rowcount or 0) + (contacts.rowcount or 0)


async def _sample(session: AsyncSession, person: SamplePerson) -> None:
    session.add(WhatsAppContactRow(chat_id=person.chat_id, wa_id=person.phone,   # as given: the test finds it
                                   created_at=person.now, last_inbound_at=person.now,
                                   menu={"choices": [[person.display_name, "x"]], "numbered": True}))
    session.add(WhatsAppSentRow(wamid=f"wamid.{person.chat_id}", chat_id=person.chat_id, sent_at=person.now,
                                status="read"))


declare_no_personal_data("whatsapp_inbound", reason="Meta's message ids and when they arrived, linked to nobody")
register_personal_data("whatsapp", tables=("whatsapp_contacts", "whatsapp_sent"), export=_export, erase=_erase,
                       sample=_sample)



# --- retention ---------------------------------------------------------------------------------------
async def forget_strangers(sessions: async_sessionmaker, now: datetime, onboarding_days: int,
                           outbox_days: int) -> int:
    """Daily (``kiezbot run``'s housekeeping, beside retention): a number that wrote but never became a
    resident (the engine keeps nothing before a language is chosen) is deleted after ``onboarding_days``,
    like such first contacts; message statuses after ``outbox_days``; message ids after
    :data:`KEEP_INBOUND`. Residents' own rows go with them (erasure and retention, above)."""
    stranger = [~select(ResidentRow.chat_id).where(ResidentRow.chat_id == WhatsAppContactRow.chat_id).exists(),
                WhatsAppContactRow.created_at < now - timedelta(days=onboarding_days)]
    async with writer(sessions).begin() as session:
        strangers = select(WhatsAppContactRow.chat_id).where(*stranger)
        results = [await session.execute(delete(WhatsAppSentRow).where(WhatsAppSentRow.chat_id.in_(strangers))),
                   await session.execute(delete(WhatsAppContactRow).where(*stranger)),
                   await session.execute(delete(WhatsAppSentRow).where(
                       WhatsAppSentRow.sent_at < now - timedelta(days=outbox_days))),
                   await session.execute(delete(WhatsAppInboundRow).where(
                       WhatsAppInboundRow.received_at < now - KEEP_INBOUND))]
    return sum(r.rowcount or 0 for r in results)
