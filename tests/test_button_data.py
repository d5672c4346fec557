"""Button callback data as the flows read it, and what short or forged data gets in each flow."""
from __future__ import annotations

import pytest

from dialogs.core.messages import Inbound, Sender
from tests.staff_tools import add_staff, staff_in_group

SENDER = Sender(chat_id=1, user_id=1)


def fields(data: str, n: int, rest: bool = False) -> tuple[str, ...]:
    return Inbound("press", SENDER, data=data).parts(n, rest=rest)


def test_parts_are_the_fields_after_the_prefix_padded_or_cut_to_a_fixed_length():
    assert fields("idea:kind:project", 2) == ("kind", "project")
    assert fields("ev:party:12:3", 3) == ("party", "12", "3")
    assert fields("ev:party:12:3", 2) == ("party", "12")                  # more fields than asked: dropped
    assert fields("idea:new", 2) == ("new", "")                           # fewer: padded with ""
    assert fields("idea:", 2) == ("", "")
    assert fields("idea", 2) == ("", "")
    assert fields("", 3) == ("", "", "")
    assert fields("mod:ok::", 3) == ("ok", "", "")
    assert fields("privacy:export", 1) == ("export",)


def test_parts_with_rest_keep_the_colons_of_the_last_field():
    assert fields("bcast:aud:body:council:pankstrasse", 2, rest=True) == ("aud", "body:council:pankstrasse")
    assert fields("bcast:send", 2, rest=True) == ("send", "")
    assert fields("bcast", 2, rest=True) == ("", "")
    assert fields("lang:de", 1, rest=True) == ("de",)
    assert fields("lang:", 1, rest=True) == ("",)
    assert fields("lang", 1, rest=True) == ("",)


INVALID = "This button is no longer valid."


@pytest.mark.parametrize(("data", "toast", "shown"), [
    ("idea", INVALID, "What would you like to do?"),
    ("idea:kind", INVALID, "What would you like to do?"),
    ("idea:kind:bogus", INVALID, "What would you like to do?"),
    ("idea:answer", INVALID, "What would you like to do?"),
    ("office", INVALID, "Type your address"),
    ("office:area", INVALID, "Type your address"),
    ("office:pick:x", INVALID, "Type your address"),
    ("office:sugg:99", INVALID, "Type your address"),
    ("privacy", INVALID, "Your data"),
    ("privacy:bogus", INVALID, "Your data"),
    ("ev", INVALID, "Upcoming events"),
    ("ev:show", INVALID, "Upcoming events"),
    ("ev:party:1", INVALID, "Upcoming events"),
    ("ev:list:x:zz", None, "Upcoming events"),                  # the list, from its first page
    ("lang", None, "Hello! I am kiezbot"),                      # the menu's "Language" button: the choice
    ("consent:", None, "What would you like to do?"),
])
async def test_short_or_malformed_button_data_from_a_resident_gets_a_friendly_answer(english, data, toast, shown):
    answer = await english.presses(data)
    assert answer.toast == toast
    assert shown in answer.text


@pytest.mark.parametrize(("data", "toast"), [
    ("mod", "Diese Einreichung gibt es nicht (mehr)."),         # the staff group speaks the team's language
    ("mod:ok", "Diese Einreichung gibt es nicht (mehr)."),
    ("mod:ok:x:y", "Diese Einreichung gibt es nicht (mehr)."),
    ("meetstaff", INVALID),
    ("meetstaff:move:x", INVALID),
    ("meetstaff:domove", INVALID),
    ("evadm", INVALID),
    ("evadm:lang", INVALID),
    ("bcast", INVALID),
    ("bcast:send", INVALID),
    ("bcast:aud:area", INVALID),
])
async def test_short_or_malformed_button_data_in_the_staff_group_gets_only_a_toast(staffed, db, data, toast):
    await add_staff(db, 42)
    answer = await staff_in_group(staffed, 42, "en").presses(data)
    assert answer.toast == toast
    assert answer.replies == []
