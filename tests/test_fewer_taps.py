"""A new resident who does not speak German: from Telegram's Start to a sent idea in at most six taps.

Issue 20, item 6 (it was eight: Start, language, notice, menu, kind, area, "Done" for photos, Send).
Counted as the resident experiences it: Telegram's "Start" button (it sends /start) and every button
pressed are taps; the title and the description they type are not. The privacy notice still comes first,
in the resident's language, and nothing is stored before they agree to it.
"""
from __future__ import annotations

from sqlalchemy import func, select

from storage.ideas import SubmissionRow
from storage.models import ConversationRow, ResidentRow
from tests.chat import Answer, ChatClient
from tests.ideas_helpers import outbox, ref_in, submission
from tests.staff_tools import add_staff, staff_in_group

TURKISH_NOTICE = "Kısaca gizlilik"          # "Privacy in short" in the Turkish catalog


class CountingResident(ChatClient):
    """A resident whose taps are counted: Telegram's Start button (/start) and every button press."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tapped: list[str] = []

    async def says(self, text: str) -> Answer:
        if text == "/start":
            self.tapped.append("Start")
        return await super().says(text)

    async def presses(self, data: str) -> Answer:
        self.tapped.append(data)
        return await super().presses(data)


async def stored_about(db, chat_id: int) -> dict[str, object]:
    """What the database holds about one chat: the resident row's fields, conversations, submissions."""
    async with db.sessions() as session:
        row = await session.get(ResidentRow, chat_id)
        conversations = await session.scalar(
            select(func.count()).select_from(ConversationRow).where(ConversationRow.chat_id == chat_id))
        ideas = await session.scalar(
            select(func.count()).select_from(SubmissionRow).where(SubmissionRow.chat_id == chat_id))
    return {"language": row.language if row else None, "consent_at": row.consent_at if row else None,
            "display_name": row.display_name if row else "", "conversations": conversations, "ideas": ideas}


NOTHING = {"language": None, "consent_at": None, "display_name": "", "conversations": 0, "ideas": 0}


async def test_turkish_newcomer_sends_an_idea_in_six_taps(staffed, db):
    ayse = CountingResident(staffed, chat_id=4242, language_code="tr", name="Ayşe")
    first = await ayse.says("/start")
    # The first answer is already in Turkish and carries the privacy notice; nothing is stored yet.
    assert TURKISH_NOTICE in first.text and "/privacy" in first.text and "/delete" in first.text
    assert "Hangi dili" in first.text and first.buttons[0] == "✓ Türkçe"   # another language is one tap away
    assert await stored_about(db, 4242) == NOTHING

    menu = await ayse.taps("Tamam, başlayalım")                  # agrees to the notice it read, in Turkish
    assert "Ne yapmak istersiniz?" in menu.text
    stored = await stored_about(db, 4242)
    assert stored["language"] == "tr" and stored["consent_at"] is not None
    assert stored["display_name"] == "Ayşe"

    await ayse.taps("Fikir gönder")
    await ayse.taps("Proje fikri")
    asked = await ayse.taps("QM Badstraße")                      # the area is not known yet: asked
    assert "başlık" in asked.text
    await ayse.says("Panke boyunca banklar")
    summary = await ayse.says("Panke yolunda daha fazla bank olsun, yaşlı komşular dinlenebilsin.")
    assert "Göndermeden önce lütfen kontrol edin" in summary.text
    assert "fotoğraf" in summary.text                            # photos are still offered, on the summary
    sent = await ayse.taps("Gönder")
    ref = ref_in(sent.text)

    assert len(ayse.tapped) <= 6, ayse.tapped                    # Start, OK, idea, kind, area, Send
    row = await submission(db, ref)
    assert (row.status, row.kind, row.language) == ("new", "project", "tr")
    assert row.title == "Panke boyunca banklar"
    [card] = await outbox(db, "staff_card")                     # the team's card went to the group
    assert ref in card.text
    await add_staff(db, 7001, "Dana")
    queue = await staff_in_group(staffed, 7001).says("/queue")
    assert ref in queue.text and "Panke boyunca banklar" in queue.text


async def test_the_full_text_can_be_read_before_agreeing_and_stores_nothing(dialogs, db):
    ayse = CountingResident(dialogs, chat_id=4243, language_code="tr-TR")
    await ayse.says("/start")
    full = await ayse.taps("Metnin tamamını oku")
    assert "Gizlilik bildirimi" in full.text and "Ne kadar süre" in full.text
    assert TURKISH_NOTICE in full.text                          # and the short notice again, to agree to
    assert await stored_about(db, 4243) == NOTHING
    await ayse.taps("Tamam, başlayalım")
    assert (await stored_about(db, 4243))["language"] == "tr"


async def test_another_language_from_the_first_answer_shows_the_notice_in_it(dialogs, db):
    """An Arabic speaker whose Telegram is in English: one tap on العربية, the notice in Arabic, then OK."""
    client = CountingResident(dialogs, chat_id=4244, language_code="en")
    first = await client.says("/start")
    assert "Privacy in short" in first.text
    notice = await client.taps("العربية")
    assert "الخصوصية باختصار" in notice.text
    stored = await stored_about(db, 4244)
    assert stored["language"] == "ar" and stored["consent_at"] is None      # only the language so far
    await client.taps("حسنًا")
    assert (await stored_about(db, 4244))["consent_at"] is not None


async def test_a_telegram_language_we_do_not_offer_gets_the_question_first(dialogs, db):
    """Telegram in Persian: no notice in a language the resident may not read; they pick one first."""
    client = CountingResident(dialogs, chat_id=4245, language_code="fa")
    first = await client.says("/start")
    assert "Welche Sprache" in first.text and "Datenschutz" not in first.text
    assert not any(data.startswith("consent:") for data in first.button_data().values())
    notice = await client.taps("Türkçe")
    assert TURKISH_NOTICE in notice.text
    await client.taps("Tamam, başlayalım")
    assert (await stored_about(db, 4245))["language"] == "tr"
