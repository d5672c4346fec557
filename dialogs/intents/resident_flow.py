"""Typing instead of tapping: free text at the menu -> the flow the resident means, in ten languages.

Steps::

    text at the menu (no step) ──> office.py: is it an address? ── yes ──> office finder
                                        │ no
                                        ▼
                                  match the phrase lists of all languages
                                        ├─ intent whose command a flow registered ──> that command
                                        ├─ intent without a flow yet (idea before the ideas flow) ─> menu
                                        └─ nothing ───> "not understood" + menu + examples in the
                                                         resident's language (also for voice, photos …)

Data, not code (``locales/``):

* ``locales/intents.yaml`` — the routing table: intent -> the commands that open it, first registered
  one wins (``idea: [idea, ideas]``). An intent whose flows are all missing falls back to the menu, so
  the table can name flows other branches add later.
* ``locales/<lang>/intents.yaml`` — per language: ``phrases`` (intent -> list of phrasings) and
  ``examples`` (intent -> one phrasing shown when kiezbot did not understand).

Matching (:class:`IntentMatcher`): both sides are normalised (case, diacritics, Arabic letter variants
and article, apostrophes, punctuation) and split into words; a phrase matches when every one of its
words is found in the text, in any order. A word of 4+ letters may be found as the beginning of a
longer word ("idee" in "ideen", "офис" in "офиса" — so phrase files hold stems) or with typos
(rapidfuzz edit distance: one missing or extra letter for 4 letters, one edit up to 6 letters, two from
7 on; the first letter must be right, and of a mistyped stem the first two); words of up to 3 letters
("wo", "ask", "لغة") must be exact. The phrases of all ten languages are matched at once (a resident who chose
German may still write Turkish). Among the matching phrases the most specific wins (most letters, less
two per typo: "quartiersrat" beats a misread "quartiersbüro"), then the better similarity, then the
order of the routing table.

Two guards keep a sentence from opening the wrong flow:

* ``=word`` in a phrase file: that word must be written exactly, no stem and no typo ("=start": "statt",
  a real word, is not a typo of it).
* ``negations`` (per language file): a text with a negation word no matching phrase of the intent contains
  ("I do *not* want to delete my data", "ich will *keine* Veranstaltung") opens nothing; the resident
  gets "not understood" and the menu. Phrases that contain the negation themselves ("kein deutsch",
  "verstehe nicht") still match.

Some intents say something before their flow starts (:func:`add_intro`): "talk to a person" answers with
the office hours of the resident's office (the office finder adds that intro), then opens "Ask the team".
The feature that knows the answer registers it, so intents, which every flow may use to route free
text, depends on none of them.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from babel.lists import format_list
from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

from dialogs.core.engine import Context, Dialogs
from dialogs.core.i18n import base_language

MAX_WORDS = 25            # a longer message is a letter to the team, not a wish for a flow
HEAVY = 4                 # words of at least this many letters may be stems and may have typos
MAX_EXAMPLES = 2
# Intents that are no wish for another flow: they never take a resident out of a step or away from an
# address they typed ("Hallo, Badstraße 10").
NOT_A_WISH = frozenset({"office", "greeting", "menu", "help"})

# Arabic: letter variants written interchangeably, and the article/conjunction glued to a word.
_ARABIC_LETTERS = str.maketrans({"ة": "ه", "ى": "ي", "ـ": "", "ٱ": "ا"})
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")
# Letters NFKD does not take apart.
_LATIN_LETTERS = str.maketrans({"ı": "i", "ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe"})
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_APOSTROPHES = str.maketrans("", "", "'’ʼ`´")   # part of a word: "зв'язатися", "Berlin'de", "what's"


def normalise(text: str) -> list[str]:
    """Words of ``text`` as the matcher compares them: case-folded, without diacritics."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LATIN_LETTERS).translate(_ARABIC_LETTERS)
    text = text.translate(_APOSTROPHES)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    words = []
    for word in _NON_WORD.sub(" ", text.replace("_", " ")).split():
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                word = word[len(prefix):]
                break
        words.append(word)
    return words


