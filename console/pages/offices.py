"""Offices: the Vor-Ort-Büros' opening hours (per weekday, plus closures such as holidays), phone,
e-mail, address and map position.

    GET  /console/offices          all offices at a glance
    GET  /console/offices/{area}   the form
    POST /console/offices/{area}   check everything; save all of it or nothing

Opening hours are typed per weekday as the areas file has them (``10:00-13:00, 14:00-16:00``; ``10-13``
works too) and read by the same rule (:func:`dialogs.core.model.parse_span`). The bot reads offices from the
database on every request, so a saved change is what residents see next, in every process. A form filled
in before someone else saved the office is refused (nothing saved) and shows the current state.
"""
from __future__ import annotations

import re
from datetime import date

from aiohttp import web

from console.forms import Form
from console.web import SESSIONS, message, now, render, translator, url_for
from dialogs.core.i18n import N_
from dialogs.core.model import WEEKDAY_KEYS, Closure, Interval, OpeningHours, parse_day, parse_span
from locales import languages
from storage.offices import OfficeFacts, all_offices, office_facts, save_office

PHONE = re.compile(r"^\+?[0-9][0-9 ()/\-]{2,40}$")
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}$")
BERLIN = ((52.3, 52.7), (13.0, 13.8))       # latitude, longitude: a pin outside is a typo
CLOSURE_NOTE_LANGUAGES = ("de", "en")        # other languages' notes (from the areas file) are kept
EMPTY_CLOSURE_ROWS = 3
MAX_CLOSURES = 60


def _spans_text(spans: tuple[Interval, ...]) -> str:
    return ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in spans)


