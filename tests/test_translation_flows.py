"""Translation wired into the flows: a resident's words reach the team translated, the team's words reach
the resident translated — through the job runner against the fake LibreTranslate and Whisper servers, with
the clock moved instead of sleeping. Without a service everything reads as before (the other ideas tests)."""
from __future__ import annotations

import pytest_asyncio

from bot.translation.announce import announcer
from bot.translation.libretranslate import LibreTranslate
from bot.translation.runner import RunnerConfig, TranslationRunner
from bot.translation.whisper import WhisperHttp
from dialogs.translation import flows as translation_flows
from dialogs.translation.jobs import RetryPolicy, TranslationPolicy
from dialogs.translation.ports import Audio, Refused
from dialogs.translation.protect import ProtectingTranslator
from tests.chat import ChatClient
from tests.fake_translation import FakeLibreTranslate, FakeWhisper
from tests.ideas_helpers import card_button, outbox, submission
from tests.staff_tools import STAFF_CHAT, staff_in_private

DANA = 501
TITLE = "Avluya bank"
TEXT = "Avluya ağaçların altına bir bank koyalım, yaşlı komşular dinlenebilsin."


class Voices:
    def __init__(self, **files: bytes) -> None:
        self.files = files

    async def fetch(self, ref: str) -> Audio:
        if ref not in self.files:
            raise Refused("no such file")
        return Audio(self.files[ref], "audio/ogg")


@pytest_asyncio.fixture
async def libre():
    async with FakeLibreTranslate() as server:
        yield server


@pytest_asyncio.fixture
async def whisper():
    async with FakeWhisper() as server:
        yield server


@pytest_asyncio.fixture
async def runner(staffed, db, clock, libre, whisper):
    translation_flows.configure(staffed, TranslationPolicy(translate=True, transcribe=True, team_language="de"),
                                live=ProtectingTranslator(LibreTranslate(libre.base_url, timeout=0.5)))
    audio = Voices()
    made = TranslationRunner(db.sessions, translator=ProtectingTranslator(LibreTranslate(libre.base_url, timeout=0.5)),
                             transcriber=WhisperHttp(whisper.base_url, timeout=0.5), audio=audio, clock=clock,
                             config=RunnerConfig(retry=RetryPolicy(max_attempts=10)), announce=announcer(staffed))
    made.voices = audio
    made.dialogs = staffed
    yield made
    await made.close()
    await translation_flows.settings(staffed).live.close()


@pytest_asyncio.fixture
async def turkish(staffed):
    client = ChatClient(staffed, chat_id=2001, language_code="tr")
    await client.onboard("tr")
    return client


@pytest_asyncio.fixture
async def dana(staffed, db):
    return await staff_in_private(staffed, db, DANA, "Dana", display_name="Dana K.")


async def send_idea(client: ChatClient, title: str = TITLE, text: str = TEXT) -> None:
    await client.presses("idea:new")
    await client.presses("idea:kind:project")
    await client.presses("idea:area:badstrasse")
    await client.says(title)
    await client.says(text)
    await client.presses("idea:send")


async def last_ref(db) -> str:
    from sqlalchemy import select
    from storage.ideas import SubmissionRow
    async with db.sessions() as session:
        return (await session.scalars(select(SubmissionRow.ref).order_by(SubmissionRow.id.desc()))).first()


async def test_a_turkish_idea_reaches_the_card_in_german_with_the_original_beneath(runner, turkish, dana, db, libre):
    await send_idea(turkish)
    ref = await last_ref(db)
    [first] = await outbox(db, "staff_card")
    assert TEXT in first.text and "Übersetzung folgt" in first.text          # stored and shown at once
    report = await runner.drain()
    assert report.done == 2 and report.announced == 2
    cards = await outbox(db, "staff_card")
    assert len(cards) == 2 and cards[1].chat_id == STAFF_CHAT
    card = cards[1].text
    assert "Maschinell übersetzt, Originalsprache: Türkisch" in card
    assert card.index(TEXT.upper()) < card.index("Original (Türkisch):") < card.index(TEXT)
    assert await runner.drain() == type(report)()                               # nothing twice
    assert len(await outbox(db, "staff_card")) == 2
    shown = await dana.says(f"/idea {ref}")
    assert shown.text.index(TEXT.upper()) < shown.text.index(TEXT)


