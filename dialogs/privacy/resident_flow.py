"""Data protection for residents: see, download and delete what kiezbot stores about them.

Steps::

    menu "🔒 My data" (privacy:menu) ──> [📄 Privacy notice] [📦 Download my data] [🗑 Delete my data] [Main menu]
    /privacy, privacy:text ──> the full notice (the operator's text for the language, else the built-in one)
    /mydata, privacy:export ──> a readable summary in their language + everything as a JSON file
    /delete, privacy:delete ──> "really delete?" [Yes, delete everything] [No, keep]   step privacy.confirm
        ├─ privacy:erase (in step privacy.confirm, within 15 minutes) ──> all data erased (every
        │     feature's registered eraser) ──> "deleted" — the next message starts as a new contact
        └─ privacy:keep, or anything typed ──> "nothing deleted" + menu
    retention warning (from the daily job, via the outbox) [👋 I'm still here] privacy:alive
        ──> "thank you, kept" (every update counts as contact; the warning is void)

A replayed or forged "erase" button outside a fresh confirmation deletes nothing: it asks again.

Erasure runs in two layers: first the domain steps flows registered with :func:`before_erasure`
(e.g. events withdraw the sign-ups through their own rules, so freed places go to the waitlist and
the promoted people are told), then the storage erasers of ``storage/personal_data.py`` delete or
anonymise every row. :func:`erase_resident` does both; /delete, the retention job and
``kiezbot privacy erase`` all use it.

For the other features: :func:`log_staff_access` records in the append-only access log that a team
member was shown or exported a resident's personal data; :func:`data_section` gives a section of
the /mydata export (the name a feature registered in ``storage/personal_data.py``) a translated label.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from dialogs.core.engine import Context, Dialogs, Operator
from dialogs.core.i18n import RLM, N_, Translator
from dialogs.core.messages import Button, Document, Reply
from dialogs.core.ports import ErasureReport, RetentionReport, Store
from dialogs.core.text import clip, esc

# The chat id an anonymised record keeps (a submission whose sender erased their data): nobody's.
ANONYMISED_CHAT_ID = 0
CONFIRM_STEP = "privacy.confirm"
CONFIRM_FOR = timedelta(minutes=15)

# Sections of the export that stay after erasure by design (pseudonymous accountability records):
# they alone do not make someone "known".
KEPT_SECTIONS = {"staff_access"}

# Labels of the /mydata sections that features register (the name given to register_personal_data).
SECTION_LABELS: dict[str, str] = {}


ErasureStep = Callable[[Store, Dialogs, int, datetime], Awaitable[int]]
ERASURE_STEPS: dict[str, ErasureStep] = {}


def before_erasure(name: str, step: ErasureStep) -> None:
    """A flow's own domain step before a resident's rows are erased: ``step(store, engine, chat_id, now)``,
    in the same transaction (e.g. withdraw sign-ups so that the waitlist moves up)."""
    ERASURE_STEPS[name] = step


async def erase_resident(store: Store, engine: Dialogs, chat_id: int, now: datetime) -> ErasureReport:
    """Erase everything about ``chat_id``: the flows' domain steps, then every registered storage eraser."""
    done = {name: await step(store, engine, chat_id, now) for name, step in ERASURE_STEPS.items()}
    report = await store.personal_data.erase(chat_id, now)
    for name, count in done.items():
        report.erased[f"{name} (withdrawn)"] = count
    return report


def has_personal_data(data: dict[str, Any]) -> bool:
    return any(name not in KEPT_SECTIONS for name in data)


def data_section(name: str, label_msgid: str) -> None:
    """Name a feature's section of the /mydata export for the summary (``label_msgid`` marked with N_)."""
    SECTION_LABELS[name] = label_msgid


data_section("ideas", N_("Ideas, applications and questions you sent"))
data_section("events", N_("Event sign-ups"))
data_section("meetings", N_("Reminders of council and jury sessions"))


# --- texts other flows use -------------------------------------------------------------------------

def operator_text(ctx: Context, kind: str = "full") -> str | None:
    """The operator's own privacy text (KIEZBOT_PRIVACY_TEXT_DIR) for the resident's language, if any."""
    key = ctx.t.code if kind == "full" else f"{ctx.t.code}.{kind}"
    return ctx.engine.operator.privacy_texts.get(key) or None


def notice_details(ctx: Context) -> str:
    """The part of the first-contact notice that says who sees the data, how long it is kept, and whom to ask."""
    op = ctx.engine.operator
    contact = ctx.t.ltr(esc(op.email)) if op.email else ctx._("the team in your neighbourhood office")
    return ctx.t.ngettext(
        "Only the team of your neighbourhood office sees it. Everything is deleted after {n} day without "
        "contact, or at once with /delete. See your data: /mydata. Contact: {contact}",
        "Only the team of your neighbourhood office sees it. Everything is deleted after {n} days without "
        "contact, or at once with /delete. See your data: /mydata. Contact: {contact}",
        op.retention_days, contact=contact)


