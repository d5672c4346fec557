"""Start-up time and memory of kiezbot on a seeded database (prints numbers; not a test).

    python bench/startup.py [--db sqlite:///bench-startup.db]

Seeds the database first if needed (not counted), then starts the runtime in a fresh process
several times and reports the time to "ready to answer" and the resident-set size.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import asyncio, json, resource, sys, time
t0 = time.perf_counter()
from bot.settings import Settings
from bot.runtime import open_runtime
async def main():
    rt = await open_runtime(Settings(database_url=sys.argv[1]), quiet=True)
    ready = time.perf_counter() - t0
    from dialogs.core.messages import Inbound, Sender
    replies, _, _ = await rt.dialogs.handle(Inbound.parse_text(Sender(1, 1, "de"), "/start"))
    first = time.perf_counter() - t0
    await rt.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"ready_s": ready, "first_reply_s": first, "max_rss_mb": rss}))
asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'bench-startup.db'}")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # First run seeds (not measured).
    subprocess.run([sys.executable, "-c", CHILD, args.db], check=True, env=env, capture_output=True)
    results = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, "-c", CHILD, args.db], check=True, env=env, capture_output=True,
                             text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    for key in ("ready_s", "first_reply_s", "max_rss_mb"):
        values = [r[key] for r in results]
        print(f"{key:15} median {statistics.median(values):8.3f}   min {min(values):8.3f}   max {max(values):8.3f}")


if __name__ == "__main__":
    main()
