"""Tables of kiezbot (foundation). Each later feature adds its own module of models next to this one."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, MetaData, SmallInteger,
                        String, Text, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class ResidentRow(Base):
    """A resident who picked a language. Nothing beyond id and language before consent_at is set."""

    __tablename__ = "residents"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime | None]
    area_key: Mapped[str | None] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    unreachable_at: Mapped[datetime | None]   # Telegram answered 403 (blocked / deleted)


class ConversationRow(Base):
    """The step a person is in, in one chat, and their draft: survives restarts.

    In a private chat user_id equals chat_id; in the staff group each team member has a row.
    """

    __tablename__ = "conversations"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    step: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StaffRow(Base):
    """A member of the neighbourhood team: may moderate, run events, meetings and broadcasts."""

    __tablename__ = "staff"
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(128), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class AreaRow(Base):
    __tablename__ = "areas"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    official_name: Mapped[str] = mapped_column(String(128), default="")
    ortsteil: Mapped[str] = mapped_column(String(64), default="")
    website: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[dict[str, Any]] = mapped_column(default=dict)     # staff note per language
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class OfficeRow(Base):
    """The Vor-Ort-Büro of an area. Unknown facts stay NULL and are shown as unknown."""

    __tablename__ = "offices"
    area_key: Mapped[str] = mapped_column(ForeignKey("areas.key", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(128))
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class PlanningAreaRow(Base):
    """A planning area (PLR) of Berlin's LOR system and the QM area it is mapped to, if any."""

    __tablename__ = "planning_areas"
    id: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    area_key: Mapped[str | None] = mapped_column(ForeignKey("areas.key", ondelete="SET NULL"))


class AreaOverrideRow(Base):
    """Staff correction of the approximate PLR mapping: these numbers of a street belong to an area."""

    __tablename__ = "area_overrides"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_key: Mapped[str] = mapped_column(ForeignKey("areas.key", ondelete="CASCADE"))
    street: Mapped[str] = mapped_column(String(128))
    postcode: Mapped[str | None] = mapped_column(String(5))
    numbers: Mapped[str] = mapped_column(String(256))    # as staff write it: "17-34, 119-143"


class StreetRow(Base):
    """A street name of Berlin. ``packed`` holds its addresses in a compact text form (see
    storage.address_book) so the office finder reads them from memory instead of one query each."""

    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    packed: Mapped[str] = mapped_column(Text, default="")


class AddressRecord(Base):
    """One official address of Berlin (Geoportal Berlin / Adressen Berlin, dl-de/by-2-0)."""

    __tablename__ = "addresses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    suffix: Mapped[str] = mapped_column(String(8), default="")
    postcode: Mapped[str] = mapped_column(String(5))
    ortsteil: Mapped[str] = mapped_column(String(64))
    plr_id: Mapped[str] = mapped_column(ForeignKey("planning_areas.id"))

    __table_args__ = (Index("ix_addresses_street_number", "street_id", "number"),)


class DatasetRow(Base):
    """Which version of a reference data file is loaded, so seeding twice changes nothing."""

    __tablename__ = "datasets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxRow(Base):
    """A message waiting to be delivered (or delivered): reminders, broadcasts, notices, staff cards.

    The delivery engine claims due rows, sends them and records the final state; ``dedupe_key``
    makes enqueueing idempotent.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    purpose: Mapped[str] = mapped_column(String(32), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")   # pending, claimed, sending, sent, failed, blocked, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Telegram ids of every part that went out (text, photos, voice notes …), so a message can be
    # taken back later (a resident's /delete removes the team's copies of their submission).
    message_ids: Mapped[list[int] | None] = mapped_column(JSON)
    # Delivery engine (storage/outbox.py): which process holds the row and until when, when a
    # retry may go, how many parts of a multi-part message already went, the broadcast it is part of.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    parts_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    broadcast_id: Mapped[int | None] = mapped_column(Integer)
    # 0: interactive (answers, staff cards, reminders, reports), 1: bulk (broadcasts); lane 0 goes first.
    lane: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    __table_args__ = (Index("ix_outbox_state_due", "state", "due_at"),
                      Index("ix_outbox_claim", "state", "lane", "due_at"),
                      Index("ix_outbox_broadcast_state", "broadcast_id", "state"),
                      # PostgreSQL: cancelling by key prefix is a range in the "C" collation
                      # (storage/repositories.py _CANCEL); SQLite's unique index on the key serves it.
                      Index("ix_outbox_dedupe_key_c", text('dedupe_key COLLATE "C"')).ddl_if(dialect="postgresql"))
