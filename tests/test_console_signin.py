"""Signing in to the staff console without a password: /console in a private chat -> a one-time link ->
a session; and everything that must not work: reused, expired and forged links, other people, old sessions."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.console import ConsoleLinkRow, ConsoleSessionRow
from storage.staff import remove_staff
from tests.chat import ChatClient
from tests.console_tools import (BASE, NONCE, ask_for_link, console_client, cookie_value, csrf_token,  # noqa: F401
                                 dana, desk, page_text, sign_in, signed_in, team_member, with_console)
from tests.staff_tools import STAFF_CHAT, staff_in_group


async def rows(db, model) -> list:
    async with db.sessions() as session:
        return list((await session.execute(select(model))).scalars())


async def test_a_team_member_gets_a_one_time_link_in_a_private_chat(dana, db):
    answer = await dana.says("/console")
    assert f"{BASE}/console/signin/" in answer.text
    assert "einmal, 10 Minuten lang" in answer.text and "nicht weiterleiten" in answer.text
    assert answer.buttons == []                          # Telegram takes URL buttons to https addresses only
    token = answer.text.split("/console/signin/")[1].split()[0]
    [link] = await rows(db, ConsoleLinkRow)
    assert link.user_id == 7 and token not in link.token_hash and len(link.token_hash) == 64   # only a hash


async def test_over_https_the_link_also_has_a_button(dialogs, db):
    member = await team_member(dialogs, db)
    with_console(dialogs, "https://desk.example.org")
    answer = await member.says("/console")
    assert answer.button_data()["🖥 Team-Konsole öffnen"].startswith("https://desk.example.org/console/signin/")


async def test_residents_get_the_usual_refusal_and_no_link(dialogs, db):
    with_console(dialogs)
    resident = ChatClient(dialogs, chat_id=4242, language_code="en")
    await resident.onboard("en")
    answer = await resident.says("/console")
    assert "Only the neighbourhood team can do this." in answer.text
    assert "/console/signin/" not in answer.text and await rows(db, ConsoleLinkRow) == []


async def test_in_the_staff_group_the_bot_asks_for_a_private_chat(dialogs, db):
    await team_member(dialogs, db)
    answer = await staff_in_group(dialogs, 7, chat_id=STAFF_CHAT).says("/console")
    assert "privaten Chat" in answer.text and "/console/signin/" not in answer.text
    assert await rows(db, ConsoleLinkRow) == []


async def test_without_the_console_switched_on_the_bot_says_so(dialogs, db):
    member = await team_member(dialogs, db)
    with_console(dialogs, None)
    answer = await member.says("/console")
    assert "nicht eingeschaltet" in answer.text and "KIEZBOT_CONSOLE_ENABLED" in answer.text


async def test_opening_the_link_asks_first_then_signs_in_with_a_strict_cookie(desk, dana, db):
    path = await ask_for_link(dana)
    page = await desk.get(path)
    assert "Als Dana anmelden" in await page_text(page)
    assert await rows(db, ConsoleSessionRow) == []               # looking at the link used nothing up
    again = await desk.get(path)                                  # a link preview, a second look: still fine
    nonce = NONCE.search(await again.text()).group(1)
    done = await desk.post(path, data={"nonce": nonce}, allow_redirects=False)
    assert done.status == 303 and done.headers["Location"] == "/console/"
    cookie = done.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("kiezbot_console="))
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie and "Path=/console" in session_cookie
    assert "Secure" not in session_cookie                         # http://desk.test; https gets Secure (below)
    home = await desk.get("/console/")
    assert home.status == 200 and "Hallo, Dana" in await page_text(home)
    [stored] = await rows(db, ConsoleSessionRow)
    assert stored.user_id == 7 and stored.id_hash != cookie_value(desk)          # only a hash is stored


async def test_the_cookie_is_secure_when_the_console_is_reached_over_https(dana, db, clock):
    client = await console_client(db, clock, public_url="https://desk.example.org")
    try:
        path = await ask_for_link(dana)
        page = await client.get(path)
        nonce = NONCE.search(await page.text()).group(1)
        client.session.cookie_jar.update_cookies({"kiezbot_signin": nonce})
        done = await client.post(path, data={"nonce": nonce}, allow_redirects=False)
        assert "Secure" in next(c for c in done.headers.getall("Set-Cookie") if c.startswith("kiezbot_console="))
    finally:
        await client.close()


async def test_a_used_link_is_refused_and_starts_nothing(desk, dana, db):
    path = await ask_for_link(dana)
    await sign_in(desk, path)
    desk.session.cookie_jar.clear()
    page = await desk.get(path)
    assert page.status == 410 and "schon benutzt" in await page_text(page)
    assert len(await rows(db, ConsoleSessionRow)) == 1


async def test_an_expired_link_is_refused(desk, dana, db, clock):
    path = await ask_for_link(dana)
    clock.advance(minutes=11)
    page = await desk.get(path)
    assert page.status == 410 and "abgelaufen" in await page_text(page)
    assert "/console" in await page_text(page)                    # how to get a new one
    assert await rows(db, ConsoleSessionRow) == []


async def test_forged_and_mangled_links_are_refused_without_a_trace(desk, dana, db):
    path = await ask_for_link(dana)
    for forged in (path[:-3] + "abc", "/console/signin/" + "A" * 43, "/console/signin/<script>alert(1)</script>",
                   "/console/signin/" + "x" * 5000, "/console/signin/%00%ff"):
        page = await desk.get(forged)
        text = await page_text(page)
        assert page.status in (401, 404, 414, 431), forged       # 401: not even the shape of a sign-in link
        assert "Traceback" not in text and "<script>" not in await page.text()
        if page.status == 404:
            assert "ungültig" in text
    assert await rows(db, ConsoleSessionRow) == []
    await sign_in(desk, path)                                    # the real link still works


async def test_a_new_link_replaces_the_unused_one(desk, dana):
    first = await ask_for_link(dana)
    second = await ask_for_link(dana)
    assert (await desk.get(first)).status == 404
    await sign_in(desk, second)


async def test_the_confirmation_needs_its_own_value_from_the_sign_in_page(desk, dana, db):
    path = await ask_for_link(dana)
    forged = await desk.post(path, data={"nonce": "made-up"}, allow_redirects=False)
    assert forged.status == 403 and "nichts geändert" in await page_text(forged)
    assert await rows(db, ConsoleSessionRow) == []
    await sign_in(desk, path)                                    # and the link was not used up by it


async def test_a_session_ends_after_a_pause_and_after_a_working_day(signed_in, dana, desk, clock):
    clock.advance(minutes=29)
    assert (await desk.get("/console/offices")).status == 200      # use keeps it alive
    clock.advance(minutes=31)
    page = await desk.get("/console/offices")
    assert page.status == 401 and "Bitte melden Sie sich an" in await page_text(page)
    await sign_in(desk, await ask_for_link(dana))
    start = clock.now
    for _ in range(30):                                              # busy all day, never idle for long
        clock.advance(minutes=25)
        if (await desk.get("/console/")).status != 200:
            break
    assert timedelta(hours=9, minutes=35) < clock.now - start <= timedelta(hours=10, minutes=25)
    assert (await desk.get("/console/")).status == 401


async def test_sign_out_ends_the_session_for_good(signed_in, desk, db):
    cookie = cookie_value(desk)
    token = await csrf_token(desk)
    page = await desk.post("/console/signout", data={"csrf": token})
    assert page.status == 200 and "Sie sind abgemeldet" in await page_text(page)
    assert await rows(db, ConsoleSessionRow) == []
    desk.session.cookie_jar.update_cookies({"kiezbot_console": cookie})      # the old cookie, replayed
    assert (await desk.get("/console/")).status == 401


async def test_removing_a_member_from_the_team_ends_their_sessions(signed_in, desk, dana, db):
    await ask_for_link(dana)                                        # an unused link too
    await remove_staff(db.sessions, 7)                              # kiezbot staff remove 7
    page = await desk.get("/console/offices")
    assert page.status == 401
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConsoleSessionRow)) == 0
        assert await session.scalar(select(func.count()).select_from(ConsoleLinkRow)) == 0
