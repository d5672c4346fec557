"""Update throughput and latency: a bare aiogram echo bot and kiezbot, fed the same updates the same way.

    python bench/throughput.py [--db sqlite | --db postgresql://postgres@127.0.0.1:5432/test]
                               [--api stub|http|both] [--updates 4000] [--concurrency 100] [--runs 3]
                               [--no-delivery] [--profile FILE.txt]

Both bots are aiogram ``Dispatcher`` objects; every update goes in through ``dp.feed_raw_update(bot,
dict)`` — what aiogram's webhook handler does with the JSON body Telegram POSTs — and the latency of an
update is the time from there until its handler returned (its replies sent). The two bots:

* **bare**: ``message -> message.answer(text)``; ``callback_query -> query.answer(); answer(data)``.
* **kiezbot**: the dispatcher of ``bot/telegram.py`` with the real ``Dialogs`` engine on a real database
  (a file SQLite in WAL mode, or a fresh PostgreSQL database that is dropped at the end), the address
  book of all Berlin, the delivery engine started after each update that queued something, as ``kiezbot
  run`` does (outer middleware of bot/server.py; ``--no-delivery`` leaves it out), and kiezbot's logging set-up
  (INFO, secrets redacted) — the bare bot logs at INFO too, into the same kind of file handler.

Where the bots' Bot API calls go (``--api``):

* ``stub``: an aiogram session that serialises each call like ``AiohttpSession`` (form data) and
  parses a JSON answer like it, but answers at once without a socket: it shows what the bot itself
  costs, and is the figure to compare with the 1,000 updates/s aim.
* ``http``: aiogram's real ``AiohttpSession`` to the fake Bot API (tests/fake_telegram.py) served in
  the same process: one HTTP round trip per call, which both bots pay alike (and the fake's own
  validation runs on the same CPU), so the ratio shrinks.

The mix: many distinct residents (language picked and privacy notice acknowledged already, an area
known), each running one session of updates in order, ``--concurrency`` residents in flight:

* office finder, typed address (some with typos: "Bellermanstr 81", "Prinzenalle" + "12") — 30 %
* office finder by area button                                                             — 15 %
* an address typed at the main menu                                                         — 10 %
* idea submission: idea:new -> kind -> title -> text -> done -> send                        — 20 %
* event sign-up: list -> event -> sign up -> party size -> /mysignups -> cancel -> confirm  — 20 %
* /start or /help                                                                           —  5 %

A press takes the callback data from the newest message the bot sent to that chat with a button of
that prefix (as a person taps what they see); the bare bot shows no buttons, so it gets the same kind
of press with the prefix as data. ``misses`` counts presses that kiezbot did not offer (should be 0),
``errors`` exceptions and "something went wrong" answers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiogram import Bot, Dispatcher, Router  # noqa: E402
from aiogram.client.default import DefaultBotProperties  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.enums import ParseMode  # noqa: E402
from aiogram.methods import AnswerCallbackQuery, TelegramMethod  # noqa: E402
from aiogram.types import CallbackQuery, Message  # noqa: E402

import storage.all_models  # noqa: E402,F401
from bench._common import AREAS, LANGUAGES, STAFF_CHAT, Database  # noqa: E402
import bot.telegram  # noqa: E402
from bot.telegram import TelegramTransport, build_dispatcher, make_bot  # noqa: E402

# kiezbot's session class (it keeps aiogram's answer models; absent in older kiezbot: the before figures).
# The stub is built on it for both bots, and the models it keeps are process-wide: the bare bot profits too.
SessionBase = getattr(bot.telegram, "KiezbotSession", AiohttpSession)
from dialogs.app import build_dialogs  # noqa: E402
from dialogs.events.rules import EventText, NewEvent  # noqa: E402
from locales import load_catalogs  # noqa: E402
from storage.address_book import SqlAddressBook  # noqa: E402
from storage.events import SqlEvents  # noqa: E402
from storage.models import ResidentRow, StaffRow  # noqa: E402
from storage.unit_of_work import SqlUnitOfWork  # noqa: E402
from tests.fake_telegram import DEFAULT_TOKEN, CallbackQueryRecord, FakeTelegram  # noqa: E402

TOKEN = DEFAULT_TOKEN
BOT_USER = {"id": int(TOKEN.split(":")[0]), "is_bot": True, "first_name": "KiezBot", "username": "kiezbot"}
FIRST_RESIDENT = 100_000_000
SORRY = "Sorry, something went wrong"

# --- the mix -----------------------------------------------------------------------------------
TYPED = [
    ["/office", "Badstraße 10"],
    ["/office", "Bellermanstr 81"],
    ["/office", "Prinzenalle", "12"],
    ["/office", "Osloer Str. 12"],
    ["/office", "Koloniestr 20"],
    ["/office", "Pankstrasse 44"],
    ["/office", "Gotenburger Straße 8"],
    ["/office", "Wollankstr 130"],
    ["/office", "Hochstädter Str 1"],
]
SESSIONS: list[tuple[int, str]] = [
    (30, "typed"),
    (15, "area"),
    (10, "free"),
    (20, "idea"),
    (20, "events"),
    (5, "menu"),
]


def session_steps(kind: str, rnd: random.Random) -> list[tuple[str, str]]:
    """One resident's updates, in order: ("text", "…"), ("press", callback-data prefix of a button the bot
    showed in this session) or ("tap", callback data of a button on an older message, e.g. the main menu)."""
    if kind == "typed":
        steps = [("text", t) for t in rnd.choice(TYPED)]
        return steps + [("tap", "menu:")]
    if kind == "area":
        return [("tap", "office:start"), ("press", "office:area:")]
    if kind == "free":
        return [("text", rnd.choice(TYPED)[1])]
    if kind == "idea":
        return [
            ("tap", "idea:new"),
            ("press", "idea:kind:project"),
            ("text", rnd.choice(["Bänke an der Panke", "Tauschregal im Hof", "Kiezputz im Frühling"])),
            (
                "text",
                "Wir wünschen uns einen Ort, an dem Nachbarn sich treffen können, ohne etwas zu kaufen.",
            ),
            ("press", "idea:send"),
        ]
    if kind == "events":
        return [
            ("tap", "ev:list:0:"),
            ("press", "ev:show:"),
            ("press", "ev:join:"),
            ("press", "ev:party:"),
            ("text", "/mysignups"),
            ("press", "ev:drop:"),
            ("press", "ev:dropok:"),
        ]
    return [("text", rnd.choice(["/start", "/help"]))]


def plan(residents: list[int], updates: int, seed: int) -> list[tuple[int, list[tuple[str, str]]]]:
    rnd = random.Random(seed)
    kinds = [k for w, k in SESSIONS for _ in range(w)]
    out, total = [], 0
    for chat_id in residents:
        if total >= updates:
            break
        steps = session_steps(rnd.choice(kinds), rnd)
        out.append((chat_id, steps))
        total += len(steps)
    if total < updates:
        raise SystemExit(f"not enough residents for {updates} updates")
    return out


# --- Bot API answers -----------------------------------------------------------------------------
@dataclass
class Shown:
    message_id: int
    text: str
    data: list[str]


class Outgoing:
    """What the bot showed each chat lately (newest last)."""

    def __init__(self) -> None:
        self.by_chat: dict[int, deque[Shown]] = defaultdict(lambda: deque(maxlen=6))

    def note(self, chat_id: int, shown: Shown) -> None:
        self.by_chat[chat_id].append(shown)

    def recent(self, chat_id: int) -> list[Shown]:
        return list(self.by_chat.get(chat_id, ()))


def _buttons(markup) -> list[str]:  # noqa: ANN001
    if markup is None or not hasattr(markup, "inline_keyboard"):
        return []
    return [b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data]


class StubSession(SessionBase):
    """``AiohttpSession`` without the socket: the call is serialised to form data as for the wire and
    a Telegram-shaped JSON answer is parsed back into aiogram objects; it returns at once."""

    def __init__(self, outgoing: Outgoing) -> None:
        super().__init__()
        self.outgoing = outgoing
        self.next_id: dict[int, int] = defaultdict(lambda: 1_000_000)
        self.calls = 0

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None):  # noqa
        self.build_form_data(bot=bot, method=method)
        self.calls += 1
        if isinstance(method, AnswerCallbackQuery) or method.__returning__ is bool:
            result: object = True
        else:
            chat_id = int(getattr(method, "chat_id", 0) or 0)
            mid = getattr(method, "message_id", None)
            if mid is None:
                self.next_id[chat_id] += 1
                mid = self.next_id[chat_id]
            text = getattr(method, "text", None) or ""
            self.outgoing.note(chat_id, Shown(mid, text, _buttons(getattr(method, "reply_markup", None))))
            result = {
                "message_id": mid,
                "date": int(time.time()),
                "text": text,
                "from": BOT_USER,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            }
        return self.check_response(
            bot=bot, method=method, status_code=200, content=json.dumps({"ok": True, "result": result})
        ).result


class StubApi:
    name = "stub"

    def __init__(self) -> None:
        self.outgoing = Outgoing()

    def bot(self) -> Bot:
        return Bot(
            TOKEN,
            session=StubSession(self.outgoing),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
        )

    def recent(self, chat_id: int) -> list[Shown]:
        return self.outgoing.recent(chat_id)

    def pressing(self, chat_id: int, query_id: str, data: str, message_id: int) -> None:
        pass

    async def close(self) -> None:
        pass


class HttpApi:
    """The fake Bot API over HTTP on 127.0.0.1, in this process."""

    name = "http"

    async def start(self, chat_ids: list[int]) -> "HttpApi":
        self.tg = await FakeTelegram(TOKEN).start()
        for chat_id in chat_ids:
            self.tg.user(chat_id, first_name="Resident").register()
        self.tg.group(STAFF_CHAT, "QM-Team", members=[chat_ids[0]])
        return self

    def bot(self) -> Bot:
        return make_bot(TOKEN, self.tg.base_url)  # kiezbot's own: AiohttpSession, HTML, no link previews

    def recent(self, chat_id: int) -> list[Shown]:
        return [
            Shown(m.message_id, m.text or "", [d for row in m.buttons for _, d in row if isinstance(d, str)])
            for m in list(self.tg.chat(chat_id).inbox)[-6:]
        ]

    def pressing(self, chat_id: int, query_id: str, data: str, message_id: int) -> None:
        # What the fake records when a user taps a button, so answerCallbackQuery is accepted.
        self.tg._bot(None).queries[query_id] = CallbackQueryRecord(
            query_id, data, chat_id, chat_id, message_id, self.tg.clock()
        )

    async def close(self) -> None:
        self.tg.requests.clear()
        await self.tg.stop()


# --- the two bots -------------------------------------------------------------------------------
def bare_dispatcher() -> Dispatcher:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    @router.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()
        await query.message.answer(query.data or "…")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


# --- the driver ---------------------------------------------------------------------------------
@dataclass
class Result:
    bot: str
    wall: float
    latencies: list[float]
    misses: int = 0
    errors: int = 0
    api_calls: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall

    def pct(self, p: float) -> float:
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(len(s) * p))] * 1000


class Driver:
    def __init__(self, api, dp: Dispatcher, bot: Bot, label: str) -> None:  # noqa: ANN001
        self.api, self.dp, self.bot, self.label = api, dp, bot, label
        self.update_id = 1
        self.message_id: dict[int, int] = defaultdict(int)
        self.misses = self.errors = 0
        self.missed: dict[str, int] = defaultdict(int)

    def _user(self, chat_id: int) -> dict:
        return {"id": chat_id, "is_bot": False, "first_name": "Resident", "language_code": "de"}

    def update(self, chat_id: int, step: tuple[str, str]) -> dict:
        kind, value = step
        self.update_id += 1
        chat = {"id": chat_id, "type": "private", "first_name": "Resident"}
        if kind == "text":
            self.message_id[chat_id] += 1
            msg = {
                "message_id": self.message_id[chat_id],
                "date": int(time.time()),
                "chat": chat,
                "from": self._user(chat_id),
                "text": value,
            }
            if value.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(value.split()[0])}]
            return {"update_id": self.update_id, "message": msg}
        shown = self.api.recent(chat_id)
        hit = None
        if kind == "press":
            hit = next(((m, d) for m in reversed(shown) for d in m.data if d.startswith(value)), None)
        if hit is None:
            if self.label == "kiezbot" and kind == "press":
                self.misses += 1
                self.missed[value] += 1
            message_id, text, data = (
                (shown[-1].message_id, shown[-1].text, value) if shown else (1, "…", value)
            )
        else:
            message_id, text, data = hit[0].message_id, hit[0].text, hit[1]
        query_id = f"q{self.update_id}"
        self.api.pressing(chat_id, query_id, data, message_id)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": text or "…",
        }
        return {
            "update_id": self.update_id,
            "callback_query": {
                "id": query_id,
                "from": self._user(chat_id),
                "message": message,
                "chat_instance": str(chat_id),
                "data": data,
            },
        }

    async def resident(self, chat_id: int, steps: list[tuple[str, str]], latencies: list[float]) -> None:
        for step in steps:
            body = self.update(chat_id, step)
            start = time.perf_counter()
            try:
                await self.dp.feed_raw_update(self.bot, body)
            except Exception:  # noqa: BLE001
                self.errors += 1
                logging.getLogger("bench").exception("update failed")
            latencies.append(time.perf_counter() - start)
            if self.label == "kiezbot" and any(SORRY in m.text for m in self.api.recent(chat_id)[-1:]):
                self.errors += 1

    async def run(self, sessions: list[tuple[int, list[tuple[str, str]]]], concurrency: int) -> Result:
        queue: asyncio.Queue = asyncio.Queue()
        for s in sessions:
            queue.put_nowait(s)
        latencies: list[float] = []

        async def worker() -> None:
            while not queue.empty():
                chat_id, steps = queue.get_nowait()
                await self.resident(chat_id, steps, latencies)

        settle()
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start
        if self.missed:
            print("    missed presses:", dict(self.missed))
        return Result(self.label, wall, latencies, self.misses, self.errors)


def settle() -> None:
    """A full collection before a timed run, outside its clock (bench/profile_split.py counts it as set-up)."""
    gc.collect()


# --- set-up ---------------------------------------------------------------------------------------
async def prepare(db: Database, count: int) -> list[int]:
    now = datetime.now(timezone.utc)
    ids = list(range(FIRST_RESIDENT, FIRST_RESIDENT + count))
    async with db.sessions() as session, session.begin():
        for i in range(0, count, 5000):
            session.add_all(
                [
                    ResidentRow(
                        chat_id=c,
                        language=LANGUAGES[c % len(LANGUAGES)],
                        consent_at=now,
                        created_at=now,
                        last_seen_at=now,
                        area_key=AREAS[c % len(AREAS)],
                        display_name=f"Resident {c}",
                    )
                    for c in ids[i : i + 5000]
                ]
            )
            await session.flush()
        session.add_all([StaffRow(user_id=900 + i, name=f"Team member {i}") for i in range(6)])
        events = SqlEvents(session)
        for i, area in enumerate(AREAS + [None]):
            starts = now + timedelta(days=7 + i, hours=3)
            await events.create(
                NewEvent(
                    texts={
                        "de": EventText(f"Kiezfest {i}", "Essen, Musik, Spiele"),
                        "en": EventText(f"Street party {i}", "Food, music, games"),
                    },
                    place="Badstraße 10",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    area_key=area,
                    capacity=None,
                    max_party=4,
                )
            )
    return ids


SQL_STATS: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])


def sql_times(engine) -> None:  # noqa: ANN001
    """BENCH_SQL_TIMES=1: time of each statement (driver round trip included), printed at the end."""
    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def before(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        conn.info.setdefault("t0", []).append(time.perf_counter())

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def after(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        t = time.perf_counter() - conn.info["t0"].pop()
        entry = SQL_STATS[" ".join(statement.split())[:160]]
        entry[0] += 1
        entry[1] += t

    import atexit

    atexit.register(
        lambda: [
            print(f"{n:7} {t * 1000:9.1f} ms {t / n * 1e6:8.0f} us  {q}")
            for q, (n, t) in sorted(SQL_STATS.items(), key=lambda kv: -kv[1][1])[:40]
        ]
    )


def kiezbot_logging(folder: Path) -> None:
    """`kiezbot run`'s logging: INFO with its format (here into a file, not the terminal)."""
    handler = logging.FileHandler(folder / "bench.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def summary(results: list[Result]) -> dict:
    best = max(results, key=lambda r: r.rate)
    return {
        "rate_best": best.rate,
        "rate_median": statistics.median(r.rate for r in results),
        "p50_best": min(r.pct(0.5) for r in results),
        "p50_median": statistics.median(r.pct(0.5) for r in results),
        "p99_best": min(r.pct(0.99) for r in results),
        "p99_median": statistics.median(r.pct(0.99) for r in results),
        "misses": sum(r.misses for r in results),
        "errors": sum(r.errors for r in results),
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--db", default="sqlite", help="sqlite, or a PostgreSQL server URL (a fresh database is made)"
    )
    ap.add_argument("--api", choices=["stub", "http", "both"], default="both")
    ap.add_argument("--updates", type=int, default=4000, help="updates per run and bot")
    ap.add_argument("--concurrency", type=int, default=100, help="residents in flight")
    ap.add_argument("--runs", type=int, default=3, help="measured runs per bot (alternating bare, kiezbot)")
    ap.add_argument(
        "--no-delivery", action="store_true", help="leave out the delivery engine's tick per update"
    )
    ap.add_argument("--bots", default="bare,kiezbot", help="which bots to run (for profiling one alone)")
    ap.add_argument(
        "--profile", type=Path, help="profile kiezbot's runs (stub API) with pyinstrument, text here"
    )
    args = ap.parse_args()

    backend = "sqlite" if args.db == "sqlite" else "postgresql"
    if backend == "postgresql":
        os.environ["KIEZBOT_BENCH_POSTGRES_URL"] = args.db
    folder = Path(tempfile.mkdtemp(prefix="kiezbot-throughput-"))
    kiezbot_logging(folder)
    apis = ["stub", "http"] if args.api == "both" else [args.api]
    runs_total = (args.runs + 1) * len(apis)
    need = runs_total * (args.updates // 2 + 10)  # sessions average more than 2 updates
    db = await Database(backend).create()
    try:
        print(f"{need} residents, events, staff…", flush=True)
        residents = await prepare(db, max(need, 20_000))
        addresses = await SqlAddressBook(db.sessions).load()
        if os.environ.get("BENCH_SQL_TIMES"):
            sql_times(db.engine)
        catalogs = load_catalogs()
        # kiezbot run's settings: the staff group, flood control at 20 messages a minute per person.
        dialogs = build_dialogs(
            SqlUnitOfWork(db.sessions, addresses), catalogs, staff_chat_id=STAFF_CHAT, flood_per_minute=20
        )
        from bot.logredact import redact_secrets, stop_redacting

        cursor = 0
        table: dict[tuple[str, str], list[Result]] = defaultdict(list)
        for api_name in apis:
            api = StubApi() if api_name == "stub" else await HttpApi().start(residents)
            bare_bot, kiez_bot = api.bot(), api.bot()
            transport = TelegramTransport(kiez_bot, dialogs)
            kiez_dp = build_dispatcher(transport)
            delivery = None
            if not args.no_delivery:
                from bot.delivery.outbox_sender import TelegramSender
                from bot.scheduler import build_delivery
                from bot.settings import Settings

                delivery = build_delivery(
                    Settings(bot_token=TOKEN), db.sessions, dialogs, TelegramSender(kiez_bot)
                )
                transport.after_update = delivery.tick    # as kiezbot run: a kick after an update that queued
            bots = {"bare": (bare_dispatcher(), bare_bot), "kiezbot": (kiez_dp, kiez_bot)}
            profiler = None
            for run in range(args.runs + 1):  # run 0 warms up (caches, compiled SQL, connections)
                for label in [b for b in ("bare", "kiezbot") if b in args.bots.split(",")]:
                    sessions = plan(
                        residents[cursor:], args.updates if run else min(args.updates, 600), seed=cursor
                    )
                    cursor += len(sessions)
                    dp, bot = bots[label]
                    if label == "kiezbot":
                        redact_secrets(TOKEN)
                    if args.profile and label == "kiezbot" and run and api_name == "stub":
                        from pyinstrument import Profiler

                        profiler = profiler or Profiler(async_mode="enabled", interval=0.0005)
                        profiler.start()
                    result = await Driver(api, dp, bot, label).run(sessions, args.concurrency)
                    if profiler is not None and profiler.is_running:
                        profiler.stop()
                    stop_redacting()
                    if delivery is not None and label == "kiezbot":
                        await asyncio.sleep(0.2)  # the last drain
                    if run:
                        table[(api_name, label)].append(result)
                    print(
                        f"  {api_name:4} {label:7} {'warm-up' if not run else f'run {run}':7} "
                        f"{len(result.latencies):6} updates in {result.wall:6.2f} s = {result.rate:7.0f}/s  "
                        f"p50 {result.pct(0.5):6.1f} ms  p99 {result.pct(0.99):6.1f} ms  "
                        f"misses {result.misses} errors {result.errors}",
                        flush=True,
                    )
            if delivery is not None:
                await delivery.close()
            for bot in (bare_bot, kiez_bot):
                await bot.session.close()
            await api.close()
            if profiler is not None:
                args.profile.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
                print(f"profile of kiezbot's runs: {args.profile}")
        print()
        print(
            f"database {backend}, {args.concurrency} residents in flight, {args.updates} updates a run, "
            f"{args.runs} runs; load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}"
        )
        print(
            f"{'api':5} {'bot':8} {'updates/s best':>15} {'median':>8} {'p50 ms best':>12} {'median':>7} "
            f"{'p99 ms best':>12} {'median':>7}"
        )
        for api_name in apis if args.runs and args.bots == "bare,kiezbot" else []:
            s = {label: summary(table[(api_name, label)]) for label in ("bare", "kiezbot")}
            for label in ("bare", "kiezbot"):
                v = s[label]
                print(
                    f"{api_name:5} {label:8} {v['rate_best']:15.0f} {v['rate_median']:8.0f} "
                    f"{v['p50_best']:12.2f} "
                    f"{v['p50_median']:7.2f} {v['p99_best']:12.2f} {v['p99_median']:7.2f}"
                    + (f"   misses {v['misses']} errors {v['errors']}" if label == "kiezbot" else "")
                )
            k, b = s["kiezbot"], s["bare"]
            print(
                f"{api_name:5} ratio kiezbot/bare throughput: best {k['rate_best'] / b['rate_best']:.3f}"
                f", median {s['kiezbot']['rate_median'] / s['bare']['rate_median']:.3f}; "
                f"p50 latency x{s['kiezbot']['p50_median'] / s['bare']['p50_median']:.1f}"
            )
    finally:
        from storage.unit_of_work import dispose_inline_engine

        await dispose_inline_engine(db.engine)
        await db.drop()
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