async def log_staff_access(ctx: Context, action: str, chat_id: int, detail: str = "") -> None:
    """Record that the team member behind ``ctx`` was shown (``action``) a resident's personal data.

    Call it from every staff command or button that shows, exports or changes a resident's personal
    data (a submission card with the name, a sign-up list …). ``detail`` names *what* (e.g. "idea 12"),
    never the resident: they are referenced by a pseudonym."""
    sender = ctx.inbound.sender
    member = await ctx.store.staff.get(sender.user_id)
    actor = f"staff:{sender.user_id} {member.name if member else ''}".strip()
    await ctx.store.access_log.record(actor=actor, action=action, chat_id=chat_id, detail=detail, at=ctx.now)


# --- the menu ---------------------------------------------------------------------------------------

async def show_menu(ctx: Context) -> None:
    ctx.reset()
    ctx.say(ctx._("<b>🔒 Your data</b>\nHere you can read the privacy notice, download everything I store about "
                  "you, or delete it."),
            [[Button(ctx._("📄 Privacy notice"), "privacy:text")],
             [Button(ctx._("📦 Download my data"), "privacy:export")],
             [Button(ctx._("🗑 Delete my data"), "privacy:delete")],
             [Button(ctx._("Main menu"), "menu:")]])


async def on_button(ctx: Context) -> None:
    [action] = ctx.inbound.parts(1)
    handler = {"menu": show_menu, "text": show_notice_text, "export": my_data, "delete": ask_delete,
               "erase": erase, "keep": keep, "alive": still_here}.get(action)
    if handler is None:
        ctx.toast = ctx._("This button is no longer valid.")
        return await show_menu(ctx)
    await handler(ctx)


async def show_notice_text(ctx: Context) -> None:
    full_notice = ctx.engine.commands.get("privacy")
    if full_notice is not None:
        await full_notice(ctx)


# --- /mydata ----------------------------------------------------------------------------------------

async def my_data(ctx: Context) -> None:
    chat_id = ctx.inbound.sender.chat_id
    data = await ctx.store.personal_data.export(chat_id, ctx.now)
    if not has_personal_data(data):
        ctx.say(ctx._("I do not store anything about you."))
        return
    content = export_document(ctx.engine.operator, chat_id, ctx.now, data)
    caption = ctx._("Everything kiezbot stores about you (JSON file).")
    ctx.say(await summary(ctx, data), document=Document(f"kiezbot-my-data-{ctx.now:%Y-%m-%d}.json", content, caption))


def export_document(operator: Operator, chat_id: int, now: datetime, data: dict[str, Any]) -> bytes:
    """The JSON file of /mydata (and of ``kiezbot privacy export``)."""
    document: dict[str, Any] = {
        "about": {"service": "kiezbot", "operator": operator.name, "contact": operator.email,
                  "generated_at": now.isoformat(), "telegram_chat_id": chat_id},
        **data}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _when(t: Translator, value: Any) -> str:
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return t.date(moment, "medium")


async def summary(ctx: Context, data: dict[str, Any]) -> str:
    """What the JSON holds, in a few readable lines in the resident's language."""
    t = ctx.t
    lines = [t._("<b>Your data at kiezbot</b>")]
    profile = data.get("profile") or {}
    if profile:
        language = ctx.engine.language(profile.get("language")).name
        lines.append(t._("Language: {language}", language=t.ltr(esc(language))))
        if profile.get("name_from_telegram"):
            lines.append(t._("Name (from your Telegram profile): {name}",
                             name=t.ltr(esc(clip(profile["name_from_telegram"], 64)))))
        if profile.get("privacy_notice_accepted_at"):
            lines.append(t._("Privacy notice accepted: {date}", date=_when(t, profile["privacy_notice_accepted_at"])))
        lines.append(t._("First contact: {first} · last contact: {last}", first=_when(t, profile.get("first_contact_at")),
                         last=_when(t, profile.get("last_contact_at"))))
        if profile.get("area"):
            area = await ctx.store.areas.get(profile["area"])
            lines.append(t._("Your neighbourhood area: {area}",
                             area=t.ltr(esc(area.name if area else profile["area"]))))
    if any(c.get("step") or c.get("draft") for c in data.get("conversations") or []):
        lines.append(t._("A conversation with me is in progress (I keep what you typed so far)."))
    outbox = data.get("outbox") or []
    waiting = sum(1 for m in outbox if m.get("state") == "pending")
    if waiting:
        lines.append(t.ngettext("{n} message to you is waiting to be sent.",
                                "{n} messages to you are waiting to be sent.", waiting))
    if len(outbox) - waiting:
        lines.append(t.ngettext("{n} message was sent to you and is still kept for a short time.",
                                "{n} messages were sent to you and are still kept for a short time.",
                                len(outbox) - waiting))
    accesses = data.get("staff_access") or []
    if accesses:
        lines.append(t.ngettext("The team has looked at your data {n} time.",
                                "The team has looked at your data {n} times.", len(accesses)))
    for name, value in data.items():
        if name in ("profile", "conversations", "outbox", "staff_access", "retention"):
            continue
        label = t._(SECTION_LABELS[name]) if name in SECTION_LABELS else esc(name)
        count = len(value) if isinstance(value, list) else 1
        lines.append(t.ngettext("{label}: {n} entry", "{label}: {n} entries", count, label=label))
    lines += ["", t._("The attached file contains all of it in full. To delete it: /delete")]
    return "\n".join(lines)


