"""HTML-safe machine translation: what must not be translated is protected before sending and restored after.

Machine translation rewrites whatever it is given. kiezbot's texts carry things that must come back
byte for byte: Telegram HTML tags (and their attributes: a link's address), ``{placeholders}``, line
breaks, URLs, e-mail addresses, phone numbers, @usernames, /commands, references such as
``BAD-2026-014``, and ``<code>``/``<pre>`` blocks. :class:`ProtectingTranslator` turns any
:class:`~dialogs.translation.ports.TranslationEngine` into an HTML-safe
:class:`~dialogs.translation.ports.Translator`:

1. **Lines.** The text is cut at its line breaks into blocks (a tag left open at the end of a line keeps
   the next line in its block, the break inside protected). Blocks go to the service as separate items of
   one request, so no service can merge, drop or move a line break; blank lines and lines without a
   letter (a phone number alone, an emoji) are not sent at all.
2. **Masks.** Inside a block, every protected span becomes ``<span translate="no" data-kz="N">…</span>``
   — both LibreTranslate (``format=html``) and DeepL (``tag_handling=html``) keep such elements as they
   are and translate the sentence around them — and a tag's attributes become ``data-kz="N"`` (the link
   text is translated, the address is not sent). Tags without attributes (``<b>``) go as they are.
3. **Restore and verify.** Each marker is replaced by the original it stands for (from kiezbot's own
   table, not from the service's answer), text between tags is re-escaped, and the result is checked:
   every marker exactly once, the same tags as the original, valid Telegram HTML.
4. **Fallback.** If the service broke a marker or a tag, the block is translated again *between* the
   protected parts — each run of words on its own, as plain text — which keeps every protected part by
   construction (the translation reads a little more choppily; a log line says so).

Pure: standard library only (``html``, ``re``). ``tests/test_translation_protect.py`` checks the
promise with generated texts against engines that behave, and against engines that break markup.
"""
from __future__ import annotations

import html as htmllib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from dialogs.core.text import esc, telegram_html_problem
from dialogs.translation.ports import Detection, Translation, TranslationEngine

# What never goes to a service, in the order tried at each position (earlier alternatives win).
PROTECTED = re.compile(
    r"(?P<url>(?:https?://|www\.)[^\s<>\"]+)"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
    r"|(?P<placeholder>\{[A-Za-z0-9_]*\})"
    r"|(?P<user>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31})"
    r"|(?P<command>(?<![\w/])/[a-z][a-z0-9_]{1,31}\b)"
    r"|(?P<reference>\b[A-Z]{2,5}-\d{2,4}(?:-\d{1,4})+\b)"
    r"|(?P<phone>(?<![\w+/])(?:\+\d|00\d|0\d|\(0\d)[\d \-/()]{4,}\d(?!\w))")
_URL_TAIL = ".,;:!?'\"»”’)"
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*?)(/?)>")
_MARK = re.compile(r"""\bdata-kz\s*=\s*["']?(\d+)""", re.IGNORECASE)
_WHOLE = re.compile(r"<(pre|code|tg-emoji)\b[^<>]*>.*?</\1>", re.DOTALL)
_SPLIT = re.compile(r"(<[^<>]*>)")


class Broken(Exception):
    """A service's answer lost or changed a protected part (the fallback takes over)."""


