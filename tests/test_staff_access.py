"""Only the team can use team commands and buttons, whatever a resident sends."""
from __future__ import annotations

import logging

import pytest

from dialogs.core.messages import Button
from storage.models import StaffRow
from tests.chat import ChatClient

STAFF_CHAT = -100500


@pytest.fixture
def team_dialogs(dialogs):
    """Dialogs with one staff command and one staff button, as the moderation flows register them."""
    pressed: list[str] = []

    async def secret(ctx):
        ctx.say("team only", [[Button("Approve", "mod:approve:1")]])

    async def approve(ctx):
        pressed.append(ctx.inbound.data)
        ctx.say("approved")

    dialogs.staff_chat_id = STAFF_CHAT
    dialogs.staff_command("teamtest", secret, "a test command")
    dialogs.staff_button("mod", approve)
    dialogs.pressed = pressed
    return dialogs


async def add_staff(db, user_id: int, name: str) -> None:
    async with db.sessions() as session, session.begin():
        session.add(StaffRow(user_id=user_id, name=name))


def in_group(dialogs, user_id: int, chat_id: int = STAFF_CHAT) -> ChatClient:
    client = ChatClient(dialogs, chat_id=chat_id, language_code="de", chat_kind="group")
    client.sender = type(client.sender)(chat_id=chat_id, user_id=user_id, language_code="de",
                                        display_name=f"user{user_id}", chat_kind="group")
    return client


async def test_staff_member_uses_team_command_in_staff_chat(team_dialogs, db):
    await add_staff(db, 42, "Dana")
    answer = await in_group(team_dialogs, 42).says("/teamtest")
    assert answer.text == "team only"


async def test_non_staff_in_staff_chat_is_refused_politely_and_logged(team_dialogs, db, caplog):
    with caplog.at_level(logging.WARNING):
        answer = await in_group(team_dialogs, 7).says("/teamtest")
    assert "Nur das Team" in answer.text
    assert "non-staff user r-" in caplog.text and "user 7 " not in caplog.text       # a pseudonym, not the id


async def test_resident_cannot_press_a_forged_staff_button(team_dialogs, english):
    answer = await english.presses("mod:approve:1")
    assert answer.toast and "Only the neighbourhood team" in answer.toast
    assert team_dialogs.pressed == []


async def test_staff_can_press_in_private_chat_too(team_dialogs, db):
    await add_staff(db, 43, "Eli")
    client = ChatClient(team_dialogs, chat_id=43, language_code="de")
    await client.presses("mod:approve:1")
    assert team_dialogs.pressed == ["mod:approve:1"]


async def test_other_groups_are_ignored(team_dialogs, db):
    await add_staff(db, 42, "Dana")
    answer = await in_group(team_dialogs, 42, chat_id=-999).says("/teamtest")
    assert answer.replies == []


async def test_each_team_member_has_their_own_state_in_the_group(team_dialogs, db):
    await add_staff(db, 42, "Dana")
    await add_staff(db, 44, "Fritz")

    async def ask(ctx):
        ctx.goto("teamstep.reason")
        ctx.say("reason?")

    async def reason(ctx):
        ctx.say(f"got {ctx.inbound.text}")
        ctx.reset()

    team_dialogs.staff_command("ask", ask)
    team_dialogs.staff_step("teamstep", reason)
    dana, fritz = in_group(team_dialogs, 42), in_group(team_dialogs, 44)
    await dana.says("/ask")
    chatter = await fritz.says("good morning")          # Fritz is in no step: nothing happens
    assert chatter.replies == []
    assert (await dana.says("duplicate")).text == "got duplicate"
