"""How long the "similar earlier submissions" search takes for a card, by number of earlier submissions.

    python bench/similar_ideas.py

The card searches the last 500 submissions of the area (storage.ideas.SqlSubmissions.in_area);
this prints the time for that and for larger histories, to show where the limit matters.
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dialogs.ideas.rules import Content, Submission, find_similar

WORDS = ("Bänke Park Panke Müll Fest Hof Schule Kinder Garten Baum Laterne Straße Café Sprache Eltern Fahrrad "
         "Werkstatt Nachbarn Spielplatz Wand Bild Musik Sport Senioren Frauen Treffpunkt Markt Blumen Beet "
         "reparieren bauen pflanzen malen feiern lernen treffen sauber hell sicher neu mehr für im an der die "
         "das und mit den am zum").split()


def fake(i: int, rng: random.Random) -> Submission:
    title = " ".join(rng.choices(WORDS, k=rng.randint(2, 6)))
    text = " ".join(rng.choices(WORDS, k=rng.randint(10, 120)))
    now = datetime.now(timezone.utc)
    return Submission(id=i, ref=f"BAD-2026-{i:03d}", chat_id=i, language="de",
                      content=Content("badstrasse", "project", title, text), status="new", version=1,
                      created_at=now, updated_at=now)


def main() -> None:
    rng = random.Random(7)
    query = fake(0, rng)
    for n in (100, 500, 2000, 10000):
        candidates = [fake(i, rng) for i in range(1, n + 1)]
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            find_similar(query.title, query.text, candidates)
            runs.append(time.perf_counter() - start)
        print(f"{n:>6} earlier submissions: median {statistics.median(runs) * 1000:7.1f} ms per card")


if __name__ == "__main__":
    main()
