"""The figures page: charts of participation (counts only) with their numbers as tables and CSV files,
filtered by area and months; only for the signed-in team."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, update

from console.app import CSP
from storage.broadcasts import BroadcastRow
from storage.events import EventRow, SignupRow
from storage.ideas import SubmissionRow
from storage.models import AreaRow, OutboxRow, ResidentRow
from storage.offices import all_offices
from tests.console_tools import dana, desk, page_text, signed_in  # noqa: F401

UTC = timezone.utc


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=UTC)


async def seed_figures(db, clock) -> None:  # noqa: ANN001
    """A small neighbourhood whose numbers are known (the clock stands at 24.11.2026)."""
    now = clock()
    subs = [  # area, kind, language, created, status, decided
        ("badstrasse", "project", "de", at(2026, 10, 5), "approved", at(2026, 10, 7)),
        ("badstrasse", "hint", "tr", at(2026, 10, 10), "rejected", at(2026, 10, 14)),
        ("badstrasse", "project", "de", at(2026, 11, 2), "new", None),
        ("pankstrasse", "aktionsfonds", "ar", at(2026, 11, 3), "approved", at(2026, 11, 13)),
        ("pankstrasse", "question", "de", at(2024, 1, 1), "replied", at(2024, 1, 2)),     # before the period
    ]
    residents = [("de", "badstrasse")] * 3 + [("tr", "badstrasse")] * 2 + [("ar", "pankstrasse")]
    async with db.sessions() as session, session.begin():
        await session.execute(insert(SubmissionRow), [
            dict(ref=f"T-{i}", chat_id=500 + i, language=lang, area_key=area, kind=kind, status=status,
                 created_at=created, updated_at=created, decided_at=decided, title="secret title", text="secret")
            for i, (area, kind, lang, created, status, decided) in enumerate(subs)])
        await session.execute(insert(ResidentRow), [
            dict(chat_id=900 + i, language=lang, area_key=area, consent_at=now, display_name="Alex")
            for i, (lang, area) in enumerate(residents)]
            + [dict(chat_id=999, language="de", area_key="badstrasse", consent_at=None)])   # no consent yet
        events = await session.execute(insert(EventRow).returning(EventRow.id), [
            dict(uid="full", area_key="pankstrasse", starts_at=now + timedelta(days=5), capacity=20, seats_taken=20),
            dict(uid="past", area_key="badstrasse", starts_at=now - timedelta(days=30), capacity=10, seats_taken=4),
            dict(uid="off", area_key="badstrasse", starts_at=now + timedelta(days=3), capacity=10, seats_taken=0,
                 status="cancelled"),
            dict(uid="old", area_key="badstrasse", starts_at=now - timedelta(days=120), capacity=10, seats_taken=9)])
        full = events.scalars().first()
        await session.execute(insert(SignupRow), [
            dict(event_id=full, chat_id=901, party_size=3, status="waitlisted"),
            dict(event_id=full, chat_id=902, party_size=2, status="waitlisted"),
            dict(event_id=full, chat_id=903, party_size=4, status="confirmed")])
        done = BroadcastRow(audience="all", created_by=7, created_at=now - timedelta(days=10),
                            finished_at=now - timedelta(days=9), state="done",
                            final_counts={"sent": 90, "failed": 3, "blocked": 7})
        running = BroadcastRow(audience="area:badstrasse", created_by=7, created_at=now - timedelta(hours=1),
                               state="sending")
        session.add_all([done, running])
        await session.flush()
        session.add_all([OutboxRow(chat_id=900 + i, broadcast_id=running.id, state=state, purpose="broadcast")
                         for i, state in enumerate(["sent", "sent", "pending"])])


def table(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


async def test_only_the_signed_in_team_sees_the_figures(desk):
    for path in ("/console/figures", "/console/figures/kinds.csv"):
        response = await desk.get(path, allow_redirects=False)
        assert response.status == 401
        assert "secret" not in await response.text()


async def test_the_numbers_of_a_known_neighbourhood(signed_in, db, clock):
    await seed_figures(db, clock)
    page = await signed_in.get("/console/figures")
    assert page.status == 200
    assert page.headers["Content-Security-Policy"] == CSP
    html = await page.text()
    assert "<svg" in html and "<title" in html and "<desc" in html and " style=" not in html
    assert "<script>" not in html                            # the print button's script is a file of ours
    text = await page_text(page)
    assert "Auswertung" in text and "Einsendungen pro Monat" in text
    assert "secret" not in text and "Alex" not in text

    kinds = table(await (await signed_in.get("/console/figures/kinds.csv")).read())
    assert kinds[0] == ["Art", "Einsendungen"]
    assert [row[1] for row in kinds[1:]] == ["2", "1", "1"]   # the 2024 question is outside the period
    assert len({row[0] for row in kinds[1:]}) == 3

    months = table(await (await signed_in.get("/console/figures/months.csv")).read())
    assert len(months) == 1 + 12                               # Dec 2025 … Nov 2026, empty months too
    october, november = months[-2], months[-1]
    assert october[1:] == ["0", "1", "1", "0", "2"]            # open, approved, rejected, replied, total
    assert november[1:] == ["1", "1", "0", "0", "2"]

    residents = table(await (await signed_in.get("/console/figures/residents.csv")).read())
    names = {o.area_key: o.area_name for o in await all_offices(db.sessions)}
    bad, pank = residents[0].index(names["badstrasse"]), residents[0].index(names["pankstrasse"])
    by_language = {row[0]: row for row in residents[1:]}
    assert by_language["Deutsch"][bad] == "3" and by_language["Türkisch"][bad] == "2"   # no consent: not counted
    assert by_language["Arabisch"][pank] == "1" and by_language["Arabisch"][bad] == "0"

    upcoming = table(await (await signed_in.get("/console/figures/events-upcoming.csv")).read())
    assert upcoming[0][1:] == ["Plätze belegt", "Plätze frei", "Warteliste", "Gesamt", "Veranstaltungen", "Belegt"]
    assert upcoming[1][1:] == ["20", "0", "5", "25", "1", "100 %"]          # the cancelled one left out
    past = table(await (await signed_in.get("/console/figures/events-past.csv")).read())
    assert [row[1:] for row in past[1:]] == [["4", "6", "0", "10", "1", "40 %"]]   # 120 days ago: left out

    broadcasts = table(await (await signed_in.get("/console/figures/broadcasts.csv")).read())
    assert [row[1:5] for row in broadcasts[1:]] == [["90", "3", "7", "0"], ["2", "0", "0", "1"]]

    times = table(await (await signed_in.get("/console/figures/decision-time.csv")).read())
    medians = {row[0]: (row[1], row[2]) for row in times[1:]}
    assert sorted(medians.values()) == [("10.0", "1"), ("3.0", "2")]


async def test_filters_by_area_and_months(signed_in, db, clock):
    await seed_figures(db, clock)
    october = table(await (await signed_in.get("/console/figures/kinds.csv",
                                               params={"from": "2026-10", "to": "2026-10"})).read())
    assert {row[1] for row in october[1:]} == {"1"} and len(october) == 3
    pank = table(await (await signed_in.get("/console/figures/months.csv",
                                            params={"area": "pankstrasse", "from": "2024-01", "to": "2024-02"})).read())
    assert pank[1][1:] == ["0", "0", "0", "1", "1"] and pank[2][1:] == ["0", "0", "0", "0", "0"]
    only_bad = table(await (await signed_in.get("/console/figures/broadcasts.csv",
                                                params={"area": "badstrasse"})).read())
    assert len(only_bad) == 2                                  # the broadcast to all is not one of the area's
    broken = await signed_in.get("/console/figures", params={"from": "soon", "area": "<b>x</b>"})
    assert broken.status == 200
    assert "„soon“ ist kein Monat" in await page_text(broken) and "<b>x</b>" not in await broken.text()
    assert (await signed_in.get("/console/figures/nothing.csv")).status == 404


async def test_csv_cells_cannot_become_formulas(signed_in, db, clock):
    await seed_figures(db, clock)
    async with db.sessions() as session, session.begin():
        await session.execute(update(AreaRow).where(AreaRow.key == "badstrasse")
                              .values(name='=HYPERLINK("http://evil","x")'))
    rows = table(await (await signed_in.get("/console/figures/areas.csv")).read())
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in names
    assert not any(name.startswith("=") for name in names)
