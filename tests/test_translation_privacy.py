"""Translations and transcripts are personal data: /mydata shows them, /delete erases them, and they go
when a decided submission loses its link to the resident (retention)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest_asyncio
from sqlalchemy import select

from dialogs.translation.jobs import JobRequest, Source, voice_field
from storage.retention import RetentionPolicy, run_retention
from storage.translation import SqlTranslationJobs, TranslationJobRow, TranslationQueue
from tests.chat import ChatClient
from tests.ideas_helpers import send_project_idea, submission
from tests.staff_tools import add_staff, staff_in_group


@pytest_asyncio.fixture
async def dana(staffed, db):
    await add_staff(db, 42, "Dana")
    return staff_in_group(staffed, 42, name="Dana")


async def translated(db, clock, sub_id: int, *, transcript: str = "Bankları seviyorum, beni 0176-5550123 ara") -> None:
    """What the runner leaves behind for a submission: its title translated, a voice note as text."""
    async with db.sessions() as session, session.begin():
        jobs = SqlTranslationJobs(session)
        await jobs.request(JobRequest("translate", Source("submission", sub_id, "title"), "de",
                                      text="Panke boyunca banklar", source_language="tr"), clock.now)
        await jobs.request(JobRequest("transcribe", Source("submission", sub_id, voice_field(1)), "de",
                                      audio_ref=f"AwACvoice-{sub_id}", mime="audio/ogg"), clock.now)
    queue = TranslationQueue(db.sessions, "test")
    for job in await queue.claim(clock.now, 10, timedelta(minutes=5), ["translate", "transcribe"]):
        result = "BÄNKE ENTLANG DER PANKE" if job.task == "translate" else transcript
        await queue.done(job.id, clock.now, result, "tr", "libretranslate" if job.task == "translate" else "whisper")


async def jobs_of(db, sub_id: int) -> list[TranslationJobRow]:
    async with db.sessions() as session:
        return list((await session.scalars(select(TranslationJobRow).where(TranslationJobRow.source_id == sub_id)))
                    .all())


async def test_my_data_shows_translations_and_transcripts_and_who_made_them(staffed, english, db, clock):
    ref = await send_project_idea(english, title="Benches along the Panke")
    row = await submission(db, ref)
    await translated(db, clock, row.id)
    answer = await english.says("/mydata")
    assert "Machine translations and voice notes as text: 2 entries" in answer.text
    [document] = [r.document for r in answer.replies if r.document]
    title, voice = json.loads(document.content)["translations"]
    assert title["of"] == f"{ref} title" and title["what"] == "machine translation"
    assert (title["original"], title["translation"], title["from_language"], title["to_language"],
            title["made_by"]) == ("Panke boyunca banklar", "BÄNKE ENTLANG DER PANKE", "tr", "de", "libretranslate")
    assert voice["what"] == "voice note as text" and voice["voice_note"] is True and voice["made_by"] == "whisper"
    assert voice["text"] == "Bankları seviyorum, beni 0176-5550123 ara"
    assert "AwACvoice" not in document.content.decode()                 # file ids are not shown


async def test_delete_erases_the_residents_translations_and_keeps_everyone_elses(staffed, english, db, clock):
    neighbour = ChatClient(staffed, chat_id=4711, language_code="en", name="Nachbarin")
    await neighbour.onboard("en")
    mine = await submission(db, await send_project_idea(english, title="Benches along the Panke"))
    theirs = await submission(db, await send_project_idea(neighbour, title="A fountain"))
    await translated(db, clock, mine.id)
    await translated(db, clock, theirs.id)
    async with db.sessions() as session, session.begin():           # the team's text to many: nobody's
        await SqlTranslationJobs(session).request(JobRequest("translate", Source("broadcast", mine.id, "text"), "tr",
                                                             text="Kiezfest am Samstag"), clock.now)
    await english.says("/delete")
    done = await english.taps("Yes, delete everything")
    assert "deleted all your data" in done.text
    assert [j.source_kind for j in await jobs_of(db, mine.id)] == ["broadcast"]
    assert len(await jobs_of(db, theirs.id)) == 2


async def test_a_decided_submission_that_loses_its_sender_loses_its_translations(staffed, english, dana, db, clock):
    old = await submission(db, await send_project_idea(english, title="Old idea"))
    await dana.presses(f"mod:ok:{old.id}:{old.version}")
    clock.advance(days=100)
    recent = await submission(db, await send_project_idea(english, title="Recent idea"))
    await dana.presses(f"mod:ok:{recent.id}:{recent.version}")
    await translated(db, clock, old.id)
    await translated(db, clock, recent.id)
    clock.advance(days=81)                                             # old: decided 181 days ago
    await run_retention(db.sessions, clock.now, RetentionPolicy(decided_days=180))
    assert await jobs_of(db, old.id) == []
    assert len(await jobs_of(db, recent.id)) == 2
