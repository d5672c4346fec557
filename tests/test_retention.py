"""Retention: inactive residents are warned (30 and 7 days before) and then erased; old rows are purged."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from dialogs.core.messages import Reply, reply_from_dict
from storage import retention
from storage.models import OutboxRow, ResidentRow, StaffRow
from storage.privacy import AccessLogRow, RetentionNoticeRow
from storage.repositories import SqlOutbox
from storage.retention import Decision, Notice, RetentionPolicy, decide, run_retention
from tests.chat import ChatClient

STAFF_CHAT = -100777
T0 = datetime(2025, 1, 10, 12, 0, tzinfo=timezone.utc)
POLICY = RetentionPolicy()


def days(n: float) -> timedelta:
    return timedelta(days=n)


# --- the decision, as a table -----------------------------------------------------------------------

@pytest.mark.parametrize(("now", "notice", "unreachable", "expected"), [
    (T0 + days(300), None, False, Decision("keep")),
    (T0 + days(335), None, False, Decision("warn", 30, T0 + days(365))),
    (T0 + days(340), Notice(30, T0 + days(335)), False, Decision("keep")),          # already warned
    (T0 + days(358), Notice(30, T0 + days(335)), False, Decision("warn", 7, T0 + days(365))),
    (T0 + days(362), Notice(7, T0 + days(358)), False, Decision("keep")),
    (T0 + days(365), Notice(7, T0 + days(358)), False, Decision("erase")),
    # found late (kiezbot just installed, or the job was off): warned now, erased 7 days later
    (T0 + days(400), None, False, Decision("warn", 7, T0 + days(407))),
    (T0 + days(403), Notice(7, T0 + days(400)), False, Decision("keep")),
    (T0 + days(407), Notice(7, T0 + days(400)), False, Decision("erase")),
    # the 30-day warning was missed, the 7-day one is due: only the 7-day one
    (T0 + days(360), None, False, Decision("warn", 7, T0 + days(367))),
    # came back after a warning (last contact is later than the warning): the warning is void
    (T0 + days(335), Notice(7, T0 - days(5)), False, Decision("warn", 30, T0 + days(365))),
    # blocked kiezbot: cannot be warned, erased at the deadline
    (T0 + days(358), None, True, Decision("keep")),
    (T0 + days(365), None, True, Decision("erase")),
])
def test_decide(now, notice, unreachable, expected):
    assert decide(T0, now, POLICY, notice, unreachable) == expected


def test_decide_with_other_settings():
    policy = RetentionPolicy(inactive_days=90, warning_days=(14,))
    assert decide(T0, T0 + days(75), policy, None) == Decision("keep")
    assert decide(T0, T0 + days(76), policy, None) == Decision("warn", 14, T0 + days(90))
    assert decide(T0, T0 + days(90), policy, Notice(14, T0 + days(76))) == Decision("erase")
    assert decide(T0, T0 + days(90), RetentionPolicy(inactive_days=90, warning_days=()), None) == Decision("erase")


# --- the job against the database -------------------------------------------------------------------

async def run(db, clock, **kwargs):
    return await run_retention(db.sessions, clock.now, RetentionPolicy(), **kwargs)


async def outbox_rows(db, chat_id: int) -> list[OutboxRow]:
    async with db.sessions() as session:
        return list((await session.execute(select(OutboxRow).where(OutboxRow.chat_id == chat_id)
                                           .order_by(OutboxRow.id))).scalars())


async def resident_exists(db, chat_id: int) -> bool:
    async with db.sessions() as session:
        return await session.get(ResidentRow, chat_id) is not None


async def test_an_inactive_resident_is_warned_twice_in_their_language_then_erased(german, db, clock):
    chat_id = german.sender.chat_id
    clock.advance(days=334)
    assert (await run(db, clock)).warned == {}
    clock.advance(days=1)
    report = await run(db, clock, staff_chat_id=STAFF_CHAT)
    assert report.warned == {30: 1} and report.erased_residents == 0
    [warning] = await outbox_rows(db, chat_id)
    reply = reply_from_dict(warning.payload)
    assert "Sie haben mir lange nicht geschrieben" in reply.text and "24. November 2027" in reply.text
    assert [b.data for row in reply.buttons for b in row] == ["privacy:alive"]
    assert (await run(db, clock)).warned == {}                       # same day again: nothing new
    assert len(await outbox_rows(db, chat_id)) == 1

    clock.advance(days=23)                                           # 7 days before
    assert (await run(db, clock)).warned == {7: 1}
    assert len(await outbox_rows(db, chat_id)) == 2
    clock.advance(days=7)
    report = await run(db, clock, staff_chat_id=STAFF_CHAT)
    assert report.erased_residents == 1
    assert not await resident_exists(db, chat_id)
    assert await outbox_rows(db, chat_id) == []                      # the warnings went with the rest
    async with db.sessions() as session:
        [entry] = (await session.execute(select(AccessLogRow))).scalars().all()
        assert entry.actor == "system:retention" and entry.action == "erase"
        assert await session.scalar(select(func.count()).select_from(RetentionNoticeRow)) == 0
    staff = [reply_from_dict(r.payload).text for r in await outbox_rows(db, STAFF_CHAT)]
    assert any("Warned: 1 inactive resident, 30 days" in t or "Gewarnt: 1 inaktive Person, 30 Tage" in t
               for t in staff)
    assert any("1 Person" in t and "gelöscht" in t for t in staff)


async def test_any_message_or_im_still_here_keeps_the_resident(german, db, clock):
    chat_id = german.sender.chat_id
    clock.advance(days=360)
    await run(db, clock)                                             # the 7-day warning
    clock.advance(hours=5)
    answer = await german.presses("privacy:alive")
    assert "Ich behalte Ihre Daten" in answer.text
    clock.advance(days=8)
    report = await run(db, clock)
    assert report.erased_residents == 0 and report.warned == {}
    assert await resident_exists(db, chat_id)
    async with db.sessions() as session:                             # the old warning is void
        assert await session.get(RetentionNoticeRow, chat_id) is None


async def test_staff_are_not_deleted_for_inactivity(dialogs, db, clock):
    async with db.sessions() as session, session.begin():
        session.add(StaffRow(user_id=1500, name="Dana"))
    await ChatClient(dialogs, chat_id=1500, language_code="de").onboard("de")
    clock.advance(days=800)
    report = await run(db, clock)
    assert report.erased_residents == 0 and report.warned == {}
    assert await resident_exists(db, 1500)


async def test_a_dry_run_reports_but_changes_nothing(german, db, clock):
    clock.advance(days=335)
    report = await run(db, clock, dry_run=True, staff_chat_id=STAFF_CHAT)
    assert report.dry_run and report.warned == {30: 1}
    assert await outbox_rows(db, german.sender.chat_id) == [] and await outbox_rows(db, STAFF_CHAT) == []
    clock.advance(days=100)
    report = await run(db, clock, dry_run=True)                     # never warned: would warn, not erase
    assert report.warned == {7: 1} and report.erased_residents == 0
    assert await resident_exists(db, german.sender.chat_id)
    assert any("would be" in line for line in report.lines())


async def put_outbox(db, chat_id: int, state: str, at: datetime, key: str) -> None:
    async with db.sessions() as session, session.begin():
        await SqlOutbox(session).enqueue(chat_id, Reply(text=key), due_at=at, key=key)
        row = await session.scalar(select(OutboxRow).where(OutboxRow.dedupe_key == key))
        row.state, row.created_at = state, at
        row.sent_at = at if state == "sent" else None


async def test_old_delivered_failed_and_cancelled_messages_are_purged(db, clock):
    old, recent = clock.now - timedelta(days=31), clock.now - timedelta(days=10)
    for state in ("sent", "failed", "cancelled"):
        await put_outbox(db, 55, state, old, f"old-{state}")
        await put_outbox(db, 55, state, recent, f"recent-{state}")
    await put_outbox(db, 55, "pending", old, "old-pending")          # never delivered: kept
    report = await run(db, clock)
    assert report.outbox_purged == 3
    left = sorted(r.dedupe_key for r in await outbox_rows(db, 55))
    assert left == ["old-pending", "recent-cancelled", "recent-failed", "recent-sent"]
    assert (await run(db, clock)).outbox_purged == 0                 # idempotent


async def test_old_access_log_lines_are_purged(db, clock):
    async with db.sessions() as session, session.begin():
        session.add(AccessLogRow(at=clock.now - timedelta(days=731), actor="cli:x", action="export", subject="r-1"))
        session.add(AccessLogRow(at=clock.now - timedelta(days=10), actor="cli:x", action="export", subject="r-2"))
    assert (await run(db, clock)).access_log_purged == 1


async def test_a_feature_rule_runs_with_the_policy_and_is_reported(db, clock, monkeypatch):
    calls = []

    async def unlink_decided(session, now, policy, dry_run):
        calls.append((now, policy.decided_days, dry_run))
        return 3

    monkeypatch.setitem(retention._RULES, "Decided submissions: personal link removed", unlink_decided)
    report = await run_retention(db.sessions, clock.now, RetentionPolicy(decided_days=90), staff_chat_id=STAFF_CHAT)
    assert calls == [(clock.now, 90, False)]
    assert report.rules == {"Decided submissions: personal link removed": 3}
    [summary] = await outbox_rows(db, STAFF_CHAT)
    assert "Decided submissions: personal link removed: 3" in reply_from_dict(summary.payload).text
    await run_retention(db.sessions, clock.now, RetentionPolicy(), dry_run=True)
    assert calls[-1][2] is True


async def test_nothing_to_do_posts_nothing_to_the_staff_chat(english, db, clock):
    report = await run(db, clock, staff_chat_id=STAFF_CHAT)
    assert not report.changed and await outbox_rows(db, STAFF_CHAT) == []


async def test_a_message_during_the_erasure_either_counts_or_starts_afresh(english, db, clock):
    chat_id = english.sender.chat_id
    clock.advance(days=360)
    await run(db, clock)
    clock.advance(days=7)
    report, answer = await asyncio.gather(run(db, clock), english.says("Hello again"))
    if report.erased_residents:
        assert not await resident_exists(db, chat_id)               # erased first: a new contact
        assert "Which language" in answer.text or "Welche Sprache" in answer.text
    else:
        assert await resident_exists(db, chat_id)                   # the message came first: kept
    assert "went wrong" not in answer.text
    again = await run(db, clock)
    assert again.erased_residents == 0


async def test_someone_who_never_agreed_to_the_notice_is_forgotten_after_two_days(dialogs, db, clock):
    from storage.models import ConversationRow
    chose_language = ChatClient(dialogs, chat_id=3101, language_code="de")
    await chose_language.says("/start")
    await chose_language.taps("Deutsch")                    # stored: the language, no consent
    await chose_language.says("/delete")                    # and a step (the confirmation question)
    agreed = ChatClient(dialogs, chat_id=3102, language_code="de")
    await agreed.onboard("de")
    async with db.sessions() as session, session.begin():   # from before this version: what was typed
        session.add(ConversationRow(chat_id=3103, user_id=3103, step="", data={"pending_text": "Ich bin Ada, 0176 1"},
                                    updated_at=clock.now))
    clock.advance(days=1, hours=23)
    report = await run(db, clock, staff_chat_id=STAFF_CHAT)
    assert report.unfinished_removed == 0 and await resident_exists(db, 3101)
    clock.advance(hours=2)
    dry = await run(db, clock, dry_run=True)
    assert dry.unfinished_removed == 2 and await resident_exists(db, 3101)
    report = await run(db, clock, staff_chat_id=STAFF_CHAT)
    assert report.unfinished_removed == 2
    assert not await resident_exists(db, 3101) and await resident_exists(db, 3102)
    async with db.sessions() as session:
        chats = set(await session.scalars(select(ConversationRow.chat_id)))
        assert 3101 not in chats and 3103 not in chats
        assert await session.scalar(select(func.count()).select_from(AccessLogRow)) == 0   # no line about them
    staff = [reply_from_dict(r.payload).text for r in await outbox_rows(db, STAFF_CHAT)]
    assert any("Vergessen: 2 Erstkontakte" in t for t in staff), staff
    assert (await run(db, clock)).unfinished_removed == 0                                # idempotent


async def test_a_first_contact_who_writes_again_is_kept(dialogs, db, clock):
    person = ChatClient(dialogs, chat_id=3201, language_code="de")
    await person.says("/start")
    await person.taps("Deutsch")
    clock.advance(days=3)
    await person.says("Hallo?")                              # still not agreed, but here: counts
    assert (await run(db, clock)).unfinished_removed == 0 and await resident_exists(db, 3201)
