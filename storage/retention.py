"""Retention: personal data are kept only as long as needed — a daily job, idempotent.

:func:`run_retention` (called daily by the scheduler, and by ``kiezbot retention run [--dry-run]``):

1. **Inactive residents.** A resident's deadline is ``last contact + KIEZBOT_RETENTION_INACTIVE_DAYS``
   (365). They are warned ``KIEZBOT_RETENTION_WARNING_DAYS`` (30 and 7) days before it, through the
   outbox, in their language, with a button "I'm still here" (any message or press counts as contact
   and voids the warning). At the deadline their data are erased exactly as by ``/delete`` (every
   registered eraser, see ``storage/personal_data.py``) — but never without the last warning having
   been sent at least its number of days before: a resident found late (the job was off, or kiezbot
   was just installed) is warned now and erased when that warning's days have passed. Residents who
   blocked kiezbot cannot be warned and are erased at the deadline. Team members are exempt.
2. **Unfinished first contacts.** Someone who never chose a language and agreed to the privacy
   notice has at most a language, a step and their chat id stored (nothing they typed, see
   ``dialogs/core/engine.py``); ``KIEZBOT_RETENTION_ONBOARDING_DAYS`` (2) days after their last message all
   of it is erased — with the same erasers, without warning and without an access-log line.
3. **Feature rules** registered with :func:`register_retention_rule`, e.g. the ideas feature removes
   the personal link of decided submissions after ``KIEZBOT_RETENTION_DECIDED_DAYS``.
4. **Outbox:** delivered, failed, blocked and cancelled messages older than
   ``KIEZBOT_OUTBOX_KEEP_DAYS`` (30) are deleted (the one outbox setting; see
   :func:`storage.outbox.finished_before`) — except that a submission's copies in the team's chats keep
   their row without text, holding only Telegram's message ids, so /delete can still take them back.
5. **Access log:** lines older than ``KIEZBOT_RETENTION_ACCESS_LOG_DAYS`` (730) are deleted.
6. **Staff:** when anything changed, a summary is posted to the staff chat (via the outbox).

Each resident is decided and changed in their own transaction under the same per-chat lock as
their updates, with the decision re-checked inside it, so a message arriving at that moment either
counts (nothing is erased) or starts a new contact. Running it twice changes nothing the second time.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.core.i18n import Translator
from dialogs.core.messages import Reply
from dialogs.core.ports import RetentionReport
from dialogs.privacy.resident_flow import retention_report_text, retention_warning
from storage.models import ConversationRow, OutboxRow, ResidentRow, StaffRow
from storage.personal_data import require_wired
from storage.outbox import FINAL_STATES as FINAL_OUTBOX_STATES, finished_before  # noqa: F401 (re-exported)
from storage.privacy import AccessLogRow, RetentionNoticeRow, erased_pseudonym
from storage.repositories import SqlOutbox
from storage.unit_of_work import SqlUnitOfWork

RETENTION_ACTOR = "system:retention"


@dataclass(frozen=True)
class RetentionPolicy:
    inactive_days: int = 365
    warning_days: tuple[int, ...] = (30, 7)
    decided_days: int = 180
    outbox_days: int = 30
    access_log_days: int = 730
    onboarding_days: int = 2

    def __post_init__(self) -> None:
        # the largest warning first, each once (the rules walk them in this order)
        object.__setattr__(self, "warning_days", tuple(sorted(set(self.warning_days), reverse=True)))


RuleFn = Callable[[AsyncSession, datetime, RetentionPolicy, bool], Awaitable[int]]
_RULES: dict[str, RuleFn] = {}


def register_retention_rule(name: str, rule: RuleFn) -> None:
    """A feature's own retention rule: ``rule(session, now, policy, dry_run) -> rows changed`` (or that
    would change, with ``dry_run``; then it must not write). Runs in its own transaction, daily; must
    be idempotent. ``name`` is shown to staff (a msgid marked with N_ in a dialogs module is translated),
    e.g. ``"Decided submissions: personal link removed"`` using ``policy.decided_days``."""
    _RULES[name] = rule


def retention_rules() -> dict[str, RuleFn]:
    return dict(_RULES)


# --- the decision for one resident (pure) -------------------------------------------------------

@dataclass(frozen=True)
class Notice:
    stage: int
    warned_at: datetime


@dataclass(frozen=True)
class Decision:
    action: Literal["keep", "warn", "erase"]
    stage: int | None = None
    delete_on: datetime | None = None


KEEP = Decision("keep")


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; kiezbot stores UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def decide(last_seen: datetime, now: datetime, policy: RetentionPolicy, notice: Notice | None,
           unreachable: bool = False) -> Decision:
    """Warn, erase or keep one resident, given their last contact and the last warning they got."""
    last_seen = aware(last_seen)
    if notice is not None:
        notice = Notice(notice.stage, aware(notice.warned_at))
    deadline = last_seen + timedelta(days=policy.inactive_days)
    if notice is not None and notice.warned_at < last_seen:
        notice = None                                   # they came back after the warning
    stages = sorted(set(policy.warning_days), reverse=True)
    final = stages[-1] if stages else 0
    if now >= deadline:
        if unreachable or not stages:
            return Decision("erase")
        if notice is not None and notice.stage == final and now >= notice.warned_at + timedelta(days=final):
            return Decision("erase")
    reached = [s for s in stages if now >= deadline - timedelta(days=s)]
    if not reached or unreachable:
        return KEEP
    stage = min(reached)
    if notice is not None and notice.stage <= stage:
        return KEEP                                      # this warning (or a later one) was sent
    delete_on = max(deadline, now + timedelta(days=final)) if stage == final else deadline
    return Decision("warn", stage, delete_on)


# --- the job --------------------------------------------------------------------------------------

TranslatorFor = Callable[[str | None], Translator]
# How one resident is erased: dialogs.privacy.resident_flow.erase_resident bound to the running Dialogs (domain steps
# such as freeing event places first); without it only the storage erasers run.
Eraser = Callable[[Any, int, datetime], Awaitable[Any]]


def default_translator(default_language: str = "de", timezone: str = "Europe/Berlin") -> TranslatorFor:
    from locales import load_catalogs
    catalogs = load_catalogs(all_languages=True)

    def translator(code: str | None) -> Translator:
        lang = catalogs.language(code or default_language)
        return Translator(lang, catalogs.translations(lang.code), timezone)
    return translator


async def _candidates(sessions: async_sessionmaker, now: datetime, policy: RetentionPolicy) -> list[int]:
    horizon = now - timedelta(days=policy.inactive_days - max(policy.warning_days, default=0))
    async with sessions() as session:
        rows = await session.scalars(
            select(ResidentRow.chat_id).where(ResidentRow.last_seen_at <= horizon,
                                              ResidentRow.consent_at.is_not(None),    # others: see above
                                              ResidentRow.chat_id.not_in(select(StaffRow.user_id)))
            .order_by(ResidentRow.chat_id))
        return list(rows)


async def _unfinished_candidates(sessions: async_sessionmaker, now: datetime, policy: RetentionPolicy) -> list[int]:
    """Chats of people who never agreed to the notice, silent for ``onboarding_days``: their resident row's
    last contact counts, and without one (no language chosen) their private conversation's last change."""
    cutoff = now - timedelta(days=policy.onboarding_days)
    staff = select(StaffRow.user_id)
    async with sessions() as session:
        residents = await session.scalars(
            select(ResidentRow.chat_id).where(ResidentRow.consent_at.is_(None), ResidentRow.last_seen_at < cutoff,
                                              ResidentRow.chat_id.not_in(staff)))
        conversations = await session.scalars(
            select(ConversationRow.chat_id).where(ConversationRow.chat_id == ConversationRow.user_id,
                                                  ConversationRow.updated_at < cutoff,
                                                  ConversationRow.chat_id.not_in(select(ResidentRow.chat_id)),
                                                  ConversationRow.chat_id.not_in(staff)))
        return sorted(set(residents) | set(conversations))