def allowed_typos(word: str) -> int:
    """Edits a phrase word tolerates: none up to 3 letters, one up to 6, two from 7 letters on."""
    return 0 if len(word) < HEAVY else 1 if len(word) <= 6 else 2


def _distance(phrase_word: str, text_word: str, limit: int) -> int:
    # Four-letter words tolerate a missing, extra or swapped-in letter but no substitution: "test" must
    # not be "fest", while "bür" + "o", "buero" for "büro" are fine.
    if len(phrase_word) == HEAVY:
        return Indel.distance(phrase_word, text_word, score_cutoff=limit + 1)
    return Levenshtein.distance(phrase_word, text_word, score_cutoff=limit + 1)


def word_similarity(phrase_word: str, text_word: str) -> float:
    """0-100: how well a word of the text stands for a word of a phrase (exact, stem, or typo)."""
    if phrase_word == text_word:
        return 100.0
    if len(phrase_word) >= HEAVY and text_word.startswith(phrase_word):
        return 100.0                                       # a stem: "idee" in "ideen", "офис" in "офиса"
    limit = allowed_typos(phrase_word)
    if limit == 0 or text_word[:1] != phrase_word[:1]:
        return 0.0                     # typos at the first letter are rare; allowing them makes "eine" "meine"
    best = _distance(phrase_word, text_word, limit)
    if len(text_word) > len(phrase_word) and text_word[:2] == phrase_word[:2]:
        # A mistyped stem ("öfnungszeiten"); the first two letters must agree, else many long words have
        # a beginning one letter away from some stem ("знаходиться" is not "заходи…").
        for size in (len(phrase_word) - 1, len(phrase_word), len(phrase_word) + 1):
            if size <= len(text_word):
                best = min(best, _distance(phrase_word, text_word[:size], limit))
    if best > limit:
        return 0.0
    return 100.0 * (1 - best / len(phrase_word))


@dataclass(frozen=True)
class Phrase:
    intent: str
    text: str                 # as written in the phrase file (for messages and tests)
    words: tuple[str, ...]    # normalised
    exact: frozenset[str] = frozenset()   # words written "=word": no stem, no typo

    @property
    def required(self) -> tuple[str, ...]:
        return self.words


@dataclass(frozen=True)
class Match:
    intent: str
    phrase: Phrase
    letters: float            # matched letters, less two per typo: the more, the more specific
    score: float              # mean similarity of those words


