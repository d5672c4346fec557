"""How fast free text is understood: matches per second over the phrase lists of all ten languages.

    python bench/intents.py

Prints the time per message for short wishes, long sentences and unrelated text (which has to be
compared with every phrase before it is given up), the time to load the phrase files, and the hit rate
per language over the phrase table tests/data/intent_phrases.yaml (delete / human / office / idea, 30
phrasings each, plus sentences that must open nothing).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dialogs.intents.resident_flow import IntentMatcher
from locales import intent_data

SAMPLES = {
    "short wishes": ["wo ist das Büro", "ofis nerede", "أين المكتب", "хочу предложить идею", "wydarzenia",
                     "öfnungszeiten", "Quartiersrat", "Datenschutz", "hilfe", "menü"],
    "long sentences": ["Hallo, ich wohne seit drei Jahren hier und möchte gerne wissen, wann das Büro offen hat",
                       "Merhaba, mahallemizde çocuklar için bir oyun alanı yapılmasını öneriyorum, ne dersiniz?",
                       "السلام عليكم، أريد أن أعرف متى يجتمع مجلس الحي القادم وأين سيكون الاجتماع"],
    "unrelated": ["asdf", "1234", "ok", "danke", "🙂", "Das Wetter ist heute schön"],
}
ROUNDS = 200


def main() -> None:
    start = time.perf_counter()
    intent_data.cache_clear()
    matcher = IntentMatcher.from_data(intent_data())
    print(f"load {len(matcher.phrases)} phrases of {len(intent_data()['languages'])} languages: "
          f"{(time.perf_counter() - start) * 1000:.1f} ms")
    for label, texts in SAMPLES.items():
        per_text = []
        for text in texts:
            t0 = time.perf_counter()
            for _ in range(ROUNDS):
                matcher.match(text)
            per_text.append((time.perf_counter() - t0) / ROUNDS * 1000)
        print(f"{label:15} median {statistics.median(per_text):.2f} ms, worst {max(per_text):.2f} ms per message"
              f"  ({1000 / statistics.median(per_text):.0f} messages/s)")


def hit_rates(matcher: IntentMatcher) -> None:
    table_path = Path(__file__).resolve().parent.parent / "tests" / "data" / "intent_phrases.yaml"
    table = yaml.safe_load(table_path.read_text(encoding="utf-8"))
    print("hit rate over tests/data/intent_phrases.yaml (delete, human, office, idea; none = must open nothing)")
    for code, intents in table.items():
        if not intents:
            continue
        cells, total, hits = [], 0, 0
        for intent, texts in intents.items():
            want = None if intent == "none" else intent
            ok = sum(1 for text in texts if (getattr(matcher.match(text), "intent", None)) == want)
            cells.append(f"{intent} {ok}/{len(texts)}")
            total, hits = total + len(texts), hits + ok
        print(f"  {code:3} {hits / total:6.1%}  ({', '.join(cells)})")


if __name__ == "__main__":
    main()
    hit_rates(IntentMatcher.from_data(intent_data()))
