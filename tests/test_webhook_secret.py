"""Issue 15 item 8: the webhook secret follows Telegram's rule, never reaches a log however short, and
re-drawing a message with what it already shows sends no edit ("message is not modified")."""
from __future__ import annotations

import logging

import pytest

from bot.logredact import redact_secrets, stop_redacting
from bot.settings import Settings
from tests.test_cli import kiezbot
from tests.test_ideas_telegram import telegram  # noqa: F401 — the fixture: kiezbot behind the fake Telegram


@pytest.mark.parametrize("secret", ["with space", "umlaut-ä", "semi;colon", "x" * 257, "a/b", "dot.ted"])
def test_a_secret_telegram_would_refuse_is_one_line_exit_2_without_the_secret(tmp_path, secret):
    result = kiezbot("run", env={"KIEZBOT_WEBHOOK_SECRET": secret, "KIEZBOT_BOT_TOKEN": "123:abc",
                                 "KIEZBOT_WEBHOOK_URL": "https://bot.example.org",
                                 "KIEZBOT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "KIEZBOT_WEBHOOK_SECRET" in lines[0] and "A-Z, a-z, 0-9, _ and -" in lines[0]
    assert secret not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("secret", ["a", "Z9", "ok_-", "x" * 256, "k1-E_" * 10])
def test_every_secret_telegram_accepts_is_accepted(secret):
    assert Settings(webhook_secret=secret, _env_file=None).webhook_secret.get_secret_value() == secret


@pytest.fixture
def logged(caplog):
    yield caplog
    stop_redacting()


def test_a_short_secret_is_masked_where_it_stands_but_words_containing_it_stay(logged):
    redact_secrets("k9")
    with logged.at_level(logging.INFO):
        logging.getLogger("kiezbot.test").info("setWebhook secret_token=k9 (k9) ok; k9x and ak9 are other words")
    assert logged.records[-1].getMessage() == "setWebhook secret_token=*** (***) ok; k9x and ak9 are other words"


async def test_a_double_tap_that_draws_the_same_view_sends_one_edit(telegram):  # noqa: F811
    tg, transport = telegram
    ada = tg.user(1301, "Ada", language_code="en")
    await ada.send("/start")
    [choose] = await ada.wait_messages(1, timeout=10)
    await ada.press(choose, "lang:en")
    await ada.wait_messages(1, timeout=10)
    await ada.press(None, "consent:yes")
    [menu] = await ada.wait_messages(1, timeout=10)
    await ada.press(menu, "meet:start")
    [areas] = await ada.wait_messages(1, timeout=10)
    delivered = []
    deliver = transport.deliver

    async def counting(*args, **kwargs):
        await deliver(*args, **kwargs)
        delivered.append(args)
    transport.deliver = counting
    await ada.press(areas, "meet:area:badstrasse")                 # two taps before the first edit arrives
    await ada.press(areas, "meet:area:badstrasse")
    await ada.wait_for(lambda: len(delivered) == 2, timeout=10)     # both presses handled and answered
    edits = tg.requests_for("editMessageText")
    assert [r.status for r in edits] == [200] and "Council and jury: QM Badstraße" in areas.text
