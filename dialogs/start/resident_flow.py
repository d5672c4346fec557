"""First contact, the main menu and the commands that work everywhere.

Steps of a first contact::

    /start ──> language buttons (proposed from Telegram's language) ──tap──>
    privacy notice (two lines + link to /privacy) ──"OK"──> main menu

When the Telegram app's language is one we offer, the first answer already carries the notice in that
language under the language buttons, and its "OK" agrees and keeps that language: one tap instead of two
(a resident whose app is in Turkish reads the notice in Turkish before anything is stored). On WhatsApp
the language is only guessed from the number's country and a list holds at most ten rows, so there
the two steps stay apart.

Anything sent before "OK" is not stored: the engine says so and asks to send it again afterwards.

``/cancel`` and ``/menu`` return to the menu from any step; ``/language`` changes the language;
``/help``, ``/about`` and ``/privacy`` answer from anywhere without losing the step.
"""
from __future__ import annotations

from dialogs.core.engine import Context, Dialogs
from dialogs.core.i18n import N_
from dialogs.core.messages import Button
from dialogs.privacy.resident_flow import notice_details, operator_text
from dialogs.core.text import esc

ATTRIBUTION = "Geoportal Berlin / Adressen Berlin"
ATTRIBUTION_LICENCE = "Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)"


def language_buttons(ctx: Context, proposed: str | None = None) -> list[list[Button]]:
    langs = list(ctx.engine.catalogs.languages)
    if proposed:
        langs.sort(key=lambda lang: lang.code != proposed)
    buttons = [Button(("✓ " if lang.code == proposed else "") + lang.name, f"lang:{lang.code}") for lang in langs]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


async def start(ctx: Context) -> None:
    if ctx.resident.language is None:
        await ask_language(ctx)
    elif ctx.resident.consent_at is None:
        await show_notice(ctx)
    else:
        await ctx.show_menu(ctx._("Welcome back! What would you like to do?"))


def app_language(ctx: Context) -> str | None:
    """The language of a new resident's Telegram app when we offer it: the notice can come in it at once."""
    sender, resident = ctx.inbound.sender, ctx.resident
    if resident.language is not None or resident.consent_at is not None or sender.channel == "whatsapp":
        return None
    return ctx.engine.app_language(sender.language_code)


async def ask_language(ctx: Context) -> None:
    proposed = ctx.resident.language or ctx.engine.guess_language(ctx.inbound.sender.language_code)
    text = ctx._("Hello! I am kiezbot, the assistant of your neighbourhood management office. "
                 "Which language would you like?")
    known = app_language(ctx)
    if known is None:
        ctx.say(text, language_buttons(ctx, proposed))
        return
    text += "\n\n" + notice_text(ctx) + "\n\n" + ctx._(
        "Tap “{button}” to continue in {language}, or tap another language.",
        button=ctx._("OK, let's go"), language=ctx.t.ltr(ctx.t.language.name))
    ctx.say(text, language_buttons(ctx, known) + consent_rows(ctx, known))


async def on_language(ctx: Context) -> None:
    [code] = ctx.inbound.parts(1, rest=True)
    if not code:   # the menu's "Language" button
        return await ask_language(ctx)
    if code not in ctx.engine.catalogs.by_code:
        ctx.toast = ctx._("This button is no longer valid.")
        return await ask_language(ctx)
    first_time = ctx.resident.language is None
    ctx.resident.language = code
    ctx.t = ctx.engine.translator(code)
    if ctx.resident.consent_at is None:
        return await show_notice(ctx)
    if first_time:
        return await ctx.show_menu()
    await ctx.show_menu(ctx._("Done: I will write to you in {language}.", language=ctx.t.ltr(ctx.t.language.name)))


def channel_note(ctx: Context) -> str:
    """On WhatsApp the identity kept is the phone number, not a Telegram user ID: the notice says so."""
    if ctx.inbound.sender.channel != "whatsapp":
        return ""
    return "\n\n" + ctx._("On WhatsApp, instead of a Telegram user ID I store your WhatsApp phone number; "
                           "only the team sees it, and /delete erases it too.")


def notice_text(ctx: Context) -> str:
    return operator_text(ctx, "notice") or (
        ctx._("Privacy in short: I store your Telegram user ID, your language and what you send me, "
              "so that the team can answer you. You can see or delete your data at any time: /privacy")
        + channel_note(ctx) + "\n\n" + notice_details(ctx))


