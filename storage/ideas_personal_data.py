"""Personal data in the ideas feature (submissions), for /mydata, /delete and retention.

* **Export:** every submission of the resident with its content, attachments (kinds, not file ids),
  the conversation with the team and its history.
* **Erase (anonymise):** the council keeps the record — kind, area, title, text, costs, status and
  decision — but nothing that leads to the person: the chat id becomes :data:`ANONYMISED_CHAT_ID`;
  in the title, the text and what the team wrote about it (decision note, notes, audit-log notes)
  phone numbers, e-mail addresses, user names, IBANs and the resident's own names are replaced by
  ``***`` (``dialogs/privacy/masking.py``); the location, the photos and voice notes (file ids) and the
  resident's own answers to the team are deleted; the resident leaves the audit log (the audit log is
  otherwise append-only; erasure is the one exception the law demands); the staff-chat cards, copies
  and answers that quoted them are deleted from the outbox (``withdraw_staff_copies`` has taken them
  back out of Telegram first). Notices to the resident go with their outbox rows, machine translations
  and voice-note transcripts of the submission with their jobs (``storage/translation_personal_data.py``).
* **Retention:** decided submissions lose this personal link ``KIEZBOT_RETENTION_DECIDED_DAYS``
  (180) days after the decision, the same way (the sender's names as kiezbot knows them then are masked).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.privacy.masking import mask_personal
from dialogs.core.messages import Media, Reply, reply_to_dict
from dialogs.privacy.resident_flow import ANONYMISED_CHAT_ID
from dialogs.ideas.rules import FINAL, Attachment, Content, Note
from storage.ideas import (SqlSubmissions, SubmissionAttachmentRow, SubmissionEventRow, SubmissionNoteRow,
                           SubmissionRow)
from storage.models import OutboxRow
from storage.personal_data import SamplePerson, Subject, declare_no_personal_data, names_of, register_personal_data
from storage.retention import RetentionPolicy, register_retention_rule
from storage.translation import forget_sources

DECIDED_RULE = "Decided submissions: personal link removed"


async def anonymise(session: AsyncSession, submission_ids: Sequence[int], names: Sequence[str] = ()) -> int:
    """Cut the submissions ``submission_ids`` loose from the person who sent them (``names``: theirs, to
    mask wherever they appear); returns rows touched."""
    touched = 0
    ids = list(submission_ids)
    for start in range(0, len(ids), BATCH):
        touched += await _anonymise_batch(session, ids[start:start + BATCH], tuple(names))
    return touched


BATCH = 50     # keeps the OR of outbox keys well below SQLite's expression-depth limit


async def _mask_column(session: AsyncSession, model: type, columns: Sequence[str], where: Any,
                       names: tuple[str, ...]) -> int:
    """Mask ``columns`` of the rows ``where`` selects (one UPDATE per row that changes)."""
    table = model.__table__
    touched = 0
    for row in (await session.execute(select(table.c.id, *(table.c[c] for c in columns)).where(where))).all():
        changed = {c: mask_personal(v, names) for c, v in zip(columns, row[1:], strict=True) if v}
        changed = {c: v for c, v in changed.items() if v != row[1 + columns.index(c)]}
        if changed:
            await session.execute(update(table).where(table.c.id == row[0]).values(**changed))
            touched += 1
    return touched


async def _anonymise_batch(session: AsyncSession, ids: list[int], names: tuple[str, ...] = ()) -> int:
    refs = list((await session.scalars(select(SubmissionRow.ref).where(SubmissionRow.id.in_(ids)))).all())
    touched = 0
    result = await session.execute(delete(SubmissionAttachmentRow).where(SubmissionAttachmentRow.submission_id.in_(ids)))
    touched += result.rowcount or 0
    touched += await forget_sources(session, "submission", ids)      # translations and transcripts go too
    # Their own answers to the team go (text and voice); what the team wrote stays, masked.
    result = await session.execute(delete(SubmissionNoteRow).where(SubmissionNoteRow.submission_id.in_(ids),
                                                                   SubmissionNoteRow.author == "resident"))
    touched += result.rowcount or 0
    touched += await _mask_column(session, SubmissionNoteRow, ["text"], SubmissionNoteRow.submission_id.in_(ids),
                                  names)
    result = await session.execute(
        update(SubmissionEventRow).where(SubmissionEventRow.submission_id.in_(ids),
                                         SubmissionEventRow.actor_kind == "resident")
        .values(actor_id=None, actor_name="").execution_options(synchronize_session=False))
    touched += result.rowcount or 0
    touched += await _mask_column(session, SubmissionEventRow, ["note"], SubmissionEventRow.submission_id.in_(ids),
                                  names)
    touched += await _mask_column(session, SubmissionRow, ["title", "text", "decision_note"],
                                  SubmissionRow.id.in_(ids), names)
    result = await session.execute(
        update(SubmissionRow).where(SubmissionRow.id.in_(ids))
        .values(chat_id=ANONYMISED_CHAT_ID, latitude=None, longitude=None)
        .execution_options(synchronize_session=False))
    touched += result.rowcount or 0
    # Staff-chat cards and answers carried the photos and voice notes; notices to the resident go too.
    keys = [f"{kind}:{ref}" for ref in refs for kind in ("card", "answer", "notice")]
    if keys:
        result = await session.execute(delete(OutboxRow).where(or_(
            OutboxRow.dedupe_key.in_(keys), *(OutboxRow.dedupe_key.startswith(key + ":") for key in keys))))
        touched += result.rowcount or 0
    return touched


async def _ids_of(session: AsyncSession, chat_id: int) -> list[int]:
    return list((await session.scalars(select(SubmissionRow.id).where(SubmissionRow.chat_id == chat_id))).all())


async def export_ideas(s: Subject) -> list[dict]:
    repo = SqlSubmissions(s.session)
    out = []
    for sub in reversed(await repo.of_resident(s.chat_id, limit=10_000)):
        notes = await repo.notes(sub.id, limit=10_000)
        events = await repo.events(sub.id)
        out.append({
            "reference": sub.ref, "kind": sub.kind, "area": sub.area_key, "status": sub.status,
            "title": sub.title, "text": sub.text, "costs_euro_cents": sub.content.costs_cents,
            "location": ({"latitude": sub.content.latitude, "longitude": sub.content.longitude}
                         if sub.content.latitude is not None else None),
            "photos": len(sub.photos), "voice_notes": len(sub.voices), "sent_at": sub.created_at,
            "decided_at": sub.decided_at, "decision_reason": sub.decision_reason,
            "message_from_the_team": sub.decision_note,
            "conversation": [{"from": "you" if n.author == "resident" else "team", "text": n.text, "at": n.at,
                              "voice_note": bool(n.voice_file_id)} for n in notes],
            "history": [{"what": e.action, "status": e.to_status, "at": e.at,
                         "by": "you" if e.actor_kind == "resident" else "team"} for e in events],
        })
    return out


async def erase_ideas(s: Subject) -> int:
    return await anonymise(s.session, await _ids_of(s.session, s.chat_id), s.names)


async def names_in_ideas(session: AsyncSession, chat_id: int) -> list[str]:
    """The names the resident's submissions were sent or answered under (their Telegram name then)."""
    ids = select(SubmissionRow.id).where(SubmissionRow.chat_id == chat_id).scalar_subquery()
    events = await session.scalars(select(SubmissionEventRow.actor_name).where(
        SubmissionEventRow.submission_id.in_(ids), SubmissionEventRow.actor_kind == "resident").distinct())
    notes = await session.scalars(select(SubmissionNoteRow.name).where(
        SubmissionNoteRow.submission_id.in_(ids), SubmissionNoteRow.author == "resident").distinct())
    return [n for n in [*events, *notes] if n]


