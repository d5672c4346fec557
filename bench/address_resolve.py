"""Address resolution speed: kiezbot's resolver vs. a plain rapidfuzz extractOne scan (prints numbers).

    python bench/address_resolve.py [--db sqlite:///bench-startup.db] [--n 3000] [--slowest 10]
    python bench/address_resolve.py --callgrind [--n 300]     # instruction counts (needs valgrind)

Queries are real street names from Berlin's list, typed the ways residents type them (lower case,
"str." abbreviations, a dropped letter, "ss" for "ß", a house number), drawn with a fixed seed, so every
run resolves the same 3,000 texts. Most of them name a street nobody asked for before (the book keeps
the 512 most recently asked streets unpacked), so each pass is mostly "cold": the street's addresses
are unpacked and grouped into places inside the timed call.

What is printed, all measured in the same run:

* wall-clock p50/p99/max per resolution, with the garbage collector running as in production
  (``kiezbot run`` freezes the start-up objects, see bot/runtime.py), a second pass over the same
  queries, and a pass with the collector disabled to show its share;
* CPU time (``time.process_time``) p50/p99 of the same calls: not inflated when another process takes
  the core, so steadier than wall-clock on a shared machine;
* the collections that ran during the first pass (count, total and longest pause);
* the slowest queries of the first pass with what they resolved to and whether a collection ran;
* the plain ``extractOne(WRatio)`` scan over all street names and the ratio.

``--callgrind`` re-runs the script under ``valgrind --tool=callgrind`` with instrumentation switched
on only around N resolutions (and then around N extractOne scans), and prints instructions per call —
repeatable to a fraction of a percent however loaded the machine is.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

import storage.address_book as address_book  # noqa: E402
from bot.runtime import freeze_startup_objects, open_runtime  # noqa: E402
from bot.settings import Settings  # noqa: E402
from dialogs.office.addresses import resolve  # noqa: E402


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


class GcWatch:
    """Collections (generation, pause in ms) while active, through gc.callbacks."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses.append((info["generation"], (time.perf_counter() - self._t0) * 1000))

    def summary(self) -> str:
        if not self.pauses:
            return "none"
        parts = []
        for gen in sorted({g for g, _ in self.pauses}):
            ms = [p for g, p in self.pauses if g == gen]
            parts.append(f"gen{gen}: {len(ms)} × (total {sum(ms):.1f} ms, longest {max(ms):.2f} ms)")
        return "; ".join(parts)


class Unpacks:
    """Counts streets unpacked (address-cache misses) by wrapping storage.address_book.unpack_street."""

    def __init__(self) -> None:
        self.count = 0
        self._real = address_book.unpack_street
        address_book.unpack_street = self._wrapped

    def _wrapped(self, *args):
        self.count += 1
        return self._real(*args)


async def timed_pass(queries, book, areas, watch: GcWatch | None = None):
    """Per query: (wall ms, cpu ms, collections that started during it, result)."""
    out = []
    for q in queries:
        before = len(watch.pauses) if watch else 0
        c0, t0 = time.process_time(), time.perf_counter()
        result = await resolve(q, book, areas)
        t1, c1 = time.perf_counter(), time.process_time()
        out.append(((t1 - t0) * 1000, (c1 - c0) * 1000, (len(watch.pauses) - before) if watch else 0, result))
    return out


def describe(result) -> str:
    kind = type(result).__name__
    if kind == "Found":
        return f"Found {result.row.street} {result.row.number}{result.row.suffix} ({result.row.ortsteil})"
    if kind == "ChooseStreet":
        return f"ChooseStreet {len(result.options)} × {result.options[0].street}"
    if kind == "NeedNumber":
        return f"NeedNumber {result.street}"
    return kind


async def setup(db: str, n: int):
    runtime = await open_runtime(Settings(database_url=db), quiet=True)
    async with runtime.sessions() as session:
        from storage.repositories import SqlAreas
        areas = await SqlAreas(session).area_map()
    names = list(runtime.addresses.street_names())
    rng = random.Random(20261125)
    queries = [typed(rng.choice(names), rng) for _ in range(n)]
    return runtime, areas, names, queries


