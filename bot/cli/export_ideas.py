"""``kiezbot export ideas``: submissions as CSV for a Quartiersrat or jury session.

The file holds no Telegram ids (neither chat nor file ids). Every cell goes through the one CSV guard,
``dialogs/core/csv_safe.py``: a cell a spreadsheet would run as a formula gets a leading apostrophe, so
a resident's title like ``=HYPERLINK(...)`` (or `` =1+1``, ``＝HYPERLINK(...)``) stays text.

The last columns hold the machine translations into the team's language (title, text, the language the
resident wrote in, voice notes as text) — "pending" or "unavailable" while a translation job is not done,
empty when none was needed or no translation service is configured.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TextIO

from babel.numbers import format_decimal

from dialogs.core.csv_safe import safe_writer
from dialogs.core.i18n import Translator
from dialogs.ideas.rules import KINDS, REJECT_REASONS, STATUS_LABELS, euros
from storage.ideas import ExportRow

COLUMNS = ["reference", "received", "area", "kind", "status", "language", "title", "text", "material_costs_eur",
           "photos", "voice_notes", "location", "assigned_to", "decided_by", "decided_at", "reason",
           "message_to_resident", "title_translation", "text_translation", "source_language", "voice_notes_as_text"]


async def write_csv(rows: AsyncIterator[ExportRow], out: TextIO, t: Translator, *, language_name: Callable[[str], str],
                    progress: Callable[[int], object] = lambda n: None, delimiter: str = ",") -> int:
    writer = safe_writer(out, delimiter=delimiter)
    writer.writerow(COLUMNS)
    count = 0
    async for r in rows:
        reason = REJECT_REASONS.get(r.decision_reason, ("", ""))[0]
        writer.writerow((
            r.ref,
            r.created_at.astimezone(t.tz).strftime("%Y-%m-%d %H:%M"),
            r.area_name,
            t._(KINDS.get(r.kind, r.kind)),
            t._(STATUS_LABELS.get(r.status, r.status)),
            language_name(r.language),
            r.title,
            r.text,
            format_decimal(euros(r.costs_cents), "#,##0.00", locale=t.locale) if r.costs_cents is not None else "",
            r.photos,
            r.voice_notes,
            "✓" if r.has_location else "",
            r.assignee_name,
            r.decided_by_name,
            r.decided_at.astimezone(t.tz).strftime("%Y-%m-%d %H:%M") if r.decided_at else "",
            t._(reason) if reason else "",
            r.decision_note,
            r.title_translation,
            r.text_translation,
            language_name(r.source_language) if r.source_language else "",
            r.voice_notes_as_text,
        ))
        count += 1
        progress(1)
    return count
