"""The team's decisions without a chat (``dialogs.ideas.decisions.decide``), as the web console calls them."""
from __future__ import annotations

from dialogs.ideas.decisions import Actor, decide
from tests.ideas_helpers import audit, outbox, send_project_idea, submission


async def test_decide_outside_a_chat_once_and_tells_the_resident(staffed, english, db, clock):
    ref = await send_project_idea(english)
    row = await submission(db, ref)
    dana = Actor(501, "Dana", label="console:dana")
    async with staffed.uow(0) as store:
        wrong = await decide(store, row.id, row.version, "revise", dana, texts=staffed, now=clock.now)   # no note
        done = await decide(store, row.id, row.version, "reject", dana, reason="dup", note="See BAD-2026-003.",
                            texts=staffed, now=clock.now)
        late = await decide(store, row.id, row.version, "approve", Actor(502, "Fritz"), texts=staffed, now=clock.now)
        missing = await decide(store, 10**9, 1, "approve", dana, texts=staffed, now=clock.now)
    assert (wrong.status, done.status, late.status, missing.status) == ("invalid", "done", "changed", "missing")
    assert done.ok and done.submission.status == "rejected" and late.submission.decided_by_name == "Dana"
    [notice] = await outbox(db, "idea_notice", chat_id=english.sender.chat_id)
    assert "could not accept" in notice.text and "See BAD-2026-003." in notice.text
    assert audit_actions(await audit(db, ref)) == ["created", "rejected"]


def audit_actions(rows) -> list[str]:
    return [r[0] for r in rows]
