"""The console's language: German first, English second, from the ``console`` catalogs.

Catalogs: ``locales/console/<lang>/LC_MESSAGES/console.po`` (``kiezbot i18n update`` extracts the
strings of ``console/*.py`` and of the Jinja2 templates). Placeholders are ``%(name)s`` as in Jinja2's
i18n extension; in templates ``{{ _("Saved by %(name)s", name=who) }}`` escapes the value, not the
translation. Dates and times are Babel's for the language, in the team's time zone.
"""
from __future__ import annotations

import gettext
import io
from datetime import date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from locales import ROOT as LOCALES

LANGUAGES = {"de": "Deutsch", "en": "English"}
DEFAULT = "de"
CATALOGS = LOCALES / "console"


def console_language(code: str | None) -> str:
    """A chat's or a browser's language code -> the console's language (German unless English)."""
    base = (code or "").replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT


def from_accept_language(header: str | None) -> str:
    """The first of German or English in a browser's ``Accept-Language`` (by weight), else German."""
    best, best_q = DEFAULT, -1.0
    for part in (header or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        base = tag.split("-")[0].lower()
        if base in LANGUAGES and q > best_q:
            best, best_q = base, q
    return best


@lru_cache(maxsize=len(LANGUAGES))
def _translations(code: str) -> gettext.NullTranslations:
    path = CATALOGS / code / "LC_MESSAGES" / "console.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain="console")


class ConsoleTranslator:
    def __init__(self, code: str, tz: tzinfo | str = "Europe/Berlin") -> None:
        self.code = console_language(code)
        self.locale = Locale.parse(self.code)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self._t = _translations(self.code)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def _(self, message: str, /, **values: object) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def when(self, value: datetime | None, fmt: str = "short") -> str:
        return format_datetime(value, fmt, tzinfo=self.tz, locale=self.locale) if value else ""

    def day(self, value: date | None, fmt: str = "medium") -> str:
        return format_date(value, fmt, locale=self.locale) if value else ""

    def weekday(self, index: int) -> str:
        return get_day_names("wide", locale=self.locale)[index]
