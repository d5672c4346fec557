"""Engine guarantees that every flow relies on."""
from __future__ import annotations

import logging

import pytest

from dialogs.core.replies import chunk_replies
from dialogs.core.messages import MAX_TEXT, Button, Inbound, Reply
from dialogs.core.text import esc, split_for_telegram, visible_length
from tests.memory_store import MemoryUnitOfWork, memory_dialogs


@pytest.fixture
def dialogs(clock):
    """The engine on the memory store (tests/memory_store.py): these test the engine, not storage."""
    return memory_dialogs(MemoryUnitOfWork(), clock)


async def test_a_failing_flow_apologises_resets_and_keeps_the_bot_alive(dialogs, english, caplog):
    async def broken(ctx):
        ctx.goto("broken.step")
        raise RuntimeError("bug in a flow")

    dialogs.command("broken", broken)
    with caplog.at_level(logging.ERROR):
        answer = await english.says("/broken")
    assert "something went wrong" in answer.text
    assert "📍 Find my office" in answer.buttons
    assert "bug in a flow" in caplog.text                 # logged for the developers
    again = await english.says("Badstraße 10")            # the step was reset: the next message works
    assert "QM Badstraße" in again.text


async def test_an_update_says_whether_it_queued_messages_for_other_chats(dialogs, english):
    """The transports kick the delivery engine after an update only when it queued something (Handled.queued):
    the team's message goes out at once, and updates that queue nothing cost the delivery engine nothing."""
    async def tell_the_team(ctx):
        await ctx.notify(-100777, Reply(text="A resident asks for a call"), key="call:1002")
        ctx.say("The team will call you.")

    dialogs.command("callme", tell_the_team)
    quiet = await dialogs.handle(Inbound.parse_text(english.sender, "/menu"))
    assert quiet.replies and not quiet.queued
    told = await dialogs.handle(Inbound.parse_text(english.sender, "/callme"))
    assert "The team will call you." in told.replies[0].text and told.queued
    again = await dialogs.handle(Inbound.parse_text(english.sender, "/callme"))
    assert "The team will call you." in again.replies[0].text and not again.queued   # that key is queued already


def test_long_texts_are_split_below_telegrams_limit_at_line_breaks():
    lines = [f"<b>Line {i}</b> " + esc("x & y " * 30) for i in range(200)]
    parts = split_for_telegram("\n".join(lines))
    assert len(parts) > 1
    assert all(visible_length(p) <= MAX_TEXT for p in parts)
    assert all(p.count("<b>") == p.count("</b>") for p in parts)   # no tag cut in half
    assert "".join(parts) == "\n".join(lines)                     # nothing lost (the line break ends a part)
    assert all(p.endswith("\n") for p in parts[:-1])


def test_one_huge_line_is_cut_without_losing_text():
    parts = split_for_telegram(esc("<" * 9000))
    assert all(visible_length(p) <= MAX_TEXT for p in parts)
    assert sum(visible_length(p) for p in parts) == 9000


def test_buttons_stay_with_the_last_part_of_a_split_message():
    reply = Reply(text="\n".join("y" * 100 for _ in range(100)), buttons=[[Button("OK", "menu:")]])
    parts = chunk_replies([reply])
    assert len(parts) == 3
    assert [bool(p.buttons) for p in parts] == [False, False, True]


def test_callback_data_over_64_bytes_is_refused_when_built():
    with pytest.raises(ValueError):
        Button("x", "office:area:" + "ü" * 30)
