"""The dialog engine: routes one inbound update to the flow it belongs to.

Order of routing for a resident's update:

1. a command (``/start``, ``/cancel`` …) — always wins, from any step;
2. a pressed button — by the prefix of its callback data (``office:area:pankstrasse`` -> ``office``);
3. the step the chat is in (``office.address`` -> the office flow's step handler);
4. anything else — the free-text handler (intents), else the main menu with a hint.

A resident who has not yet seen the privacy notice is shown it first. Nothing they send before they
acknowledge it is stored — not even to answer it afterwards: they are asked to send it again.

Safety (``dialogs/core/safety.py``) wraps the routing for residents: flood control per person, inbound
text clipped to 4,000 characters, and size limits and unreadable content (stickers, files …) answered
before a step sees them, unless the step declared it accepts them (:meth:`Dialogs.accepts`).

Flows register themselves with :meth:`Dialogs.command`, :meth:`Dialogs.button`,
:meth:`Dialogs.step` and :meth:`Dialogs.menu_entry`. Handlers are ``async def handler(ctx)``.
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from dialogs.core.i18n import RLM, Language, Translator
from dialogs.core.logsafe import who
from dialogs.core.messages import Button, Document, Handled, Inbound, Reply, Venue
from dialogs.core.model import Resident
from dialogs.core.ports import ChatState, Clock, Store, UnitOfWork
from dialogs.core import outside, safety
from dialogs.core.replies import needs_rlm, rtl_lines
from dialogs.core.text import esc

log = logging.getLogger(__name__)

Handler = Callable[["Context"], Awaitable[None]]

# Key of ChatState.data that survives goto()/reset(): a half-finished draft a flow parked when the
# resident went off to another flow (see Dialogs.leaving); the flow offers it back later.
PARKED = "_parked"
# Commands a resident may use before acknowledging the privacy notice.
PRE_CONSENT_COMMANDS = {"start", "language", "privacy", "about", "help", "cancel", "mydata", "delete"}
# Button prefixes that work before it (language, the notice itself, the data-protection menu).
PRE_CONSENT_BUTTONS = {"lang", "consent", "privacy"}

# Outdated or unofficial primary subtags some Telegram apps still send.
LANGUAGE_ALIASES = {"ua": "uk", "mo": "ro"}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class MenuEntry:
    order: int
    label: str          # msgid, translated when shown
    data: str


class Context:
    """Everything a flow handler needs for one update, and what it answers."""

    def __init__(self, engine: "Dialogs", inbound: Inbound, resident: Resident, state: ChatState,
                 store: Store, t: Translator) -> None:
        self.engine = engine
        self.inbound = inbound
        self.resident = resident
        self.state = state
        self.store = store
        self.t = t
        self.replies: list[Reply] = []
        self.toast: str | None = None
        self.is_staff = False
        self.forgotten = False

    # --- conveniences -----------------------------------------------------------------------
    @property
    def _(self) -> Callable[..., str]:
        return self.t._

    @property
    def now(self) -> datetime:
        return self.engine.clock()

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    @property
    def step(self) -> str:
        return self.state.step

    def say(self, text: str, buttons: list[list[Button]] | None = None, *, edit: bool = False,
            venue: Venue | None = None, document: Document | None = None) -> Reply:
        reply = Reply(text=text, buttons=buttons or [], edit=edit, venue=venue, document=document)
        self.replies.append(reply)
        return reply

    async def notify(self, chat_id: int, reply: Reply, *, due_at: datetime | None = None,
                     key: str | None = None, purpose: str = "", language: str | None = None) -> None:
        """Send ``reply`` to another chat (or later) through the durable outbox.

        ``language``: the recipient's language code, when the reply was written in it (with
        ``ctx.engine.translator(code)``) — a right-to-left language then gets its direction marks.
        """
        if language is not None:
            reply = self.engine.finalise(reply, self.engine.translator(language))
        await self.store.outbox.enqueue(chat_id, reply, due_at=due_at or self.now, key=key, purpose=purpose)

    def goto(self, step: str, **data: Any) -> None:
        """Enter ``step`` with a fresh draft (``data``); a parked draft (:data:`PARKED`) stays."""
        self.state = ChatState(step, self._carry(dict(data)))

    def reset(self) -> None:
        """Back to no step; a parked draft (:data:`PARKED`) stays."""
        self.state = ChatState("", self._carry({}))

    def _carry(self, data: dict[str, Any]) -> dict[str, Any]:
        parked = self.state.data.get(PARKED)
        if parked is not None:
            data.setdefault(PARKED, parked)
        return data

    def forget(self) -> None:
        """The resident's data were erased in this update: store nothing about them afterwards."""
        self.forgotten = True
        self.state = ChatState()

    async def show_menu(self, text: str | None = None, *, edit: bool = False) -> None:
        self.reset()
        entries = sorted(self.engine.menu_entries, key=lambda e: e.order)
        rows: list[list[Button]] = []
        row: list[Button] = []
        for entry in entries:
            row.append(Button(self.t._(entry.label), entry.data))
            if len(row) == 2:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        self.say(text or self.t._("What would you like to do? Tap a button or just write to me."),
                 rows, edit=edit)


