"""Issue 15 item 5: an absurd Aktionsfonds amount gets a friendly answer, not "something went wrong"."""
from __future__ import annotations

import pytest

from tests.test_cli import kiezbot

ABSURD = "999999999999999999999999999"          # 27 digits: more than Python's decimal context can quantize


@pytest.mark.parametrize(("lang", "asks", "later"), [
    ("en", "does not look like a realistic amount", "Material costs: €150.00"),
    ("de", "sieht nicht nach einem realistischen Betrag aus", "Materialkosten: 150,00"),
])
def test_an_absurd_amount_is_answered_in_the_residents_language_and_the_draft_stays(seeded_file, tmp_path,
                                                                                     lang, asks, later):
    typed = ["/idea", "1", "1", "Fest", "Text.", ABSURD, "150"]         # then the summary
    result = kiezbot("chat", "--lang", lang, "--chat-id", "777",
                     env={"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}"},
                     stdin="\n".join(typed) + "\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout.replace("\u202f", " ").replace("\xa0", " ")
    assert "Traceback" not in result.stderr + out and "InvalidOperation" not in result.stderr + out
    assert asks in out
    assert later in out                   # the draft went on: title, text and the corrected amount are kept
    assert "Fest" in out.split(asks)[-1]
