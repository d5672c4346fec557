"""The audit log page: who decided what and when, who read whose data; residents by pseudonym only;
filters; CSV through the spreadsheet guard, and the download itself lands in the access log."""
from __future__ import annotations

import csv
import io

from storage.privacy import pseudonym
from tests.console_tools import dana, desk, page_text, signed_in  # noqa: F401
from tests.ideas_helpers import card_button, send_project_idea
from tests.staff_tools import staff_in_private


async def decided_idea(dialogs, db, english, decider_name: str = "Dana") -> str:
    ref = await send_project_idea(english, title="Benches along the Panke")
    decider = await staff_in_private(dialogs, db, 77, decider_name)
    answer = await decider.presses(await card_button(db, ref, "ok"))
    assert "Dana" in answer.text or decider_name in answer.text or answer.toast
    return ref


async def test_decisions_show_who_decided_what_and_residents_only_by_pseudonym(signed_in, dialogs, db, english):
    ref = await decided_idea(dialogs, db, english)
    page = await signed_in.get("/console/audit")
    text = await page_text(page)
    assert ref in text and "approved" in text and "Dana" in text
    async with db.sessions() as session, session.begin():
        alias = await pseudonym(session, english.sender.chat_id)
    assert alias in text                                            # the resident who sent it: a pseudonym
    assert "Alex" not in text and "Benches along the Panke" not in text   # no resident name, no submission text
    assert str(english.sender.chat_id) not in text


async def test_filters_narrow_the_decisions(signed_in, dialogs, db, english):
    ref = await decided_idea(dialogs, db, english)
    only_dana = await page_text(await signed_in.get("/console/audit", params={"who": "dan", "action": "approved"}))
    assert ref in only_dana and "created" not in only_dana.split("Nummer", 1)[1]
    other_area = await page_text(await signed_in.get("/console/audit", params={"area": "pankstrasse"}))
    assert ref not in other_area and "Zu diesen Filtern passt nichts." in other_area
    future = await page_text(await signed_in.get("/console/audit", params={"from": "01.01.2027"}))
    assert ref not in future
    broken = await signed_in.get("/console/audit", params={"from": "yesterday", "ref": "<b>x</b>" * 100})
    assert broken.status == 200
    broken_text = await page_text(broken)
    assert "„yesterday“ ist kein Datum" in broken_text and "<b>x</b>" not in await broken.text()


async def test_the_csv_is_guarded_and_its_download_is_logged(signed_in, dialogs, db, english):
    ref = await decided_idea(dialogs, db, english, decider_name="=HYPERLINK(\"http://evil\")")
    response = await signed_in.get("/console/audit.csv")
    assert response.status == 200 and response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Wann", "Nummer", "Gebiet"]
    approved = next(r for r in rows if r[4] == "approved")
    assert approved[1] == ref and approved[5] == "'=HYPERLINK(\"http://evil\")"    # no live formula
    access = await page_text(await signed_in.get("/console/audit", params={"view": "access"}))
    assert "staff:7 Dana" in access and "export" in access and "console: audit log CSV" in access


async def test_the_access_log_can_be_filtered_by_resident(signed_in, dialogs, db, english):
    ref = await decided_idea(dialogs, db, english)
    await signed_in.get("/console/audit.csv")                       # one line without a resident
    dana_chat = await staff_in_private(dialogs, db, 78, "Kim")
    await dana_chat.says(f"/idea {ref}")                            # Kim opens the card: a line about the resident
    async with db.sessions() as session, session.begin():
        alias = await pseudonym(session, english.sender.chat_id)
    page = await page_text(await signed_in.get("/console/audit", params={"view": "access", "resident": alias}))
    assert "Kim" in page and alias in page and "console: audit log CSV" not in page
