"""Residents on WhatsApp end to end: the fake Cloud API posts signed webhooks to kiezbot's aiohttp server,
the same dialogs engine as Telegram answers, and the replies come back through the Cloud API."""
from __future__ import annotations

from datetime import UTC

import pytest
from aiohttp import web

from sqlalchemy import select

from bot.delivery.outbox_sender import DeliveryEngine
from bot.delivery.ratelimit import Limits, RateLimiter
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.outbound import RoutingSender, WhatsAppSender, track_rows
from bot.whatsapp.transport import WhatsAppTransport
from bot.whatsapp.webhook import WEBHOOK_PATH, WhatsAppWebhook
from bot.whatsapp.window import Templates
from storage import whatsapp as wa_store
from storage.models import OutboxRow
from storage.personal_data import SqlPersonalData
from tests.fake_whatsapp import FakeWhatsApp, Sent, User
from tests.ideas_helpers import REF, card_button
from tests.staff_tools import STAFF_CHAT, add_staff, staff_in_group
from tests.test_broadcast import Recorder

PHONE = "4915112345678"


@pytest.fixture
async def wa(dialogs, db, clock):
    async with FakeWhatsApp(clock=lambda: clock().timestamp()) as fake:
        client = WhatsAppClient(fake.api_base_url, fake.phone_number_id, fake.access_token)
        transport = WhatsAppTransport(client, dialogs, db.sessions, clock=clock)
        hook = WhatsAppWebhook(verify_token="v", app_secret=fake.app_secret, on_message=transport.on_message,
                               on_status=transport.on_status, phone_number_id=fake.phone_number_id,
                               clock=lambda: clock().astimezone(UTC))
        app = web.Application()
        hook.register(app)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        fake.webhook_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}{WEBHOOK_PATH}"
        fake.transport, fake.client = transport, client
        yield fake
        await client.close()
        await runner.cleanup()




def choice(message: Sent, prefix: str) -> str:
    return next(i for i, _ in message.choices if i.startswith(prefix))


async def onboard(user: User, language_label: str) -> Sent:
    """First contact on WhatsApp: any message, the language from the list, the privacy notice's OK."""
    await user.send("Merhaba")
    *_, languages = user.take_all()
    assert languages.payload["interactive"]["type"] == "list" and len(languages.choices) == 10
    await user.press(languages, language_label)
    [notice] = user.take_all()
    await user.press(notice, "consent:yes")
    *_, menu = user.take_all()
    return menu


def outbound(db, dialogs, clock, wa: FakeWhatsApp,
             templates: Templates | None = None) -> tuple[DeliveryEngine, Recorder]:
    async def no_wait(seconds: float) -> None:
        clock.advance(seconds=max(0.0, seconds))

    telegram = Recorder()
    sender = RoutingSender(telegram, WhatsAppSender(wa.client, db.sessions, templates or Templates(), clock=clock))
    engine = DeliveryEngine(db.sessions, sender, RateLimiter(Limits(1000, 1000, 60000)), clock=clock, sleep=no_wait)
    return track_rows(engine), telegram


async def chat_of(db, wa_id: str) -> int:
    async with db.sessions() as session:
        return (await wa_store.contact_by_wa_id(session, wa_id)).chat_id


