"""Where an update's time goes: py-spy's collapsed stacks of bench/throughput.py, summed by layer.

    py-spy record -r 400 -f raw -o stacks.txt -- python bench/throughput.py --api stub --bots kiezbot --runs 1
    python bench/profile_split.py stacks.txt UPDATES [RATE]

Each sample of the event loop's thread is given to the innermost frame that belongs to a layer
(library frames such as pydantic, json or asyncio count for the layer that called them), and the
layer's share is printed as microseconds per update (samples / rate / updates).
"""

from __future__ import annotations

import sys
from collections import Counter

LAYERS = [  # (layer, substrings of a frame "function (path:line)"), checked innermost frame first
    ("logging", ("(logging/", "logredact")),
    (
        "database: SQLAlchemy, driver, SQLite/PostgreSQL",
        ("sqlalchemy/", "aiosqlite/", "asyncpg/", "(storage/", "greenlet_spawn", "sqlite3"),
    ),
    (
        "Bot API calls: aiogram serialises the call, parses the answer",
        ("Bot.__call__", "aiogram/client/", "aiogram/methods/", "StubSession"),
    ),
    ("dialog engine and flows (dialogs/)", ("(dialogs/", "(locales/", "babel/", "icalendar/", "rapidfuzz")),
    ("kiezbot's Telegram adapter (bot/telegram.py)", ("(bot/telegram.py",)),
    ("aiogram dispatch: update parsed, middlewares, routing", ("aiogram/",)),
    ("bench harness", ("(throughput.py",)),
]


def layer_of(frames: list[str]) -> str:
    if any("DeliveryEngine" in f or "(bot/delivery/outbox_sender.py" in f for f in frames):
        return "delivery engine (outbox drain after each update), its SQL included"
    for frame in reversed(frames):
        for name, marks in LAYERS:
            if any(m in frame for m in marks):
                return name
    return "event loop and other"


def main() -> None:
    path, updates = sys.argv[1], int(sys.argv[2])
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 400.0
    counts: Counter[str] = Counter()
    database: Counter[str] = Counter()    # the database share by the storage/ function the flow called
    for line in open(path, encoding="utf-8"):
        stack, _, n = line.rstrip("\n").rpartition(" ")
        frames = stack.split(";")
        if not any("_run_once" in f for f in frames):  # threads other than the event loop's
            continue
        if not any("Driver.run" in f or "deliver" in f.lower() for f in frames) or any("settle" in f for f in frames):
            counts["set-up (seeding, imports)"] += int(n)
            continue
        layer = layer_of(frames)
        counts[layer] += int(n)
        if layer.startswith("database"):
            caller = next(
                (f.split(" (")[0] for f in frames if "(storage/" in f and "storage/db.py" not in f), "?"
            )
            database[caller] += int(n)
    total = sum(v for k, v in counts.items() if not k.startswith("set-up"))
    print(f"{'layer':62} {'us/update':>9} {'share':>6}")
    for name, n in counts.most_common():
        if name.startswith("set-up"):
            continue
        print(f"{name:62} {n / rate / updates * 1e6:9.0f} {n / total * 100:5.1f}%")
    print(f"{'total (event loop thread busy)':62} {total / rate / updates * 1e6:9.0f}")
    if database:
        print()
        print(
            "# database share by the storage/ function that issued it (us/update, top 16; rough: greenlet stacks)"
        )
        for name, n in database.most_common(16):
            print(f"{n / rate / updates * 1e6:7.0f} us  {name}")


if __name__ == "__main__":
    main()
