"""The fake Cloud API itself: it refuses what Meta refuses, so tests against it mean something."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from aiohttp import ClientSession, web

from tests.fake_whatsapp import FakeWhatsApp


async def post(wa: FakeWhatsApp, body: dict, token: str | None = None) -> tuple[int, dict]:
    async with ClientSession() as http:
        async with http.post(f"{wa.api_base_url}/{wa.phone_number_id}/messages", json=body,
                             headers={"Authorization": f"Bearer {token or wa.access_token}"}) as resp:
            return resp.status, await resp.json()


def text(to: str, body: str) -> dict:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
            "text": {"body": body}}


def buttons(to: str, titles: list[str]) -> dict:
    return {"messaging_product": "whatsapp", "to": to, "type": "interactive", "interactive": {
        "type": "button", "body": {"text": "Choose"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": f"b{i}", "title": t}} for i, t in enumerate(titles)]}}}


def listing(to: str, titles: list[str]) -> dict:
    return {"messaging_product": "whatsapp", "to": to, "type": "interactive", "interactive": {
        "type": "list", "body": {"text": "Choose"}, "action": {"button": "Menu", "sections": [
            {"rows": [{"id": f"r{i}", "title": t} for i, t in enumerate(titles)]}]}}}


@pytest.fixture
async def hooked():
    """A fake whose webhooks land in a tiny receiver that records body and signature."""
    got: list[tuple[bytes, str]] = []

    async def receive(request: web.Request) -> web.Response:
        got.append((await request.read(), request.headers.get("X-Hub-Signature-256", "")))
        return web.Response(text="ok")
    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with FakeWhatsApp(webhook_url=f"http://127.0.0.1:{port}/hook") as wa:
        yield wa, got
    await runner.cleanup()


async def test_a_signed_inbound_message_opens_the_window_and_a_reply_gets_a_wamid(hooked):
    wa, got = hooked
    await wa.user("491511111", "Ada").send("Hallo")
    body, signature = got[-1]
    assert signature == "sha256=" + hmac.new(b"test-app-secret", body, hashlib.sha256).hexdigest()
    message = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["from"] == "491511111" and message["text"]["body"] == "Hallo"
    status, answer = await post(wa, text("491511111", "Guten Tag"))
    assert status == 200 and answer["messages"][0]["id"].startswith("wamid.")
    assert wa.users["491511111"].inbox[0].text == "Guten Tag"


async def test_outside_the_window_only_templates_go(hooked):
    wa, _ = hooked
    status, answer = await post(wa, text("491522222", "Erinnerung"))
    assert status == 400 and answer["error"]["code"] == 131047
    wa.add_template("kiezbot_reminder", {"de"}, body_params=1)
    template = {"messaging_product": "whatsapp", "to": "491522222", "type": "template", "template": {
        "name": "kiezbot_reminder", "language": {"code": "de"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Morgen 18 Uhr"}]}]}}
    assert (await post(wa, template))[0] == 200
    template["template"]["components"][0]["parameters"][0]["text"] = "two\nlines"
    assert (await post(wa, template))[1]["error"]["code"] == 132018
    template["template"]["language"]["code"] = "tr"
    assert (await post(wa, template))[1]["error"]["code"] == 132001


async def test_interactive_limits_are_metas(hooked):
    wa, _ = hooked
    await wa.user("491533333").send("hi")
    assert (await post(wa, buttons("491533333", ["Ja", "Nein", "Vielleicht"])))[0] == 200
    assert (await post(wa, buttons("491533333", ["a", "b", "c", "d"])))[1]["error"]["code"] == 131009
    assert (await post(wa, buttons("491533333", ["x" * 21])))[1]["error"]["code"] == 131009
    assert (await post(wa, listing("491533333", [f"Row {i}" for i in range(10)])))[0] == 200
    assert (await post(wa, listing("491533333", [f"Row {i}" for i in range(11)])))[1]["error"]["code"] == 131009
    assert (await post(wa, listing("491533333", ["y" * 25])))[1]["error"]["code"] == 131009


async def test_errors_look_like_the_graph_apis(hooked):
    wa, _ = hooked
    await wa.user("491544444").send("hi")
    status, answer = await post(wa, text("491544444", "x"), token="wrong")
    assert status == 401 and answer["error"]["code"] == 190 and answer["error"]["type"] == "OAuthException"
    wa.fail_next(130429)
    status, answer = await post(wa, text("491544444", "x"))
    assert status == 429 and answer["error"]["code"] == 130429 and "fbtrace_id" in answer["error"]
    wa.unreachable.add("491544444")
    assert (await post(wa, text("491544444", "x")))[1]["error"]["code"] == 131026


async def test_media_is_fetched_by_url_with_the_token(hooked):
    wa, got = hooked
    await wa.user("491555555").send_image(b"\xff\xd8jpeg", caption="Müll")
    image = json.loads(got[-1][0])["entry"][0]["changes"][0]["value"]["messages"][0]["image"]
    async with ClientSession() as http:
        auth = {"Authorization": f"Bearer {wa.access_token}"}
        async with http.get(f"{wa.api_base_url}/{image['id']}", headers=auth) as resp:
            meta = await resp.json()
        assert meta["file_size"] == 6 and meta["mime_type"] == "image/jpeg"
        async with http.get(meta["url"]) as resp:
            assert resp.status == 401
        async with http.get(meta["url"], headers=auth) as resp:
            assert await resp.read() == b"\xff\xd8jpeg"