async def test_resident_on_whatsapp_finds_office_sends_idea_and_hears_the_decision(wa, staffed, db, clock):
    ada = wa.user(PHONE, "Ada")
    menu = await onboard(ada, "Türkçe")
    assert menu.payload["interactive"]["type"] == "list" and "Ofisimi bul" in str(menu.choices)
    await ada.send("Badstraße 10")
    office = ada.take_all()
    assert "QM Badstraße" in office[-1].text and "Bellermannstraße 81" in office[-1].text
    await ada.press(menu, "idea:new")                       # a row of an earlier list still works
    [kinds] = ada.take_all()
    assert kinds.type == "text" and "2. 💡 Proje fikri" in kinds.text   # titles too long: numbered
    await ada.send("2")                                     # typed number
    await ada.send("Bänke an der Panke")
    await ada.send("Mehr Bänke am Panke-Weg, damit ältere Nachbarn sich ausruhen können.")
    *_, summary = ada.take_all()
    assert "*Bänke an der Panke*" in summary.text and summary.payload["interactive"]["type"] == "button"
    await ada.send("✅ Gönder")                             # typed label
    sent = ada.take_all()
    ref = REF.search(" ".join(m.text for m in sent)).group(0)

    await add_staff(db, 7001, "Dana")
    dana = staff_in_group(staffed, 7001)
    engine, telegram = outbound(db, staffed, clock, wa)
    await engine.drain()
    assert any(ref in text for text in telegram.texts(STAFF_CHAT))   # the card reached the Telegram group
    await dana.presses(await card_button(db, ref, "ok"))
    await engine.drain()
    [notice] = ada.take_all()
    assert ref in notice.text and "Bänke an der Panke" in notice.text and notice.type == "text"
    assert "fikrinizi" in notice.text or "kabul" in notice.text            # Turkish, the resident's language
    async with db.sessions() as session:
        row = await session.scalar(select(OutboxRow).where(OutboxRow.purpose == "idea_notice"))
        assert row.state == "sent" and row.chat_id == await chat_of(db, PHONE)
        tracked = await session.scalar(select(wa_store.WhatsAppSentRow).where(
            wa_store.WhatsAppSentRow.outbox_id == row.id))
    assert tracked.wamid == wa.sent[-1].id
    await wa.send_status(tracked.wamid, "delivered")
    await wa.send_status(tracked.wamid, "read")
    async with db.sessions() as session:
        assert (await session.get(wa_store.WhatsAppSentRow, tracked.wamid)).status == "read"


async def decided_after(wa, staffed, db, clock, hours: float, templates: Templates | None) -> tuple[User, OutboxRow]:
    ada = wa.user(PHONE, "Ada")
    await onboard(ada, "English")
    await ada.send("Badstraße 10")
    await ada.press(ada.take_all()[-1], "menu:")
    await ada.press(ada.take_all()[-1], "idea:new")
    await ada.send("Project idea")
    await ada.send("Benches along the Panke")
    await ada.send("More benches on the Panke path, so older neighbours can rest.")
    await ada.press(ada.take_all()[-1], "idea:send")
    ref = REF.search(" ".join(m.text for m in ada.take_all())).group(0)
    await add_staff(db, 7001, "Dana")
    dana = staff_in_group(staffed, 7001)
    engine, _ = outbound(db, staffed, clock, wa, templates)
    clock.advance(hours=hours)
    await dana.presses(await card_button(db, ref, "ok"))
    await engine.drain()
    async with db.sessions() as session:
        row = await session.scalar(select(OutboxRow).where(OutboxRow.purpose == "idea_notice"))
    return ada, row


async def test_a_decision_outside_the_window_goes_as_the_configured_template(wa, staffed, db, clock):
    wa.add_template("kiezbot_decision", {"en"}, body_params=1)
    templates = Templates.from_mapping({"decision": {"en": {"name": "kiezbot_decision", "params": ["text"]}}})
    ada, row = await decided_after(wa, staffed, db, clock, 25, templates)
    [notice] = ada.take_all()
    assert notice.type == "template" and notice.payload["template"]["language"]["code"] == "en"
    assert "Good news" in notice.text and "Benches along the Panke" in notice.text and row.state == "sent"


async def test_without_a_template_it_is_recorded_as_not_sendable_and_not_retried(wa, staffed, db, clock):
    ada, row = await decided_after(wa, staffed, db, clock, 25, None)
    assert ada.take_all() == []
    assert row.state == "failed" and row.last_error.startswith("not sendable on WhatsApp")
    assert "decision/en" in row.last_error and not any(code == 131047 for _, code in wa.errors)


