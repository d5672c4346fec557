"""KIEZBOT_LOG_FORMAT=json: one JSON object per line, with instance, update and the chat's pseudonym."""
from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logformat import JsonFormatter, configure_logging, current_update, update_context
from bot.logredact import redact_secrets, stop_redacting
from bot.settings import ConfigError, load_settings
from storage.privacy import pseudonym_with

TOKEN = "123456:SECRET-token-value"
KEY = bytes(range(32))


@pytest.fixture
def capture():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter = JsonFormatter("web-1")
    handler.setFormatter(formatter)
    logger = logging.getLogger("kiezbot.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, formatter, stream
    logger.removeHandler(handler)
    stop_redacting()


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_object_per_line_with_the_fields_a_collector_needs(capture):
    logger, _, stream = capture
    logger.info("first %s", "line")
    logger.warning("second\nwith a line break")
    first, second = lines(stream)
    assert first["message"] == "first line" and first["level"] == "INFO"
    assert first["logger"] == "kiezbot.test.json" and first["instance"] == "web-1"
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert "update_id" not in first and "chat" not in first          # no update being handled
    assert second["message"] == "second\nwith a line break" and second["level"] == "WARNING"


async def test_inside_an_update_the_chat_is_its_pseudonym_never_the_id(capture):
    logger, formatter, stream = capture
    formatter.set_pseudonym_key(KEY)
    middleware = update_context()

    class Update:
        update_id = 812

    class Chat:
        id = 4711_0815

    async def handler(event, data):
        logger.info("handling")
        return "done"

    assert await middleware(handler, Update(), {"event_chat": Chat()}) == "done"
    [line] = lines(stream)
    assert line["update_id"] == 812
    assert line["chat"] == pseudonym_with(KEY, 4711_0815)            # as in the staff access log
    assert "47110815" not in stream.getvalue()
    assert current_update.get() is None                              # reset after the update


def test_tokens_are_masked_in_message_and_traceback(capture):
    logger, _, stream = capture
    redact_secrets(TOKEN)
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except RuntimeError:
        logger.exception("request to /bot%s/getMe failed", TOKEN)
    [line] = lines(stream)
    assert TOKEN not in stream.getvalue()
    assert "***" in line["message"] and "***" in line["exc"] and "RuntimeError" in line["exc"]


def test_the_default_stays_human_readable_and_the_setting_is_checked(monkeypatch):
    monkeypatch.delenv("KIEZBOT_LOG_FORMAT", raising=False)
    assert load_settings().log_format == "text"
    monkeypatch.setenv("KIEZBOT_LOG_FORMAT", "JSON")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("KIEZBOT_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="KIEZBOT_LOG_FORMAT"):
        load_settings()
    monkeypatch.setenv("KIEZBOT_INSTANCE_ID", "web-7")
    monkeypatch.setenv("KIEZBOT_LOG_FORMAT", "json")
    assert load_settings().instance_id == "web-7"
    monkeypatch.delenv("KIEZBOT_INSTANCE_ID")
    assert load_settings().instance_id.endswith(f"-{__import__('os').getpid()}")


def test_configure_logging_installs_one_handler(monkeypatch):
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    try:
        handler = configure_logging("INFO", "json", "web-3")
        assert root.handlers == [handler] and isinstance(handler.formatter, JsonFormatter)
        handler = configure_logging("INFO", "text", "web-3")
        assert not isinstance(handler.formatter, JsonFormatter)
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])
