"""Translations and transcripts are personal data: /mydata shows them, /delete and retention erase them.

A job's link to a person is its source: everything a resident sends and the team says back belongs to a
submission (source kind ``submission``), so a job belongs to whoever the submission belongs to.
Broadcasts, events and meetings are the team's texts to many and hold nothing about a resident.

* **Export:** every translation and transcript of the resident's submissions, with the service that
  made it (who saw the text), its state and languages; voice notes by "yes", never by file id.
* **Erase:** deleted — on ``/delete`` (this eraser runs before the ideas eraser, which anonymises the
  submissions) and whenever a submission loses its link to the person: the ideas feature's
  ``anonymise`` (``storage/ideas_personal_data.py``, used by ``/delete`` and by the retention rule for
  decided submissions) calls :func:`storage.translation.forget_sources`. The council keeps the
  submission's original text; machine translations of it can be made again, transcripts go with the
  voice notes they were made from.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.ideas.rules import Attachment, Content
from dialogs.translation import view  # noqa: F401  (names this section in the /mydata summary)
from dialogs.translation.jobs import SUBMISSION, JobRequest, Source, note_voice_field, voice_field
from storage.ideas import SqlSubmissions, SubmissionRow
from storage.personal_data import SamplePerson, Subject, register_personal_data
from storage.translation import SqlTranslationJobs, TranslationJobRow

# Source kinds that belong to a resident: kind -> the ids of that kind owned by a chat.
OWNERS: dict[str, Callable[[int], Select]] = {
    SUBMISSION: lambda chat_id: select(SubmissionRow.id).where(SubmissionRow.chat_id == chat_id),
}


def _theirs(chat_id: int):  # noqa: ANN202
    from sqlalchemy import and_, or_
    return or_(*(and_(TranslationJobRow.source_kind == kind, TranslationJobRow.source_id.in_(owned(chat_id)))
                 for kind, owned in OWNERS.items()))


async def export_translations(s: Subject) -> list[dict]:
    refs = dict((await s.session.execute(select(SubmissionRow.id, SubmissionRow.ref)
                                         .where(SubmissionRow.chat_id == s.chat_id))).all())
    rows = (await s.session.scalars(select(TranslationJobRow).where(_theirs(s.chat_id))
                                    .order_by(TranslationJobRow.id))).all()
    out = []
    for r in rows:
        entry = {"of": f"{refs.get(r.source_id, r.source_kind)} {r.source_field}",
                 "what": "voice note as text" if r.task == "transcribe" else "machine translation",
                 "state": r.status, "made_by": r.provider, "asked_at": r.created_at, "finished_at": r.finished_at}
        if r.task == "transcribe":
            entry.update(voice_note=True, spoken_language=r.detected_language, text=r.result)
        else:
            entry.update(original=r.text, from_language=r.detected_language or r.source_language,
                         to_language=r.target_language, translation=r.result)
        out.append(entry)
    return out


async def erase_translations(s: Subject) -> int:
    result = await s.session.execute(delete(TranslationJobRow).where(_theirs(s.chat_id)))
    return result.rowcount or 0


async def sample_translations(session: AsyncSession, person: SamplePerson) -> None:
    content = Content(area_key="badstrasse", kind="question", title="", text="",
                      attachments=[Attachment("voice", person.voice_file_id, 9)])
    sub = await SqlSubmissions(session).create(content, chat_id=person.chat_id, language="ar", now=person.now,
                                               actor_name=person.display_name)
    jobs = SqlTranslationJobs(session)
    said = f"I am {person.display_name}, call me on {person.phone} or write to {person.email}"
    await jobs.request(JobRequest("transcribe", Source(SUBMISSION, sub.id, voice_field(1)), "de",
                                  source_language="ar", audio_ref=person.voice_file_id, mime="audio/ogg"), person.now)
    await jobs.request(JobRequest("transcribe", Source(SUBMISSION, sub.id, note_voice_field(7)), "de",
                                  source_language="ar", audio_ref=person.voice_file_id, mime="audio/ogg"), person.now)
    await jobs.request(JobRequest("translate", Source(SUBMISSION, sub.id, voice_field(1)), "de", text=said,
                                  source_language="ar"), person.now)
    await session.flush()
    # one of them finished: its transcript and translation hold what the person said
    await session.execute(TranslationJobRow.__table__.update()
                          .where(TranslationJobRow.source_field == voice_field(1),
                                 TranslationJobRow.source_id == sub.id)
                          .values(status="done", result=said, detected_language="ar", provider="sample",
                                  finished_at=person.now + timedelta(seconds=5)))


register_personal_data("translations", tables=("translation_jobs",), export=export_translations,
                       erase=erase_translations, sample=sample_translations, order=45)

__all__ = ["OWNERS", "erase_translations", "export_translations"]