async def test_stop_ends_reminders_and_broadcasts_but_answers_still_come(wa, staffed, db, clock):
    ada = wa.user(PHONE, "Ada")
    await onboard(ada, "✓ Deutsch")
    chat = await chat_of(db, PHONE)
    async with db.sessions() as session, session.begin():
        from dialogs.core.messages import Reply
        from storage.repositories import SqlOutbox
        await SqlOutbox(session).enqueue(chat, Reply("Rundbrief: Kiezfest am Samstag"), due_at=clock(),
                                         purpose="broadcast")
    await ada.send("STOPP")
    [confirmation] = ada.take_all()
    assert "STOP" in confirmation.text
    engine, _ = outbound(db, staffed, clock, wa)
    await engine.drain()
    assert ada.take_all() == []
    async with db.sessions() as session:
        row = await session.scalar(select(OutboxRow).where(OutboxRow.purpose == "broadcast"))
    assert row.state == "cancelled"
    await ada.send("/help")
    assert ada.take_all()                       # what the resident asks for is still answered


async def test_forged_and_replayed_webhooks_change_nothing(wa, dialogs, db):
    ada = wa.user(PHONE, "Ada")
    await ada.send("Hallo", signature=wa.sign(b"something else"))
    assert ada.take_all() == [] and wa.webhook_answers == [401]
    async with db.sessions() as session:
        assert await wa_store.contact_by_wa_id(session, PHONE) is None
    mid = await ada.send("Hallo")
    first = ada.take_all()
    await ada.send("Hallo", message_id=mid)
    assert first and ada.take_all() == []


async def test_the_phone_number_is_in_mydata_gone_after_delete_and_never_logged(wa, dialogs, db, caplog):
    import logging
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.INFO)
    ada = wa.user(PHONE, "Ada")
    await onboard(ada, "English")
    chat = await chat_of(db, PHONE)
    assert wa_store.is_whatsapp_chat(chat) and chat > 2**52
    async with db.sessions() as session, session.begin():
        exported = await SqlPersonalData(session).export(chat)
    assert PHONE in str(exported)
    await ada.send("/mydata")
    documents = [m for m in ada.take_all() if m.type == "document"]
    assert documents, "the export arrives as a file"
    media = wa.media[documents[0].payload["document"]["id"]]
    assert PHONE.encode() in media.content and documents[0].payload["document"]["filename"].endswith(".json")
    await ada.send("/delete")
    *_, confirm = ada.take_all()
    assert "1. 🗑 Yes, delete everything" in confirm.text           # a numbered menu: answered by number
    await ada.send("1")
    assert "deleted" in " ".join(m.text for m in ada.take_all())
    async with db.sessions() as session:
        assert await wa_store.contact_by_wa_id(session, PHONE) is None
        assert await session.scalar(select(wa_store.WhatsAppSentRow).where(
            wa_store.WhatsAppSentRow.chat_id == chat)) is None
    assert PHONE not in caplog.text


async def test_a_photo_sent_on_whatsapp_reaches_the_staff_group_with_the_card(wa, staffed, db, clock):
    ada = wa.user(PHONE, "Ada")
    await onboard(ada, "English")
    await ada.send("Badstraße 10")
    await ada.press(ada.take_all()[-1], "menu:")
    await ada.press(ada.take_all()[-1], "idea:new")
    await ada.send("Project idea")
    await ada.send("Broken bench")
    await ada.send("The bench at the Panke is broken, see the photo.")
    ada.take_all()
    await ada.send_image(b"\xff\xd8\xff\xe0JFIF-broken-bench", caption="")
    summary = ada.take_all()[-1]
    assert "1" in summary.text                             # the flow counted the photo
    await ada.press(summary, "idea:send")
    ref = REF.search(" ".join(m.text for m in ada.take_all())).group(0)
    staffed.staff_chat_id = STAFF_CHAT
    engine, telegram = outbound(db, staffed, clock, wa)
    await engine.drain()
    [photo] = [m for r in telegram.inbox[STAFF_CHAT] for m in r.media]
    assert photo.kind == "photo" and ref in photo.caption
    assert photo.file_id.data == b"\xff\xd8\xff\xe0JFIF-broken-bench"      # fetched from Meta, uploaded


async def test_a_photo_too_large_for_the_flows_is_refused_on_arrival(wa, dialogs, db):
    ada = wa.user(PHONE, "Ada")
    await onboard(ada, "English")
    await ada.send_image(b"x" * (11 * 1024 * 1024))
    assert "MB" in " ".join(m.text for m in ada.take_all())


