"""Decisions from the console: the chat card's rules (one decision, whoever is first, across chat and web),
the resident told in their language through the outbox, and forms with problems changing nothing."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.privacy import AccessLogRow
from tests.console_tools import (a_submission, ask_for_link, console_client, csrf_of, dana, desk,  # noqa: F401
                                 form_fields, page_text, sign_in, signed_in)
from tests.ideas_helpers import audit, card_button, outbox, submission
from tests.staff_tools import staff_in_private

RESIDENT = 1003          # the German resident of the ``german`` fixture
FRITZ = 502


async def open_page(client, ref: str) -> tuple[str, dict[str, str]]:
    """The submission page and the fields every decision form of it carries (token, version)."""
    html = await (await client.get(f"/console/queue/{ref}")).text()
    return html, {"csrf": csrf_of(html), "version": form_fields(html)["version"]}


async def notices(db) -> list:
    return await outbox(db, "idea_notice", chat_id=RESIDENT)


async def test_approve_in_the_console_tells_the_resident_in_their_language(signed_in, german, db, clock):
    ref = await a_submission(db, clock, chat_id=RESIDENT)
    _html, fields = await open_page(signed_in, ref)
    done = await signed_in.post(f"/console/queue/{ref}/decide", data={**fields, "action": "ok"},
                                allow_redirects=False)
    assert done.status == 303 and done.headers["Location"] == f"/console/queue/{ref}?done=ok"
    page = await page_text(await signed_in.get(done.headers["Location"]))
    assert "Angenommen. Die Person wird benachrichtigt." in page and "Entschieden von Dana" in page
    assert (await submission(db, ref)).status == "approved"
    assert (await audit(db, ref))[-1] == ("approved", "new", "approved", "Dana")
    [notice] = await notices(db)
    assert f"Gute Nachricht: Das Team hat Ihre Idee {ref}" in notice.text        # German, as from the chat
    async with db.sessions() as session:
        actions = [r.action for r in (await session.execute(select(AccessLogRow))).scalars()]
    assert "approved" in actions


async def test_a_decision_that_tells_the_resident_kicks_the_delivery_engine(german, dana, db, clock):
    """In ``kiezbot run`` the console gets the delivery engine's tick: the notice goes out at once. Taking
    a submission queues nothing and kicks nothing."""
    kicks: list[str] = []
    client = await console_client(db, clock, kick=lambda: kicks.append("tick"))
    try:
        await sign_in(client, await ask_for_link(dana))
        ref = await a_submission(db, clock, chat_id=RESIDENT)
        _html, fields = await open_page(client, ref)
        await client.post(f"/console/queue/{ref}/decide", data={**fields, "action": "take"})
        assert kicks == []
        _html, fields = await open_page(client, ref)
        await client.post(f"/console/queue/{ref}/decide", data={**fields, "action": "ok"})
        assert kicks == ["tick"] and len(await notices(db)) == 1
    finally:
        await client.close()


async def test_reject_with_reason_and_note_ask_back_revise_and_take(signed_in, german, db, clock):
    ref = await a_submission(db, clock, chat_id=RESIDENT)
    _html, fields = await open_page(signed_in, ref)
    taken = await signed_in.post(f"/console/queue/{ref}/decide", data={**fields, "action": "take"})
    assert "Sie haben es jetzt übernommen." in await page_text(taken)
    assert (await submission(db, ref)).assignee_name == "Dana"
    _html, fields = await open_page(signed_in, ref)
    asked = await signed_in.post(f"/console/queue/{ref}/decide",
                                 data={**fields, "action": "ask", "note": "Wo genau am Weg?"})
    assert "Rückfrage an die Person gesendet." in await page_text(asked)
    assert (await submission(db, ref)).status == "waiting"
    assert "Wo genau am Weg?" in (await notices(db))[-1].text

    other = await a_submission(db, clock, chat_id=RESIDENT, title="Zweite Idee")
    _html, fields = await open_page(signed_in, other)
    await signed_in.post(f"/console/queue/{other}/decide",
                         data={**fields, "action": "rev", "note": "Bitte die Kosten nennen."})
    assert (await submission(db, other)).status == "needs_revision"
    third = await a_submission(db, clock, chat_id=RESIDENT, title="Dritte Idee")
    _html, fields = await open_page(signed_in, third)
    rejected = await signed_in.post(f"/console/queue/{third}/decide",
                                    data={**fields, "action": "no", "reason": "dup", "note": "Wie BAD-2026-001."})
    text = await page_text(rejected)
    assert "Abgelehnt. Die Person wird benachrichtigt." in text and "Doppelt" in text
    row = await submission(db, third)
    assert (row.status, row.decision_reason, row.decision_note) == ("rejected", "dup", "Wie BAD-2026-001.")
    assert "Wie BAD-2026-001." in (await notices(db))[-1].text


async def test_a_question_is_answered_not_approved(signed_in, german, db, clock):
    ref = await a_submission(db, clock, chat_id=RESIDENT, kind="question", title="Wann ist offen?")
    html, fields = await open_page(signed_in, ref)
    assert 'id="approve"' not in html
    refused = await signed_in.post(f"/console/queue/{ref}/decide", data={**fields, "action": "ok"})
    assert refused.status == 400 and "passt nicht zu dieser Einsendung" in await page_text(refused)
    assert (await submission(db, ref)).status == "new" and await notices(db) == []
    await signed_in.post(f"/console/queue/{ref}/decide", data={**fields, "action": "re", "note": "Dienstags."})
    assert (await submission(db, ref)).status == "replied"
    assert "Dienstags." in (await notices(db))[-1].text


async def test_a_stale_page_is_refused_with_who_decided_and_when(signed_in, staffed, german, db, clock):
    ref = await a_submission(db, clock, chat_id=RESIDENT)
    _html, fields = await open_page(signed_in, ref)                  # Dana opens the page …
    fritz = await staff_in_private(staffed, db, FRITZ, "Fritz")
    await fritz.presses(await card_button(db, ref, "ok"))            # … Fritz approves in Telegram meanwhile
    late = await signed_in.post(f"/console/queue/{ref}/decide",
                                data={**fields, "action": "no", "reason": "dup"})
    assert late.status == 409
    text = await page_text(late)
    assert "Bereits entschieden von Fritz am" in text and "Es wurde nichts geändert" in text
    assert (await submission(db, ref)).status == "approved"
    assert [a for a, *_ in await audit(db, ref)] == ["created", "approved"] and len(await notices(db)) == 1


async def test_the_chat_is_told_when_the_console_was_first(signed_in, staffed, german, db, clock):
    ref = await a_submission(db, clock, chat_id=RESIDENT)
    fritz = await staff_in_private(staffed, db, FRITZ, "Fritz")
    button = await card_button(db, ref, "ok")                         # the card Fritz sees
    _html, fields = await open_page(signed_in, ref)
    await signed_in.post(f"/console/queue/{ref}/decide", data={**fields, "action": "ok"})
    answer = await fritz.presses(button)
    assert "Already decided by Dana" in (answer.toast or "")
    assert len(await notices(db)) == 1


async def test_a_chat_button_and_the_console_at_the_same_moment_make_exactly_one_decision(
        signed_in, staffed, german, db, clock):
    fritz = await staff_in_private(staffed, db, FRITZ, "Fritz")
    for _round in range(3):
        ref = await a_submission(db, clock, chat_id=RESIDENT)
        button = await card_button(db, ref, "no", "dup")
        _html, fields = await open_page(signed_in, ref)
        web_answer, chat_answer = await asyncio.gather(
            signed_in.post(f"/console/queue/{ref}/decide", data={**fields, "action": "ok"}),
            fritz.presses(button.replace("mod:no:", "mod:nt:")))
        decisions = [a for a, *_ in await audit(db, ref) if a in ("approved", "rejected")]
        assert len(decisions) == 1, decisions
        web_text = await page_text(web_answer)
        if decisions == ["approved"]:          # the console was first: the chat was told
            assert "Already decided by Dana" in (chat_answer.toast or "")
            assert "Angenommen." in web_text
        else:                                  # the chat was first: the console says so
            assert web_answer.status == 409 and "Bereits entschieden von Fritz" in web_text
        assert len([n for n in await notices(db) if ref in n.text]) == 1


async def test_a_note_of_4000_emoji_and_html_changes_nothing_and_is_shown_escaped(signed_in, german, db, clock):
    ref = await a_submission(db, clock, chat_id=RESIDENT)
    _html, fields = await open_page(signed_in, ref)
    flood = ("<script>alert(1)</script>🙂" * 200)[:4000]
    response = await signed_in.post(f"/console/queue/{ref}/decide",
                                    data={**fields, "action": "no", "reason": "other", "note": flood})
    assert response.status == 400
    html = await response.text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "höchstens 2000 Zeichen" in await page_text(response)
    assert (await submission(db, ref)).status == "new" and await notices(db) == []


async def test_forged_and_broken_forms_change_nothing(signed_in, german, db, clock):
    ref = await a_submission(db, clock, chat_id=RESIDENT)
    _html, fields = await open_page(signed_in, ref)
    for data in ({"action": "delete"}, {"action": "ok", "version": "x"}, {"action": "ok", "version": "-1"},
                 {"action": "no", "reason": "<b>"}, {"action": "ask", "note": "   "},
                 {"action": "ok", "version": "99"}):
        response = await signed_in.post(f"/console/queue/{ref}/decide", data={**fields, **data})
        assert response.status in (400, 409), data
        assert "Traceback" not in await page_text(response)
    assert (await submission(db, ref)).status == "new" and await notices(db) == []
    assert (await signed_in.post("/console/queue/BAD-2026-999/decide", data={**fields, "action": "ok"})).status == 404


async def test_with_translation_on_the_console_note_reaches_the_resident_translated_as_from_the_chat(
        dialogs, db, clock):
    """``kiezbot run`` hands the console its dialogs engine: the same translation settings as the chat card."""
    from dialogs.translation import flows as translation_flows
    from dialogs.translation.jobs import TranslationPolicy
    from storage.translation import TranslationJobRow
    from tests.chat import ChatClient
    from tests.console_tools import ask_for_link, console_client, sign_in, team_member

    translation_flows.configure(dialogs, TranslationPolicy(translate=True, team_language="de"))
    turkish = ChatClient(dialogs, chat_id=1010, language_code="tr")
    await turkish.onboard("tr")
    ref = await a_submission(db, clock, chat_id=1010, language="tr", title="Panke yolunda banklar")
    member = await team_member(dialogs, db)
    client = await console_client(db, clock, texts=dialogs)
    try:
        await sign_in(client, await ask_for_link(member))
        _html, fields = await open_page(client, ref)
        await client.post(f"/console/queue/{ref}/decide", data={**fields, "action": "ask", "note": "Wo genau?"})
    finally:
        await client.close()
    async with db.sessions() as session:
        jobs = [(j.target_language, j.text) for j in (await session.execute(
            select(TranslationJobRow).where(TranslationJobRow.source_field.startswith("note:")))).scalars()]
    assert jobs == [("tr", "Wo genau?")]                       # translated for the resident, as from the chat
    [waiting] = await outbox(db, "idea_notice", chat_id=1010)
    assert waiting.key.endswith(":w")                          # the notice waits for its translation
