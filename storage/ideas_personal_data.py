"""Personal data in the ideas feature (submissions), for /mydata, /delete and retention.

* **Export:** every submission of the resident with its content, attachments (kinds, not file ids),
  the conversation with the team and its history.
* **Erase (anonymise):** the council keeps the record — title, text, costs, place, status and
  decision — but nothing that leads to the person: the chat id becomes :data:`ANONYMISED_CHAT_ID`,
  photos and voice notes (file ids) are deleted, the resident's name and voice notes leave the
  conversation and the audit log (the audit log is otherwise append-only; erasure is the one
  exception the law demands), and the staff-chat cards that carried their photos and voice notes
  are deleted from the outbox. Notices to the resident go with their outbox rows, machine translations
  and voice-note transcripts of the submission with their jobs (``storage/translation_personal_data.py``).
* **Retention:** decided submissions lose this personal link ``KIEZBOT_RETENTION_DECIDED_DAYS``
  (180) days after the decision, the same way.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.messages import Media, Reply, reply_to_dict
from dialogs.privacy import ANONYMISED_CHAT_ID
from dialogs.submissions import FINAL, Attachment, Content, Note
from storage.ideas import (SqlSubmissions, SubmissionAttachmentRow, SubmissionEventRow, SubmissionNoteRow,
                           SubmissionRow)
from storage.models import OutboxRow
from storage.personal_data import SamplePerson, Subject, declare_no_personal_data, register_personal_data
from storage.retention import RetentionPolicy, register_retention_rule
from storage.translation import forget_sources

DECIDED_RULE = "Decided submissions: personal link removed"


async def anonymise(session: AsyncSession, submission_ids: Sequence[int]) -> int:
    """Cut the submissions ``submission_ids`` loose from the person who sent them; returns rows touched."""
    touched = 0
    ids = list(submission_ids)
    for start in range(0, len(ids), BATCH):
        touched += await _anonymise_batch(session, ids[start:start + BATCH])
    return touched


BATCH = 50     # keeps the OR of outbox keys well below SQLite's expression-depth limit


async def _anonymise_batch(session: AsyncSession, ids: list[int]) -> int:
    refs = list((await session.scalars(select(SubmissionRow.ref).where(SubmissionRow.id.in_(ids)))).all())
    touched = 0
    result = await session.execute(delete(SubmissionAttachmentRow).where(SubmissionAttachmentRow.submission_id.in_(ids)))
    touched += result.rowcount or 0
    touched += await forget_sources(session, "submission", ids)      # translations and transcripts go too
    result = await session.execute(
        update(SubmissionNoteRow).where(SubmissionNoteRow.submission_id.in_(ids), SubmissionNoteRow.author == "resident")
        .values(name="", voice_file_id=None).execution_options(synchronize_session=False))
    touched += result.rowcount or 0
    result = await session.execute(
        update(SubmissionEventRow).where(SubmissionEventRow.submission_id.in_(ids),
                                         SubmissionEventRow.actor_kind == "resident")
        .values(actor_id=None, actor_name="").execution_options(synchronize_session=False))
    touched += result.rowcount or 0
    result = await session.execute(
        update(SubmissionRow).where(SubmissionRow.id.in_(ids))
        .values(chat_id=ANONYMISED_CHAT_ID).execution_options(synchronize_session=False))
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
    return await anonymise(s.session, await _ids_of(s.session, s.chat_id))


async def sample_ideas(session: AsyncSession, person: SamplePerson) -> None:
    repo = SqlSubmissions(session)
    content = Content(area_key="badstrasse", kind="idea", title="Bench for the yard",
                      text="A bench in the yard of Badstraße 10", latitude=52.55, longitude=13.38,
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
    ids = list((await session.scalars(query)).all())
    await anonymise(session, ids)
    return len(ids)


register_personal_data("ideas", tables=("submissions", "submission_attachments", "submission_notes",
                                        "submission_events"),
                       export=export_ideas, erase=erase_ideas, sample=sample_ideas, order=50)
declare_no_personal_data("reference_counters", reason="running numbers of submission references per area and year")
register_retention_rule(DECIDED_RULE, unlink_decided)