ARABIC = "نريد مقاعد في الفناء"


@pytest_asyncio.fixture
async def arabic(staffed):
    client = ChatClient(staffed, chat_id=2002, language_code="ar")
    await client.onboard("ar")
    return client


async def test_an_arabic_voice_note_reaches_the_card_as_text_with_its_german_translation(runner, arabic, whisper, db):
    voice = b"OggS-amal-voice"
    runner.voices.files["voice-ar-1"] = voice
    whisper.say(voice, ARABIC, "ar")
    await arabic.presses("idea:new")
    await arabic.presses("idea:kind:project")
    await arabic.presses("idea:area:badstrasse")
    await arabic.says("مقاعد")
    await arabic.sends("voice", file_id="voice-ar-1", duration=20)
    await arabic.presses("idea:next:body")
    await arabic.presses("idea:send")
    [first] = await outbox(db, "staff_card")
    assert "Sprachnachricht" in first.text and ARABIC not in first.text
    await runner.drain()            # transcript, and the translations of the title and of the transcript
    await runner.drain()
    card = (await outbox(db, "staff_card"))[-1].text
    assert ARABIC in card and f"[{ARABIC}]" in card                       # transcript and its "translation"
    assert "Arabisch" in card


async def test_the_teams_german_question_reaches_the_resident_in_turkish_with_the_original(runner, turkish, dana,
                                                                                          db, libre):
    await send_idea(turkish)
    ref = await last_ref(db)
    await dana.presses(await card_button(db, ref, "ask"))
    preview = await dana.says("Wo genau im Hof soll die Bank stehen?")
    # what the resident will read, before sending; and the way out of the translation
    assert "WO GENAU IM HOF SOLL DIE BANK STEHEN?" in preview.text
    assert "mod:raw:" in " ".join(preview.button_data().values())
    await dana.taps("Send")
    [notice] = await outbox(db, "idea_notice", chat_id=turkish.sender.chat_id)
    text = notice.text
    assert text.index("WO GENAU IM HOF SOLL DIE BANK STEHEN?") < text.index("Wo genau im Hof soll die Bank stehen?")
    assert "Almanca" in text                                   # marked: machine translation from German


async def test_without_a_preview_the_question_waits_for_its_job_and_never_longer_than_the_bound(
        runner, turkish, dana, db, libre, clock):
    await send_idea(turkish)
    ref = await last_ref(db)
    await runner.drain()
    libre.mode = "down"
    await dana.presses(await card_button(db, ref, "ask"))
    preview = await dana.says("Wo genau im Hof?")
    assert "Wo genau im Hof?" in preview.text
    await dana.taps("Send")
    [waiting] = await outbox(db, "idea_notice", chat_id=turkish.sender.chat_id)
    assert waiting.key.endswith(":w") and "Wo genau im Hof?" in waiting.text   # the original, if need be
    await runner.drain()                                       # the service is down: the job waits
    libre.mode = "ok"
    clock.advance(minutes=1)
    await runner.drain()
    notices = await outbox(db, "idea_notice", chat_id=turkish.sender.chat_id)
    assert [n.key.rsplit(":", 1)[1] for n in notices] == ["w", "t"]
    assert "WO GENAU IM HOF?" in notices[1].text


async def test_send_without_translation(runner, turkish, dana, db):
    await send_idea(turkish)
    ref = await last_ref(db)
    await dana.presses(await card_button(db, ref, "ask"))
    preview = await dana.says("Wo genau?")
    raw = [data for data in preview.button_data().values() if data.startswith("mod:raw:")]
    await dana.presses(raw[0])
    [notice] = await outbox(db, "idea_notice", chat_id=turkish.sender.chat_id)
    assert "Wo genau?" in notice.text and "WO GENAU?" not in notice.text