async def _handle_unfinished(uow: SqlUnitOfWork, chat_id: int, now: datetime, policy: RetentionPolicy,
                             report: RetentionReport, erase: Eraser | None) -> None:
    """Re-checked under the chat's lock: whoever agreed or wrote meanwhile is kept."""
    cutoff = now - timedelta(days=policy.onboarding_days)
    async with uow(chat_id) as store:
        session = store.session
        if await session.get(StaffRow, chat_id) is not None:
            return
        row = await session.get(ResidentRow, chat_id)
        if row is not None:
            if row.consent_at is not None or aware(row.last_seen_at) >= cutoff:
                return
        else:
            newest = await session.scalar(select(func.max(ConversationRow.updated_at))
                                          .where(ConversationRow.chat_id == chat_id,
                                                 ConversationRow.user_id == chat_id))
            if newest is None or aware(newest) >= cutoff:
                return
        if not report.dry_run:
            if erase is not None:
                await erase(store, chat_id, now)
            else:
                await store.personal_data.erase(chat_id, now)
        report.unfinished_removed += 1


async def _decide_in(session: AsyncSession, chat_id: int, now: datetime,
                     policy: RetentionPolicy) -> tuple[Decision, ResidentRow | None]:
    row = await session.get(ResidentRow, chat_id)
    if row is None or await session.get(StaffRow, chat_id) is not None:
        return KEEP, None
    notice_row = await session.get(RetentionNoticeRow, chat_id)
    notice = Notice(notice_row.stage, notice_row.warned_at) if notice_row else None
    return decide(row.last_seen_at, now, policy, notice, unreachable=row.unreachable_at is not None), row