@dataclass
class IntentMatcher:
    """Phrase lists of all languages; :meth:`match` finds the intent a text stands for."""

    routes: dict[str, tuple[str, ...]]                       # intent -> commands, in priority order
    phrases: list[Phrase] = field(default_factory=list)
    examples: dict[str, dict[str, str]] = field(default_factory=dict)   # language -> intent -> example
    negations: set[str] = field(default_factory=set)                     # normalised, all languages
    _vocabulary: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> IntentMatcher:
        """``{"routes": {intent: [command, …]}, "languages": {code: {"phrases": …, "examples": …}}}``."""
        routes = {intent: tuple([commands] if isinstance(commands, str) else commands)
                  for intent, commands in (data.get("routes") or {}).items()}
        matcher = cls(routes=routes)
        for code, entry in (data.get("languages") or {}).items():
            entry = entry or {}
            for intent, texts in (entry.get("phrases") or {}).items():
                if intent not in routes:
                    raise ValueError(f"locales/{code}/intents.yaml: unknown intent {intent!r} "
                                     f"(not in locales/intents.yaml)")
                matcher.add(intent, texts or [])
            matcher.examples[code] = {k: str(v) for k, v in (entry.get("examples") or {}).items()}
            matcher.negations.update(w for text in entry.get("negations") or () for w in normalise(str(text)))
        return matcher

    def add(self, intent: str, texts: Iterable[str]) -> None:
        for text in texts:
            words = tuple(normalise(str(text)))
            exact = frozenset(w for raw in str(text).split() if raw.startswith("=") for w in normalise(raw))
            if words:
                self.phrases.append(Phrase(intent, str(text), words, exact))
        self._vocabulary = None

    def _index(self) -> tuple[list[str], list[str], dict[str, list[str]]]:
        if getattr(self, "_vocabulary", None) is None:
            vocabulary = sorted({w for phrase in self.phrases for w in phrase.words if len(w) >= HEAVY})
            by_start: dict[str, list[str]] = {}
            for word in vocabulary:
                by_start.setdefault(word[:2], []).append(word)
            self._vocabulary = ([w for w in vocabulary if len(w) == HEAVY], [w for w in vocabulary if len(w) > HEAVY],
                                by_start)
        return self._vocabulary

    def word_scores(self, words: list[str]) -> dict[str, float]:
        """:func:`word_similarity` of every phrase word against the best word of the text (missing: 0).

        The same numbers as calling word_similarity for each pair, but the typo search runs in
        rapidfuzz's C loops over the whole vocabulary, so a long sentence costs about a millisecond.
        """
        four, longer, by_start = self._index()
        present = set(words)
        stems = {w[:k] for w in words for k in range(HEAVY, len(w) + 1)}
        edits: dict[str, int] = {}

        def keep(word: str, distance: int, text_word: str) -> None:
            if distance <= allowed_typos(word) and distance < edits.get(word, 99) and word[0] == text_word[:1]:
                edits[word] = distance

        for w in words:
            for word, distance, _ in process.extract(w, four, scorer=Indel.distance, score_cutoff=1, limit=None):
                keep(word, int(distance), w)
            for word, distance, _ in process.extract(w, longer, scorer=Levenshtein.distance, score_cutoff=2,
                                                     limit=None):
                keep(word, int(distance), w)
            for word in by_start.get(w[:2], ()):
                if len(w) > len(word):
                    limit = allowed_typos(word)
                    for size in (len(word) - 1, len(word), len(word) + 1):
                        if size <= len(w):
                            keep(word, _distance(word, w[:size], limit), w)
        scores = {w: 100.0 * (1 - d / len(w)) for w, d in edits.items()}
        for phrase in self.phrases:
            for word in phrase.words:
                if word in present or (len(word) >= HEAVY and word in stems):
                    scores[word] = 100.0
        return scores

    def _order(self, intent: str) -> int:
        return list(self.routes).index(intent) if intent in self.routes else len(self.routes)

    def match(self, text: str) -> Match | None:
        words = normalise(text)
        if not words or len(words) > MAX_WORDS:
            return None
        best: Match | None = None
        seen = self.word_scores(words)
        present = set(words)
        covered: dict[str, set[str]] = {}         # intent -> words of its phrases found in the text
        for phrase in self.phrases:
            required = phrase.required
            scores = []
            for pw in required:
                if pw in phrase.exact:
                    score = 100.0 if pw in present else 0.0
                else:
                    score = seen.get(pw, 0.0)
                if score <= 0.0:
                    break
                scores.append(score)
            else:
                # Each typo costs twice its letter: a mistyped long word does not outweigh an exact short one.
                letters = round(sum(len(pw) * (2 * score / 100 - 1) for pw, score in zip(required, scores)), 6)
                covered.setdefault(phrase.intent, set()).update(required)
                candidate = Match(phrase.intent, phrase, letters, sum(scores) / len(scores))
                if best is None or (candidate.letters, candidate.score, -self._order(candidate.intent)) > \
                        (best.letters, best.score, -self._order(best.intent)):
                    best = candidate
        if best is not None and any(w in self.negations and w not in covered[best.intent] for w in words):
            return None               # "I don't want to delete my data": no wish for that flow
        return best

    def command_for(self, intent: str, registered: Mapping[str, Any]) -> str | None:
        """The first command of the intent's route that a flow registered, else None."""
        return next((c for c in self.routes.get(intent, ()) if c in registered), None)

    def examples_for(self, code: str, registered: Mapping[str, Any]) -> list[str]:
        """Up to two example phrasings in the resident's language, for flows that exist."""
        own = self.examples.get(code) or self.examples.get(base_language(code)) or {}
        return [own[intent] for intent in self.routes
                if intent in own and self.command_for(intent, registered)][:MAX_EXAMPLES]


def matcher_of(app: Dialogs) -> IntentMatcher:
    matcher = getattr(app, "_intent_matcher", None)
    if matcher is None:
        matcher = IntentMatcher.from_data(app.catalogs.intents())
        app._intent_matcher = matcher        # type: ignore[attr-defined]
    return matcher