@dataclass(frozen=True)
class Operator:
    """Who runs this kiezbot: named in the privacy notice and /about."""

    name: str = "L.I.S.T. Stadtentwicklungsgesellschaft mbH"
    email: str = ""            # data-protection contact; configure KIEZBOT_PRIVACY_CONTACT
    privacy_url: str = ""
    # The operator's own texts (KIEZBOT_PRIVACY_TEXT_DIR): "<lang>" -> full notice, "<lang>.notice" ->
    # the short first-contact notice; languages without a file get the built-in translated text.
    privacy_texts: dict[str, str] = field(default_factory=dict)
    retention_days: int = 365  # residents without contact for this long are deleted (named in the notice)


@dataclass
class Dialogs:
    """The registry of flows plus the loop that handles one update."""

    uow: UnitOfWork
    catalogs: Any                      # locales.Catalogs (kept untyped: locales imports dialogs)
    clock: Clock = utc_now
    timezone: str = "Europe/Berlin"
    default_language: str = "de"
    operator: Operator = field(default_factory=Operator)
    commands: dict[str, Handler] = field(default_factory=dict)
    buttons: dict[str, Handler] = field(default_factory=dict)
    steps: dict[str, Handler] = field(default_factory=dict)
    menu_entries: list[MenuEntry] = field(default_factory=list)
    free_text: list[Callable[[Context], Awaitable[bool]]] = field(default_factory=list)
    consent_flow: Handler | None = None          # shows language choice / privacy notice
    fallback: Handler | None = None
    staff_chat_id: int | None = None             # the staff group; other groups are ignored
    staff_commands: dict[str, Handler] = field(default_factory=dict)
    staff_buttons: dict[str, Handler] = field(default_factory=dict)
    staff_steps: dict[str, Handler] = field(default_factory=dict)
    staff_help: list[tuple[str, str]] = field(default_factory=list)
    command_help: list[tuple[str, str]] = field(default_factory=list)   # (command, msgid) for /help and the menu
    accepted_kinds: dict[str, set[str]] = field(default_factory=dict)  # step prefix -> extra inbound kinds
    flood: safety.FloodGuard = field(default_factory=safety.FloodGuard)
    options: dict[str, Any] = field(default_factory=dict)              # per-flow settings, e.g. reminder lead times
    # Called after an update moved the conversation out of a step: (ctx, state before). A flow with a
    # draft worth keeping parks it here (ideas: the resident checks /events in the middle of an idea).
    leaving: list[Callable[[Context, ChatState], None]] = field(default_factory=list)
    _locks: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = field(default_factory=weakref.WeakValueDictionary)

    # --- registration -----------------------------------------------------------------------
    def command(self, name: str, handler: Handler, help_msgid: str | None = None) -> None:
        self.commands[name] = handler
        if help_msgid:
            self.command_help.append((name, help_msgid))

    def button(self, prefix: str, handler: Handler) -> None:
        self.buttons[prefix] = handler

    def step(self, prefix: str, handler: Handler) -> None:
        self.steps[prefix] = handler

    def menu_entry(self, order: int, label_msgid: str, data: str) -> None:
        self.menu_entries.append(MenuEntry(order, label_msgid, data))

    def staff_command(self, name: str, handler: Handler, help_msgid: str | None = None) -> None:
        """A command for the team: works in the staff chat and in a staff member's private chat."""
        self.staff_commands[name] = handler
        if help_msgid:
            self.staff_help.append((name, help_msgid))

    def staff_button(self, prefix: str, handler: Handler) -> None:
        """Buttons only staff may press (checked on every press, whatever the callback data says)."""
        self.staff_buttons[prefix] = handler

    def staff_step(self, prefix: str, handler: Handler) -> None:
        self.staff_steps[prefix] = handler

    def accepts(self, step_prefix: str, *kinds: str) -> None:
        """Let ``kinds`` ("document", "sticker", "other") reach the steps of ``step_prefix`` ("" = no step);
        otherwise the engine answers them with a friendly "I can only read …"."""
        self.accepted_kinds.setdefault(step_prefix, set()).update(kinds)

    def on_free_text(self, handler: Callable[[Context], Awaitable[bool]]) -> None:
        """``handler`` returns True when it took the text."""
        self.free_text.append(handler)

    # --- translation ------------------------------------------------------------------------
    def language(self, code: str | None) -> Language:
        return self.catalogs.language(code or self.default_language)

    def translator(self, code: str | None) -> Translator:
        lang = self.language(code)
        return Translator(lang, self.catalogs.translations(lang.code), self.timezone)

    def app_language(self, language_code: str | None) -> str | None:
        """Telegram's language_code -> one of the offered languages, or None when we do not offer it.

        Telegram sends an IETF tag from the user's app settings: "tr", "ar", "uk", "en-GB", "pt-br".
        Only the primary subtag counts ("ar-SA" -> ar, "ro-MD" -> ro); a language we do not offer
        ("pt-br", "fa") gives None. A variant such as Einfache Sprache is never guessed — the
        resident picks it on the language keyboard.
        """
        base = (language_code or "").strip().replace("-", "_").split("_")[0].lower()
        base = LANGUAGE_ALIASES.get(base, base)
        return next((lang.code for lang in self.catalogs.languages if base and lang.code == base), None)

    def guess_language(self, language_code: str | None) -> str:
        """The language to propose: the app's language if offered (:meth:`app_language`), else the default."""
        return self.app_language(language_code) or self.default_language

    # --- handling ---------------------------------------------------------------------------
    def _lock(self, key: tuple[int, int]) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, inbound: Inbound) -> Handled:
        """One update: replies (after the commit), toast, queued or not; slow calls outside (:mod:`.outside`)."""
        inbound, clipped = safety.clip_text(inbound)
        async with self._lock((inbound.sender.chat_id, inbound.sender.user_id)):
            return await outside.rounds(lambda first: self._handle(inbound, clipped, first))

    async def _handle(self, inbound: Inbound, clipped: bool, first: bool) -> Handled:
        async with self.uow(chat_id := inbound.sender.chat_id) as store:
            ctx = await self._context(store, inbound)
            if first and inbound.sender.chat_kind == "private" and not ctx.is_staff:
                verdict = self.flood.hit(inbound.sender.user_id, ctx.now)
                if verdict is not safety.Verdict.OK:
                    if verdict is safety.Verdict.WARN:
                        notice = safety.slow_down_notice(ctx.t)
                        if inbound.kind == "press":
                            ctx.toast = notice
                        else:
                            ctx.say(notice)
                    return Handled([self._finalise(r, ctx.t) for r in ctx.replies], ctx.toast)   # nothing stored
            if clipped:
                ctx.say(safety.clipped_notice(ctx.t))
            before = ChatState(ctx.state.step, dict(ctx.state.data))
            try:
                await self._route(ctx)
                if before.step and ctx.state.step != before.step and not ctx.forgotten:
                    for leave in self.leaving:
                        leave(ctx, before)
            except Exception:
                # A bug must not leave the resident stuck in a broken step: log it, reset
                # the conversation (committed, so the next message starts clean), apologise.
                log.exception("flow failed for chat %s on %s", who(chat_id), inbound.kind)
                ctx.replies.clear()
                ctx.reset()
                ctx.say(ctx.t._("Sorry, something went wrong on my side. Please try again."))
                await ctx.show_menu()
            outside.check()            # the first round wants slow calls: rolled back, made, run again
            await self._finish(ctx, store)
        return Handled([self._finalise(r, ctx.t) for r in ctx.replies], ctx.toast, store.queued)

    async def _context(self, store: Store, inbound: Inbound) -> Context:
        chat_id = inbound.sender.chat_id
        resident = await store.residents.get(chat_id)
        if resident is None:
            resident = Resident(chat_id=chat_id)
        state = await store.conversations.load(chat_id, inbound.sender.user_id)
        ctx = Context(self, inbound, resident, state, store, self.translator(resident.language))
        ctx.is_staff = await store.staff.is_staff(inbound.sender.user_id)
        if resident.language is None:
            # Not stored until they pick one: propose from Telegram's language_code meanwhile.
            ctx.t = self.translator(self.guess_language(inbound.sender.language_code))
        return ctx

    def _staff_handler(self, ctx: Context) -> Handler | None:
        inbound = ctx.inbound
        if inbound.kind == "command":
            return self.staff_commands.get(inbound.command)
        if inbound.kind == "press":
            return self.staff_buttons.get(inbound.data.split(":", 1)[0])
        if ctx.step:
            return self.staff_steps.get(ctx.step.split(".", 1)[0])
        return None

    async def _route_staff_chat(self, ctx: Context) -> None:
        inbound = ctx.inbound
        if self.staff_chat_id is None or inbound.sender.chat_id != self.staff_chat_id:
            return                                   # a group kiezbot was added to by someone: stay silent
        if not ctx.is_staff:
            if inbound.kind in ("command", "press"):
                log.warning("non-staff user %s tried %s %r in the staff chat", who(inbound.sender.user_id),
                            inbound.kind, inbound.command or inbound.data)
                await self.refuse_staff_only(ctx)
            return
        if inbound.kind == "command" and inbound.command in ("cancel", "help"):
            ctx.reset()
            if inbound.command == "help":
                return self.show_staff_help(ctx)
            ctx.say(ctx.t._("Cancelled."))
            return
        handler = self._staff_handler(ctx)
        if handler is not None:
            await handler(ctx)

    async def refuse_staff_only(self, ctx: Context) -> None:
        if ctx.inbound.kind == "press":
            ctx.toast = ctx.t._("Only the neighbourhood team can do this.")
        else:
            ctx.say(ctx.t._("Only the neighbourhood team can do this."))

    def show_staff_help(self, ctx: Context) -> None:
        lines = [ctx.t._("<b>Commands for the team</b>")]
        lines += [ctx.t._("{command} — {description}", command=ctx.t.ltr("/" + name), description=ctx.t._(msgid))
                  for name, msgid in self.staff_help]
        ctx.say("\n".join(lines))

    async def _route(self, ctx: Context) -> None:
        inbound = ctx.inbound
        if inbound.sender.chat_kind == "group":
            return await self._route_staff_chat(ctx)
        staff_handler = self._staff_handler(ctx)
        if staff_handler is not None:
            if ctx.is_staff:
                return await staff_handler(ctx)
            if inbound.kind == "press" or (inbound.kind == "command" and inbound.command not in self.commands):
                log.warning("non-staff user %s tried %s %r", who(inbound.sender.user_id), inbound.kind,
                            inbound.command or inbound.data)
                return await self.refuse_staff_only(ctx)
        if inbound.kind == "command":
            if ctx.resident.consent_at is None and inbound.command not in PRE_CONSENT_COMMANDS:
                return await self._need_consent(ctx)
            handler = self.commands.get(inbound.command)
            if handler is None:
                ctx.say(ctx.t._("I don't know the command {command}. Here is what I can do:",
                                command=ctx.t.ltr(esc("/" + inbound.command[:32]))))
                return await ctx.show_menu(ctx.t._("What would you like to do?"))
            return await handler(ctx)
        if inbound.kind == "press":
            prefix = inbound.data.split(":", 1)[0]
            handler = self.buttons.get(prefix)
            if ctx.resident.consent_at is None and prefix not in PRE_CONSENT_BUTTONS:
                return await self._need_consent(ctx)
            if handler is None:
                ctx.toast = ctx.t._("This button is no longer valid.")
                return await ctx.show_menu()
            return await handler(ctx)
        if ctx.resident.consent_at is None:
            return await self._need_consent(ctx)
        accepted = self.accepted_kinds.get(ctx.step.split(".", 1)[0] if ctx.step else "", ())
        refusal = safety.refusal(ctx.inbound, ctx.t, accepted, answered_here=bool(ctx.step) or self.fallback is None)
        if refusal is not None:
            if ctx.step:
                ctx.say(refusal)            # stay in the step: they can send the right thing now
                return
            return await ctx.show_menu(refusal)
        if ctx.step:
            handler = self.steps.get(ctx.step.split(".", 1)[0])
            if handler is not None:
                return await handler(ctx)
            ctx.reset()
        if inbound.kind == "text":
            for taker in self.free_text:
                if await taker(ctx):
                    return
        if self.fallback is not None:
            return await self.fallback(ctx)
        await ctx.show_menu()

    async def _need_consent(self, ctx: Context) -> None:
        # Nothing they sent is kept before they have seen the notice and agreed (not even to answer it
        # afterwards): they are told so, and asked to send it again.
        if ctx.inbound.kind not in ("command", "press"):
            ctx.say(ctx.t._("I have not kept your message: before you have chosen your language and read "
                            "the privacy notice, I store nothing you send. Please send it again afterwards."))
        assert self.consent_flow is not None, "the start flow registers the consent flow"
        await self.consent_flow(ctx)

    async def _finish(self, ctx: Context, store: Store) -> None:
        if ctx.forgotten:
            return
        sender = ctx.inbound.sender
        ctx.resident.last_seen_at = ctx.now
        if sender.chat_kind != "group" and ctx.resident.language is not None:
            await store.residents.save(ctx.resident)
        await store.conversations.save(sender.chat_id, sender.user_id, ctx.state)

    def _finalise(self, reply: Reply, t: Translator) -> Reply:
        return self.finalise(reply, t)

    @staticmethod
    def finalise(reply: Reply, t: Translator) -> Reply:
        """Direction marks for a reply in a right-to-left language (no change otherwise).

        Telegram apps pick a paragraph's direction from its first strong character, and some do so per
        line: every non-empty line of the text and of captions starts with U+200F RIGHT-TO-LEFT MARK,
        so a line that begins with an insert ("/menu — …", an address) still reads right to left.
        Button labels that contain right-to-left letters get the mark too; a label that is only
        left-to-right data (a street, an area name) is left alone and reads left to right.
        """
        if not t.rtl:
            return reply
        reply.text = rtl_lines(reply.text)
        reply.buttons = [[replace(b, label=RLM + b.label) if needs_rlm(b.label) else b for b in row]
                         for row in reply.buttons]
        if reply.document is not None and reply.document.caption:
            reply.document = replace(reply.document, caption=rtl_lines(reply.document.caption))
        reply.media = [replace(m, caption=rtl_lines(m.caption)) if m.caption else m for m in reply.media]
        return reply
