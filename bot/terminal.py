"""``kiezbot chat``: talk to kiezbot in a terminal, with the same flows and database as Telegram.

Buttons are shown numbered; press one by typing its number or its label. Works with piped input
(one message per line), so a script can drive it. ``/quit`` or end of input leaves.
"""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from dialogs.core.engine import Dialogs
from dialogs.core.replies import chunk_replies
from dialogs.core.messages import Button, Inbound, Reply, Sender
from dialogs.core.text import plain

BOLD, RESET = "\033[1m", "\033[0m"


class TerminalChat:
    def __init__(self, dialogs: Dialogs, *, chat_id: int = 1, language_code: str | None = None,
                 name: str = "Terminal", out: TextIO = sys.stdout, files_dir: Path | None = None,
                 after_exchange: Callable[[], Awaitable[Any]] | None = None) -> None:
        self.dialogs = dialogs
        # Shows what the outbox holds for this chat (reminders, decisions) after each exchange.
        self.after_exchange = after_exchange
        self.sender = Sender(chat_id=chat_id, user_id=chat_id, language_code=language_code, display_name=name)
        self.out = out
        self.files_dir = files_dir or Path.cwd() / "kiezbot-files"
        self.buttons: list[Button] = []
        self.last_message_id = 0
        self.color = out.isatty()

    def _print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def render(self, reply: Reply) -> None:
        self.last_message_id += 1
        if reply.text:
            text = reply.text
            if self.color:
                text = text.replace("<b>", BOLD).replace("</b>", RESET)
            self._print("kiezbot> " + plain(text).replace("\n", "\n         "))
        if reply.venue:
            v = reply.venue
            self._print(f"         📍 {v.title}: {v.address} ({v.latitude:.5f}, {v.longitude:.5f})")
        for m in reply.media:
            label = "🖼 photo" if m.kind == "photo" else "🎤 voice note"
            self._print(f"         {label} ({m.file_id})" + (f": {plain(m.caption)}" if m.caption else ""))
        if reply.document:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            target = self.files_dir / Path(reply.document.filename).name
            target.write_bytes(reply.document.content)
            self._print(f"         📎 {reply.document.filename} -> {target}")
            if reply.document.caption:
                self._print("         " + plain(reply.document.caption))
        if reply.buttons:
            self.buttons = [b for row in reply.buttons for b in row]
            for i, button in enumerate(self.buttons, 1):
                target = f"  ({button.url})" if button.url else ""
                self._print(f"   [{i}] {button.label}{target}")

    def to_inbound(self, line: str) -> Inbound | None:
        text = line.strip()
        if not text:
            return None
        choice: Button | None = None
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            choice = self.buttons[int(text) - 1]
        else:
            for button in self.buttons:
                label = button.label.lstrip("\u200f")      # right-to-left mark on Arabic labels
                if label.strip().casefold() == text.casefold() or \
                        label.lstrip("✓ ").casefold() == text.casefold():
                    choice = button
                    break
        if choice is not None:
            if choice.url:
                self._print(f"         🔗 {choice.url}")
                return None
            return Inbound("press", self.sender, data=choice.data, message_id=self.last_message_id)
        return Inbound.parse_text(self.sender, text)

    async def send(self, line: str) -> list[Reply]:
        inbound = self.to_inbound(line)
        if inbound is None:
            return []
        handled = await self.dialogs.handle(inbound)
        if handled.toast:
            self._print(f"         ({plain(handled.toast)})")
        replies = chunk_replies(handled.replies)
        for reply in replies:
            self.render(reply)
        if self.after_exchange is not None:
            await self.after_exchange()
        return replies

    async def quick_start(self, language: str) -> None:
        """Walk the first-contact flow for the terminal user: /start, pick ``language``, acknowledge.

        When the first answer already shows the notice in ``language`` (``--lang`` is the app's language,
        as Telegram's language_code), its "OK" is the only tap, as for a resident on Telegram."""
        await self.send("/start")
        one_tap = f"consent:yes:{language}"
        offered = any(b.data == one_tap for b in self.buttons)
        for data in [one_tap] if offered else [f"lang:{language}", "consent:yes"]:
            if any(b.data == data for b in self.buttons):
                handled = await self.dialogs.handle(Inbound("press", self.sender, data=data))
                self._print(f"you> [{data}]")
                for reply in chunk_replies(handled.replies):
                    self.render(reply)

    async def run(self, stdin: TextIO = sys.stdin, language: str | None = None) -> None:
        interactive = stdin.isatty()
        if interactive:
            self._print("kiezbot terminal chat — type a message, a button number, or /quit to leave.")
        if language or not interactive:
            # A script drives the chat: choose the language and acknowledge the notice up front so
            # every piped line reaches the flows (the transcript shows both steps).
            await self.quick_start(language or self.dialogs.default_language)
        else:
            await self.send("/start")
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                self.out.write("you> ")
                self.out.flush()
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            if line.strip().lower() in ("/quit", "/exit"):
                break
            if not interactive:
                self._print(f"you> {line.rstrip()}")
            await self.send(line)