def routed_command(ctx: Context, text: str) -> tuple[str, str] | None:
    """(intent, command) a free text leads to; None when not understood or its flow does not exist."""
    app = ctx.engine
    found = matcher_of(app).match(text)
    if found is None:
        return None
    command = matcher_of(app).command_for(found.intent, app.commands)
    return (found.intent, command) if command else None


def names_another_flow(ctx: Context, text: str) -> bool:
    """True when ``text`` clearly asks for a flow other than the office finder ("an idea for Badstraße").

    The office finder's address detection runs first at the menu; it asks this before it takes a text
    that only names a street (no exact address), so a wish that mentions a street is not mistaken for it.
    Greetings, "menu" and "help" do not count: "Hallo, Badstraße" is about the office.
    """
    routed = routed_command(ctx, text)
    return routed is not None and routed[0] not in NOT_A_WISH


async def leave_step_for_wish(ctx: Context, text: str) -> bool:
    """In a step that expects one kind of answer (an address), a text that clearly asks for another flow
    ("I have a question", "Datenschutz", "language") leaves the step and opens that flow. Greetings and
    "menu"/"help" do not: the step answers them with its own hint. True when it took the text."""
    routed = routed_command(ctx, text)
    if routed is None or routed[0] in NOT_A_WISH:
        return False
    ctx.reset()
    await run_intent(ctx, *routed)
    return True


async def take_free_text(ctx: Context) -> bool:
    """Free-text handler: run the command the text asks for. False when not understood."""
    found = matcher_of(ctx.engine).match(ctx.inbound.text)
    if found is None:
        return False
    command = matcher_of(ctx.engine).command_for(found.intent, ctx.engine.commands)
    if command is None:                   # understood, but that flow does not exist (yet)
        await ctx.show_menu()
        return True
    await run_intent(ctx, found.intent, command)
    return True


Intro = Callable[[Context], Awaitable[None]]


def intros_of(app: Dialogs) -> dict[str, Intro]:
    """What intents say before their flow starts, per intent (:func:`add_intro`)."""
    found = getattr(app, "_intent_intros", None)
    if found is None:
        found = {}
        app._intent_intros = found           # type: ignore[attr-defined]
    return found


def add_intro(app: Dialogs, intent: str, intro: Intro) -> None:
    """Let ``intro`` answer first when free text asks for ``intent`` ("talk to a person": the office hours)."""
    intros_of(app)[intent] = intro


async def run_intent(ctx: Context, intent: str, command: str) -> None:
    intro = intros_of(ctx.engine).get(intent)
    if intro is not None:
        await intro(ctx)
    await run_command(ctx, command)


async def run_command(ctx: Context, command: str) -> None:
    """Run a registered command as if the resident had typed ``/command``."""
    ctx.inbound = replace(ctx.inbound, kind="command", command=command, text="")
    await ctx.engine.commands[command](ctx)


def example_text(ctx: Context) -> str:
    examples = matcher_of(ctx.engine).examples_for(ctx.t.code, ctx.engine.commands)
    quoted = [ctx._("“{phrase}”", phrase=ctx.t.ltr(example)) for example in examples]
    return format_list(quoted, style="or", locale=ctx.t.locale) if quoted else ""


async def not_understood(ctx: Context) -> None:
    """The engine's fallback: text no flow took, or a voice note, photo, sticker … at the menu."""
    examples = example_text(ctx)
    kind = ctx.inbound.kind
    if kind == "voice":
        text = ctx._("I cannot listen to voice messages yet. Please tap a button, or write to me, "
                     "for example {examples}.", examples=examples)
    elif kind == "text":
        text = ctx._("Sorry, I did not understand that. Tap a button, or write for example {examples}.",
                     examples=examples)
    else:
        text = ctx._("Here I can only read text. Tap a button, or write for example {examples}.",
                     examples=examples)
    await ctx.show_menu(text)


def register(app: Dialogs) -> None:
    matcher_of(app)                       # load and check the phrase files at start, not at the first message
    app.on_free_text(take_free_text)
    app.fallback = not_understood
