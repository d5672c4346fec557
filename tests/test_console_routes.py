"""Every page and endpoint of the console refuses without a session; every form refuses without its token;
bad requests get a page in the team's language, never a stack trace."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from console.app import build_console
from console.web import ConsoleConfig
from storage.ideas import SubmissionRow
from storage.models import OfficeRow
from tests.console_tools import a_submission, csrf_token, dana, desk, page_text, signed_in  # noqa: F401

PUBLIC = {"signin", "signin_confirm", "static"}
SAMPLE = {"token": "A" * 43, "area": "badstrasse", "filename": "console.css", "ref": "BAD-2026-001", "kind": "media",
          "index": "0", "chart": "months", "id": "1"}


def route_table() -> list[tuple[str, str, str]]:
    """(name, method, path) of every route the console has, placeholders filled in."""
    app = build_console(ConsoleConfig("http://desk.test"), sessions=None, clock=None)   # type: ignore[arg-type]
    out = []
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("formatter") or info.get("path") or info.get("prefix") + "/{filename}"
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)
        for route in resource:
            if route.method != "HEAD":
                out.append((resource.name or route.name or "", route.method, "/console" + path))
    return out


ROUTES = route_table()


def test_the_route_table_is_what_the_walk_covers():
    names = {name for name, _, _ in ROUTES}
    assert {"home", "offices", "office", "office_save", "audit", "audit_csv", "signout", "language", "queue",
            "submission", "submission_file", "submission_decide"} <= names
    assert all(name for name in names), "every route has a name (the public list is by name)"


@pytest.mark.parametrize("name,method,path", [r for r in ROUTES if r[0] not in PUBLIC],
                         ids=[f"{m} {p}" for n, m, p in ROUTES if n not in PUBLIC])
async def test_every_page_and_endpoint_refuses_without_a_session(desk, name, method, path):
    response = await desk.request(method, path, data={"csrf": "x", "address": "Hacked 1"} if method == "POST" else None)
    assert response.status == 401, (method, path)
    text = await page_text(response)
    assert "Bitte melden Sie sich an" in text and "/console" in text


async def test_public_routes_are_only_the_sign_in_link_and_the_static_files(desk):
    assert {n for n, _, _ in ROUTES} & PUBLIC == PUBLIC
    css = await desk.get("/console/static/console.css")
    assert css.status == 200 and css.content_type == "text/css"
    assert (await desk.get("/console/static/../app.py")).status in (401, 403, 404)


@pytest.mark.parametrize("name,method,path", [r for r in ROUTES if r[1] == "POST" and r[0] not in PUBLIC],
                         ids=[p for n, m, p in ROUTES if m == "POST" and n not in PUBLIC])
async def test_every_form_refuses_without_its_token_and_changes_nothing(signed_in, db, clock, name, method, path):
    assert await a_submission(db, clock) == SAMPLE["ref"]
    before = await offices(db), await submissions(db)
    for data in ({}, {"csrf": "forged"}, {"csrf": ""}):
        response = await signed_in.post(path, data={**data, "address": "Hacked 1", "lang": "en", "action": "ok",
                                                    "version": "1"})
        assert response.status == 403, (path, data)
        assert "Es wurde nichts geändert" in await page_text(response)
    assert (await offices(db), await submissions(db)) == before
    assert (await signed_in.get("/console/")).status == 200          # still signed in, still German


async def test_a_form_from_another_site_is_refused_even_with_the_token(signed_in, db):
    token = await csrf_token(signed_in)
    before = await offices(db)
    response = await signed_in.post("/console/offices/badstrasse", data={"csrf": token, "address": "Evil 1"},
                                    headers={"Origin": "https://evil.example"})
    assert response.status == 403 and await offices(db) == before


async def submissions(db) -> list:
    async with db.sessions() as session:
        return [(s.ref, s.status, s.version, s.assignee_name) for s in
                (await session.execute(select(SubmissionRow).order_by(SubmissionRow.id))).scalars()]


async def offices(db) -> list:
    async with db.sessions() as session:
        return [(o.area_key, o.address, o.phone, o.opening_hours) for o in
                (await session.execute(select(OfficeRow).order_by(OfficeRow.area_key))).scalars()]


async def test_pages_forbid_framing_foreign_scripts_and_caching(signed_in):
    response = await signed_in.get("/console/offices")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "same-origin"
    html = await response.text()
    assert not re.search(r"""(src|href)=["']https?://(?!www\\.openstreetmap)""", html), "every asset is local"


async def test_unknown_pages_and_oversized_forms_get_a_friendly_page(signed_in, db):
    missing = await signed_in.get("/console/no-such-page")
    assert missing.status == 404 and "Seite nicht gefunden" in await page_text(missing)
    token = await csrf_token(signed_in)
    before = await offices(db)
    huge = await signed_in.post("/console/offices/badstrasse", data={"csrf": token, "address": "x" * 300_000})
    assert huge.status == 413 and "zu groß" in await page_text(huge)
    assert await offices(db) == before
    wrong_method = await signed_in.delete("/console/offices")
    assert wrong_method.status in (403, 405) and "Traceback" not in await page_text(wrong_method)