# --- /delete ----------------------------------------------------------------------------------------

async def ask_delete(ctx: Context) -> None:
    if not has_personal_data(await ctx.store.personal_data.export(ctx.inbound.sender.chat_id, ctx.now)):
        ctx.say(ctx._("I do not store anything about you."))
        return
    ctx.goto(CONFIRM_STEP, asked_at=ctx.now.isoformat())
    ctx.say(ctx._("Do you really want me to delete all your data?\n\n"
                  "Your profile, our conversation, your sign-ups and subscriptions and messages still waiting "
                  "for you are deleted, and the team's copies of your ideas are removed from their Telegram "
                  "chat. Ideas you sent stay with the neighbourhood council as anonymous records: title and "
                  "text, with names, phone numbers and e-mail addresses in them replaced by ***. Your photos, "
                  "voice notes, location and your answers to the team are deleted.\n\n"
                  "<b>This cannot be undone.</b>"),
            [[Button(ctx._("🗑 Yes, delete everything"), "privacy:erase")],
             [Button(ctx._("No, keep my data"), "privacy:keep")]])


def _fresh_confirmation(ctx: Context) -> bool:
    if ctx.step != CONFIRM_STEP:
        return False
    try:
        asked = datetime.fromisoformat(str(ctx.data.get("asked_at")))
    except ValueError:
        return False
    return timedelta(0) <= ctx.now - asked <= CONFIRM_FOR


async def erase(ctx: Context) -> None:
    if not _fresh_confirmation(ctx):
        # A replayed or forged button, or one from long ago: nothing is deleted without a fresh "yes".
        ctx.toast = ctx._("This button is no longer valid.")
        return await ask_delete(ctx)
    await erase_resident(ctx.store, ctx.engine, ctx.inbound.sender.chat_id, ctx.now)
    ctx.forget()
    ctx.say(ctx._("Done: I have deleted all your data. Thank you for having been part of it!\n\n"
                  "If you write to me again, I will start afresh, as with someone new."))


async def keep(ctx: Context) -> None:
    ctx.reset()
    await ctx.show_menu(ctx._("Good: I have not deleted anything."))


async def on_confirm_step(ctx: Context) -> None:
    """Typed text while asked to confirm: never taken as a "yes"."""
    await keep(ctx)


async def still_here(ctx: Context) -> None:
    if ctx.resident.consent_at is None:    # already deleted, or never agreed: start afresh
        assert ctx.engine.consent_flow is not None
        return await ctx.engine.consent_flow(ctx)
    await ctx.show_menu(ctx._("Thank you! I keep your data, and the countdown starts again from today."))


# --- texts of the retention job (sent through the outbox, in the resident's language) ---------------

def retention_warning(t: Translator, delete_on: datetime) -> Reply:
    text = t._("Hello! You have not written to me for a long time. To protect your data, I will delete "
               "everything I store about you on {date}.\n\nDo you want to keep using kiezbot? Then tap the "
               "button or just write to me.", date=t.date(delete_on, "long"))
    if t.rtl:
        text = RLM + text
    return Reply(text=text, buttons=[[Button(t._("👋 I'm still here"), "privacy:alive")]])


def retention_report_text(t: Translator, report: RetentionReport) -> str:
    """For the staff chat: what the daily retention job did."""
    lines = [t._("<b>Data retention</b> (daily check)")]
    for days, count in sorted(report.warned.items(), reverse=True):
        lines.append(t.ngettext("Warned: {n} inactive resident, {days} days before deletion.",
                                "Warned: {n} inactive residents, {days} days before deletion.", count,
                                days=t.number(days)))
    lines.append(t.ngettext("Deleted after a long time without contact: {n} resident.",
                            "Deleted after a long time without contact: {n} residents.", report.erased_residents))
    if report.unfinished_removed:
        lines.append(t.ngettext("Forgotten: {n} first contact that never agreed to the privacy notice.",
                                "Forgotten: {n} first contacts that never agreed to the privacy notice.",
                                report.unfinished_removed))
    for name, count in sorted(report.rules.items()):
        lines.append(t._("{rule}: {count}", rule=esc(t._(name)), count=t.number(count)))
    lines.append(t.ngettext("Old delivered messages removed: {n}.", "Old delivered messages removed: {n}.",
                            report.outbox_purged))
    if report.access_log_purged:
        lines.append(t.ngettext("Old access-log lines removed: {n}.", "Old access-log lines removed: {n}.",
                                report.access_log_purged))
    return "\n".join(lines)


def register(app: Dialogs) -> None:
    app.command("mydata", my_data, N_("download everything I store about you"))
    app.command("delete", ask_delete, N_("delete all your data"))
    app.button("privacy", on_button)
    app.step("privacy", on_confirm_step)
    app.menu_entry(80, N_("🔒 My data"), "privacy:menu")