async def _handle_resident(uow: SqlUnitOfWork, chat_id: int, now: datetime, policy: RetentionPolicy,
                           translator: TranslatorFor, report: RetentionReport, erase: Eraser | None) -> None:
    async with uow(chat_id) as store:
        session = store.session
        decision, row = await _decide_in(session, chat_id, now, policy)
        if decision.action == "keep" or row is None:
            return
        if decision.action == "erase":
            if not report.dry_run:
                if erase is not None:
                    erased = await erase(store, chat_id, now)
                else:
                    erased = await store.personal_data.erase(chat_id, now)
                await store.access_log.record(actor=RETENTION_ACTOR, action="erase", chat_id=chat_id, at=now,
                                              detail=f"no contact since {row.last_seen_at:%Y-%m-%d}",
                                              subject=getattr(erased, "erased_as", "") or erased_pseudonym())
            report.erased_residents += 1
            return
        assert decision.stage is not None and decision.delete_on is not None
        report.warned[decision.stage] = report.warned.get(decision.stage, 0) + 1
        if report.dry_run:
            return
        warning = retention_warning(translator(row.language), decision.delete_on)
        await store.outbox.enqueue(chat_id, warning, due_at=now, purpose="retention",
                                   key=f"retention:{chat_id}:{row.last_seen_at:%Y%m%d%H%M}:{decision.stage}")
        notice = await session.get(RetentionNoticeRow, chat_id)
        if notice is None:
            session.add(RetentionNoticeRow(chat_id=chat_id, stage=decision.stage, warned_at=now,
                                           delete_on=decision.delete_on))
        else:
            notice.stage, notice.warned_at, notice.delete_on = decision.stage, now, decision.delete_on