async def main(args) -> None:
    runtime, areas, names, queries = await setup(args.db, args.n)
    book = runtime.addresses
    unpacks = Unpacks()
    for q in queries[:200]:
        await resolve(q, book, areas)                   # warm the code paths like a running bot
    if args.no_freeze:
        gc.unfreeze()                                   # compare: collector walks the start-up objects
    else:
        freeze_startup_objects()                        # as open_runtime does once kiezbot is ready

    watch = GcWatch()
    gc.callbacks.append(watch)
    first_unpacks = unpacks.count
    first = await timed_pass(queries, book, areas, watch)
    first_unpacks = unpacks.count - first_unpacks
    gc.callbacks.remove(watch)
    second_unpacks = unpacks.count
    second = await timed_pass(queries, book, areas)
    second_unpacks = unpacks.count - second_unpacks
    gc.disable()
    no_gc = await timed_pass(queries, book, areas)
    gc.enable()
    plain, plain_cpu = [], []
    for q in queries:
        c0, t0 = time.process_time(), time.perf_counter()
        process.extractOne(q, names, scorer=fuzz.WRatio)
        plain.append((time.perf_counter() - t0) * 1000)
        plain_cpu.append((time.process_time() - c0) * 1000)
    await runtime.close()

    print(f"{len(queries)} typed addresses over {len(names)} street names; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"{'':46}{'wall p50':>10}{'p99':>9}{'max':>9}   {'cpu p50':>8}{'p99':>9}")

    def line(label: str, wall: list[float], cpu: list[float]) -> None:
        print(f"{label:46}{statistics.median(wall):10.3f}{pct(wall, 0.99):9.3f}{max(wall):9.3f}   "
              f"{statistics.median(cpu):8.3f}{pct(cpu, 0.99):9.3f}  ms")

    line(f"kiezbot resolve, gc on ({first_unpacks} streets unpacked)", [r[0] for r in first],
         [r[1] for r in first])
    line(f"kiezbot resolve, again ({second_unpacks} unpacked)", [r[0] for r in second], [r[1] for r in second])
    line("kiezbot resolve, again, gc disabled", [r[0] for r in no_gc], [r[1] for r in no_gc])
    line("plain extractOne(WRatio), street only", plain, plain_cpu)
    print(f"ratio extractOne / kiezbot (first pass): p50 "
          f"{statistics.median(plain) / statistics.median([r[0] for r in first]):.0f}×, p99 "
          f"{pct(plain, 0.99) / pct([r[0] for r in first], 0.99):.0f}×")
    print(f"collections during the first pass: {watch.summary()}")
    print(f"\n{args.slowest} slowest queries of the first pass (wall ms, cpu ms, collections during it):")
    ranked = sorted(zip(queries, first), key=lambda qr: -qr[1][0])
    for q, (wall, cpu, collections, result) in ranked[:args.slowest]:
        gc_note = f"gc×{collections}" if collections else ""
        print(f"  {wall:7.3f} {cpu:7.3f} {gc_note:5} {q!r:42} → {describe(result)}")


# ---------------------------------------------------------------------------------------------
# --callgrind: instructions per call, with instrumentation on only around the measured calls

async def counted(args) -> None:
    runtime, areas, names, queries = await setup(args.db, args.n)
    book = runtime.addresses
    for q in queries[:200]:
        await resolve(q, book, areas)
    freeze_startup_objects()
    control = shutil.which("callgrind_control")

    def instr(on: bool) -> None:
        subprocess.run([control, "-i", "on" if on else "off", str(os.getpid())], check=True,
                       capture_output=True)

    def dump(label: str) -> None:
        subprocess.run([control, "-d", label, str(os.getpid())], check=True, capture_output=True)

    instr(True)                                         # switching on and off alone (subtracted)
    instr(False)
    dump("nothing")
    instr(True)
    for q in queries:
        await resolve(q, book, areas)
    instr(False)
    dump("resolve")
    instr(True)
    for q in queries:
        process.extractOne(q, names, scorer=fuzz.WRatio)
    instr(False)
    dump("extractOne")
    await runtime.close()


def run_callgrind(args) -> None:
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        sys.exit("--callgrind needs valgrind (apt-get install valgrind)")
    out = Path(tempfile.mkdtemp(prefix="kiezbot-callgrind-"))
    print(f"running {args.n} resolutions under callgrind (takes a few minutes)…", flush=True)
    subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/cg.%p",
                    sys.executable, __file__, "--db", args.db, "--n", str(args.n), "--counted"],
                   check=True, capture_output=True, env=dict(os.environ, PYTHONMALLOC="malloc"))
    totals = {}
    for path in out.glob("cg.*"):
        text = path.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: dump (\w+)", text, re.M)
        total = re.search(r"^totals: (\d+)", text, re.M)
        if trigger and total:
            totals[trigger.group(1)] = int(total.group(1))
    shutil.rmtree(out, ignore_errors=True)
    if set(totals) != {"nothing", "resolve", "extractOne"}:
        sys.exit(f"callgrind output not understood: {totals}")
    per = {k: (totals[k] - totals["nothing"]) / args.n for k in ("resolve", "extractOne")}
    print(f"instructions per call over {args.n} typed addresses (callgrind Ir; switching on/off, "
          f"{totals['nothing']:,} Ir, subtracted):")
    print(f"  kiezbot resolve           {per['resolve'] / 1e6:8.3f} M")
    print(f"  plain extractOne(WRatio)  {per['extractOne'] / 1e6:8.3f} M   "
          f"({per['extractOne'] / per['resolve']:.0f}× kiezbot)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'bench-startup.db'}")
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--slowest", type=int, default=10)
    parser.add_argument("--no-freeze", action="store_true", help="undo gc.freeze() of the start-up objects")
    parser.add_argument("--callgrind", action="store_true", help="instruction counts under valgrind")
    parser.add_argument("--counted", action="store_true", help=argparse.SUPPRESS)   # the child under valgrind
    args = parser.parse_args()
    if args.callgrind:
        if args.n == parser.get_default("n"):
            args.n = 300
        run_callgrind(args)
    elif args.counted:
        asyncio.run(counted(args))
    else:
        asyncio.run(main(args))
