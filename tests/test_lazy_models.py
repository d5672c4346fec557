"""aiogram's models, built on first use (bot/lazy_models.py), are the same models aiogram builds at import."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Prints {model name: JSON schema or error} for every aiogram type and method, built in the order given.
SCHEMAS = r"""
import json, sys
if sys.argv[1] == "hooked":
    import bot                                    # installs the hook first
    import aiogram
    from bot import lazy_models
    from aiogram.types import Message
    assert lazy_models.deferred() and not Message.__pydantic_complete__, "built at import"
else:
    import aiogram                                # before kiezbot's bot package: aiogram builds everything
    import bot
    from bot import lazy_models
    assert not lazy_models.deferred()
import aiogram.methods as methods
import aiogram.types as types
from pydantic import BaseModel

COMPARED = {"Update", "Message", "CallbackQuery", "User", "Chat", "InlineKeyboardMarkup",
            "ReplyKeyboardMarkup", "SendMessage", "EditMessageText", "EditMessageReplyMarkup",
            "AnswerCallbackQuery", "SetMyCommands",
            "GetUpdates", "SetWebhook", "SendPhoto", "SendVoice", "SendLocation", "SendVenue", "SendDocument",
            "CopyMessage", "DeleteMessage", "GetMe"}

def build(cls, name):
    try:
        cls.model_rebuild(raise_errors=True)      # resolves every forward reference, or raises
    except Exception as exc:                      # noqa: BLE001
        return f"not built: {type(exc).__name__}: {exc}"
    if name not in COMPARED:
        return True
    try:
        return cls.model_json_schema()
    except Exception as exc:                      # noqa: BLE001  (e.g. InputFile fields have no JSON schema)
        return f"{type(exc).__name__}"

out = {}
for module in (types, methods):
    for name in module.__all__:
        cls = getattr(module, name)
        if (isinstance(cls, type) and issubclass(cls, BaseModel)
                and name not in ("TelegramObject", "TelegramMethod")):
            out[f"{module.__name__}.{name}"] = build(cls, name)
print(json.dumps(out, sort_keys=True, default=str))
"""


def schemas(mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KIEZBOT_FAST_PATHS": "on"}   # the path under test, on
    done = subprocess.run([sys.executable, "-c", SCHEMAS, mode], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_aiogram_model_builds_on_first_use_as_it_would_at_import():
    lazy, eager = schemas("hooked"), schemas("unhooked")
    assert len(lazy) > 300                       # types and methods
    failed = {k: v for k, v in lazy.items() if isinstance(v, str) and v.startswith("not built")}
    assert not failed, failed
    assert sum(isinstance(v, dict) for v in lazy.values()) >= 15     # the schemas compared in full
    assert lazy == eager
