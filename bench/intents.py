"""How fast free text is understood: matches per second over the phrase lists of all ten languages.

    python bench/intents.py

Prints the time per message for short wishes, long sentences and unrelated text (which has to be
compared with every phrase before it is given up), and the time to load the phrase files.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

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


if __name__ == "__main__":
    main()
