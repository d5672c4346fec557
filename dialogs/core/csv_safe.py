"""CSV exports that are safe to open in Excel or LibreOffice (no formula injection).

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs, a
tab or carriage return) as a formula: a resident who types ``=HYPERLINK("http://evil", "click")`` as
the title of an idea would otherwise get a live link — or worse — into the council's spreadsheet.
Every text cell that starts with such a character (also after leading whitespace of any kind — spaces,
line breaks, tabs, no-break spaces — and the full-width and small forms ``＝ ＋ － ＠ ﹦ ﹢ ﹣`` and the
minus sign ``−``) gets a leading apostrophe, which spreadsheets show as plain text (OWASP's advice).
Numbers stay numbers.

This is the one guard every CSV kiezbot writes goes through (``kiezbot export ideas``, ``kiezbot export
signups``, the console's audit CSV):

    data = csv_bytes(["Title", "Votes"], [(idea.title, idea.votes) for idea in ideas])
    ctx.say(..., document=Document("ideas.csv", data))

    writer = safe_writer(out, delimiter=",")     # streaming to a file
    writer.writerow([title, votes])

The file is UTF-8 with a byte-order mark and ``;`` between cells, which is what Excel expects in a
German office (a comma-separated file opens there as one column).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66", "\ufe62",
                 "\ufe63", "\u2212")


def safe_cell(value: object) -> object:
    """``value`` made harmless for a spreadsheet: text that could start a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START):
        return "'" + text
    return text


class _Out(Protocol):
    def write(self, text: str, /) -> object: ...


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, out: _Out, *, delimiter: str = ";") -> None:
        self._writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])


def safe_writer(out: _Out, *, delimiter: str = ";") -> SafeWriter:
    return SafeWriter(out, delimiter=delimiter)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *, delimiter: str = ";") -> bytes:
    """A whole CSV file (header + rows), every cell through :func:`safe_cell`."""
    buffer = io.StringIO()
    writer = safe_writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
