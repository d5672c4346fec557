"""The queue: residents' submissions, filtered and paged, and one submission with everything the team needs.

    GET  /console/queue?area=…&kind=…&status=…&language=…&from=…&to=…&q=…&page=…
    GET  /console/queue/{ref}                         text (+ the team-language translation), photos, voice
                                                      notes, location, conversation, similar earlier
                                                      submissions, the resident's earlier ones, audit trail
    GET  /console/queue/{ref}/file/{kind}/{index}     a photo or voice note, streamed from Telegram
    POST /console/queue/{ref}/decide                  approve, reject, ask back, request a revision, take
                                                      it, reply (console/pages/decide.py)

Opening a submission, and each of its photos and voice notes, is written to the staff access log (as the
chat's ``/idea REF``): the resident sees in /mydata that the team looked. Residents appear by pseudonym.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from aiohttp import web

from console.i18n import ConsoleTranslator
from console.telegram_files import FileUnavailable, TelegramFiles
from console.web import CONFIG, SESSIONS, message, now, render, translator, url_for, user_of
from dialogs.core.i18n import N_
from dialogs.core.model import parse_day
from dialogs.ideas.rules import OPEN, REJECT_REASONS, STATUSES
from dialogs.translation import view
from dialogs.translation.jobs import DONE, SUBMISSION, Source, voice_field
from dialogs.translation.languages import language_name
from storage.offices import all_offices
from storage.queue import (QueueFilter, media_file, queue_languages, queue_page, record_submission_access,
                           submission_page)

log = logging.getLogger(__name__)
PAGE = 25
REF = re.compile(r"^[A-Z]{2,4}-\d{4}-\d{1,6}$")

# The console's own msgids (its catalog is separate from the chat's; same English wording).
KIND_LABELS = {"aktionsfonds": N_("Aktionsfonds application"), "project": N_("Project idea"),
               "hint": N_("Hint about the neighbourhood"), "question": N_("Question to the team")}
STATUS_LABELS = {"new": N_("new"), "waiting": N_("question to the resident"), "answered": N_("resident answered"),
                 "needs_revision": N_("revision requested"), "revised": N_("revised"), "approved": N_("approved"),
                 "rejected": N_("rejected"), "replied": N_("answered by the team")}
REASON_LABELS = {"dup": N_("Duplicate"), "area": N_("Outside our areas"),
                 "fund": N_("Not eligible for the Aktionsfonds"), "rules": N_("Against the rules"),
                 "other": N_("Other reason")}
EVENT_LABELS = {"created": N_("sent in"), "assigned": N_("taken"), "asked": N_("asked back"),
                "answered": N_("resident answered"), "revision_requested": N_("revision requested"),
                "resubmitted": N_("revised and sent again"), "approved": N_("approved"),
                "rejected": N_("rejected"), "replied": N_("answered")}
assert set(REASON_LABELS) == set(REJECT_REASONS) and set(STATUS_LABELS) == set(STATUSES)


def actor_of(request: web.Request) -> str:
    user = user_of(request)
    assert user is not None
    return f"staff:{user.user_id} {user.name}".strip()


def _query_value(request: web.Request, name: str, limit: int = 80) -> str:
    return request.query.get(name, "").strip()[:limit]


def read_filters(request: web.Request, t: ConsoleTranslator) -> tuple[dict[str, str], list[str], QueueFilter]:
    """The filters as typed, problems with them (those are left out), and the query for storage."""
    values = {name: _query_value(request, name) for name in ("area", "kind", "status", "language", "from", "to", "q")}
    problems = []
    if values["kind"] and values["kind"] not in KIND_LABELS:
        values["kind"] = ""
    if values["status"] not in ("", "open", "all", *STATUSES):
        values["status"] = ""
    bounds: list[datetime | None] = []
    for name, label in (("from", N_("From")), ("to", N_("To"))):
        day = None
        if values[name]:
            try:
                day = parse_day(values[name][:20])
            except ValueError:
                problems.append(t._("%(field)s: “%(value)s” is not a date like 24.12.2026; left out.",
                                    field=t.gettext(label), value=values[name][:20]))
        if day is not None and name == "to":
            day += timedelta(days=1)
        bounds.append(datetime.combine(day, time(), t.tz) if day else None)
    f = QueueFilter(area=values["area"] or None, kind=values["kind"] or None, status=values["status"] or "open",
                    language=values["language"] or None, since=bounds[0], until=bounds[1],
                    search=values["q"] or None)
    return values, problems, f


def _page_number(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), 10_000))
    except ValueError:
        return 1


def labels(t: ConsoleTranslator) -> dict:
    return {"kinds": {k: t.gettext(v) for k, v in KIND_LABELS.items()},
            "statuses": {k: t.gettext(v) for k, v in STATUS_LABELS.items()},
            "reasons": {k: t.gettext(v) for k, v in REASON_LABELS.items()},
            "events": {k: t.gettext(v) for k, v in EVENT_LABELS.items()},
            "language": lambda code: language_name(code, t.code) or code}


async def show_queue(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    sessions = request.config_dict[SESSIONS]
    values, problems, f = read_filters(request, t)
    page = _page_number(request)
    items, total = await queue_page(sessions, f, limit=PAGE, offset=(page - 1) * PAGE,
                                    team_language=request.config_dict[CONFIG].team_language)
    query = {k: v for k, v in values.items() if v}
    pages = max(1, (total + PAGE - 1) // PAGE)
    areas = await all_offices(sessions)
    return render(request, "queue.html", active="queue", values=values, problems=problems, items=items,
                  total=total, page=page, pages=pages, query=urlencode(query), open_statuses=OPEN,
                  all_statuses=STATUSES, areas={a.area_key: a.area_name for a in areas},
                  languages_seen=await queue_languages(sessions), **labels(t))


def translation_for(page, t: ConsoleTranslator, team_language: str, field: str):  # noqa: ANN001, ANN201
    """The finished translation of one field into the team's language (None: none, or not needed)."""
    job = view.pick(page.jobs, Source(SUBMISSION, page.submission.id, field), target=team_language)
    if job is None or job.not_needed:
        return None
    return job