def _trim_url(url: str) -> str:
    while url and url[-1] in _URL_TAIL:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _digits(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


def _tags(html_text: str) -> Counter:
    return Counter((m.group(1), m.group(2).lower()) for m in _TAG.finditer(html_text))


@dataclass
class Block:
    """One line (or several lines held together by an open tag) as it is sent, and what it hides."""

    original: str                       # HTML
    masked: str = ""                    # HTML with markers
    keep: dict[int, str] = field(default_factory=dict)     # marker -> original HTML (whole element / span)
    attrs: dict[int, str] = field(default_factory=dict)    # marker -> original opening tag


class Prepared:
    """A text cut into blocks and masked, ready for one request; :meth:`restore` puts it back together."""

    def __init__(self, text: str, *, html: bool) -> None:
        self.html = html
        source = text if html else esc(text)
        self.pieces: list[str | Block] = []       # literal strings (line breaks, blank lines) and blocks
        self._next = 0
        for chunk, is_block in _blocks(source):
            if not is_block:
                self.pieces.append(chunk)
                continue
            lead = chunk[: len(chunk) - len(chunk.lstrip())]
            core = chunk.strip()
            trail = chunk[len(lead) + len(core):]
            if lead:
                self.pieces.append(lead)
            block = self._mask(Block(core)) if core else None
            if block is not None and any(kind == "words" for kind, _ in _walk(block.masked)):
                self.pieces.append(block)
            else:                 # nothing to translate: numbers, a link, an emoji — not sent at all
                self.pieces.append(core)
            if trail:
                self.pieces.append(trail)

    @property
    def blocks(self) -> list[Block]:
        return [p for p in self.pieces if isinstance(p, Block)]

    @property
    def as_html(self) -> bool:
        """Whether the request must be HTML (markers or tags); plain text otherwise."""
        return any("<" in b.masked for b in self.blocks)

    def payload(self) -> list[str]:
        """The texts to send, one per block."""
        if self.as_html:
            return [b.masked for b in self.blocks]
        return [htmllib.unescape(b.masked) for b in self.blocks]

    # --- masking --------------------------------------------------------------------------------------
    def _id(self) -> int:
        self._next += 1
        return self._next

    def _keep(self, block: Block, original_html: str) -> str:
        n = self._id()
        block.keep[n] = original_html
        shown = esc(htmllib.unescape(re.sub(r"<[^<>]*>", "", original_html))).strip() or "·"
        return f'<span translate="no" data-kz="{n}">{shown}</span>'

    def _mask(self, block: Block) -> Block:
        text = _WHOLE.sub(lambda m: self._keep(block, m.group(0)), block.original)
        out = []
        for kind, (lead, core, trail) in _walk(text):
            part = lead + core + trail
            if kind == "kept":
                out.append(part)
                continue
            if kind == "tag":
                tag = _TAG.fullmatch(part)
                if tag and tag.group(3).strip() and "data-kz" not in part:
                    n = self._id()
                    block.attrs[n] = part
                    out.append(f'<{tag.group(1)}{tag.group(2)} data-kz="{n}">')
                else:
                    out.append(part)
                continue
            out.append(self._mask_text(block, part))
        block.masked = "".join(out)
        return block

    def _mask_text(self, block: Block, text: str) -> str:
        out, pos = [], 0
        for match in PROTECTED.finditer(text):
            value = match.group(0)
            if match.lastgroup == "url":
                value = _trim_url(value)
            elif match.lastgroup == "phone" and not 6 <= _digits(value) <= 16:
                continue
            if match.start() < pos or not value:
                continue
            out.append(text[pos:match.start()])
            out.append(self._keep(block, value))
            pos = match.start() + len(value)
        out.append(text[pos:])
        masked = "".join(out)
        if "\n" in masked:       # a line break held inside a block by an open tag: protected too
            masked = re.sub(r"[ \t]*\n[ \t]*", lambda m: self._keep(block, m.group(0)), masked)
        return masked

    # --- restoring ------------------------------------------------------------------------------------
    def restore(self, translated: Sequence[str]) -> str:
        blocks = self.blocks
        if len(translated) != len(blocks):
            raise Broken(f"{len(translated)} texts back for {len(blocks)} sent")
        done = {id(b): self._restore_block(b, t, as_html=self.as_html) for b, t in zip(blocks, translated)}
        return self._join(done)

    def fragments(self) -> list[str]:
        """For the fallback: every run of words between protected parts and tags, as plain text."""
        return [htmllib.unescape(core) for b in self.blocks for kind, (_, core, _) in _walk(b.masked)
                if kind == "words"]

    def restore_fragments(self, translated: Sequence[str]) -> str:
        expected = len(self.fragments())
        if len(translated) != expected:
            raise Broken(f"{len(translated)} fragments back for {expected} sent")
        it = iter(translated)
        done = {}
        for b in self.blocks:
            rebuilt = []
            for kind, (lead, core, trail) in _walk(b.masked):
                rebuilt.append(lead + (esc(next(it).strip()) if kind == "words" else core) + trail)
            done[id(b)] = self._restore_block(b, "".join(rebuilt), as_html=True)
        return self._join(done)

    def _join(self, done: dict[int, str]) -> str:
        text = "".join(done[id(p)] if isinstance(p, Block) else p for p in self.pieces)
        return text if self.html else htmllib.unescape(text)

    def _restore_block(self, block: Block, translated: str, *, as_html: bool) -> str:
        if not as_html:
            translated = esc(translated)
        out: list[str] = []
        seen: Counter = Counter()
        skip_until: str | None = None      # the name of a kept element whose answered content is skipped
        depth = 0
        for part in _SPLIT.split(translated):
            if not part:
                continue
            tag = _TAG.fullmatch(part) if part.startswith("<") else None
            if skip_until is not None:
                if tag and tag.group(2).lower() == skip_until:
                    depth += -1 if tag.group(1) else (0 if tag.group(4) else 1)
                    if depth == 0:
                        skip_until = None
                continue
            if part.startswith("<") and tag is None:
                raise Broken("a stray '<' in the answer")
            if tag is None:
                out.append(esc(htmllib.unescape(part)))
                continue
            mark = _MARK.search(tag.group(3))
            if mark is None:
                if tag.group(3).strip() or tag.group(4):
                    raise Broken(f"a tag with new attributes: {part[:40]}")
                out.append(f"<{tag.group(1)}{tag.group(2).lower()}>")
                continue
            n = int(mark.group(1))
            seen[n] += 1
            if n in block.keep:
                out.append(block.keep[n])
                if not tag.group(4) and not tag.group(1):
                    skip_until, depth = tag.group(2).lower(), 1
            elif n in block.attrs:
                out.append(block.attrs[n])
            else:
                raise Broken(f"an unknown marker {n}")
        if skip_until is not None:
            raise Broken("a protected part was left open")
        expected = set(block.keep) | set(block.attrs)
        if set(seen) != expected or any(count != 1 for count in seen.values()):
            raise Broken("protected parts lost or repeated")
        result = "".join(out)
        if _tags(result) != _tags(block.original) or telegram_html_problem(result):
            raise Broken("the tags changed")
        return result


def _blocks(source: str) -> list[tuple[str, bool]]:
    """Cut at line breaks where no tag is open: ``[(text, is_block), ("\\n", False), …]``."""
    out: list[tuple[str, bool]] = []
    current: list[str] = []
    open_tags: list[str] = []
    lines = source.split("\n")
    for i, line in enumerate(lines):
        current.append(line)
        for m in _TAG.finditer(line):
            name = m.group(2).lower()
            if m.group(4):
                continue
            if m.group(1):
                if name in open_tags:
                    del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name):]
            else:
                open_tags.append(name)
        if open_tags and i < len(lines) - 1:
            continue
        out.append(("\n".join(current), True))
        current = []
        if i < len(lines) - 1:
            out.append(("\n", False))
    if current:
        out.append(("\n".join(current), True))
    return out


