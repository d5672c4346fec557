"""Writing a broadcast in the console: audience, one text per language, a preview, machine translations for the
missing languages, then a confirmation step (who gets which version, how many) and send now or at a time.

    GET  /console/broadcasts/new    the empty form
    POST /console/broadcasts/new    action=preview   the form again, with what each language group reads
                                    action=machine   the empty language fields filled with machine translations
                                    action=confirm   everything checked; the confirmation page
                                    action=edit      back from the confirmation to the form
                                    action=send      store it (once per confirmation page), to its progress page

The broadcast is stored exactly as the staff chat's /broadcast and ``kiezbot broadcast`` store it (the unit of
work's :class:`storage.broadcasts.SqlBroadcasts`), so the delivery engine of ``kiezbot run``
(bot/delivery/broadcasts.py) sends it, to the audience as it is when it goes out, and a stop from the chat,
the terminal or the console stops it. Machine translations come from the chat's own offer
(:func:`dialogs.translation.offers.fill_missing`, as the chat's previews), only into languages without a text, and stay editable; the
box "machine translation" puts the chat's mark above them. Nothing needs JavaScript. Storing it and its
line in the staff access log are one transaction.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from console.forms import Form
from console.pages.broadcast_draft import (Draft, Preview, at_text, audience_groups, audience_label, number, preview,
                                           read_draft)
from console.pages.decide import resident_texts
from console.web import CONFIG, SESSIONS, TEXTS, now, render, translator, url_for, user_of
from dialogs.broadcasts.sending import FALLBACK_LANGUAGE
from dialogs.core.i18n import N_
from dialogs.translation import flows as translation_flows, offers
from locales import languages
from storage.broadcasts import audience_languages, bodies
from storage.repositories import all_areas
from storage.unit_of_work import SqlUnitOfWork

DRAFTS = web.AppKey("console_broadcast_drafts", dict)     # confirmation token -> broadcast id (None: being stored)
MAX_DRAFTS = 1000


def texts_of(request: web.Request):  # noqa: ANN201
    """The residents' languages (the bot's catalogs) and the translation settings, as decisions use them."""
    config = request.config_dict[CONFIG]
    return request.config_dict.get(TEXTS) or resident_texts(config.resident_default_language, config.timezone)


def can_translate(request: web.Request) -> bool:
    return translation_flows.settings(texts_of(request)).live is not None


async def _setting(request: web.Request) -> tuple[list, list[str]]:
    return list(await all_areas(request.config_dict[SESSIONS])), bodies()


def _choices(groups: list) -> set[str]:
    return {choice.value for _label, choices in groups for choice in choices}


async def _page(request: web.Request, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                shown: Preview | None = None, notice: str = "", status: int = 200) -> web.Response:
    t = translator(request)
    areas, body_keys = await _setting(request)
    return render(request, "broadcast_compose.html", status=status, active="broadcasts",
                  groups=audience_groups(t, areas, body_keys), values=values or {"audience": "all", "when": "now"},
                  errors=errors or {}, bot_languages=languages(), fallback=FALLBACK_LANGUAGE, preview=shown,
                  notice=notice, can_translate=can_translate(request), number=lambda n: number(t, n))


async def new(request: web.Request) -> web.StreamResponse:
    return await _page(request)


async def _preview(request: web.Request, draft: Draft) -> Preview | None:
    if draft.audience is None:
        return None
    by_language = await audience_languages(request.config_dict[SESSIONS], draft.audience)
    return preview(draft, by_language, texts_of(request).translator)


async def post(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    form = Form(await request.post(), t)
    action = form.raw("action")
    areas, body_keys = await _setting(request)
    groups = audience_groups(t, areas, body_keys)
    at = now(request)
    if action == "machine":
        return await _machine(request, form, groups, at)
    draft = read_draft(form, _choices(groups), at, check_when=action in ("confirm", "send"))
    if action == "edit":
        return await _page(request, values=draft.values, shown=await _preview(request, draft))
    if not form.ok:
        return await _page(request, values=draft.values, errors=form.errors, notice="invalid", status=400)
    shown = await _preview(request, draft)
    assert shown is not None and draft.audience is not None
    if action == "preview" or action not in ("confirm", "send"):
        return await _page(request, values=draft.values, shown=shown)
    if shown.total == 0:
        form.error("audience", N_("Nobody would receive this: nobody in this audience has agreed to messages yet. "
                                  "Please choose another audience."))
        return await _page(request, values=draft.values, errors=form.errors, shown=shown, notice="invalid",
                           status=400)
    if action == "confirm":
        return render(request, "broadcast_confirm.html", active="broadcasts", values=draft.values, preview=shown,
                      audience=audience_label(t, draft.audience, areas), draft=draft, token=secrets.token_urlsafe(16),
                      send_at=at_text(t, draft.send_at) if draft.send_at else "", bot_languages=languages(),
                      number=lambda n: number(t, n))
    return await _send(request, draft, shown, at)


async def _machine(request: web.Request, form: Form, groups: list, at: datetime) -> web.StreamResponse:
    """Fill the empty language fields with machine translations of the German text (marked, editable)."""
    draft = read_draft(form, _choices(groups), at, check_when=False)
    german = draft.texts.get(FALLBACK_LANGUAGE, "")
    values = draft.values
    if not german:
        return await _page(request, values=values, errors={"text_de": form.errors.get("text_de", "")},
                           notice="invalid", status=400)
    codes = [lang.code for lang in languages()]
    filled = await offers.fill_missing(texts_of(request), {"text": german}, draft.texts, codes)
    found = {code: fields["text"] for code, fields in filled.items() if fields["text"]}
    for code, text in found.items():
        values[f"text_{code}"] = text
        values[f"machine_{code}"] = "1"
    if found:
        values["machine_source"] = german
    again = Form(_as_post(values), form.t)
    draft = read_draft(again, _choices(groups), at, check_when=False)
    return await _page(request, values=draft.values, errors=again.errors, notice="machine" if found else "machine-none",
                       shown=await _preview(request, draft) if again.ok else None)


def _as_post(values: dict[str, str]) -> MultiDictProxy:
    return MultiDictProxy(MultiDict(values))


async def _send(request: web.Request, draft: Draft, shown: Preview, at: datetime) -> web.StreamResponse:
    """Store the broadcast, once per confirmation page (a second click lands on the same progress page)."""
    drafts = request.config_dict[DRAFTS]
    form_token = (await request.post()).get("draft", "")
    token = form_token if isinstance(form_token, str) and 16 <= len(form_token) <= 64 else ""
    if not token:
        raise web.HTTPBadRequest()
    if token in drafts:
        done = drafts[token]
        raise web.HTTPSeeOther(url_for(request, "broadcast", id=done) if done else url_for(request, "broadcasts"))
    drafts[token] = None
    while len(drafts) > MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    user = user_of(request)
    assert user is not None and draft.audience is not None
    stored = draft.stored_texts(texts_of(request).translator)
    languages_written = ", ".join(sorted(stored))
    when = f"scheduled for {draft.send_at:%Y-%m-%d %H:%M} UTC" if draft.send_at else "sent now"
    try:
        async with SqlUnitOfWork(request.config_dict[SESSIONS], None)(user.user_id) as store:   # type: ignore[arg-type]
            broadcast_id = await store.broadcasts.create(
                draft.audience, stored, created_by=user.user_id, created_by_name=user.name, language=user.language,
                report_chat_id=None, now=at, send_at=draft.send_at)
            await store.access_log.record(
                actor=f"staff:{user.user_id} {user.name}".strip(), action="broadcast", chat_id=None, at=at,
                detail=f"console: broadcast #{broadcast_id} to {draft.audience.encode()} ({shown.total} residents "
                       f"now; texts: {languages_written}; machine: {', '.join(sorted(draft.machine)) or 'none'}; "
                       f"{when})")
    except Exception:
        drafts.pop(token, None)
        raise
    drafts[token] = broadcast_id
    raise web.HTTPSeeOther(url_for(request, "broadcast", id=broadcast_id) + "?new=1")


def add_routes(app: web.Application) -> None:
    app[DRAFTS] = {}
    app.router.add_get("/broadcasts/new", new, name="broadcast_new")
    app.router.add_post("/broadcasts/new", post, name="broadcast_post")
