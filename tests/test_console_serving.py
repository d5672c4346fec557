"""Who serves the console: `kiezbot run` in polling mode (a small web server of its own, with /healthz),
`kiezbot run --webhook` (on the webhook server), and `kiezbot console` alone — real processes."""
from __future__ import annotations

import asyncio
import os
import sqlite3
import sys

import aiohttp

from tests.test_e2e_run import ROOT, free_port, stop, tg  # noqa: F401  (the fake Telegram fixture)


async def start(tmp_path, env: dict, *args: str):  # noqa: ANN001, ANN202
    full = {k: v for k, v in os.environ.items() if not k.startswith("KIEZBOT_")}
    full.update(PYTHONPATH=str(ROOT), **env)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", *args, cwd=tmp_path, env=full,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def get(url: str, process=None, seconds: float = 180) -> tuple[int, str, str]:  # noqa: ANN001
    """(status, body, final URL) once the server answers (a start on a busy machine takes a while)."""
    async with aiohttp.ClientSession() as http:
        for _ in range(int(seconds / 0.1)):
            try:
                async with http.get(url, headers={"Accept-Language": "de"}) as response:
                    return response.status, await response.text(), str(response.url)
            except aiohttp.ClientConnectionError:
                if process is not None and process.returncode is not None:
                    raise AssertionError(f"kiezbot ended: {(await process.stderr.read()).decode()[-2000:]}")
                await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answered on {url}")


def add_member(db_file, user_id: int, name: str) -> None:
    with sqlite3.connect(db_file) as connection:
        connection.execute("INSERT INTO staff (user_id, name, added_at) VALUES (?, ?, '2026-01-01 00:00:00')",
                           (user_id, name))


async def test_kiezbot_run_with_long_polling_serves_the_console_and_its_links(tg, seeded_file, tmp_path):
    port = free_port()
    add_member(seeded_file, 9101, "Dana")
    process = await start(tmp_path, {"KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
                                     "KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}",
                                     "KIEZBOT_CONSOLE_ENABLED": "1", "KIEZBOT_CONSOLE_PORT": str(port)}, "run")
    try:
        status, body, _ = await get(f"http://127.0.0.1:{port}/console/", process)
        assert status == 401 and "Bitte melden Sie sich an" in body
        status, _, _ = await get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        dana = tg.user(9101, first_name="Dana", language_code="de")
        await dana.send("/console")
        [message] = await dana.wait_messages(1, timeout=30)
        link = next(word for word in message.text.split() if "/console/signin/" in word)
        assert link.startswith(f"http://127.0.0.1:{port}/console/signin/")
        status, body, _ = await get(link)
        assert status == 200 and "Als Dana anmelden" in body
    finally:
        code, err = await stop(process)
    assert code == 0, err


async def test_kiezbot_run_with_a_webhook_serves_the_console_beside_it(tg, seeded_file, tmp_path):
    port = free_port()
    process = await start(tmp_path, {
        "KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
        "KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}", "KIEZBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "KIEZBOT_WEBHOOK_PORT": str(port), "KIEZBOT_CONSOLE_ENABLED": "true"}, "run", "--webhook")
    try:
        status, body, _ = await get(f"http://127.0.0.1:{port}/console/", process)
        assert status == 401 and "zwei Schritten" in body
        status, _, url = await get(f"http://127.0.0.1:{port}/console")
        assert url.endswith("/console/")
    finally:
        code, err = await stop(process)
    assert code == 0, err


async def test_kiezbot_console_serves_the_console_alone(seeded_file, tmp_path):
    port = free_port()
    process = await start(tmp_path, {"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}",
                                     "KIEZBOT_CONSOLE_PORT": str(port)}, "console")
    try:
        status, body, url = await get(f"http://127.0.0.1:{port}/", process)
        assert status == 401 and url.endswith("/console/") and "Bitte melden Sie sich an" in body
        status, _, _ = await get(f"http://127.0.0.1:{port}/console/static/console.css")
        assert status == 200
    finally:
        code, err = await stop(process)
    assert code == 0, err


async def test_kiezbot_console_alone_fills_in_machine_translations_from_the_configured_service(seeded_file, tmp_path):
    """`kiezbot console` on its own asks KIEZBOT_TRANSLATE_URL live, as `kiezbot run`'s console does: the
    broadcast composer's "fill in machine translations" fills the empty languages."""
    import hashlib
    import re
    import secrets

    from tests.fake_translation import FakeLibreTranslate

    add_member(seeded_file, 4711, "Dana")
    token = secrets.token_urlsafe(32)
    with sqlite3.connect(seeded_file) as connection:
        connection.execute("INSERT INTO console_links (token_hash, user_id, language, created_at, expires_at) "
                           "VALUES (?, 4711, 'de', '2026-01-01 00:00:00', '2999-01-01 00:00:00')",
                           (hashlib.sha256(token.encode()).hexdigest(),))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeLibreTranslate() as libre:
        process = await start(tmp_path, {"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}",
                                         "KIEZBOT_CONSOLE_PORT": str(port),
                                         "KIEZBOT_TRANSLATE_URL": libre.base_url}, "console")
        try:
            await get(base + "/console/static/console.css", process)
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             headers={"Origin": base}) as http:
                async with http.get(f"{base}/console/signin/{token}") as page:
                    nonce = re.search(r'name="nonce" value="([^"]+)"', await page.text()).group(1)
                async with http.post(f"{base}/console/signin/{token}", data={"nonce": nonce}) as signed_in:
                    assert "Hallo, Dana" in await signed_in.text()
                async with http.get(f"{base}/console/broadcasts/new") as page:
                    csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)
                form = {"csrf": csrf, "action": "machine", "audience": "all", "when": "now",
                        "text_de": "Kiezfest am Samstag"}
                async with http.post(f"{base}/console/broadcasts/new", data=form) as filled:
                    html = await filled.text()
            assert filled.status == 200, html[-2000:]
            turkish = re.search(r'<textarea[^>]*name="text_tr"[^>]*>(.*?)</textarea>', html, re.S).group(1)
            assert turkish.strip() == "KIEZFEST AM SAMSTAG"          # the fake service's "translation"
            assert 'name="machine_tr"' in html                        # marked as a machine translation
        finally:
            code, err = await stop(process)
    assert code == 0, err