async def show_submission(request: web.Request, *, notice: str = "", errors: dict | None = None,
                          values: dict | None = None, status: int = 200) -> web.StreamResponse:
    ref = request.match_info["ref"].upper()
    if not REF.match(ref):
        return message(request, 404, N_("Page not found"), N_("There is no submission with this reference."))
    t = translator(request)
    sessions = request.config_dict[SESSIONS]
    config = request.config_dict[CONFIG]
    page = await submission_page(sessions, ref)
    if page is None:
        return message(request, 404, N_("Page not found"), N_("There is no submission with this reference."))
    await record_submission_access(sessions, ref, actor=actor_of(request), action="show",
                                   detail=f"submission {ref} (console)", at=now(request))
    sub = page.submission
    team = config.team_language
    jobs = {"title": translation_for(page, t, team, "title"), "text": translation_for(page, t, team, "text")}
    transcripts = {}
    for item in page.media:
        if item.kind == "voice":
            source = Source(SUBMISSION, sub.id, voice_field(item.attachment_id))
            transcripts[item.index] = (view.pick(page.jobs, source, task="transcribe"),
                                       view.pick(page.jobs, source, target=team))
    location = None
    if sub.content.latitude is not None and sub.content.longitude is not None:
        lat, lon = sub.content.latitude, sub.content.longitude
        location = (f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=18/{lat:.5f}/{lon:.5f}",
                    f"{lat:.5f}, {lon:.5f}")
    costs = None
    if sub.content.costs_cents is not None:
        from babel.numbers import format_currency
        costs = format_currency(sub.content.costs_cents / 100, "EUR", locale=t.locale)
    return render(request, "submission.html", status=status, active="queue", page=page, sub=sub, jobs=jobs,
                  transcripts=transcripts, location=location, costs=costs, done=DONE, notice=notice,
                  errors=errors or {}, values=values or {}, area_name=await _area_name(sessions, sub.area_key),
                  translated_from=lambda job: language_name(job.detected_language or job.source_language or "",
                                                            t.code) if job else "",
                  reject_reasons=list(REJECT_REASONS), **labels(t))


async def _area_name(sessions, key: str) -> str:  # noqa: ANN001
    return next((a.area_name for a in await all_offices(sessions) if a.area_key == key), key)


async def submission(request: web.Request) -> web.StreamResponse:
    notice = request.query.get("done", "")[:20]
    return await show_submission(request, notice=notice if re.fullmatch(r"[a-z_]*", notice) else "")


async def stream_file(request: web.Request) -> web.StreamResponse:
    ref = request.match_info["ref"].upper()
    kind = request.match_info["kind"]
    index = request.match_info["index"]
    if not REF.match(ref) or kind not in ("media", "note") or not index.isdecimal() or len(index) > 9:
        raise web.HTTPNotFound()
    sessions = request.config_dict[SESSIONS]
    found = await media_file(sessions, ref, kind, int(index))
    if found is None:
        raise web.HTTPNotFound()
    file_id, file_kind = found
    await record_submission_access(sessions, ref, actor=actor_of(request), action="show",
                                   detail=f"submission {ref} {file_kind} {int(index) + (kind == 'media')} (console)",
                                   at=now(request))
    config = request.config_dict[CONFIG]
    try:
        return await TelegramFiles(config.telegram_api, config.bot_token).stream(request, file_id, file_kind)
    except FileUnavailable as exc:
        log.warning("console: a %s of %s could not be fetched from Telegram: %s", file_kind, ref, exc)
        return message(request, 502, N_("This file cannot be shown right now"),
                       N_("Telegram did not hand it out. Please try again later."))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/queue", show_queue, name="queue")
    app.router.add_get("/queue/{ref}", submission, name="submission")
    app.router.add_get("/queue/{ref}/file/{kind}/{index}", stream_file, name="submission_file")