async def sample_ideas(session: AsyncSession, person: SamplePerson) -> None:
    repo = SqlSubmissions(session)
    content = Content(area_key="badstrasse", kind="idea", title=f"Bench for the yard ({person.display_name})",
                      text=f"A bench in the yard of Badstraße 10. {person.display_name}, {person.phone}, "
                           f"{person.email}", latitude=52.55, longitude=13.38,
                      attachments=[Attachment("photo", person.photo_file_id), Attachment("voice", person.voice_file_id, 12)])
    sub = await repo.create(content, chat_id=person.chat_id, language="en", now=person.now,
                            actor_name=person.display_name)
    await repo.add_note(sub.id, Note("resident", person.display_name, "It should be green.", person.now,
                                     voice_file_id=person.voice_file_id))
    card = Reply(f"💡 {sub.ref}", media=[Media("photo", person.photo_file_id), Media("voice", person.voice_file_id)])
    session.add(OutboxRow(chat_id=-100500, payload=reply_to_dict(card), purpose="staff_card", state="sent",
                          dedupe_key=f"card:{sub.ref}", sent_at=person.now))


async def unlink_decided(session: AsyncSession, now: datetime, policy: RetentionPolicy, dry_run: bool) -> int:
    """Decided submissions older than the retention period keep their content but not their sender."""
    cutoff = now - timedelta(days=policy.decided_days)
    query = select(SubmissionRow.id).where(and_(SubmissionRow.status.in_(FINAL), SubmissionRow.decided_at < cutoff,
                                                SubmissionRow.chat_id != ANONYMISED_CHAT_ID))
    if dry_run:
        return await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (await session.execute(query.add_columns(SubmissionRow.chat_id))).all()
    by_sender: dict[int, list[int]] = {}
    for sub_id, chat_id in rows:
        by_sender.setdefault(chat_id, []).append(sub_id)
    for chat_id, ids in by_sender.items():
        await anonymise(session, ids, await names_of(session, chat_id))
    return len(rows)


register_personal_data("ideas", tables=("submissions", "submission_attachments", "submission_notes",
                                        "submission_events"),
                       export=export_ideas, erase=erase_ideas, sample=sample_ideas, order=50,
                       names=names_in_ideas)
declare_no_personal_data("reference_counters", reason="running numbers of submission references per area and year")
register_retention_rule(DECIDED_RULE, unlink_decided)
