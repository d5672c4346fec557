"""The console's queue: open submissions filtered and paged, one submission with all it needs, photos and
voice notes streamed from (fake) Telegram, and every look at a resident's data in the staff access log."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from dialogs.translation.jobs import JobRequest, Source
from dialogs.ideas.rules import Note
from storage.ideas import SqlSubmissions, SubmissionRow
from storage.privacy import AccessLogRow
from storage.translation import SqlTranslationJobs, TranslationJobRow
from tests.console_tools import (a_submission, console_client, dana, desk, page_text, signed_in,  # noqa: F401
                                 sign_in, ask_for_link)


async def access_lines(db) -> list[tuple[str, str, str]]:
    async with db.sessions() as session:
        return [(r.actor, r.action, r.detail) for r in
                (await session.execute(select(AccessLogRow).order_by(AccessLogRow.id))).scalars()]


async def test_the_queue_lists_open_submissions_oldest_first_with_filters_and_search(signed_in, db, clock):
    first = await a_submission(db, clock, title="Bänke an der Panke", days_ago=3)
    second = await a_submission(db, clock, chat_id=1004, title="Müll im Hof", text="Sperrmüll seit Wochen.",
                                kind="hint", area="pankstrasse", language="tr", days_ago=1)
    decided = await a_submission(db, clock, chat_id=1005, title="Schon entschieden")
    async with db.sessions() as session, session.begin():
        await session.execute(update(SubmissionRow).where(SubmissionRow.ref == decided).values(status="approved"))

    text = await page_text(await signed_in.get("/console/queue"))
    assert "2 Einsendungen" in text and text.index(first) < text.index(second) and decided not in text
    assert "Projektidee" in text and "Hinweis aus dem Kiez" in text

    async def refs(query: str) -> set[str]:
        shown = await page_text(await signed_in.get("/console/queue?" + query))
        return {r for r in (first, second, decided) if r in shown}

    assert await refs("area=pankstrasse") == {second}
    assert await refs("kind=project") == {first}
    assert await refs("language=tr") == {second}
    assert await refs("status=all") == {first, second, decided}
    assert await refs("status=approved") == {decided}
    assert await refs("q=sperrmüll") == {second}
    assert await refs("q=" + first.lower()) == {first}
    assert await refs("from=22.11.2026&to=23.11.2026") == {second}
    assert await refs("to=21.11.2026") == {first}
    bad = await page_text(await signed_in.get("/console/queue?from=gestern&kind=<script>"))
    assert "„gestern“" in bad or "“gestern”" in bad
    assert first in bad and second in bad                      # a bad filter is left out, and said so


async def test_the_queue_pages_in_sql(signed_in, db, clock):
    refs = []
    for n in range(30):
        refs.append(await a_submission(db, clock, chat_id=2000 + n, title=f"Idee Nummer {n:02d}",
                                       days_ago=(30 - n) / 1000))
    one = await page_text(await signed_in.get("/console/queue"))
    two = await page_text(await signed_in.get("/console/queue?page=2"))
    assert "30 Einsendungen" in one and "Seite 1 von 2" in one and "Seite 2 von 2" in two
    assert all(r in one for r in refs[:25]) and not any(r in one for r in refs[25:])
    assert all(r in two for r in refs[25:])


async def test_a_submission_shows_translation_original_location_similar_earlier_and_its_trail(signed_in, db,
                                                                                               clock):
    older = await a_submission(db, clock, chat_id=1004, title="Bänke am Panke-Weg", language="tr",
                               text="Mehr Bänke am Panke-Weg für Ältere.", days_ago=1)
    ref = await a_submission(db, clock, chat_id=1004, title="Panke yolunda banklar", language="tr",
                             text="Panke yolunda yaşlılar için daha fazla bank.", latitude=52.55312,
                             longitude=13.37021, costs_cents=45000)
    async with db.sessions() as session, session.begin():
        sub_id = await session.scalar(select(SubmissionRow.id).where(SubmissionRow.ref == ref))
        jobs = SqlTranslationJobs(session)
        for field, result in (("title", "Bänke am Panke-Weg"), ("text", "Mehr Bänke am Panke-Weg für Ältere.")):
            await jobs.request(JobRequest("translate", Source("submission", sub_id, field), "de", text="…"))
        await session.execute(update(TranslationJobRow).where(TranslationJobRow.source_id == sub_id,
                                                              TranslationJobRow.source_field == "title")
                              .values(status="done", result="Bänke am Panke-Weg", detected_language="tr"))
        await session.execute(update(TranslationJobRow).where(TranslationJobRow.source_id == sub_id,
                                                              TranslationJobRow.source_field == "text")
                              .values(status="done", result="Mehr Bänke für Ältere.", detected_language="tr"))
    page = await signed_in.get(f"/console/queue/{ref.lower()}")
    assert page.status == 200
    text = await page_text(page)
    assert "Maschinelle Übersetzung aus Türkisch" in text and "Mehr Bänke für Ältere." in text
    assert "Panke yolunda yaşlılar için daha fazla bank." in text             # the original beneath
    assert "450,00 €" in text
    html = await page.text()
    assert 'href="https://www.openstreetmap.org/?mlat=52.55312&amp;mlon=13.37021' in html
    assert older in text.split("Ähnliche frühere Einsendungen")[1]              # similar …
    assert older in text.split("Früher von dieser Person")[1]                   # … and the same resident's
    assert "r-" in text and "1004" not in text                                  # by pseudonym only
    assert "eingereicht" in text.split("Verlauf")[1]                            # the audit trail
    assert ("staff:7 Dana", "show", f"submission {ref} (console)") in await access_lines(db)


async def test_photos_and_voice_notes_stream_from_telegram_and_each_look_is_logged(db, clock, tg, dialogs):
    photo = tg.add_file(b"\xff\xd8\xff\xe0JPEG-DATA", "photo")
    voice = tg.add_file(b"OggS-VOICE-DATA", "voice", duration=7)
    ref = await a_submission(db, clock, attachments=[("photo", photo.file_id, 0), ("voice", voice.file_id, 7)])
    from tests.console_tools import team_member
    member = await team_member(dialogs, db)
    client = await console_client(db, clock, telegram_api=tg.base_url, bot_token=tg.token)
    try:
        await sign_in(client, await ask_for_link(member))
        html = await (await client.get(f"/console/queue/{ref}")).text()
        assert f'src="/console/queue/{ref}/file/media/0"' in html
        assert f'<audio controls preload="none" src="/console/queue/{ref}/file/media/1"' in html
        got = await client.get(f"/console/queue/{ref}/file/media/0")
        assert got.status == 200 and got.content_type == "image/jpeg" and await got.read() == b"\xff\xd8\xff\xe0JPEG-DATA"
        got = await client.get(f"/console/queue/{ref}/file/media/1")
        assert got.status == 200 and got.content_type == "audio/ogg" and await got.read() == b"OggS-VOICE-DATA"
        assert tg.token not in html
        for missing in ("media/2", "media/x", "note/1", "other/0"):
            assert (await client.get(f"/console/queue/{ref}/file/{missing}")).status == 404
        answer = tg.add_file(b"OggS-ANSWER", "voice", duration=3)
        async with db.sessions() as session, session.begin():
            sub_id = await session.scalar(select(SubmissionRow.id).where(SubmissionRow.ref == ref))
            note_id = await SqlSubmissions(session).add_note(
                sub_id, Note("resident", "", "", clock(), voice_file_id=answer.file_id))
        html = await (await client.get(f"/console/queue/{ref}")).text()
        assert f'src="/console/queue/{ref}/file/note/{note_id}"' in html          # the resident's spoken answer
        got = await client.get(f"/console/queue/{ref}/file/note/{note_id}")
        assert got.status == 200 and await got.read() == b"OggS-ANSWER"
        lines = await access_lines(db)
        assert ("staff:7 Dana", "show", f"submission {ref} photo 1 (console)") in lines
        assert ("staff:7 Dana", "show", f"submission {ref} voice 2 (console)") in lines
    finally:
        await client.close()


async def test_a_file_telegram_does_not_hand_out_is_a_clear_page(signed_in, db, clock):
    ref = await a_submission(db, clock, attachments=[("photo", "GONE", 0)])
    got = await signed_in.get(f"/console/queue/{ref}/file/media/0")     # no token configured in this console
    assert got.status == 502 and "kann gerade nicht angezeigt werden" in await page_text(got)


async def test_unknown_references_are_a_friendly_404(signed_in):
    for path in ("/console/queue/BAD-2026-999", "/console/queue/<script>", "/console/queue/x%00y"):
        got = await signed_in.get(path)
        assert got.status == 404 and "Traceback" not in await page_text(got)


async def test_in_english_with_a_voice_note_transcribed_and_translated(desk, dialogs, db, clock):
    from storage.ideas import SubmissionAttachmentRow
    from tests.console_tools import team_member

    ref = await a_submission(db, clock, chat_id=1004, language="tr", title="", text="",
                             attachments=[("voice", "VOICE-1", 12)])
    async with db.sessions() as session, session.begin():
        sub_id, attachment_id = (await session.execute(
            select(SubmissionAttachmentRow.submission_id, SubmissionAttachmentRow.id)
            .join(SubmissionRow, SubmissionRow.id == SubmissionAttachmentRow.submission_id)
            .where(SubmissionRow.ref == ref))).one()
        jobs = SqlTranslationJobs(session)
        source = Source("submission", sub_id, f"voice:{attachment_id}")
        await jobs.request(JobRequest("transcribe", source, "de", audio_ref="VOICE-1", mime="audio/ogg"))
        await jobs.request(JobRequest("translate", source, "de", text="Köprünün yanında bank yok."))
        await session.execute(update(TranslationJobRow).where(TranslationJobRow.task == "transcribe")
                              .values(status="done", result="Köprünün yanında bank yok.", detected_language="tr"))
        await session.execute(update(TranslationJobRow).where(TranslationJobRow.task == "translate")
                              .values(status="done", result="An der Brücke gibt es keine Bank.",
                                      detected_language="tr"))
    kim = await team_member(dialogs, db, 8, "Kim", language="en")
    await sign_in(desk, await ask_for_link(kim))
    text = await page_text(await desk.get(f"/console/queue/{ref}"))
    assert "(voice note)" in text and "Voice note · 0:12" in text and "Decision" in text and "Approve" in text
    assert "An der Brücke gibt es keine Bank." in text and "Köprünün yanında bank yok." in text
    queue = await page_text(await desk.get("/console/queue"))
    assert "1 submission matches" in queue and "1 voice note" in queue
