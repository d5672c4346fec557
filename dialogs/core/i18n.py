"""Translation and locale-aware formatting for one resident's language.

Every user-facing string goes through :meth:`Translator._` or :meth:`Translator.ngettext`
(msgids are English; German is the default language). Placeholders are named (``{name}``) and
filled by the translator, so translators can reorder them. Dates, times, numbers and money come
from Babel/CLDR in the resident's locale and Europe/Berlin time.

Right-to-left languages: every message starts with a right-to-left mark (added by the engine) and
left-to-right inserts — addresses, phone numbers, URLs, names, references, e-mails, numbers and
times — are wrapped in Unicode isolates with :meth:`Translator.ltr`.

Texts that staff write (office notes, later event, meeting and broadcast texts) are stored per language
code; :func:`pick_text` chooses the resident's language, else German, and :meth:`Translator.staff_text`
renders the choice with the marker "(in German)" when it fell back.
"""
from __future__ import annotations

import gettext
from functools import lru_cache
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_day_names
from babel.numbers import format_currency, format_decimal

from dialogs.core.text import esc

FSI, PDI = "\u2068", "\u2069"    # first-strong isolate … pop directional isolate
RLM = "\u200f"
STAFF_TEXT_LANGUAGE = "de"      # what staff write when they write only one language


@dataclass(frozen=True)
class Language:
    code: str            # catalog key, e.g. "de", "de_simple", "ar"
    name: str            # the language's own name, shown on the language buttons
    locale: str          # Babel/CLDR locale for formatting, e.g. "de" for Einfache Sprache
    rtl: bool = False


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    """Babel's locale, parsed once per process (a translator is made for every update)."""
    return Locale.parse(name)


class Translator:
    def __init__(self, language: Language, translations: gettext.NullTranslations,
                 tz: tzinfo | str = "Europe/Berlin") -> None:
        self.language = language
        self._translations = translations
        self.locale = _locale(language.locale)
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
        return text.format(n=self.ltr(self.number(n)), **values)

    def ltr(self, value: object) -> str:
        """Isolate a left-to-right insert (address, phone, URL, name) inside right-to-left text.

        First-strong isolates (U+2068 … U+2069): the insert keeps its own direction and does not
        reorder the sentence around it — an Arabic name inside stays right-to-left.
        """
        text = str(value)
        return f"{FSI}{text}{PDI}" if self.rtl and text else text

    def staff_text(self, texts: Mapping[str, str], default: str = STAFF_TEXT_LANGUAGE) -> str:
        """A text staff wrote per language, as HTML for this resident: escaped, in their language when
        it exists, else German with the marker "(in German)". Empty when there is no text at all."""
        text, is_fallback = pick_text(texts, self.code, default)
        if not text:
            return ""
        if is_fallback:
            return self._(IN_GERMAN, text=self.ltr(esc(text)))
        return esc(text)

    # --- formatting -------------------------------------------------------------------------
    def number(self, value: int | float | Decimal) -> str:
        return _formatted(format_decimal, value, self.locale)

    def money(self, amount: int | float | Decimal, *, whole: bool = False) -> str:
        """Euros as the language writes them; ``whole``: without cents (a round limit such as 1.500 €)."""
        if not whole:
            return format_currency(amount, "EUR", locale=self.locale)
        pattern = self.locale.currency_formats["standard"].pattern.replace(".00", "")
        return format_currency(amount, "EUR", locale=self.locale, format=pattern, currency_digits=False)

    def date(self, value: date | datetime, fmt: str = "full") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        return _formatted(format_date, value, self.locale, fmt)

    def time(self, value: time | datetime, fmt: str = "short") -> str:
        return _formatted(format_time, value, self.locale, fmt, self.tz if isinstance(value, datetime) else None)

    def datetime(self, value: datetime, fmt: str = "medium") -> str:
        return _formatted(format_datetime, value, self.locale, fmt, self.tz)

    def weekday(self, index: int, width: str = "wide") -> str:
        """Name of a weekday, 0 = Monday."""
        return get_day_names(width, locale=self.locale)[index]


@lru_cache(maxsize=4096, typed=True)
def _formatted(babel_format, value, locale: Locale, fmt: str | None = None,  # noqa: ANN001
               tz: tzinfo | None = None) -> str:
    """Babel's formatting, remembered: the same event times, deadlines and counts are shown again and
    again, and Babel takes 10-30 µs to format one (bench/throughput.py)."""
    if babel_format is format_decimal:
        return format_decimal(value, locale=locale)
    if tz is not None:
        return babel_format(value, format=fmt, tzinfo=tz, locale=locale)
    return babel_format(value, format=fmt, locale=locale)


def N_(msgid: str) -> str:
    """Mark a string for translation where it is defined; it is translated where it is shown."""
    return msgid


# Translators: {text} is a note staff wrote in German, shown because none exists in this language.
IN_GERMAN = N_("{text} (in German)")


def base_language(code: str) -> str:
    """``de_simple`` -> ``de``: the language a variant belongs to."""
    return code.split("_", 1)[0]


def pick_text(texts: Mapping[str, str], code: str, default: str = STAFF_TEXT_LANGUAGE) -> tuple[str, bool]:
    """Choose among texts staff wrote per language: ``(text, is_fallback)``.

    Order: the resident's language (``de_simple``), its base language (``de``), then ``default``
    (German). ``is_fallback`` is True when the text is in another language than the resident reads
    (so the flow marks it "(in German)"); Einfache Sprache reading the German text is no fallback.
    Blank texts count as missing. ``("", False)`` when there is nothing at all.
    """
    for key in (code, base_language(code), default):
        text = (texts.get(key) or "").strip()
        if text:
            return text, base_language(key) != base_language(code)
    return "", False