async def _void_stale_notices(session: AsyncSession) -> None:
    """Warnings of residents who came back (or are gone) are void."""
    came_back = select(ResidentRow.chat_id).where(ResidentRow.chat_id == RetentionNoticeRow.chat_id,
                                                  ResidentRow.last_seen_at > RetentionNoticeRow.warned_at)
    still_there = select(ResidentRow.chat_id).where(ResidentRow.chat_id == RetentionNoticeRow.chat_id)
    await session.execute(delete(RetentionNoticeRow).where(or_(came_back.exists(), ~still_there.exists())))


async def _count_or_delete(session: AsyncSession, model: type, conditions: Sequence[Any], dry_run: bool) -> int:
    if dry_run:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    result = await session.execute(delete(model).where(*conditions))
    return result.rowcount or 0


# Copies of a submission in the team's chats (cards, copies opened with /idea, relayed answers): after
# KIEZBOT_OUTBOX_KEEP_DAYS their text and file ids go like any message's, but the row stays with the
# Telegram message ids only, so that /delete can still take the copy back (it goes with the submission's
# personal link: storage/ideas_personal_data.py deletes it then).
STAFF_COPY_PURPOSES = ("staff_card", "staff_copy", "staff_answer")
WITHDRAWABLE = "withdrawable"


async def _strip_staff_copies(session: AsyncSession, old: Sequence[Any], dry_run: bool) -> int:
    conditions = [*old, OutboxRow.state == "sent", OutboxRow.purpose.in_(STAFF_COPY_PURPOSES)]
    if dry_run:
        return await session.scalar(select(func.count()).select_from(OutboxRow).where(*conditions)) or 0
    result = await session.execute(update(OutboxRow).where(*conditions).values(payload={}, purpose=WITHDRAWABLE)
                                   .execution_options(synchronize_session=False))
    return result.rowcount or 0


async def run_retention(sessions: async_sessionmaker, now: datetime, policy: RetentionPolicy | None = None, *,
                        dry_run: bool = False, translator: TranslatorFor | None = None,
                        staff_chat_id: int | None = None, erase: Eraser | None = None) -> RetentionReport:
    """Apply the retention rules once (see the module docstring). Safe to run daily, or twice. The policy
    is a typed value the caller builds (``bot/retention.py`` from the settings); storage reads no settings."""
    require_wired("the retention job")        # every feature's retention rules and erasers, or nothing
    policy = policy or RetentionPolicy()
    if translator is None:
        translator = default_translator("de", "Europe/Berlin")
    report = RetentionReport(dry_run=dry_run)
    uow = SqlUnitOfWork(sessions, addresses=None)  # type: ignore[arg-type]   (no address look-ups here)
    writer = uow.sessions

    if not dry_run:
        async with writer() as session, session.begin():
            await _void_stale_notices(session)
    for chat_id in await _unfinished_candidates(sessions, now, policy):
        await _handle_unfinished(uow, chat_id, now, policy, report, erase)
    for chat_id in await _candidates(sessions, now, policy):
        await _handle_resident(uow, chat_id, now, policy, translator, report, erase)

    for name, rule in retention_rules().items():
        async with writer() as session:
            report.rules[name] = await rule(session, now, policy, dry_run)
            await (session.rollback() if dry_run else session.commit())

    async with writer() as session, session.begin():
        old = finished_before(now - timedelta(days=policy.outbox_days))
        report.outbox_purged = await _strip_staff_copies(session, old, dry_run)
        report.outbox_purged += await _count_or_delete(
            session, OutboxRow, [*old, OutboxRow.purpose != WITHDRAWABLE], dry_run)
        report.access_log_purged = await _count_or_delete(
            session, AccessLogRow, [AccessLogRow.at < now - timedelta(days=policy.access_log_days)], dry_run)
        if staff_chat_id is not None and report.changed and not dry_run:
            text = retention_report_text(translator(None), report)
            await SqlOutbox(session).enqueue(staff_chat_id, Reply(text=text), due_at=now, purpose="retention")
    return report


__all__ = ["Decision", "Notice", "RetentionPolicy", "decide", "register_retention_rule", "run_retention"]