def _walk(masked: str) -> list[tuple[str, tuple[str, str, str]]]:
    """A masked block as ``(kind, (lead, core, trail))`` pieces whose concatenation is the block: ``tag``
    (a tag), ``kept`` (the shown content of a protected part), ``words`` (a run of words to translate,
    without its surrounding spaces) or ``other`` (spaces, digits, punctuation)."""
    out: list[tuple[str, tuple[str, str, str]]] = []
    inside = 0                                          # depth inside a translate="no" marker
    for part in _SPLIT.split(masked):
        if not part:
            continue
        if part.startswith("<"):
            tag = _TAG.fullmatch(part)
            if tag and tag.group(2).lower() == "span" and (inside or 'translate="no"' in part):
                inside += -1 if tag.group(1) else 1
            out.append(("tag", ("", part, "")))
            continue
        if inside:
            out.append(("kept", ("", part, "")))
            continue
        core = part.strip()
        if not core or not any(ch.isalpha() for ch in htmllib.unescape(core)):
            out.append(("other", ("", part, "")))
            continue
        lead = part[: len(part) - len(part.lstrip())]
        out.append(("words", (lead, core, part[len(lead) + len(core):])))
    return out


class ProtectingTranslator:
    """An engine made HTML-safe (see the module docstring)."""

    def __init__(self, engine: TranslationEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.fallbacks = 0          # how often the fallback had to step in (for logs and tests)

    async def detect(self, text: str) -> Detection:
        return await self.engine.detect(text)

    async def translate(self, text: str, source: str | None, target: str, *, html: bool = False) -> Translation:
        prepared = Prepared(text, html=html)
        if not prepared.blocks:             # nothing with letters: numbers, a link, an emoji
            return Translation(text, source, self.name)
        answer, detected = await self.engine.translate_batch(prepared.payload(), source, target,
                                                             html=prepared.as_html)
        try:
            result = prepared.restore(answer)
        except Broken:
            self.fallbacks += 1
            pieces = prepared.fragments()
            answer, again = await self.engine.translate_batch(pieces, detected or source, target, html=False)
            result = prepared.restore_fragments(answer)
            detected = detected or again
        return Translation(result, detected or source, self.name)

    async def close(self) -> None:
        await self.engine.close()


__all__ = ["Broken", "PROTECTED", "Prepared", "ProtectingTranslator"]