def consent_rows(ctx: Context, language: str = "") -> list[list[Button]]:
    """"OK" and "Read the full text"; with ``language`` (no language stored yet) "OK" also keeps that one."""
    suffix = f":{language}" if language else ""
    return [[Button(ctx._("OK, let's go"), "consent:yes" + suffix)],
            [Button(ctx._("Read the full text"), "consent:read" + suffix)]]


async def show_notice(ctx: Context, language: str = "") -> None:
    ctx.say(notice_text(ctx), consent_rows(ctx, language))


async def on_consent(ctx: Context) -> None:
    choice, code = ctx.inbound.parts(2)
    if ctx.resident.language is None:
        if code not in ctx.engine.catalogs.by_code:
            return await ask_language(ctx)
        ctx.t = ctx.engine.translator(code)       # the language the notice was shown in
        if choice == "read":
            await privacy(ctx)
            return await show_notice(ctx, code)
        ctx.resident.language = code
    if choice == "read":
        await privacy(ctx)
        return await show_notice(ctx)
    if ctx.resident.consent_at is None:
        ctx.resident.consent_at = ctx.now
        ctx.resident.display_name = ctx.inbound.sender.display_name[:64]
    await ctx.show_menu()


async def privacy(ctx: Context) -> None:
    custom = operator_text(ctx, "full")
    if custom is not None:           # the operator's own text for this language (KIEZBOT_PRIVACY_TEXT_DIR)
        ctx.say(custom)
        return
    op = ctx.engine.operator
    contact = ctx.t.ltr(esc(op.email)) if op.email else ctx._("the team in your neighbourhood office")
    text = ctx._(
        "<b>Privacy notice</b>\n\n"
        "<b>Who:</b> {operator} runs this bot for the neighbourhood management offices in Wedding and "
        "Gesundbrunnen.\n"
        "<b>What:</b> your Telegram user ID, the language you chose, when you agreed to this notice, and "
        "what you send to the team (ideas, questions, sign-ups).\n"
        "<b>Why:</b> to answer you and to handle your ideas and sign-ups (Art. 6 (1) a and e GDPR).\n"
        "<b>Who sees it:</b> only the team of the neighbourhood office; decided ideas may be shown to the "
        "neighbourhood council without your name.\n"
        "<b>How long:</b> until you delete it, or after one year without contact.\n"
        "<b>Your rights:</b> information, correction, deletion, objection, and complaint to the Berlin "
        "data protection authority.\n"
        "<b>Contact:</b> {contact}",
        operator=ctx.t.ltr(esc(op.name)), contact=contact)
    if op.privacy_url:
        text += "\n" + ctx._("Full text: {url}", url=ctx.t.ltr(esc(op.privacy_url)))
    ctx.say(text + channel_note(ctx))


async def about(ctx: Context) -> None:
    ctx.say(ctx._("<b>kiezbot</b> helps you reach your neighbourhood management office: find the office, "
                  "send ideas, sign up for events and get reminders — in your language.\n\n"
                  "Address data: {attribution}, licence: {licence}.",
                  attribution=ctx.t.ltr(ATTRIBUTION), licence=ctx.t.ltr(ATTRIBUTION_LICENCE)))


async def help_(ctx: Context) -> None:
    lines = [ctx._("<b>How to use me</b>"),
             ctx._("Tap the buttons, or simply write what you want. These commands always work:")]
    for command, msgid in ctx.engine.command_help:
        lines.append(ctx._("{command} — {description}", command=ctx.t.ltr("/" + command), description=ctx._(msgid)))
    ctx.say("\n".join(lines))


async def cancel(ctx: Context) -> None:
    had_step = bool(ctx.step)
    ctx.reset()
    await ctx.show_menu(ctx._("Cancelled. What would you like to do?") if had_step else None)


async def menu(ctx: Context) -> None:
    ctx.reset()
    await ctx.show_menu()


async def on_menu_button(ctx: Context) -> None:
    ctx.reset()
    await ctx.show_menu()


def register(app: Dialogs) -> None:
    app.consent_flow = start
    app.command("start", start)
    app.command("menu", menu, N_("show the main menu"))
    app.command("cancel", cancel, N_("stop what you are doing and go back to the menu"))
    app.command("language", ask_language, N_("choose your language"))
    app.command("privacy", privacy, N_("what happens with your data"))
    app.command("help", help_, N_("this help"))
    app.command("about", about, N_("about kiezbot and its data sources"))
    app.button("lang", on_language)
    app.button("consent", on_consent)
    app.button("menu", on_menu_button)
    app.menu_entry(90, N_("Language"), "lang:")
