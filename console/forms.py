"""Reading the console's forms: one field at a time, with limits, and errors in the team's language.

A :class:`Form` collects the errors per field; a page re-renders with what was typed and the errors
when any field is wrong, and writes nothing. Every value is text from the browser: trimmed, length-
checked, and (for one-line fields) free of control characters and of ``<``/``>``. What is shown is
escaped by the templates anyway.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from multidict import MultiDictProxy

from console.i18n import ConsoleTranslator
from dialogs.core.i18n import N_

ANGLE = re.compile(r"[<>]")


def _control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text)


class Form:
    def __init__(self, data: MultiDictProxy, t: ConsoleTranslator) -> None:
        self.data = data
        self.t = t
        self.errors: dict[str, str] = {}
        self.values: dict[str, str] = {}

    def raw(self, name: str) -> str:
        value = self.data.get(name, "")
        return value if isinstance(value, str) else ""      # an uploaded file where text belongs: nothing

    def error(self, name: str, msgid: str, **values: Any) -> None:
        self.errors.setdefault(name, self.t._(msgid, **values))

    def text(self, name: str, label: str, *, max_length: int, required: bool = False,
             multiline: bool = False) -> str:
        """A trimmed text field; ``label`` is a msgid naming the field in messages."""
        value = self.raw(name).strip()
        if multiline:                       # browsers send a textarea's line breaks as CR LF
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        self.values[name] = value
        if required and not value:
            self.error(name, N_("%(field)s: please fill this in."), field=self.t.gettext(label))
        elif len(value) > max_length:
            self.error(name, N_("%(field)s is too long: at most %(max)s characters, this has %(length)s."),
                       field=self.t.gettext(label), max=max_length, length=len(value))
        elif not multiline and ANGLE.search(value):
            self.error(name, N_("%(field)s may not contain < or >."), field=self.t.gettext(label))
        elif _control(value) or (not multiline and "\n" in value):
            self.error(name, N_("%(field)s contains characters that cannot be shown."), field=self.t.gettext(label))
        return value

    @property
    def ok(self) -> bool:
        return not self.errors
