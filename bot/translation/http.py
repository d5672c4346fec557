"""One HTTP call to a translation or transcription service, its answer sorted into the errors the job
runner understands (:mod:`dialogs.translation.ports`):

=========================================  ==================================================================
answer                                     becomes
=========================================  ==================================================================
2xx with JSON                              the parsed JSON
2xx that is not JSON (a proxy's page)      :class:`Unavailable` — "not JSON"
429, DeepL's 529                           :class:`RateLimited` with ``Retry-After`` (seconds or a date),
                                           else ``default_wait``
456 (DeepL: quota used up)                 :class:`Unavailable`, retry after an hour
401, 403 (key missing or wrong)            :class:`Unavailable` naming the setting to check (a fixed key
                                           lets the waiting jobs through; otherwise they give up visibly)
400, 404, 405, 413, 414, 415, 422          :class:`Refused` with the service's message
5xx, other codes                           :class:`Unavailable` (``Retry-After`` respected)
timeout, refused connection, reset         :class:`Unavailable`
=========================================  ==================================================================

Error messages keep the service's own words (``{"error": …}``, ``{"message": …}``, ``{"detail": …}``,
OpenAI's ``{"error": {"message": …}}``), shortened; they never contain the text that was sent.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from dialogs.translation.ports import RateLimited, Refused, Unavailable

REFUSED = {400, 404, 405, 413, 414, 415, 422}
QUOTA_WAIT = 3600.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def error_message(body: bytes) -> str:
    """The service's own explanation, or the beginning of the body."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body[:120].decode("utf-8", "replace").strip()
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("msg")
            if isinstance(value, list) and value and isinstance(value[0], dict):
                value = value[0].get("msg")
            if value:
                return str(value)[:200]
    return str(data)[:120]


async def call(session: aiohttp.ClientSession, method: str, url: str, *, service: str, timeout: float,
               key_setting: str = "", default_wait: float = 30.0, **kwargs: Any) -> Any:
    """Send one request; the parsed JSON answer, or one of the typed errors (see the module docstring)."""
    try:
        async with session.request(method, url, timeout=aiohttp.ClientTimeout(total=timeout), **kwargs) as resp:
            body = await resp.read()
            status, retry_after = resp.status, parse_retry_after(resp.headers.get("Retry-After"))
    except (asyncio.TimeoutError, TimeoutError):
        raise Unavailable(f"{service}: no answer within {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        raise Unavailable(f"{service}: {type(exc).__name__}: {exc}"[:300]) from None
    if 200 <= status < 300:
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise Unavailable(f"{service}: the answer is not JSON ({body[:40]!r})") from None
    message = f"{service} answered {status}: {error_message(body)}"
    if status in (429, 529):
        raise RateLimited(message, retry_after=retry_after if retry_after is not None else default_wait)
    if status == 456:
        raise Unavailable(message + " (quota used up)", retry_after=max(retry_after or 0.0, QUOTA_WAIT))
    if status in (401, 403):
        hint = f" — check {key_setting}" if key_setting else ""
        raise Unavailable(message + hint, retry_after=retry_after)
    if status in REFUSED:
        raise Refused(message)
    raise Unavailable(message, retry_after=retry_after)


def text_list(value: Any, expected: int, service: str, what: str) -> list[str]:
    """A list of ``expected`` strings from an answer, or :class:`Unavailable` (the API promised one)."""
    if isinstance(value, str) and expected == 1:
        value = [value]
    if not isinstance(value, list) or len(value) != expected or not all(isinstance(v, str) for v in value):
        raise Unavailable(f"{service}: unexpected answer ({what} should be {expected} text(s))")
    return value


__all__ = ["call", "error_message", "parse_retry_after", "text_list"]
