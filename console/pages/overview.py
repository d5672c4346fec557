"""Figures: how participation develops — charts drawn on the server as inline SVG, each with its numbers as
a table and a CSV download; printable for the Quartiersrat (the browser's print, with print CSS).

    GET /console/figures?area=…&from=YYYY-MM&to=YYYY-MM     all charts for an area (or all) and months
    GET /console/figures/{chart}.csv?…                         one chart's table, through the CSV guard

Counts only: no chart, table or file names a resident or shows what anyone wrote.
"""
from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aiohttp import web
from babel import Locale
from babel.numbers import parse_pattern

from console.i18n import ConsoleTranslator
from console.web import SESSIONS, now, render, translator
from dialogs.core.csv_safe import csv_bytes
from dialogs.core.i18n import N_
from dialogs.ideas.rules import KINDS, OPEN
from storage import overview as figures
from storage.offices import all_offices

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_MONTHS = 36
# stacked series of the submission charts: (statuses, label, colour class)
STATUS_GROUPS = ((OPEN, N_("open"), "s3"), (("approved",), N_("approved"), "s0"),
                 (("rejected",), N_("rejected"), "s1"), (("replied",), N_("answered by the team"), "s2"))
PALETTE = ("s0", "s2", "s3", "s4", "s5", "s1", "s7", "s6")

# the drawing: label column, bar area, value column (px of the SVG's own coordinates)
LABEL_W, BAR_W, VALUE_W, ROW_H, BAR_H, TOP = 170, 400, 56, 26, 19, 6


@dataclass
class Chart:
    key: str
    title: str
    desc: str
    row_head: str
    series: list[tuple[str, str]]                 # (label, colour class), stacked left to right
    rows: list[tuple[str, list[float]]] = field(default_factory=list)
    extra_heads: list[str] = field(default_factory=list)   # table-only columns
    extras: list[list[str]] = field(default_factory=list)
    empty: str = ""
    decimals: int = 0

    def svg(self, t: ConsoleTranslator) -> dict:
        """Geometry for the template: one bar a row, its series stacked; scaled to the largest total."""
        largest = max((sum(values) for _label, values in self.rows), default=0) or 1
        bars = []
        for i, (label, values) in enumerate(self.rows):
            y = TOP + i * ROW_H
            x = float(LABEL_W)
            parts = []
            for (name, css), value in zip(self.series, values):
                width = BAR_W * value / largest
                if width > 0:
                    parts.append(dict(x=round(x, 1), w=round(max(width, 1), 1), css=css,
                                      tip=f"{label} · {name}: {number(t, value, self.decimals)}"))
                x += width
            short = label if len(label) <= 22 else label[:21] + "…"      # the whole label is in the table
            bars.append(dict(y=y, ty=y + BAR_H - 4, label=short, parts=parts, vx=round(x + 6, 1),
                             value=number(t, sum(values), self.decimals)))
        return dict(width=LABEL_W + BAR_W + VALUE_W, height=TOP * 2 + max(len(self.rows), 1) * ROW_H,
                    bars=bars, label_x=LABEL_W - 8, bar_h=BAR_H)

    def table(self, t: ConsoleTranslator) -> tuple[list[str], list[list[str]]]:
        total = len(self.series) > 1
        head = [self.row_head, *(name for name, _css in self.series), *([t._("Total")] if total else []),
                *self.extra_heads]
        body = []
        for i, (label, values) in enumerate(self.rows):
            cells = [number(t, v, self.decimals) for v in values]
            if total:
                cells.append(number(t, sum(values), self.decimals))
            body.append([label, *cells, *(self.extras[i] if self.extras else [])])
        return head, body

    def csv_rows(self) -> tuple[list[str], list[list[object]]]:
        total = len(self.series) > 1
        rows = []
        for i, (label, values) in enumerate(self.rows):
            nums: list[object] = [round(v, self.decimals) if self.decimals else int(v) for v in values]
            if total:
                nums.append(round(sum(values), self.decimals) if self.decimals else int(sum(values)))
            rows.append([label, *nums, *(self.extras[i] if self.extras else [])])
        return [self.row_head, *(n for n, _c in self.series), *(["Total"] if total else []), *self.extra_heads], rows


PATTERNS = {0: parse_pattern("#,##0"), 1: parse_pattern("#,##0.0")}    # parsed once: format_decimal
                                                                         # parses its pattern on every call


def number(t: ConsoleTranslator, value: float, decimals: int = 0) -> str:
    return PATTERNS[decimals].apply(round(value, decimals), t.locale)


