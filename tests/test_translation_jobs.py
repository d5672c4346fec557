"""Durable translation and transcription jobs: asked for inside a transaction, done by runners against the
fake services, retried with backoff, given up visibly — and with the service down for ten (simulated)
minutes nothing is lost, everything is filled in after it returns, and nothing is done twice, also with
two runners at once (on SQLite and on PostgreSQL)."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.settings import ConfigError, Settings, load_settings
from bot.translation import build_runner, build_transcriber, build_translator, policy
from bot.translation.libretranslate import LibreTranslate
from bot.translation.runner import RunnerConfig, TranslationRunner
from bot.translation.whisper import WhisperHttp
from dialogs.translation.jobs import (JobRequest, RetryPolicy, Source, TranslationPolicy, follow_up, note_field,
                                      voice_field)
from dialogs.translation.ports import Audio, Refused
from dialogs.translation.protect import ProtectingTranslator
from storage.translation import SqlTranslationJobs, TranslationJobRow, TranslationQueue, job_of
from tests.fake_translation import FakeLibreTranslate, FakeWhisper

VOICE = b"OggS\x00\x02voice-of-amal"


@pytest_asyncio.fixture
async def libre():
    async with FakeLibreTranslate() as server:
        yield server


@pytest_asyncio.fixture
async def whisper_server():
    async with FakeWhisper() as server:
        yield server


class Voices:
    """An AudioSource: voice notes by file id."""

    def __init__(self, **files: bytes) -> None:
        self.files = files

    async def fetch(self, ref: str) -> Audio:
        if ref not in self.files:
            raise Refused("telegram: wrong file_id or the file is temporarily unavailable")
        return Audio(self.files[ref], "audio/ogg")


@pytest_asyncio.fixture
async def make_runner(db, clock):
    made: list[TranslationRunner] = []

    def make(libre=None, whisper=None, audio=None, *, worker="runner-1", timeout=0.5, **config):
        translator = ProtectingTranslator(LibreTranslate(libre.base_url, timeout=timeout)) if libre else None
        transcriber = WhisperHttp(whisper.base_url, timeout=timeout) if whisper else None
        runner = TranslationRunner(db.sessions, translator=translator, transcriber=transcriber, audio=audio,
                                   clock=clock, worker=worker, config=RunnerConfig(**config))
        made.append(runner)
        return runner
    yield make
    for runner in made:
        await runner.close()


def idea(n: int, field: str = "text") -> Source:
    return Source("submission", n, field)


async def ask(db, clock, *requests: JobRequest):
    async with db.sessions() as session, session.begin():
        repo = SqlTranslationJobs(session)
        return [await repo.request(r, clock.now) for r in requests]


async def all_jobs(db):
    async with db.sessions() as session:
        return [job_of(r) for r in (await session.scalars(select(TranslationJobRow).order_by(TranslationJobRow.id)))]


def turkish(n: int) -> JobRequest:
    return JobRequest("translate", idea(n), "de", text=f"Fikir {n}: avluya ağaçların altına bir bank koyalım",
                      source_language=None)


# --- asking ------------------------------------------------------------------------------------------------
async def test_asking_again_changes_nothing_and_a_changed_text_starts_afresh(db, clock):
    [first] = await ask(db, clock, turkish(1))
    [again] = await ask(db, clock, turkish(1))
    assert again.id == first.id and again.status == "pending"
    async with db.sessions() as session, session.begin():
        await session.execute(TranslationJobRow.__table__.update().values(status="done", result="X", attempts=2))
    [same] = await ask(db, clock, turkish(1))
    assert (same.status, same.result) == ("done", "X")                   # nothing to do again
    revised = JobRequest("translate", idea(1), "de", text="Fikir 1, düzeltilmiş: iki bank")
    [fresh] = await ask(db, clock, revised)
    assert fresh.id == first.id and (fresh.status, fresh.result, fresh.attempts) == ("pending", None, 0)
    assert fresh.text == "Fikir 1, düzeltilmiş: iki bank"
    assert len(await all_jobs(db)) == 1


async def test_asking_needs_no_service(db, clock, libre):
    libre.mode = "refuse"
    await ask(db, clock, *[turkish(n) for n in range(5)])
    assert libre.hits == 0 and len(await all_jobs(db)) == 5           # stored at once, nothing sent


# --- doing -------------------------------------------------------------------------------------------------
async def test_a_translation_is_done_with_the_result_and_the_service_named(db, clock, libre, make_runner):
    await ask(db, clock, turkish(1))
    runner = make_runner(libre)
    report = await runner.drain()
    assert report.done == 1
    [job] = await all_jobs(db)
    assert job.status == "done" and job.result == "FIKIR 1: AVLUYA AĞAÇLARIN ALTINA BIR BANK KOYALIM"
    assert (job.detected_language, job.provider, job.attempts, job.finished_at) == ("tr", "libretranslate", 1,
                                                                                    clock.now)
    await runner.drain()
    assert sum(libre.translated.values()) == 1                         # done is done


async def test_a_text_already_in_the_target_language_is_not_translated(db, clock, libre, make_runner):
    await ask(db, clock, JobRequest("translate", idea(2), "de", text="Wir wünschen uns eine Bank für den Hof"))
    await make_runner(libre).drain()
    [job] = await all_jobs(db)
    assert job.status == "done" and job.result is None and job.not_needed and job.detected_language == "de"


async def test_a_voice_note_becomes_text_and_the_text_is_translated_for_the_team(db, clock, libre, whisper_server,
                                                                                 make_runner):
    whisper_server.say(VOICE, "أريد مقعدًا في الفناء", "ar")
    request = TranslationPolicy(translate=True, transcribe=True).voice(idea(3, voice_field(1)), "AwACvoice1",
                                                                        "audio/ogg", None)
    await ask(db, clock, request)
    report = await make_runner(libre, whisper_server, Voices(AwACvoice1=VOICE)).drain()
    assert report.done == 2
    transcript, translation = await all_jobs(db)
    assert (transcript.task, transcript.status, transcript.result, transcript.detected_language) == (
        "transcribe", "done", "أريد مقعدًا في الفناء", "ar")
    assert transcript.audio_ref is None                                # the file id is not kept once done
    assert (translation.task, translation.source, translation.target_language, translation.text) == (
        "translate", idea(3, voice_field(1)), "de", "أريد مقعدًا في الفناء")
    assert translation.status == "done" and translation.result == "[أريد مقعدًا في الفناء]"


async def test_a_refused_job_fails_at_once_and_says_why(db, clock, libre, make_runner):
    await ask(db, clock, JobRequest("translate", idea(4), "de", text="Kurdî: baxçe", source_language="ku"))
    report = await make_runner(libre).drain()
    [job] = await all_jobs(db)
    assert report.failed == 1 and job.status == "failed" and "ku is not supported" in job.error
    assert job.finished and job.attempts == 1


async def test_a_rate_limit_waits_as_long_as_asked_without_using_an_attempt(db, clock, libre, make_runner):
    await ask(db, clock, turkish(5), turkish(6))
    libre.mode, libre.retry_after = "ratelimit", "40"
    runner = make_runner(libre, concurrency=1)
    await runner.drain()
    jobs = await all_jobs(db)
    assert [j.attempts for j in jobs] == [0, 0] and libre.hits == 1      # one try, then the service is left alone
    assert jobs[0].next_try_at == clock.now + timedelta(seconds=40)
    libre.mode = "ok"
    clock.advance(seconds=30)
    await runner.drain()
    assert libre.hits == 1
    clock.advance(seconds=11)
    await runner.drain()
    assert [j.status for j in await all_jobs(db)] == ["done", "done"]


async def test_a_service_that_never_comes_back_is_given_up_visibly(db, clock, libre, make_runner, caplog):
    await ask(db, clock, turkish(7))
    libre.mode = "down"
    runner = make_runner(libre, retry=RetryPolicy(max_attempts=3, base=15, cap=60))
    with caplog.at_level(logging.INFO, logger="bot.translation.runner"):
        for _ in range(40):
            await runner.drain()
            clock.advance(seconds=30)
    [job] = await all_jobs(db)
    assert job.status == "given_up" and job.attempts == 3 and "503" in job.error
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert f"job {job.id} (translate submission 7 text → de) given up after 3 attempts" in warning.getMessage()
    assert "avluya" not in caplog.text                                  # logs never carry the text


@pytest.mark.parametrize("outage", ["connection refused", "503", "timeouts"])
async def test_ten_minutes_without_the_service_lose_nothing_and_fill_in_everything_once(db, clock, libre,
                                                                                        make_runner, outage):
    runner = make_runner(libre, timeout=0.2)
    if outage == "connection refused":
        await libre.stop_listening()
    else:
        libre.mode, libre.delay = ("down", 0.0) if outage == "503" else ("slow", 1.0)
    start = clock.now
    await ask(db, clock, *[turkish(n) for n in range(40)])          # the submissions: stored, not delayed
    while clock.now < start + timedelta(minutes=10):
        await runner.drain()
        clock.advance(seconds=2)
    jobs = await all_jobs(db)
    assert len(jobs) == 40 and {j.status for j in jobs} == {"pending"}
    assert libre.hits <= 8                                             # probes, not 40 jobs × retries
    assert max(j.attempts for j in jobs) <= 1                          # probes spread: no job near giving up
    if outage == "connection refused":
        await libre.listen_again()
    libre.mode = "ok"
    back = clock.now
    while clock.now < back + timedelta(minutes=10) and any(j.status != "done" for j in await all_jobs(db)):
        await runner.drain()
        clock.advance(seconds=2)
    jobs = await all_jobs(db)
    assert len(jobs) == 40 and {j.status for j in jobs} == {"done"}
    assert max(j.finished_at for j in jobs) - back <= timedelta(seconds=RunnerConfig().pause_max)
    assert set(libre.translated.values()) == {1} and len(libre.translated) == 40    # each text once


async def test_two_runners_at_once_never_do_a_job_twice(db, clock, libre, make_runner):
    libre.latency = 0.01
    await ask(db, clock, *[turkish(n) for n in range(30)])
    first, second = make_runner(libre, worker="web-1"), make_runner(libre, worker="web-2")
    reports = await asyncio.gather(first.drain(), second.drain(), first.drain(), second.drain())
    assert sum(r.done for r in reports) == 30
    assert reports[0].done and reports[1].done                         # both worked
    assert set(libre.translated.values()) == {1} and len(libre.translated) == 30
    assert {j.status for j in await all_jobs(db)} == {"done"}


async def test_jobs_of_a_runner_that_died_are_taken_over_after_its_lease(db, clock, libre, make_runner):
    await ask(db, clock, turkish(8))
    dead = TranslationQueue(db.sessions, "web-1:dead")
    [claimed] = await dead.claim(clock.now, 5, timedelta(minutes=10), ["translate"])
    survivor = make_runner(libre, worker="web-2")
    await survivor.drain()
    assert libre.hits == 0 and (await all_jobs(db))[0].status == "running"     # its lease still runs
    clock.advance(minutes=11)
    report = await survivor.drain()
    assert report.recovered == 1 and report.done == 1
    assert not await dead.done(claimed.id, clock.now, "LATE", "tr", "libretranslate")   # a late answer is dropped
    [job] = await all_jobs(db)
    assert job.status == "done" and job.result != "LATE"


async def test_an_answer_for_a_text_that_changed_meanwhile_is_not_recorded(db, clock, libre, make_runner):
    await ask(db, clock, turkish(9))
    slow = TranslationQueue(db.sessions, "web-1")
    [claimed] = await slow.claim(clock.now, 5, timedelta(minutes=10), ["translate"])
    await ask(db, clock, JobRequest("translate", idea(9), "de", text="Fikir 9, yeni metin: bir çeşme"))
    assert not await slow.done(claimed.id, clock.now, "OLD", "tr", "libretranslate")
    await make_runner(libre, worker="web-2").drain()
    [job] = await all_jobs(db)
    assert job.result == "FIKIR 9, YENI METIN: BIR ÇEŞME"


async def test_finished_jobs_are_announced_until_the_hook_has_seen_them(db, clock, libre, make_runner):
    seen = []
    fail = [True]

    async def announce(jobs):
        if fail[0]:
            fail[0] = False
            raise RuntimeError("the staff chat is not reachable")
        seen.extend(j.id for j in jobs)

    await ask(db, clock, turkish(10), JobRequest("translate", idea(11), "de", text="Kurdî", source_language="ku"))
    runner = make_runner(libre)
    runner.announce = announce
    await runner.drain()
    assert seen == []                                                   # the hook failed: shown again
    await runner.drain()
    await runner.drain()
    assert sorted(seen) == [j.id for j in await all_jobs(db)]          # done and failed, once each


# --- rules --------------------------------------------------------------------------------------------------
def test_retries_back_off_and_end():
    policy_ = RetryPolicy(max_attempts=4, base=15, cap=100)
    now = datetime(2026, 12, 2, tzinfo=timezone.utc)
    assert [policy_.delay(n) for n in (1, 2, 3, 4, 5)] == [15, 30, 60, 100, 100]
    assert policy_.after_failure(1, now) == now + timedelta(seconds=15)
    assert policy_.after_failure(1, now, retry_after=120) == now + timedelta(seconds=120)
    assert policy_.after_failure(4, now) is None


def test_what_flows_ask_for():
    on = TranslationPolicy(translate=True, transcribe=True)
    assert TranslationPolicy().for_team(idea(1), "Merhaba", "tr") is None             # "none": nothing
    assert on.for_team(idea(1), "Hallo", "de_simple") is None                         # already German
    assert on.for_team(idea(1), "Merhaba", "tr").target_language == "de"
    assert on.for_resident(idea(1, note_field(4)), "Wo genau?", "de_simple") is None   # Einfache Sprache: German
    assert on.for_resident(idea(1, note_field(4)), "Wo genau?", "tr").target_language == "tr"
    many = on.for_many(Source("broadcast", 5, "text"), {"de": "Kiezfest!", "en": "Street party!"},
                       ["de", "de_simple", "en", "tr", "ar", "ru", "uk", "pl", "bg", "ro"])
    assert [r.target_language for r in many] == ["tr", "ar", "ru", "uk", "pl", "bg", "ro"]   # typed texts win
    assert TranslationPolicy(transcribe=True).voice(idea(1, voice_field(2)), "AwAC", "", "ar").target_language == ""


def test_a_transcript_is_followed_by_its_translation_unless_it_is_in_the_team_language():
    transcription = job_of(TranslationJobRow(
        id=1, task="transcribe", source_kind="submission", source_id=3, source_field="voice:1",
        target_language="de", html=False, status="running", attempts=0, created_at=None))
    assert follow_up(transcription, "مرحبا", "ar").text == "مرحبا"
    assert follow_up(transcription, "Hallo zusammen", "de") is None
    assert follow_up(transcription, "  ", "ar") is None
    assert follow_up(transcription, "Salut", None).source_language is None       # unknown: detect it


# --- wiring ------------------------------------------------------------------------------------------------
def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_nothing_configured_means_no_runner_and_no_scheduler_job():
    from bot.scheduler import Housekeeping, build_scheduler
    plain = settings()
    assert build_translator(plain) is None and build_transcriber(plain) is None
    assert not policy(plain).enabled
    assert build_runner(plain, sessions=None) is None                  # type: ignore[arg-type]
    scheduler = build_scheduler(plain, delivery=None, housekeeping=Housekeeping())   # type: ignore[arg-type]
    assert [job.id for job in scheduler.get_jobs()] == ["deliver", "housekeeping"]


async def test_a_configured_service_gets_a_runner_on_the_scheduler_tick(db):
    from bot.scheduler import Housekeeping, build_scheduler
    configured = settings(translate_url="http://127.0.0.1:5000/", transcribe_url="http://127.0.0.1:8000",
                          team_language="de", translate_max_attempts=5)
    runner = build_runner(configured, db.sessions)
    try:
        assert runner.tasks == ["translate"]                           # no bot: no voice notes to fetch
        assert runner.config.retry.max_attempts == 5
        assert policy(configured) == TranslationPolicy(translate=True, transcribe=True, team_language="de")
        scheduler = build_scheduler(configured, delivery=None, housekeeping=Housekeeping(),  # type: ignore[arg-type]
                                    translation=runner)
        assert "translate" in [job.id for job in scheduler.get_jobs()]
    finally:
        await runner.close()


def test_settings_are_checked_with_one_line_naming_the_variable(monkeypatch):
    monkeypatch.setenv("KIEZBOT_TRANSLATE_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("KIEZBOT_DEEPL_KEY", "abc:fx")
    with pytest.raises(ConfigError, match="KIEZBOT_TRANSLATE_URL and KIEZBOT_DEEPL_KEY are both set"):
        load_settings(_env_file=None)
    monkeypatch.delenv("KIEZBOT_DEEPL_KEY")
    monkeypatch.setenv("KIEZBOT_TEAM_LANGUAGE", "fr")
    with pytest.raises(ConfigError, match="KIEZBOT_TEAM_LANGUAGE: must be one of de, de_simple"):
        load_settings(_env_file=None)
    monkeypatch.setenv("KIEZBOT_TEAM_LANGUAGE", "en")
    monkeypatch.setenv("KIEZBOT_TRANSCRIBE_URL", "whisper.local")
    with pytest.raises(ConfigError, match="KIEZBOT_TRANSCRIBE_URL: must start with http"):
        load_settings(_env_file=None)
    monkeypatch.setenv("KIEZBOT_TRANSCRIBE_URL", "faster-whisper")
    with pytest.raises(ConfigError, match=r"KIEZBOT_TRANSCRIBE_URL: names faster-whisper.*kiezbot\[whisper\]"):
        load_settings(_env_file=None)


async def test_a_text_with_nothing_to_translate_shows_no_translation(db, clock, libre, make_runner):
    await ask(db, clock, JobRequest("translate", idea(12), "de", text="https://t.me/kiezbot 030 4660 3111 👍"))
    await make_runner(libre).drain()
    [job] = await all_jobs(db)
    assert job.status == "done" and job.not_needed and libre.hits == 0


async def test_kiezbot_run_fills_in_translations_and_voice_notes_on_its_scheduler_tick(seeded_file, tmp_path, tg,
                                                                                      libre, whisper_server):
    from storage.db import create_engine, session_factory
    from tests.test_e2e_run import start_kiezbot, stop

    voice = tg.add_file(VOICE, "voice", mime_type="audio/ogg", duration=4)
    whisper_server.say(VOICE, "أريد مقعدًا في الفناء", "ar")
    engine = create_engine(f"sqlite:///{seeded_file}")
    try:
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            jobs = SqlTranslationJobs(session)
            await jobs.request(turkish(1))
            await jobs.request(TranslationPolicy(translate=True, transcribe=True).voice(
                idea(1, voice_field(1)), voice.file_id, "audio/ogg", None))
        process = await start_kiezbot(tmp_path, {
            "KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
            "KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}", "KIEZBOT_TRANSLATE_URL": libre.base_url,
            "KIEZBOT_TRANSCRIBE_URL": whisper_server.base_url})
        try:
            for _ in range(600):
                async with sessions() as session:
                    states = [(r.task, r.status) for r in await session.scalars(select(TranslationJobRow))]
                if len(states) == 3 and {s for _, s in states} == {"done"}:
                    break
                await asyncio.sleep(0.1)
        finally:
            code, err = await stop(process)
        assert sorted(states) == [("transcribe", "done"), ("translate", "done"), ("translate", "done")], err
        assert code == 0, err
        assert "translation: LibreTranslate at" in err and "voice notes as text: whisper" in err
        async with sessions() as session:
            results = {r.source_field: r.result for r in await session.scalars(
                select(TranslationJobRow).where(TranslationJobRow.task == "translate"))}
        assert results == {"text": "FIKIR 1: AVLUYA AĞAÇLARIN ALTINA BIR BANK KOYALIM",
                           voice_field(1): "[أريد مقعدًا في الفناء]"}
    finally:
        await engine.dispose()