async def test_the_export_has_the_translations_and_the_similarity_check_compares_them(runner, turkish, german, db,
                                                                                     monkeypatch, tmp_path):
    from tests.test_export_ideas import read_csv, run_cli
    await send_idea(turkish)
    out = tmp_path / "pending.csv"
    assert await run_cli(monkeypatch, db, "export", "ideas", "--output", str(out)) == 0
    [pending] = read_csv(out)
    assert (pending["text"], pending["text_translation"]) == (TEXT, "pending")
    await runner.drain()
    assert await run_cli(monkeypatch, db, "export", "ideas", "--output", str(out)) == 0
    [done] = read_csv(out)
    assert (done["title_translation"], done["text_translation"]) == (TITLE.upper(), TEXT.upper())
    assert done["source_language"] == "Türkçe"
    # A German idea about the same: found alike, although the Turkish original shares no word with it
    # (the fake's "translation" is upper case, so a real German one is put in its place).
    from sqlalchemy import update
    from storage.translation import TranslationJobRow
    async with db.sessions() as session, session.begin():
        await session.execute(update(TranslationJobRow).where(TranslationJobRow.source_field == "title")
                              .values(result="Bank im Hof"))
        await session.execute(update(TranslationJobRow).where(TranslationJobRow.source_field == "text")
                              .values(result="Stellen wir eine Bank unter die Bäume im Hof, damit ältere Nachbarn "
                                             "sich ausruhen können."))
    await send_idea(german, title="Eine Bank im Hof", text="Bitte eine Bank unter die Bäume im Hof stellen, damit "
                                                          "ältere Nachbarn sich ausruhen können.")
    card = (await outbox(db, "staff_card"))[-1].text
    assert "Ähnliche" in card and "BAD-2026-001" in card.split("Ähnliche", 1)[1]


async def deliver_due(db, now) -> list[str]:
    """What the delivery engine does: every pending message that is due is sent (keys of those sent)."""
    from sqlalchemy import select
    from storage.models import OutboxRow
    sent = []
    async with db.sessions() as session, session.begin():
        for row in (await session.scalars(select(OutboxRow).where(OutboxRow.state == "pending"))).all():
            due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=now.tzinfo)
            if due <= now:
                row.state = "sent"
                sent.append(row.dedupe_key)
    return sent


async def test_ten_minutes_without_the_service_lose_and_delay_nothing(runner, turkish, arabic, dana, db, libre,
                                                                     clock):
    libre.mode = "down"
    await send_idea(turkish)
    clock.advance(seconds=30)
    await send_idea(arabic, title="مقاعد في الفناء", text=ARABIC)
    refs = [r.ref for r in await _all(db)]
    assert len(refs) == 2
    cards = await outbox(db, "staff_card")
    assert [c.key for c in cards] == [f"card:{ref}" for ref in refs]            # the team has both at once …
    assert all("Übersetzung folgt" in c.text for c in cards)                    # … marked "translation follows"
    assert len(await deliver_due(db, clock.now)) == 2
    # the team asks back meanwhile: the resident gets the German original after the bounded wait
    await dana.presses(await card_button(db, refs[0], "ask"))
    await dana.says("Wo genau?")
    await dana.taps("Send")
    for _minute in range(10):
        await runner.drain()
        clock.advance(minutes=1)
        await deliver_due(db, clock.now)
    [waited] = await outbox(db, "idea_notice", chat_id=turkish.sender.chat_id)
    assert "Wo genau?" in waited.text and await _state(db, waited.key) == "sent"  # not stuck behind the service
    libre.mode = "ok"
    clock.advance(minutes=10)                   # the longest wait between two tries is shorter
    await runner.drain()
    await runner.drain()
    jobs = await _jobs(db)
    assert jobs and all(j.status == "done" for j in jobs)                        # every one filled in
    redrawn = [c for c in await outbox(db, "staff_card") if ":tr:" in (c.key or "")]
    assert sorted(c.key.split(":")[1] for c in redrawn) == sorted(refs)
    assert all("Übersetzung folgt" not in c.text for c in redrawn)
    # the translated ask-back does not follow the original that went out: the resident is not told twice
    assert len(await outbox(db, "idea_notice", chat_id=turkish.sender.chat_id)) == 1