def language_name(t: ConsoleTranslator, code: str) -> str:
    try:
        name = Locale.parse(code.split("_")[0]).get_display_name(t.locale) or code
    except (ValueError, TypeError):
        return code
    return f"{name} ({code})" if "_" in code else name


@dataclass(frozen=True)
class Filters:
    area: str
    first: str            # YYYY-MM
    last: str
    months: list[str]
    period: figures.Period


def _months_between(first: tuple[int, int], last: tuple[int, int]) -> list[str]:
    out = []
    y, m = first
    while (y, m) <= last and len(out) < MAX_MONTHS:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def read_filters(request: web.Request, areas: dict[str, str]) -> tuple[Filters, list[str]]:
    t = translator(request)
    today = now(request).astimezone(timezone.utc)
    default_last = (today.year, today.month)
    default_first = (today.year - 1, today.month + 1) if today.month < 12 else (today.year, 1)
    problems = []
    chosen = {}
    for name, default in (("from", default_first), ("to", default_last)):
        value = request.query.get(name, "").strip()[:10]
        match = MONTH.match(value)
        if value and not match:
            problems.append(t._("“%(value)s” is not a month like 2026-03; left out.", value=value[:10]))
        chosen[name] = (int(match.group(1)), int(match.group(2))) if match else default
    if chosen["from"] > chosen["to"]:
        chosen["from"], chosen["to"] = chosen["to"], chosen["from"]
    months = _months_between(chosen["from"], chosen["to"])
    end_y, end_m = map(int, months[-1].split("-"))
    end_y, end_m = (end_y + 1, 1) if end_m == 12 else (end_y, end_m + 1)
    since = datetime(chosen["from"][0], chosen["from"][1], 1, tzinfo=timezone.utc)
    area = request.query.get("area", "")
    if area not in areas:
        area = ""
    return Filters(area, months[0], months[-1], months,
                   figures.Period(since, datetime(end_y, end_m, 1, tzinfo=timezone.utc))), problems


def _month_label(t: ConsoleTranslator, month: str) -> str:
    from babel.dates import format_date
    y, m = map(int, month.split("-"))
    return format_date(datetime(y, m, 1), "MMM yyyy", locale=t.locale)


