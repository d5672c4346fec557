"""``/console``: a team member asks the bot for a sign-in link to the staff console (the web desk).

Steps::

    team member, private chat: /console ──> a link that works once, for a few minutes   (KIEZBOT_CONSOLE_*)
    team member, staff group:  /console ──> "links are personal: ask me in a private chat"
    the console is switched off ─────────> says so
    not on the team ─────────────────────> the engine's "Only the neighbourhood team can do this."

The link carries a random token; the store keeps only its hash, bound to the member, and a new link
replaces their unused one. The console (``console/auth.py``) turns it into a browser session.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING


from dialogs.core.i18n import N_
from dialogs.core.messages import Button

if TYPE_CHECKING:
    from dialogs.core.engine import Context, Dialogs

SIGNIN_PATH = "/console/signin/"       # served by console/auth.py


@dataclass(frozen=True)
class ConsoleOptions:
    base_url: str | None = None        # None: the console is switched off
    valid_for: timedelta = timedelta(minutes=10)


def configure(app: "Dialogs", *, base_url: str | None, valid_minutes: int = 10) -> None:
    """``kiezbot run`` passes KIEZBOT_CONSOLE_URL (when the console is enabled) and the link lifetime."""
    app.options["console"] = ConsoleOptions(base_url.rstrip("/") if base_url else None,
                                            timedelta(minutes=valid_minutes))


async def send_link(ctx: "Context") -> None:
    options: ConsoleOptions = ctx.engine.options.get("console") or ConsoleOptions()
    if ctx.inbound.sender.chat_kind != "private":
        ctx.say(ctx._("Sign-in links are personal: send {command} to me in a private chat.",
                      command=ctx.t.ltr("/console")))
        return
    if not options.base_url:
        ctx.say(ctx._("The staff console is not switched on for this kiezbot. Whoever runs kiezbot can "
                      "switch it on ({setting}).", setting=ctx.t.ltr("KIEZBOT_CONSOLE_ENABLED")))
        return
    token = await ctx.store.console.issue_link(ctx.inbound.sender.user_id, ctx.t.code, ctx.now, options.valid_for)
    url = options.base_url + SIGNIN_PATH + token
    minutes = int(options.valid_for.total_seconds() // 60)
    text = ctx.t.ngettext(
        "Your sign-in link for the staff console. It works once, for {n} minute:\n{url}\n\n"
        "Do not forward it: whoever opens it is signed in as you.",
        "Your sign-in link for the staff console. It works once, for {n} minutes:\n{url}\n\n"
        "Do not forward it: whoever opens it is signed in as you.",
        minutes, url=ctx.t.ltr(url))
    # Telegram accepts URL buttons to public https addresses only; the link in the text always works.
    buttons = [[Button(ctx._("🖥 Open the staff console"), url=url)]] if url.startswith("https://") else []
    ctx.say(text, buttons)


def register(app: "Dialogs") -> None:
    app.staff_command("console", send_link, N_("a sign-in link for the staff console (web)"))