def form_values(facts: OfficeFacts) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The form as the stored facts fill it in: fields, and the closure rows."""
    values = {"address": facts.address, "phone": facts.phone or "", "email": facts.email or "",
              "latitude": "" if facts.latitude is None else f"{facts.latitude:g}",
              "longitude": "" if facts.longitude is None else f"{facts.longitude:g}",
              "fingerprint": facts.fingerprint}
    for key, spans in zip(WEEKDAY_KEYS, facts.hours.days):
        values[f"hours_{key}"] = _spans_text(spans)
    for code, text in facts.hours.note.items():
        values[f"note_{code}"] = text
    rows = [{"from": f"{c.first:%d.%m.%Y}", "to": f"{c.last:%d.%m.%Y}", "remove": "",
             **{f"note_{code}": c.note.get(code, "") for code in CLOSURE_NOTE_LANGUAGES}}
            for c in facts.hours.closures]
    return values, rows


def _day(form: Form, name: str, n: int) -> date | None:
    raw = form.raw(name).strip()
    form.values[name] = raw
    if not raw:
        return None
    try:
        return parse_day(raw[:20])
    except ValueError:
        form.error(name, N_("Closure %(n)s: “%(value)s” is not a date like 24.12.2026."), n=n, value=raw[:20])
        return None


def read_hours(form: Form, current: OpeningHours) -> tuple[OpeningHours, list[dict[str, str]]]:
    t = form.t
    days = []
    for index, key in enumerate(WEEKDAY_KEYS):
        name = f"hours_{key}"
        text = form.text(name, N_("Opening hours"), max_length=120)
        spans: list[Interval] = []
        for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
            try:
                spans.append(parse_span(part))
            except ValueError as exc:
                msgid = (N_("%(day)s: “%(value)s” ends before it starts.") if "ends before" in str(exc)
                         else N_("%(day)s: “%(value)s” is not a time range like 10:00-13:00."))
                form.error(name, msgid, day=t.weekday(index), value=part[:30])
        spans.sort(key=lambda s: s.start)
        if any(a.end > b.start for a, b in zip(spans, spans[1:])):
            form.error(name, N_("%(day)s: the times overlap."), day=t.weekday(index))
        days.append(tuple(spans))
    note = {}
    for lang in languages():
        text = form.text(f"note_{lang.code}", N_("Note on the opening hours"), max_length=300)
        if text:
            note[lang.code] = text
    try:
        count = min(int(form.raw("closure_count") or 0), MAX_CLOSURES + EMPTY_CLOSURE_ROWS)
    except ValueError:
        count = 0
    closures, rows = [], []
    earlier = {(c.first, c.last): c.note for c in current.closures}
    for i in range(max(count, 0)):
        n = i + 1
        first = _day(form, f"closure_{i}_from", n)
        last = _day(form, f"closure_{i}_to", n)
        notes = {code: form.text(f"closure_{i}_note_{code}", N_("Reason for the closure"), max_length=120)
                 for code in CLOSURE_NOTE_LANGUAGES}
        removed = bool(form.raw(f"closure_{i}_remove"))
        row = {"from": form.values[f"closure_{i}_from"], "to": form.values[f"closure_{i}_to"],
               **{f"note_{code}": text for code, text in notes.items()}, "remove": "1" if removed else ""}
        rows.append(row)
        if removed or not (row["from"] or row["to"] or any(notes.values())):
            continue
        if first is None and not form.errors.get(f"closure_{i}_from"):
            form.error(f"closure_{i}_from", N_("Closure %(n)s: please give the first day."), n=n)
            continue
        last = last or first
        if first is None or last is None:
            continue
        if last < first:
            form.error(f"closure_{i}_to", N_("Closure %(n)s: the last day is before the first."), n=n)
            continue
        kept = {k: v for k, v in earlier.get((first, last), {}).items() if k not in CLOSURE_NOTE_LANGUAGES}
        closures.append(Closure(first, last, {**kept, **{k: v for k, v in notes.items() if v}}))
    if len(closures) > MAX_CLOSURES:
        form.error("closure_count", N_("At most %(max)s closures, please remove old ones."), max=MAX_CLOSURES)
    hours = OpeningHours(tuple(days), note, tuple(sorted(closures, key=lambda c: (c.first, c.last))))
    return hours, rows


def read_position(form: Form) -> tuple[float | None, float | None]:
    values = []
    for name, label in (("latitude", N_("Latitude")), ("longitude", N_("Longitude"))):
        raw = form.text(name, label, max_length=20).replace(",", ".")
        if not raw:
            values.append(None)
            continue
        try:
            values.append(float(raw))
        except ValueError:
            form.error(name, N_("%(field)s: a number like 52.5531, please."), field=form.t.gettext(label))
            values.append(None)
    lat, lon = values
    if form.errors.get("latitude") or form.errors.get("longitude"):
        return None, None
    if (lat is None) != (lon is None):
        form.error("latitude", N_("Map position: please give both latitude and longitude, or neither."))
        return None, None
    if lat is not None and lon is not None and not (BERLIN[0][0] <= lat <= BERLIN[0][1]
                                                    and BERLIN[1][0] <= lon <= BERLIN[1][1]):
        form.error("latitude", N_("Map position: this is not in Berlin (latitude 52.3 to 52.7, longitude 13.0 "
                                  "to 13.8). Latitude and longitude swapped?"))
        return None, None
    return lat, lon


def read_office(form: Form, current: OfficeFacts) -> tuple[OfficeFacts, list[dict[str, str]]]:
    address = form.text("address", N_("Address"), max_length=256, required=True)
    phone = form.text("phone", N_("Phone"), max_length=64)
    if phone and "phone" not in form.errors and not PHONE.match(phone):
        form.error("phone", N_("Phone: only digits, spaces and + ( ) / - please, for example 030 1234567."))
    email = form.text("email", N_("E-mail"), max_length=128)
    if email and "email" not in form.errors and not EMAIL.match(email):
        form.error("email", N_("E-mail: this is not an e-mail address, for example team@example.org."))
    latitude, longitude = read_position(form)
    hours, rows = read_hours(form, current.hours)
    facts = OfficeFacts(current.area_key, current.area_name, address, phone or None, email or None, hours,
                        latitude, longitude)
    return facts, rows


async def list_offices(request: web.Request) -> web.StreamResponse:
    offices = await all_offices(request.config_dict[SESSIONS])
    t = translator(request)
    today = now(request).astimezone(t.tz).date()
    return render(request, "offices.html", offices=offices, today=today, weekdays=WEEKDAY_KEYS,
                  spans_text=_spans_text)


def _edit_page(request: web.Request, facts: OfficeFacts, values: dict[str, str], rows: list[dict[str, str]],
               *, errors: dict[str, str] | None = None, notice: str = "", status: int = 200) -> web.Response:
    rows = rows + [{"from": "", "to": "", "note_de": "", "note_en": "", "remove": ""}
                   for _ in range(EMPTY_CLOSURE_ROWS)]
    return render(request, "office_edit.html", status=status, office=facts, values=values, closures=rows,
                  errors=errors or {}, notice=notice, weekdays=WEEKDAY_KEYS, bot_languages=languages(),
                  closure_languages=CLOSURE_NOTE_LANGUAGES)


async def edit_office(request: web.Request) -> web.StreamResponse:
    facts = await office_facts(request.config_dict[SESSIONS], request.match_info["area"])
    if facts is None:
        return message(request, 404, N_("Page not found"), N_("There is no office of this area."))
    values, rows = form_values(facts)
    notice = "saved" if request.query.get("saved") == "1" else ""
    return _edit_page(request, facts, values, rows, notice=notice)


async def save(request: web.Request) -> web.StreamResponse:
    sessions = request.config_dict[SESSIONS]
    key = request.match_info["area"]
    current = await office_facts(sessions, key)
    if current is None:
        return message(request, 404, N_("Page not found"), N_("There is no office of this area."))
    form = Form(await request.post(), translator(request))
    new, rows = read_office(form, current)
    if not form.ok:
        values = dict(form.values, fingerprint=form.raw("fingerprint"))
        return _edit_page(request, current, values, rows, errors=form.errors, notice="invalid", status=400)
    outcome = await save_office(sessions, key, form.raw("fingerprint"), new)
    if outcome == "stale":
        fresh = await office_facts(sessions, key)
        assert fresh is not None
        values, fresh_rows = form_values(fresh)
        return _edit_page(request, fresh, values, fresh_rows, notice="stale", status=409)
    if outcome == "unknown":
        return message(request, 404, N_("Page not found"), N_("There is no office of this area."))
    raise web.HTTPSeeOther(url_for(request, "office", area=key) + "?saved=1")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/offices", list_offices, name="offices")
    app.router.add_get("/offices/{area}", edit_office, name="office")
    app.router.add_post("/offices/{area}", save, name="office_save")
