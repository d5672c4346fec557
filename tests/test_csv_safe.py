"""CSV exports cannot carry formulas into the council's spreadsheet, and stay readable."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from dialogs.core.csv_safe import csv_bytes, safe_cell


@pytest.mark.parametrize(("typed", "written"), [
    ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
    ("+49 30 123456", "'+49 30 123456"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("  =1+1", "'  =1+1"),                      # leading spaces do not hide a formula
    ("＝1+1", "'＝1+1"),                         # nor the full-width equals sign
    ("Bench for the yard = nice", "Bench for the yard = nice"),
    ("Café & Bäume", "Café & Bäume"),
    ("", ""),
])
def test_text_cells_that_could_start_a_formula_get_an_apostrophe(typed, written):
    assert safe_cell(typed) == written


def test_numbers_dates_and_empty_values_stay_what_they_are():
    assert safe_cell(-5) == -5 and safe_cell(12.5) == 12.5
    assert safe_cell(None) == "" and safe_cell(True) == "yes"
    assert safe_cell(datetime(2026, 2, 7, 18, 30, tzinfo=timezone.utc)) == "2026-02-07 18:30+00:00"


def test_a_whole_file_reads_back_as_the_same_text_without_live_formulas():
    rows = [("=1+1", "Anna; \"die Nachbarin\"", 3), ("Hof\nbegrünen", "@mention", -1)]
    data = csv_bytes(["Title", "Name", "Votes"], rows)
    assert data.startswith("\ufeff".encode())                        # Excel recognises UTF-8
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert parsed == [["Title", "Name", "Votes"], ["'=1+1", 'Anna; "die Nachbarin"', "3"],
                      ["Hof\nbegrünen", "'@mention", "-1"]]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in parsed[1:] for cell in row[:2])
