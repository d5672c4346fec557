"""One rendering layer: a dialogs :class:`~dialogs.core.messages.Reply` becomes WhatsApp Cloud API messages.

The flows build replies for Telegram (HTML subset, rows of inline buttons with callback data); the terminal
chat prints them with numbers (bot/terminal.py). WhatsApp's limits, as Meta documents them, decide here:

* the reply's buttons (those with data; link buttons become "label: URL" lines of the text) go as
  **reply buttons** when there are at most 3 and every title fits 20 characters, else as a **list
  message** when there are at most 10 and every title fits 24 characters, else as a **numbered text menu**
  ("1. Label" lines). All three answer the same way on the way back: a tap gives the button's data as the
  interactive reply id; a typed number (numbered menus) or a typed label (any menu) is looked up in the
  :class:`Menu` the transport keeps for the chat;
* text longer than a message may be (4096 characters; an interactive body 1024 for buttons, 4096 for a
  list) is split between lines, a single over-long line between words, never into blank messages; the
  menu goes with the last part;
* Telegram HTML becomes WhatsApp markup: ``<b>``/``<strong>`` → ``*…*``, ``<i>``/``<em>`` → ``_…_``,
  ``<s>``/``<del>`` → ``~…~``, ``<code>`` → ```…```, ``<pre>`` → `````…`````, a link → its text and
  ``(URL)``; markers hug the text (spaces moved outside, closed and reopened at line ends, as WhatsApp
  only formats within a line); every other tag is dropped and entities are unescaped (``&lt;`` → ``<``).
  WhatsApp has no escape for ``*``/``_`` typed by a person: they pass as they are.

Lengths are counted in UTF-16 code units (never less than characters), so a limit holds however Meta counts.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

from dialogs.core.messages import Button, Document, Reply

TEXT_LIMIT = 4096
BUTTON_BODY_LIMIT = 1024
LIST_BODY_LIMIT = 4096
MAX_BUTTONS, BUTTON_TITLE_LIMIT = 3, 20
MAX_ROWS, ROW_TITLE_LIMIT = 10, 24
LIST_BUTTON_LIMIT = 20
CAPTION_LIMIT = 1024
EMPTY_BODY = "⬇️"            # an interactive message needs a body; a reply with buttons only gets this

MARKERS = {"b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "strike": "~", "del": "~", "code": "```",
           "pre": "```"}
_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def units(text: str) -> int:
    """Length as the strictest counter sees it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


class _Writer:
    """Places WhatsApp markers next to text: an opening marker before the next visible character, a
    closing one after the last, both closed at a line end and reopened on the next line."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.open: list[list] = []        # [marker, written]
        self.space = ""

    def text(self, value: str) -> None:
        for ch in value:
            if ch == "\n":
                self._close_written()
                self.out.append(self.space + "\n")
                self.space = ""
            elif ch.isspace():
                self.space += ch
            else:
                self.out.append(self.space)
                self.space = ""
                for entry in self.open:
                    if not entry[1]:
                        self.out.append(entry[0])
                        entry[1] = True
                self.out.append(ch)

    def _close_written(self) -> None:
        for entry in reversed(self.open):
            if entry[1]:
                self.out.append(entry[0])
                entry[1] = False

    def start(self, marker: str) -> None:
        self.open.append([marker, False])

    def end(self, marker: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == marker:
                # inner spans still open (badly nested HTML) close with it
                for entry in reversed(self.open[i:]):
                    if entry[1]:
                        self.out.append(entry[0])
                del self.open[i:]
                return

    def result(self) -> str:
        self._close_written()
        return "".join(self.out) + self.space


def to_whatsapp(html_text: str) -> str:
    """Telegram HTML as WhatsApp text (see the module docstring)."""
    writer = _Writer()
    links: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(html_text):
        writer.text(html.unescape(html_text[pos:match.start()]))
        pos = match.end()
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name in MARKERS:
            (writer.end if closing else writer.start)(MARKERS[name])
        elif name == "a":
            if closing:
                href = links.pop() if links else ""
                if href:
                    writer.text(f" ({href})")
            else:
                found = _HREF.search(match.group(3))
                href = html.unescape((found.group(1) or found.group(2) or "") if found else "")
                links.append("" if href.startswith("tg://") else href)
        elif name == "br":
            writer.text("\n")
    writer.text(html.unescape(html_text[pos:]))
    return writer.result()


def _cut(line: str, limit: int) -> list[str]:
    """An over-long line in pieces of at most ``limit`` units, between words where there are any."""
    pieces: list[str] = []
    while units(line) > limit:
        end = limit
        while units(line[:end]) > limit:
            end -= 1
        space = line.rfind(" ", 0, end + 1)
        cut = space if space > end // 2 else end
        head, line = line[:cut].rstrip(), line[cut:].lstrip()
        if head:
            pieces.append(head)
    if line.strip():
        pieces.append(line)
    return pieces


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in non-blank parts of at most ``limit`` units, split between lines where possible."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if units(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current)
        current = ""
        if units(line) > limit:
            *done, line = _cut(line, limit) or [""]
            parts.extend(done)
        current = line
    if current.strip():
        parts.append(current)
    return parts


def _edge(ch: str) -> bool:
    """Emoji, check marks, arrows, spaces, punctuation, direction marks: not what a person types."""
    return unicodedata.category(ch)[0] in "SZPC" or unicodedata.category(ch) == "Mn"


def _normal(label: str) -> str:
    """A label as typed back: "💡 Project idea", "Tamam ▶", "✓ Deutsch" -> "project idea", "tamam", "deutsch"."""
    start, end = 0, len(label)
    while start < end and _edge(label[start]):
        start += 1
    while end > start and _edge(label[end - 1]):
        end -= 1
    return " ".join(label[start:end].casefold().split()) or " ".join(label.casefold().split())   # "👍"


@dataclass(frozen=True)
class Menu:
    """The choices a chat was offered last, to read a typed answer: the number (numbered menus) or the label."""

    choices: tuple[tuple[str, str], ...]      # (label, data)
    numbered: bool = False

    def resolve(self, text: str) -> str | None:
        typed = text.strip().rstrip(".")
        if self.numbered and typed.isdecimal() and 1 <= int(typed) <= len(self.choices):   # ١٢ too
            return self.choices[int(typed) - 1][1]
        wanted = _normal(text)
        for label, data in self.choices:
            if wanted and _normal(label) == wanted:
                return data
        return None


@dataclass(frozen=True)
class Outgoing:
    """One Cloud API message: ``kind`` and its object (without ``to``); a document still to upload."""

    kind: str
    content: dict
    document: Document | None = None


@dataclass
class Rendered:
    messages: list[Outgoing] = field(default_factory=list)
    menu: Menu | None = None


def _title(label: str) -> str:
    return label.strip()


def choose_form(buttons: list[Button]) -> str:
    """``buttons``, ``list`` or ``numbered``: the first of WhatsApp's forms all titles fit."""
    titles = [_title(b.label) for b in buttons]
    unique = len(set(titles)) == len(titles) and len({b.data for b in buttons}) == len(buttons)
    if unique and all(titles) and len(buttons) <= MAX_BUTTONS and all(units(t) <= BUTTON_TITLE_LIMIT for t in titles):
        return "buttons"
    if unique and all(titles) and len(buttons) <= MAX_ROWS and all(units(t) <= ROW_TITLE_LIMIT for t in titles):
        return "list"
    return "numbered"


