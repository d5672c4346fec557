"""The bot token and the webhook secret never reach a log, whatever logs them and however."""
from __future__ import annotations

import asyncio
import logging

import pytest
from aiogram import Dispatcher
from aiogram.utils.backoff import BackoffConfig
from aiohttp import web

from bot.logredact import redact_secrets, stop_redacting
from bot.telegram import make_bot

TOKEN = "123456:AAHsecretTOKENvalue-42"
WEBHOOK_SECRET = "webhook-s3cret-value"


@pytest.fixture
def redacting():
    redact_secrets(TOKEN, WEBHOOK_SECRET)
    yield
    stop_redacting()


@pytest.fixture
async def api_that_breaks_polling():
    """A Bot API that answers getMe but sends getUpdates into a redirect loop, so aiohttp's error
    names the request URL — which contains the token — and aiogram logs it on every retry."""
    app = web.Application()

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/getMe"):
            return web.json_response({"ok": True, "result": {"id": 123456, "is_bot": True, "first_name": "kiezbot",
                                                             "username": "kiezbot_test_bot"}})
        raise web.HTTPFound(str(request.url))

    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    await runner.cleanup()


async def test_a_failing_bot_api_request_logs_no_token(redacting, api_that_breaks_polling, caplog):
    bot = make_bot(TOKEN, api_that_breaks_polling)
    dp = Dispatcher()
    with caplog.at_level(logging.DEBUG):
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=1,
                                                       backoff_config=BackoffConfig(0.05, 0.1, 1.5, 0.0)))
        for _ in range(200):
            if "Failed to fetch updates" in caplog.text:
                break
            await asyncio.sleep(0.05)
        await dp.stop_polling()
        await asyncio.wait_for(polling, 10)
        await bot.session.close()
    assert "Failed to fetch updates" in caplog.text
    assert "/bot***/getUpdates" in caplog.text            # the URL was logged — without the token
    assert TOKEN not in caplog.text and "AAHsecretTOKENvalue" not in caplog.text


async def test_tracebacks_arguments_and_encoded_forms_are_redacted(redacting, caplog):
    log = logging.getLogger("kiezbot.test")
    with caplog.at_level(logging.INFO):
        try:
            raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
        except RuntimeError:
            log.exception("delivery failed")
        log.info("webhook registered with secret %s", WEBHOOK_SECRET)
        log.info("url-encoded: %s", "https://x/bot123456%3AAAHsecretTOKENvalue-42/getMe")
        log.warning({"token": TOKEN})
    text = caplog.text
    assert "delivery failed" in text and "RuntimeError" in text
    assert TOKEN not in text and WEBHOOK_SECRET not in text and "AAHsecretTOKENvalue" not in text
    assert text.count("***") >= 4


def test_without_secrets_nothing_changes(caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("kiezbot.test").info("plain %s", "message")
    assert "plain message" in caplog.text
