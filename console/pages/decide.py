"""Decisions from the console, under the same one-decision rule as the chat card.

    POST /console/queue/{ref}/decide   action=ok|no|re|ask|rev|take, version=<the version the page showed>,
                                       reason (rejections), note (the text for the resident)

Every form carries the version of the submission the page showed. The decision is the chat's own
(:func:`dialogs.ideas.decisions.decide`): one conditional UPDATE on status and version, so of a chat
button and a console form sent at the same moment exactly one wins, and the other is told who decided
and when and sees the current state. The resident hears the outcome in their language through the
outbox, exactly as from the chat. A form with a problem (too long, no reason, a forged action) changes
nothing and comes back with what was typed and the problem named.
"""
from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache

from aiohttp import web

from console.forms import Form
from console.pages.queue import REF, show_submission
from console.web import CONFIG, SESSIONS, TEXTS, now, staff_unit_of_work, translator, url_for, user_of
from dialogs.core.i18n import N_, Translator
from dialogs.ideas.decisions import Actor, decide
from dialogs.ideas.rules import MAX_TEXT, REJECT_REASONS, Event, Submission
from dialogs.privacy.resident_flow import ANONYMISED_CHAT_ID
from locales import load_catalogs
from storage.queue import submission_version

log = logging.getLogger(__name__)
ACTIONS = {"ok": "approve", "no": "reject", "re": "reply", "ask": "ask", "rev": "revise", "take": "take"}
NOTE_REQUIRED = ("re", "ask", "rev")


class ResidentTexts:
    """The residents' languages (the chat's catalogs) for the message that tells them the decision; and
    the flows' settings (``options``, e.g. session reminder lead times) where the console plans messages."""

    def __init__(self, default_language: str, timezone: str) -> None:
        self.catalogs = load_catalogs()
        self.default = default_language
        self.timezone = timezone
        self.options: dict = {}

    def translator(self, code: str | None) -> Translator:
        language = self.catalogs.language(code or self.default)
        return Translator(language, self.catalogs.translations(language.code), self.timezone)


@lru_cache(maxsize=4)
def resident_texts(default_language: str, timezone: str) -> ResidentTexts:
    return ResidentTexts(default_language, timezone)


async def take(store, sub_id: int, version: int, actor: Actor, at: datetime) -> tuple[str, Submission | None]:  # noqa: ANN001
    """"Take it": as the chat's button — the first to take it gets it, nobody takes it from someone else."""
    sub = await store.submissions.get(sub_id)
    if sub is None:
        return "missing", None
    if not sub.is_open or sub.version != version:
        return "changed", sub
    if sub.assignee_id == actor.id:
        return "mine", sub
    if sub.assignee_id is not None:
        return "changed", sub
    event = Event("assigned", "staff", actor.id, actor.name, to_status=sub.status, note=sub.assignee_name)
    if not await store.submissions.transition(sub, to_status=sub.status, event=event, now=at,
                                              assignee=(actor.id, actor.name)):
        return "changed", await store.submissions.get(sub_id) or sub
    if sub.chat_id != ANONYMISED_CHAT_ID:
        await store.access_log.record(actor=actor.access_label, action="take", chat_id=sub.chat_id,
                                      detail=f"submission {sub.ref}", at=at)
    return "done", sub


def changed_message(request: web.Request, sub: Submission | None, last: Event | None) -> tuple[str, str]:
    """Who was faster, and when (the console's words for the chat's "Already decided by …")."""
    t = translator(request)
    detail = t.gettext(N_("Nothing was changed. The page shows the current state."))
    if sub is not None and not sub.is_open and sub.decided_at is not None:
        return t._("Already decided by %(name)s on %(when)s.", name=sub.decided_by_name,
                   when=t.when(sub.decided_at, "medium")), detail
    if last is not None:
        who = last.actor_name if last.actor_kind == "staff" else t.gettext(N_("The resident"))
        return t._("%(name)s changed this on %(when)s, after your page was opened.", name=who,
                   when=t.when(last.at, "medium")), detail
    return t.gettext(N_("Someone changed this after your page was opened.")), detail


def read_decision(form: Form) -> tuple[str, int | None, str, str]:
    action = form.raw("action")
    version_text = form.raw("version").strip()
    version = int(version_text) if version_text.isdecimal() and len(version_text) < 10 else None
    reason = form.raw("reason").strip()[:16]
    if action not in ACTIONS or version is None:
        form.error("_", N_("This form is not one of ours. Nothing was changed."))
        return action, version, reason, ""
    note = form.text("note", N_("Message to the resident"), max_length=MAX_TEXT, multiline=True)
    if action == "no" and reason not in REJECT_REASONS:
        form.error("reason", N_("Please pick a reason."))
    if action in NOTE_REQUIRED and not note and "note" not in form.errors:
        form.error("note", N_("Please write the text for the resident."))
    return action, version, reason, note


async def post_decision(request: web.Request) -> web.StreamResponse:
    ref = request.match_info["ref"].upper()
    if not REF.match(ref):
        raise web.HTTPNotFound()
    sessions = request.config_dict[SESSIONS]
    config = request.config_dict[CONFIG]
    user = user_of(request)
    assert user is not None
    form = Form(await request.post(), translator(request))
    action, version, reason, note = read_decision(form)
    values = {"action": action, "reason": reason, "note": form.values.get("note", "")}
    if not form.ok:
        errors = dict(form.errors)
        errors.setdefault("_", translator(request).gettext(N_("Nothing was changed. Please correct:")) + " "
                          + "; ".join(v for k, v in form.errors.items() if k != "_"))
        return await show_submission(request, errors=errors, values=values, status=400)
    found = await submission_version(sessions, ref)
    if found is None:
        raise web.HTTPNotFound()
    sub_id = found[0]
    actor = Actor(user.user_id, user.name)
    at = now(request)
    assert version is not None
    async with staff_unit_of_work(request, user.user_id) as store:
        if action == "take":
            status, sub = await take(store, sub_id, version, actor, at)
        else:
            texts = (request.config_dict.get(TEXTS)
                     or resident_texts(config.resident_default_language, config.timezone))
            outcome = await decide(store, sub_id, version, ACTIONS[action], actor, reason=reason or None,
                                   note=note or None, texts=texts, now=at)
            status, sub = outcome.status, outcome.submission
        last = (await store.submissions.events(sub_id) or [None])[-1] if status == "changed" else None
    if status in ("done", "mine"):
        done = action if status == "done" else "mine"
        raise web.HTTPSeeOther(url_for(request, "submission", ref=ref) + f"?done={done}")
    if status == "missing":
        raise web.HTTPNotFound()
    if status == "invalid":
        t = translator(request)
        return await show_submission(request, errors={"_": t.gettext(N_("This decision does not fit this "
                                                                        "submission. Nothing was changed."))},
                                     values=values, status=400)
    title, detail = changed_message(request, sub, last)
    return await show_submission(request, errors={"_": title, "_detail": detail}, status=409)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/queue/{ref}/decide", post_decision, name="submission_decide")