def render(reply: Reply, *, list_button: str = "☰") -> Rendered:
    """The WhatsApp messages for ``reply``; ``list_button`` opens a list message (≤ 20 characters, the
    transport passes it translated)."""
    flat = [b for row in reply.buttons for b in row]
    choices = [b for b in flat if b.data]
    links = [b for b in flat if b.url]
    text = to_whatsapp(reply.text) if reply.text else ""
    if links:
        text = "\n".join([text, *(f"{b.label.strip()}: {b.url}" for b in links)]).strip("\n")
    out = Rendered()
    form = choose_form(choices) if choices else ""
    if form == "numbered":
        text = "\n".join([text, "", *(f"{i}. {b.label.strip()}" for i, b in enumerate(choices, 1))]).strip("\n")
    body_limit = {"buttons": BUTTON_BODY_LIMIT, "list": LIST_BODY_LIMIT}.get(form, TEXT_LIMIT)
    parts = split_text(text, TEXT_LIMIT) if text.strip() else []
    if form in ("buttons", "list"):
        last = split_text(parts.pop(), body_limit) if parts else [EMPTY_BODY]
        parts, body = parts + last[:-1], last[-1]
    for part in parts:
        out.messages.append(Outgoing("text", {"body": part, "preview_url": False}))
    if form == "buttons":
        out.messages.append(Outgoing("interactive", {"type": "button", "body": {"text": body}, "action": {
            "buttons": [{"type": "reply", "reply": {"id": b.data, "title": _title(b.label)}} for b in choices]}}))
    elif form == "list":
        button = list_button.strip()[:LIST_BUTTON_LIMIT] or "☰"
        out.messages.append(Outgoing("interactive", {"type": "list", "body": {"text": body}, "action": {
            "button": button, "sections": [{"rows": [{"id": b.data, "title": _title(b.label)} for b in choices]}]}}))
    if choices:
        out.menu = Menu(tuple((b.label, b.data) for b in choices), numbered=form == "numbered")
    if reply.venue:
        v = reply.venue
        out.messages.append(Outgoing("location", {"latitude": v.latitude, "longitude": v.longitude,
                                                  "name": v.title[:256], "address": v.address[:256]}))
    for m in reply.media:          # messenger file ids of another messenger: only the caption can go
        if m.caption:
            out.messages.extend(Outgoing("text", {"body": p, "preview_url": False})
                                for p in split_text(to_whatsapp(m.caption)))
    if reply.document:
        d = reply.document
        caption = to_whatsapp(d.caption)[:CAPTION_LIMIT] if d.caption else ""
        content = {"filename": d.filename, **({"caption": caption} if caption else {})}
        out.messages.append(Outgoing("document", content, document=d))
    return out
