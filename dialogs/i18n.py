"""Translation and locale-aware formatting for one resident's language.

Every user-facing string goes through :meth:`Translator._` or :meth:`Translator.ngettext`
(msgids are English; German is the default language). Placeholders are named (``{name}``) and
filled by the translator, so translators can reorder them. Dates, times, numbers and money come
from Babel/CLDR in the resident's locale and Europe/Berlin time.

Right-to-left languages: every message starts with a right-to-left mark (added by the engine) and
left-to-right inserts — addresses, phone numbers, URLs, names, references — are wrapped in Unicode
isolates with :meth:`Translator.ltr`.
"""
from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_day_names
from babel.numbers import format_currency, format_decimal

FSI, PDI = "\u2068", "\u2069"    # first-strong isolate … pop directional isolate
RLM = "\u200f"


@dataclass(frozen=True)
class Language:
    code: str            # catalog key, e.g. "de", "de_simple", "ar"
    name: str            # the language's own name, shown on the language buttons
    locale: str          # Babel/CLDR locale for formatting, e.g. "de" for Einfache Sprache
    rtl: bool = False


class Translator:
    def __init__(self, language: Language, translations: gettext.NullTranslations,
                 tz: tzinfo | str = "Europe/Berlin") -> None:
        self.language = language
        self._translations = translations
        self.locale = Locale.parse(language.locale)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz

    @property
    def code(self) -> str:
        return self.language.code

    @property
    def rtl(self) -> bool:
        return self.language.rtl

    # --- text -------------------------------------------------------------------------------
    def _(self, msgid: str, /, **values: object) -> str:
        text = self._translations.gettext(msgid)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def ltr(self, value: object) -> str:
        """Isolate a left-to-right insert (address, phone, URL, name) inside right-to-left text."""
        text = str(value)
        return f"{FSI}{text}{PDI}" if self.rtl and text else text

    # --- formatting -------------------------------------------------------------------------
    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def money(self, amount: int | float | Decimal) -> str:
        return format_currency(amount, "EUR", locale=self.locale)

    def date(self, value: date | datetime, fmt: str = "full") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        return format_date(value, format=fmt, locale=self.locale)

    def time(self, value: time | datetime, fmt: str = "short") -> str:
        if isinstance(value, datetime):
            return format_time(value, format=fmt, tzinfo=self.tz, locale=self.locale)
        return format_time(value, format=fmt, locale=self.locale)

    def datetime(self, value: datetime, fmt: str = "medium") -> str:
        return format_datetime(value, format=fmt, tzinfo=self.tz, locale=self.locale)

    def weekday(self, index: int, width: str = "wide") -> str:
        """Name of a weekday, 0 = Monday."""
        return get_day_names(width, locale=self.locale)[index]


def N_(msgid: str) -> str:
    """Mark a string for translation where it is defined; it is translated where it is shown."""
    return msgid