async def test_a_message_repeated_to_another_process_is_handled_once(wa, dialogs, db, clock):
    """Two processes behind a load balancer remember different ids; the database decides."""
    from bot.whatsapp.webhook import WaMessage
    ada = wa.user(PHONE, "Ada")
    message = WaMessage(wa_id=PHONE, message_id="wamid.HBgLNDkxNTE=", sent_at=clock(), kind="text", text="Hallo",
                        name="Ada")
    wa.last_inbound[PHONE] = clock().timestamp()            # Ada wrote: Meta's window is open
    await wa.transport.on_message(message)
    first = ada.take_all()
    await wa.transport.on_message(message)
    assert first and ada.take_all() == []


async def test_meta_reporting_a_sent_notice_failed_marks_its_outbox_row(wa, staffed, db, clock):
    wa.add_template("kiezbot_decision", {"en"}, body_params=1)
    templates = Templates.from_mapping({"decision": {"en": {"name": "kiezbot_decision"}}})
    ada, row = await decided_after(wa, staffed, db, clock, 30, templates)
    [notice] = ada.take_all()
    assert row.state == "sent"
    assert await wa.send_status(notice.id, "failed", error_code=131026) == 200
    async with db.sessions() as session:
        row = await session.get(OutboxRow, row.id)
        tracked = await session.get(wa_store.WhatsAppSentRow, notice.id)
    assert row.state == "failed" and "131026" in row.last_error
    assert (tracked.status, tracked.error_code) == ("failed", 131026)


async def test_reactions_contacts_and_stickers_get_a_friendly_answer_and_nothing_is_stored(wa, dialogs, db):
    from storage.ideas import SubmissionRow
    ada = wa.user(PHONE, "Ada")
    await onboard(ada, "English")
    await ada.send_sticker()
    await wa.send_message(PHONE, "reaction", {"reaction": {"message_id": wa.sent[-1].id, "emoji": "👍"}})
    await wa.send_message(PHONE, "contacts", {"contacts": [{"name": {"formatted_name": "Bo"},
                                                            "phones": [{"phone": "+49 30 1234"}]}]})
    answers = ada.take_all()
    assert len(answers) >= 3 and all(m.text.strip() for m in answers)
    async with db.sessions() as session:
        assert await session.scalar(select(SubmissionRow)) is None
    assert "+49 30 1234" not in str([m.payload for m in answers])


async def test_numbers_that_never_became_residents_are_forgotten(wa, dialogs, db, clock):
    from datetime import timedelta

    from storage.models import ResidentRow
    ada = wa.user(PHONE, "Ada")
    await ada.send("Hallo")                                  # a first contact that goes no further
    assert ada.take_all()
    async with db.sessions() as session, session.begin():
        session.add(ResidentRow(chat_id=wa_store.WHATSAPP_CHAT_BASE + 1, language="de"))
        session.add(wa_store.WhatsAppContactRow(chat_id=wa_store.WHATSAPP_CHAT_BASE + 1, wa_id="491701",
                                                created_at=clock() - timedelta(days=30)))
        session.add(wa_store.WhatsAppInboundRow(wamid="wamid.old", received_at=clock() - timedelta(days=9)))
    assert await wa_store.forget_strangers(db.sessions, clock(), 2, 30) == 1        # the id only
    clock.advance(days=3)
    assert await wa_store.forget_strangers(db.sessions, clock(), 2, 30) >= 2        # number and its statuses
    async with db.sessions() as session:
        left = (await session.scalars(select(wa_store.WhatsAppContactRow.wa_id))).all()
    assert left == ["491701"]                     # a resident's number stays with them


async def test_the_numbers_country_proposes_the_language(wa, dialogs, db):
    for number, proposed in (("905321234567", "Türkçe"), ("48601234567", "Polski"), ("963944123456", "العربية")):
        user = wa.user(number)
        await user.send("Merhaba")
        *_, languages = user.take_all()
        checked = [t.replace("\u200f", "") for _, t in languages.choices if "✓" in t]
        assert checked == [f"✓ {proposed}"], checked
