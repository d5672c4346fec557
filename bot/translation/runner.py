"""The job runner: works off due translation and transcription jobs, retries, gives up visibly.

Like the delivery engine, it is only *triggered* — by the scheduler tick in ``kiezbot run`` — and the
``translation_jobs`` table is the truth (``storage/translation.py`` explains how claims keep two
processes, or two runners, from doing a job twice). One drain::

    put back jobs of runners that died ─> claim a batch of due jobs of the services not paused
        ─> run them (``concurrency`` at a time; no database transaction open meanwhile)
             translate:  ProtectingTranslator (HTML-safe) ─> done (or "not needed": same language)
             transcribe: AudioSource ─> Transcriber ─> done, and ask for the transcript's translation
        ─> record each outcome ─> next batch … ─> announce finished jobs (hook) ─> until nothing is due

Outcomes (the typed errors of :mod:`dialogs.translation.ports`):

* **RateLimited** (429): the service is paused for ``Retry-After``; the job waits as long, no attempt used.
* **Unavailable** (down, timeout, 5xx, garbage, key refused, quota): the job is retried after 15 s, 30 s,
  1 min … (``RetryPolicy``) and given up after ``max_attempts`` (``KIEZBOT_TRANSLATE_MAX_ATTEMPTS``) —
  state ``given_up``, the error kept, a warning logged. The *service* is paused too (10 s, doubling up
  to 5 min while it stays down), so an outage costs one probe per pause instead of an attempt of every
  waiting job; probes go to the job that waited longest, so they spread over the waiting jobs, and
  everything follows in the first drain after the service is back.
* **Refused** (unsupported language, too long, unreadable audio): ``failed`` at once.

Announce hook: ``announce(jobs)`` — for the wiring phase, e.g. to update a staff card once its
translation is there — sees every finished job at least once (a process stopping between the hook and
its bookkeeping shows them again), so it should be idempotent (an outbox key such as
``translated:<job id>`` makes it so).

Logs name jobs by id and source (``submission 42 title``), never their text.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


from bot.delivery.outbox_sender import worker_name
from dialogs.core.engine import utc_now
from dialogs.translation.jobs import Job, JobRequest, RetryPolicy, Task, follow_up
from dialogs.translation.languages import needs_translation
from dialogs.translation.ports import (AudioSource, RateLimited, Refused, ServiceError, Transcriber, Translator,
                                       Unavailable)
from storage.translation import TranslationQueue
from storage.handles import Sessions

log = logging.getLogger(__name__)

Announce = Callable[[Sequence[Job]], Awaitable[Any]]


@dataclass(frozen=True)
class RunnerConfig:
    batch_size: int = 8
    concurrency: int = 2                    # requests in flight at once (a LibreTranslate on 2 cores is busy)
    lease: timedelta = timedelta(minutes=10)  # longer than a download plus the longest request may take
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pause_base: float = 10.0                # a service that failed is left alone this long, doubling …
    pause_max: float = 300.0                # … up to five minutes while it stays down


@dataclass
class RunReport:
    done: int = 0
    retried: int = 0
    failed: int = 0
    given_up: int = 0
    released: int = 0
    recovered: int = 0
    announced: int = 0


@dataclass
class _Outcome:
    result: str | None
    detected: str | None
    provider: str
    follow_up: JobRequest | None = None


def _about(job: Job) -> str:
    return f"job {job.id} ({job.task} {job.source.kind} {job.source.id} {job.source.field} → {job.target_language})"


class TranslationRunner:
    def __init__(self, sessions: Sessions, *, translator: Translator | None = None,
                 transcriber: Transcriber | None = None, audio: AudioSource | None = None,
                 config: RunnerConfig | None = None, clock: Callable[[], datetime] = utc_now,
                 worker: str | None = None, announce: Announce | None = None) -> None:
        self.translator = translator
        self.transcriber = transcriber
        self.audio = audio
        self.config = config or RunnerConfig()
        self.clock = clock
        self.worker = worker or worker_name()
        self.announce = announce
        self.queue = TranslationQueue(sessions, self.worker)
        self.total = RunReport()
        self._paused_until: dict[str, float] = {}
        self._failures: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._again = False
        self._stopping = False

    @property
    def tasks(self) -> list[Task]:
        out: list[Task] = []
        if self.translator is not None:
            out.append("translate")
        if self.transcriber is not None and self.audio is not None:
            out.append("transcribe")
        return out

    # --- triggers ---------------------------------------------------------------------------------------
    def tick(self) -> None:
        """Start a drain in the background unless one is running (the scheduler's job)."""
        if self._stopping:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._drain_logged())

    async def _drain_logged(self) -> None:
        try:
            while True:
                self._again = False
                await self.drain()
                if not self._again or self._stopping:
                    break
        except Exception:   # noqa: BLE001 — the next tick tries again; the jobs are safe in the table
            log.exception("translation jobs: the drain failed; will try again")

    async def close(self) -> None:
        """Stop claiming, let running jobs finish, hand back claims, close the services' connections."""
        self._stopping = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        async with self._lock:
            released = await self.queue.release_all_mine()
        if released:
            log.info("handed back %s translation job(s) for the next start", released)
        for service in (self.translator, self.transcriber):
            if service is not None:
                await service.close()

    # --- one drain ----------------------------------------------------------------------------------------
    def _now(self) -> float:
        return self.clock().timestamp()

    def paused(self, task: str) -> bool:
        return self._paused_until.get(task, 0.0) > self._now()

    async def drain(self) -> RunReport:
        """Work off every due job now (services that are paused wait); returns what happened."""
        async with self._lock:
            report = RunReport()
            report.recovered = await self.queue.recover_expired(self.clock())
            if report.recovered:
                log.warning("%s translation job(s) of a stopped kiezbot process are queued again", report.recovered)
            while not self._stopping:
                tasks = [t for t in self.tasks if not self.paused(t)]
                batch = await self.queue.claim(self.clock(), self.config.batch_size, self.config.lease, tasks)
                if not batch:
                    break
                gate = asyncio.Semaphore(self.config.concurrency)
                released: list[int] = []
                await asyncio.gather(*(self._one(job, gate, report, released) for job in batch))
                report.released += await self.queue.release(released)
            if self.announce is not None and not self._stopping:
                await self._announce(report)
            self._add(report)
            return report

    async def _one(self, job: Job, gate: asyncio.Semaphore, report: RunReport, released: list[int]) -> None:
        async with gate:
            if self.paused(job.task) or self._stopping:
                released.append(job.id)          # its service failed meanwhile: untouched, no attempt used
                return
            try:
                outcome = await self._perform(job)
            except RateLimited as exc:
                wait = exc.retry_after if exc.retry_after is not None else self.config.pause_base
                self._pause(job.task, wait, str(exc))
                await self.queue.retry(job.id, self.clock() + timedelta(seconds=wait), str(exc), count_attempt=False)
                report.retried += 1
            except Refused as exc:
                log.warning("translation %s failed: %s", _about(job), exc)
                await self.queue.failed(job.id, self.clock(), str(exc), gave_up=False)
                report.failed += 1
            except Exception as exc:   # noqa: BLE001 — Unavailable, or a bug: retried, and given up in the end
                if not isinstance(exc, ServiceError):
                    log.exception("translation %s: unexpected error", _about(job))
                await self._unavailable(job, exc, report)
            else:
                self._failures[job.task] = 0
                if await self.queue.done(job.id, self.clock(), outcome.result, outcome.detected, outcome.provider,
                                         follow_up=outcome.follow_up):
                    report.done += 1

    async def _unavailable(self, job: Job, exc: Exception, report: RunReport) -> None:
        retry_after = exc.retry_after if isinstance(exc, ServiceError) else None
        failures = self._failures[job.task] = self._failures.get(job.task, 0) + 1
        pause = min(self.config.pause_max, self.config.pause_base * 2 ** (failures - 1))
        self._pause(job.task, max(pause, retry_after or 0.0), str(exc))
        error = str(exc) or type(exc).__name__
        attempts = job.attempts + 1
        not_before = self.config.retry.after_failure(attempts, self.clock(), retry_after)
        if not_before is None:
            log.warning("translation %s given up after %s attempts: %s", _about(job), attempts, error)
            await self.queue.failed(job.id, self.clock(), error, gave_up=True)
            report.given_up += 1
        else:
            await self.queue.retry(job.id, not_before, error)
            report.retried += 1

    def _pause(self, task: str, seconds: float, why: str) -> None:
        until = self._now() + seconds
        if until > self._paused_until.get(task, 0.0):
            self._paused_until[task] = until
            log.info("%s service: %s — leaving it alone for %.0f s", task, why, seconds)

    async def _perform(self, job: Job) -> _Outcome:
        if job.task == "translate":
            assert self.translator is not None
            done = await self.translator.translate(job.text or "", job.source_language, job.target_language,
                                                   html=job.html)
            # Already in the target language, or nothing to translate (a link, a number): no translation to show.
            same = done.text.strip() == (job.text or "").strip()
            result = done.text if needs_translation(done.source_language, job.target_language) and not same else None
            return _Outcome(result, done.source_language, done.provider)
        assert self.transcriber is not None and self.audio is not None
        if not job.audio_ref:
            raise Refused("the voice note is no longer known")
        audio = await self.audio.fetch(job.audio_ref)
        heard = await self.transcriber.transcribe(audio.data, job.mime or audio.mime, job.source_language)
        return _Outcome(heard.text, heard.language, heard.provider, follow_up(job, heard.text, heard.language))

    async def _announce(self, report: RunReport) -> None:
        assert self.announce is not None
        try:
            jobs = await self.queue.unannounced()
            if jobs:
                await self.announce(jobs)
                report.announced = await self.queue.announced([j.id for j in jobs], self.clock())
        except Exception:   # noqa: BLE001 — shown again at the next drain
            log.exception("translation jobs: the announce hook failed; will try again")

    def _add(self, report: RunReport) -> None:
        for name in RunReport.__dataclass_fields__:
            setattr(self.total, name, getattr(self.total, name) + getattr(report, name))


__all__ = ["RunReport", "RunnerConfig", "TranslationRunner"]
