"""Which language is which: kiezbot's codes, the services' codes, and when a text needs translating.

kiezbot's language codes (``locales/languages.yaml``) are catalog names: ``de``, ``de_simple``, ``en``,
``tr``, ``ar``, ``ru``, ``uk``, ``pl``, ``bg``, ``ro``. Machine translation knows languages, not
registers: Einfache Sprache is German to every service (a resident reading Einfache Sprache gets the
German text, as with texts staff write per language), and German is the team's language unless
``KIEZBOT_TEAM_LANGUAGE`` says otherwise.

A resident may write in any language, not only the one they chose for the menus; detected languages
that kiezbot has no catalog for (Persian, Kurdish, Vietnamese …) are kept as the service's ISO 639
code and named by Babel/CLDR in the reader's language.
"""
from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError

TEAM_LANGUAGE = "de"            # the default of KIEZBOT_TEAM_LANGUAGE

# Whisper reports the spoken language as an English name (OpenAI's API and whisper.cpp's server) or as
# an ISO 639-1 code (faster-whisper, speaches). The names of the languages heard most in Wedding and
# Gesundbrunnen; an unknown name is no language (the translation job then detects it from the text).
WHISPER_NAMES = {
    "german": "de", "english": "en", "turkish": "tr", "arabic": "ar", "russian": "ru", "ukrainian": "uk",
    "polish": "pl", "bulgarian": "bg", "romanian": "ro", "persian": "fa", "pashto": "ps", "urdu": "ur",
    "kurdish": "ku", "vietnamese": "vi", "french": "fr", "spanish": "es", "italian": "it", "portuguese": "pt",
    "serbian": "sr", "croatian": "hr", "bosnian": "bs", "albanian": "sq", "greek": "el", "macedonian": "mk",
    "somali": "so", "amharic": "am", "hindi": "hi", "bengali": "bn", "chinese": "zh", "hebrew": "he",
    "czech": "cs", "hungarian": "hu", "dutch": "nl", "georgian": "ka", "armenian": "hy", "azerbaijani": "az",
    "tigrinya": "ti", "swahili": "sw", "tamil": "ta", "thai": "th", "korean": "ko", "japanese": "ja",
}
_CODE = re.compile(r"^[a-z]{2,3}$")


def base_code(code: str) -> str:
    """``de_simple`` -> ``de``, ``EN-GB`` -> ``en``, ``zh-Hans`` -> ``zh``: the language, not the variant."""
    return re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()


def needs_translation(source: str | None, target: str) -> bool:
    """A text in ``source`` needs translating for a reader of ``target`` unless both are one language
    (German and Einfache Sprache are one). An unknown source (``None``) is translated — with detection."""
    return source is None or base_code(source) != base_code(target)


def from_service(code: str | None) -> str | None:
    """A language code a service answered (``TR``, ``en-GB``, ``tr``) as kiezbot keeps it: lower-case
    ISO 639, no region. ``None`` for an empty or malformed answer."""
    if not code:
        return None
    base = base_code(code)
    return base if _CODE.match(base) else None


def from_whisper(language: str | None) -> str | None:
    """The spoken language as Whisper-compatible servers report it: a name ("arabic") or a code ("ar")."""
    if not language:
        return None
    value = language.strip().lower()
    return WHISPER_NAMES.get(value) or from_service(value)


# --- the services' codes ---------------------------------------------------------------------------
def libretranslate_code(code: str) -> str:
    """LibreTranslate speaks ISO 639-1 (``de``, ``tr``, ``uk`` …)."""
    return base_code(code)


def deepl_source_code(code: str) -> str:
    """DeepL's ``source_lang``: upper-case, without variants (``DE``, ``TR``, ``EN``)."""
    return base_code(code).upper()


# Target languages DeepL only takes with a variant (``EN`` and ``PT`` are deprecated as targets).
DEEPL_TARGET_VARIANTS = {"en": "EN-GB", "pt": "PT-PT"}


def deepl_target_code(code: str) -> str:
    """DeepL's ``target_lang``: British English for a Berlin audience, otherwise the upper-case code."""
    base = base_code(code)
    return DEEPL_TARGET_VARIANTS.get(base, base.upper())


def whisper_code(code: str | None) -> str | None:
    """The ``language`` hint of a transcription request: ISO 639-1 (Einfache Sprache is spoken German)."""
    return base_code(code) if code else None


# --- names for readers ------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def language_name(code: str, reader_locale: str) -> str:
    """The name of language ``code`` in the reader's locale, as CLDR writes it on its own ("Türkisch",
    "turc", "турецкий"); the code itself when CLDR does not know it."""
    base = base_code(code)
    try:
        locale = Locale.parse(reader_locale)
    except (UnknownLocaleError, ValueError):
        return base
    name = locale.languages.get(base)
    return name if name else base


def source_hint(resident_language: str | None, text: str, *, min_letters: int = 30) -> str | None:
    """What a flow passes as the source language of a resident's text: the menu language for a short
    text (detection is unreliable on "Ja, gerne" or "Tamam"), ``None`` — detect it — for a longer one,
    because a resident may well write in another language than the menus they chose."""
    letters = sum(ch.isalpha() for ch in text)
    if resident_language is None or letters >= min_letters:
        return None
    return resident_language


__all__ = ["TEAM_LANGUAGE", "base_code", "deepl_source_code", "deepl_target_code", "from_service", "from_whisper",
           "language_name", "libretranslate_code", "needs_translation", "source_hint", "whisper_code"]