async def build_charts(request: web.Request, f: Filters, areas: dict[str, str]) -> list[Chart]:
    t = translator(request)
    sessions = request.config_dict[SESSIONS]
    area = f.area or None
    moment = now(request)
    status_series = [(t.gettext(label), css) for _s, label, css in STATUS_GROUPS]
    group_of = {s: i for i, (statuses, _l, _c) in enumerate(STATUS_GROUPS) for s in statuses}
    area_name = lambda key: areas.get(key) or key or t._("no area")   # noqa: E731

    # the queries at once, each on its own connection (SQLite runs them in parallel threads)
    monthly, by_kind, by_language, residents, (upcoming, past), deliveries, times = await asyncio.gather(
        figures.submissions_by_month(sessions, f.period, area),
        figures.submissions_by(sessions, "kind", f.period, area),
        figures.submissions_by(sessions, "language", f.period, area),
        figures.residents_by_language(sessions, area),
        figures.event_fill(sessions, moment, area),
        figures.broadcast_delivery(sessions, f.period, area),
        figures.decision_times(sessions, f.period, area))
    per_month: dict[str, list[float]] = {m: [0.0] * len(STATUS_GROUPS) for m in f.months}
    per_area: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(STATUS_GROUPS))
    for a, month, status, n in monthly:
        g = group_of.get(status)
        if g is None:
            continue
        if month in per_month:
            per_month[month][g] += n
        per_area[a][g] += n
    charts = [
        Chart("months", t._("Submissions per month, by status"),
              t._("Submissions received each month, split by where they stand today."), t._("Month"),
              status_series, [(_month_label(t, m), v) for m, v in per_month.items()]),
        Chart("areas", t._("Submissions per area, by status"),
              t._("Submissions received in the period per area, split by where they stand today."), t._("Area"),
              status_series, [(area_name(a), v) for a, v in sorted(per_area.items(), key=lambda p: area_name(p[0]))],
              empty=t._("No submissions in this period.")),
    ]
    kinds: dict[str, float] = defaultdict(float)
    for _a, kind, n in by_kind:
        kinds[kind] += n
    charts.append(Chart("kinds", t._("Submissions by kind"), t._("What residents sent in the period."),
                        t._("Kind"), [(t._("Submissions"), "s0")],
                        [(t.gettext(KINDS[k]) if k in KINDS else k, [n]) for k, n in
                         sorted(kinds.items(), key=lambda p: -p[1])], empty=t._("No submissions in this period.")))
    languages: dict[str, float] = defaultdict(float)
    for _a, code, n in by_language:
        languages[code] += n
    charts.append(Chart("languages", t._("Submissions by language"),
                        t._("The language residents wrote in (their chat language)."), t._("Language"),
                        [(t._("Submissions"), "s2")],
                        [(language_name(t, c), [n]) for c, n in sorted(languages.items(), key=lambda p: -p[1])],
                        empty=t._("No submissions in this period.")))

    area_keys = sorted({a for _l, a, _n in residents}, key=area_name)
    column = {a: i for i, a in enumerate(area_keys)}
    by_language: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(area_keys))
    for code, a, n in residents:
        by_language[code][column[a]] += n
    charts.append(Chart("residents", t._("Residents by language and area"),
                        t._("Residents who use the bot today (counts only), by chat language and area."),
                        t._("Language"), [(area_name(a), PALETTE[i % len(PALETTE)]) for i, a in enumerate(area_keys)],
                        [(language_name(t, c), v) for c, v in sorted(by_language.items(), key=lambda p: -sum(p[1]))],
                        empty=t._("No residents yet.")))

    event_series = [(t._("seats taken"), "s0"), (t._("seats free"), "s6"), (t._("waiting list"), "s1")]
    for key, title, desc, rows in (
            ("events-upcoming", t._("Upcoming events: seats and waiting lists"),
             t._("Seats taken and free at the upcoming events, and people on their waiting lists, per area."),
             upcoming),
            ("events-past", t._("Events of the last 90 days: seats and waiting lists"),
             t._("Seats taken and free at the events of the last 90 days, and people left on waiting lists."),
             past)):
        charts.append(Chart(
            key, title, desc, t._("Area"), event_series,
            [(area_name(r.area_key), [r.seats_taken, max(r.capacity - r.seats_taken, 0), r.waitlisted])
             for r in rows],
            [t._("Events"), t._("Filled")],
            [[number(t, r.events), f"{number(t, 100 * r.seats_taken / r.capacity)} %" if r.capacity else "–"]
             for r in rows], empty=t._("No events.")))

    charts.append(Chart("broadcasts", t._("Broadcast delivery"),
                        t._("The last broadcasts of the period: delivered, failed, not reachable (blocked the bot "
                            "or deleted the chat), still waiting."), t._("Broadcast"),
                        [(t._("sent"), "s0"), (t._("failed"), "s1"), (t._("not reachable"), "s3"),
                         (t._("waiting"), "s6")],
                        [(f"#{d.broadcast_id} · {t.day(d.created_at, 'short')}",
                          [d.sent, d.failed, d.unreachable, d.waiting]) for d in deliveries],
                        empty=t._("No broadcasts in this period.")))

    charts.append(Chart("decision-time", t._("Median time to a decision"),
                        t._("Days from a submission to the team's decision (median), for the submissions of the "
                            "period that are decided."), t._("Area"), [(t._("days (median)"), "s4")],
                        [(area_name(d.area_key), [d.median_days or 0.0]) for d in
                         sorted(times, key=lambda d: area_name(d.area_key))],
                        [t._("Decided")], [[number(t, d.decided)] for d in
                                           sorted(times, key=lambda d: area_name(d.area_key))],
                        empty=t._("No decisions in this period."), decimals=1))
    return charts


async def _areas(request: web.Request) -> dict[str, str]:
    return {o.area_key: o.area_name for o in await all_offices(request.config_dict[SESSIONS])}


async def show(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    areas = await _areas(request)
    f, problems = read_filters(request, areas)
    charts = await build_charts(request, f, areas)
    query = f"area={f.area}&from={f.first}&to={f.last}"
    return render(request, "overview.html", active="figures", charts=charts, f=f, areas=areas, problems=problems,
                  query=query, made=t.when(now(request), "medium"),
                  drawn=[(c, c.svg(t), c.table(t)) for c in charts])


async def download(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    areas = await _areas(request)
    f, _problems = read_filters(request, areas)
    key = request.match_info["chart"]
    chart = next((c for c in await build_charts(request, f, areas) if c.key == key), None)
    if chart is None:
        raise web.HTTPNotFound()
    header, rows = chart.csv_rows()
    header = [t.gettext(h) if h == "Total" else h for h in header]
    name = f"kiezbot-{key}-{f.area or 'all'}-{f.first}-{f.last}.csv"
    return web.Response(body=csv_bytes(header, rows), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/figures", show, name="figures")
    app.router.add_get("/figures/{chart:[a-z-]+}.csv", download, name="figures_csv")