async def _all(db):
    from sqlalchemy import select
    from storage.ideas import SubmissionRow
    async with db.sessions() as session:
        return (await session.scalars(select(SubmissionRow).order_by(SubmissionRow.id))).all()


async def _jobs(db):
    from sqlalchemy import select
    from storage.translation import TranslationJobRow, job_of
    async with db.sessions() as session:
        return [job_of(r) for r in (await session.scalars(select(TranslationJobRow))).all()]


async def _state(db, key):
    from sqlalchemy import select
    from storage.models import OutboxRow
    async with db.sessions() as session:
        return await session.scalar(select(OutboxRow.state).where(OutboxRow.dedupe_key == key))


async def test_broadcast_preview_offers_machine_translations_for_the_other_languages(runner, db, libre):
    from tests.staff_tools import add_staff, staff_in_group
    dialogs = runner.dialogs
    await add_staff(db, 42, "Dana")
    dana = staff_in_group(dialogs, 42, "en", name="Dana")
    await dana.says("/broadcast")
    await dana.taps("Everyone")
    german = "Am Samstag ist Kiezfest auf dem Nettelbeckplatz!"
    await dana.says(german)
    await dana.taps("Add English")
    await dana.says("Street party on Saturday!")                # typed: wins, no machine translation for it
    offered = await dana.presses("bcast:mt")
    languages = [lang.code for lang in dialogs.catalogs.languages]
    others = {code for code in languages if code not in ("de", "de_simple", "en")}
    shown = [b.data.rsplit(":", 1)[1] for r in offered.replies for row in r.buttons for b in row
             if b.data.startswith("bcast:mtok:")]
    assert set(shown) == others and len(others) >= 7             # one machine translation per missing language
    assert german.upper() in offered.text
    await dana.presses("bcast:mtok:tr")                         # accept
    await dana.presses("bcast:mtno:ar")                         # drop: Arabic readers get the German text
    await dana.presses("bcast:mted:ru")                         # edit: the team's own words win
    await dana.says("В субботу праздник!")
    preview = await dana.presses("bcast:preview")
    assert german.upper() in preview.text and "В субботу праздник!" in preview.text
    assert "Street party on Saturday!" in preview.text and "STREET PARTY" not in preview.text
    assert "Almanca" in preview.text                            # the Turkish version is marked (from German)


async def test_a_voice_answer_to_the_teams_question_reaches_the_card_as_text(runner, arabic, dana, whisper, db):
    voice = b"OggS-answer"
    runner.voices.files["voice-ar-answer"] = voice
    whisper.say(voice, "في الزاوية قرب الشجرة", "ar")
    await send_idea(arabic, title="مقاعد في الفناء", text=ARABIC)
    ref = await last_ref(db)
    await dana.presses(await card_button(db, ref, "ask"))
    await dana.says("Wo genau?")
    await dana.taps("Send")
    row = await submission(db, ref)
    await arabic.presses(f"idea:answer:{row.id}")
    await arabic.sends("voice", file_id="voice-ar-answer", duration=12)
    answer = [q for q in await outbox(db, "staff_answer")][-1]
    assert "Übersetzung folgt" in answer.text
    await runner.drain()
    await runner.drain()
    card = (await outbox(db, "staff_card"))[-1].text
    assert "في الزاوية قرب الشجرة" in card and "[في الزاوية قرب الشجرة]" in card      # as text, translated
