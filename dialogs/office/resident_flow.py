"""Office finder: from a typed address (or a picked area) to the office card of the QM area.

Steps::

    menu "Find my office" ──> "type your address or pick your area" [area buttons]   step office.address
        ├─ area button ───────────────────────────────────────────> office card
        └─ typed text ─> resolve
              ├─ Found in an area ───────────────────────────────> "lies in/near" + office card
              ├─ Found, outside our areas ───────────────────────> friendly answer + all offices + district office
              ├─ NeedNumber ─> "which house number?"  step office.number ─> resolve again
              ├─ ChooseStreet ─> buttons "Koloniestraße (Gesundbrunnen)" / "(Lichterfelde)" ─> resolve
              ├─ NoStreet ─> "did you mean" buttons, or type again
              └─ NotAnAddress ─> short hint with an example, stay in the step
        (not an address, but clearly another wish — "Datenschutz", "ich habe eine Frage" — leaves the step
         for that flow, see dialogs/intents/resident_flow.py; greetings get the hint)

Street choices and suggestions are kept in the conversation draft; buttons carry only their index,
so a forged button cannot point anywhere the resident was not offered.
"""
from __future__ import annotations

import re
from urllib.parse import quote_plus

from babel.lists import format_list

from dialogs.office.addresses import (AddressRow, ChooseStreet, Found, NeedNumber, NoStreet, NotAnAddress,
                                      PostcodeAreas, resolve, resolve_choice)
from dialogs.core.engine import Context, Dialogs
from dialogs.office.hours import closure_lines, describe_status, status, weekly_lines
from dialogs.core.i18n import N_
from dialogs.intents.resident_flow import add_intro, leave_step_for_wish, names_another_flow, routed_command
from dialogs.core.messages import Button, Venue
from dialogs.core.model import Area
from dialogs.core.text import clip, esc

# LOR planning-area ids start with the district number.
DISTRICTS = {
    "01": ("Mitte", "ba-mitte"), "02": ("Friedrichshain-Kreuzberg", "ba-friedrichshain-kreuzberg"),
    "03": ("Pankow", "ba-pankow"), "04": ("Charlottenburg-Wilmersdorf", "ba-charlottenburg-wilmersdorf"),
    "05": ("Spandau", "ba-spandau"), "06": ("Steglitz-Zehlendorf", "ba-steglitz-zehlendorf"),
    "07": ("Tempelhof-Schöneberg", "ba-tempelhof-schoeneberg"), "08": ("Neukölln", "ba-neukoelln"),
    "09": ("Treptow-Köpenick", "ba-treptow-koepenick"), "10": ("Marzahn-Hellersdorf", "ba-marzahn-hellersdorf"),
    "11": ("Lichtenberg", "ba-lichtenberg"), "12": ("Reinickendorf", "ba-reinickendorf"),
}
QM_BERLIN_URL = "https://www.quartiersmanagement-berlin.de"


def address_text(row: AddressRow, with_number: bool = True) -> str:
    if with_number and row.number:
        return f"{row.street} {row.number}{row.suffix}, {row.postcode} Berlin-{row.ortsteil}"
    return f"{row.street}, Berlin-{row.ortsteil}"


# The area buttons say "QM Badstraße": what QM means, once, where they are offered.
QM_SPELLED_OUT = N_("<i>QM = Quartiersmanagement: the neighbourhood management team of an area, with its "
                    "local office.</i>")


async def area_buttons(ctx: Context) -> list[list[Button]]:
    areas = await ctx.store.areas.all()
    return [[Button(area.name, f"office:area:{area.key}")] for area in areas]


async def start(ctx: Context) -> None:
    ctx.goto("office.address")
    ctx.say(ctx._("Type your address — street and house number, for example <i>Badstraße 10</i> — "
                  "or pick your area:") + "\n" + ctx._(QM_SPELLED_OUT), await area_buttons(ctx))


async def office_card(ctx: Context, area: Area) -> None:
    t = ctx.t
    office = area.office
    lines = [f"<b>{t.ltr(esc(area.name))}</b>", ""]
    lines.append(t._("📍 Office: {address}", address=t.ltr(esc(office.address))))
    st = status(office.hours, ctx.now, t.tz)
    if st is None:
        lines.append(t._("🕒 Opening hours: not known yet. Please call or write before you come."))
    else:
        lines.append(describe_status(st, t, ctx.now))
        lines.extend("   " + esc(line) for line in weekly_lines(office.hours, t))
    hours_note = t.staff_text(office.hours.note)
    if hours_note:
        lines.append("   " + hours_note)
    lines.extend(closure_lines(office.hours, t, ctx.now.astimezone(t.tz).date()))
    lines.append(t._("📞 Phone: {phone}", phone=t.ltr(esc(office.phone))) if office.phone
                 else t._("📞 Phone: not known"))
    lines.append(t._("✉️ E-mail: {email}", email=t.ltr(esc(office.email))) if office.email
                 else t._("✉️ E-mail: not known"))
    if area.website:
        lines.append(t._("🌐 Website: {url}", url=t.ltr(esc(area.website))))
    note = t.staff_text(area.notes)
    if note:
        lines.extend(["", note])
    # "(Stadtteilladen)" and the like confuse map search: search for the street address only.
    search = re.sub(r"\s*\(.*?\)", "", office.address)
    map_url = "https://www.openstreetmap.org/search?query=" + quote_plus(search)
    buttons = [[Button(t._("🗺 Show on the map"), url=map_url)],
               [Button(t._("Other area"), "office:start"), Button(t._("Main menu"), "menu:")]]
    venue = None
    if office.latitude is not None and office.longitude is not None:
        venue = Venue(office.latitude, office.longitude, area.name, office.address)
    ctx.say("\n".join(lines), buttons)
    if venue is not None:
        ctx.say("", venue=venue)
    ctx.resident.area_key = area.key
    ctx.reset()


async def on_button(ctx: Context) -> None:
    action, arg = ctx.inbound.parts(2)
    if action == "start":
        return await start(ctx)
    if action == "area":
        area = await ctx.store.areas.get(arg)
        if area is None:
            ctx.toast = ctx._("This button is no longer valid.")
            return await start(ctx)
        return await office_card(ctx, area)
    if action in ("pick", "sugg") and arg.isdecimal():
        options = ctx.data.get("options" if action == "pick" else "suggestions") or []
        index = int(arg)
        if ctx.step.startswith("office.") and index < len(options):
            if action == "pick":
                street, ortsteil = options[index]
                result = await resolve_choice(street, ortsteil, ctx.data.get("number"), ctx.data.get("suffix", ""),
                                              ctx.store.addresses, await ctx.store.areas.area_map())
            else:
                text = options[index] + (f" {ctx.data['number']}{ctx.data.get('suffix', '')}"
                                         if ctx.data.get("number") else "")
                result = await resolve(text, ctx.store.addresses, await ctx.store.areas.area_map())
            return await answer(ctx, result)
    ctx.toast = ctx._("This button is no longer valid.")
    await start(ctx)


async def on_text(ctx: Context) -> None:
    inbound = ctx.inbound
    if inbound.kind != "text":
        ctx.say(ctx._("Please type your address as text, for example <i>Badstraße 10</i>, or pick your area:"),
                await area_buttons(ctx))
        return
    text = inbound.text
    if ctx.step == "office.number" and text.strip()[:1].isdecimal():
        number, suffix = _split_number(text.strip())
        if number is not None:
            result = await resolve_choice(ctx.data["street"], ctx.data["ortsteil"], number, suffix,
                                          ctx.store.addresses, await ctx.store.areas.area_map())
            return await answer(ctx, result)
    result = await resolve(text, ctx.store.addresses, await ctx.store.areas.area_map())
    if isinstance(result, (NotAnAddress, NoStreet)) and await leave_step_for_wish(ctx, text):
        return                  # "I have a question" typed while asked for an address: that flow instead
    await answer(ctx, result)


async def try_free_text(ctx: Context) -> bool:
    """At the menu, a message that is clearly an address goes straight to the office finder.

    A text that only names a street ("an idea for Badstraße") and clearly asks for another flow is
    left to the free-text intents; an exact address ("Badstraße 10") always stays here.
    """
    text = ctx.inbound.text
    result = await resolve(text, ctx.store.addresses, await ctx.store.areas.area_map())
    if isinstance(result, (Found, NeedNumber, ChooseStreet, PostcodeAreas)):
        exact = isinstance(result, (Found, PostcodeAreas)) and getattr(result, "number_exact", True)
        if not exact and names_another_flow(ctx, text):
            return False
        await answer(ctx, result)
        return True
    if isinstance(result, NoStreet) and result.suggestions and any(ch.isdecimal() for ch in text) \
            and routed_command(ctx, text) is None:
        await answer(ctx, result)       # "Krönerstraße 48": a street with a number, but no such street — did you mean?
        return True
    return False


def _split_number(text: str) -> tuple[int | None, str]:
    digits = ""
    for ch in text:
        if ch.isdecimal() and len(digits) < 5:
            digits += ch
        else:
            break
    rest = text[len(digits):].strip()
    suffix = rest[:1].upper() if rest[:1].isalpha() and len(rest) <= 2 else ""
    return (int(digits) if digits else None), suffix


async def answer(ctx: Context, result) -> None:
    t = ctx.t
    if isinstance(result, Found):
        row = result.row
        number_missing = not result.number_exact and result.typed_number is not None
        # A typed number that does not exist: name the street only, then say the number was not found.
        where = t.ltr(esc(address_text(row, with_number=result.number_exact)))
        if result.area_key is not None:
            area = await ctx.store.areas.get(result.area_key)
            if area is not None:
                if number_missing:
                    ctx.say(t._("I could not find house number {number} on {street}; the houses near it lie in "
                                "or near the area of <b>{area}</b>. Here is its office:",
                                number=t.ltr(result.typed_number), street=t.ltr(esc(row.street)),
                                area=t.ltr(esc(area.name))))
                else:
                    ctx.say(t._("{address} lies in or near the area of <b>{area}</b>. Here is its office:",
                                address=where, area=t.ltr(esc(area.name))))
                return await office_card(ctx, area)
        district, slug = DISTRICTS.get(row.plr_id[:2], ("", ""))
        text = t._("{address} is in Berlin, but not in one of our four neighbourhood areas.", address=where)
        if district:
            text += "\n\n" + t._("For questions about your neighbourhood, the district office of {district} can "
                                 "help: {url}", district=t.ltr(esc(district)),
                                 url=t.ltr(f"https://www.berlin.de/{slug}/"))
        text += "\n" + t._("All neighbourhood management areas of Berlin: {url}", url=t.ltr(QM_BERLIN_URL))
        text += "\n\n" + t._("Or pick one of our offices:")
        ctx.reset()
        ctx.say(text, await area_buttons(ctx))
        return
    if isinstance(result, NeedNumber):
        ctx.goto("office.number", street=result.street, ortsteil=result.ortsteil)
        ctx.say(t._("Which house number on {street}? Please type only the number, for example <i>12</i>.",
                    street=t.ltr(esc(result.street))))
        return
    if isinstance(result, ChooseStreet):
        options = [(o.street, o.ortsteil) for o in result.options][:8]
        ctx.goto("office.choose", options=options, number=result.number, suffix=result.suffix)
        buttons = [[Button(f"{o.street} ({o.ortsteil}, {', '.join(o.postcodes[:2])})"[:60], f"office:pick:{i}")]
                   for i, o in enumerate(result.options[:8])]
        ctx.say(t._("There is more than one street with this name in Berlin. Which one do you mean?"), buttons)
        return
    if isinstance(result, NoStreet):
        suggestions = list(result.suggestions)[:3]
        ctx.goto("office.address", suggestions=suggestions)
        if suggestions:
            buttons = [[Button(s, f"office:sugg:{i}")] for i, s in enumerate(suggestions)]
            ctx.say(t._("I could not find the street “{text}” in Berlin. Did you mean one of these? "
                        "Or type the address again.", text=t.ltr(esc(clip(result.text, 80)))), buttons)
        else:
            ctx.say(t._("I could not find the street “{text}” in Berlin. Please check the spelling, "
                        "for example <i>Prinzenallee 10</i>, or pick your area:", text=t.ltr(esc(clip(result.text, 80)))),
                    await area_buttons(ctx))
        return
    if isinstance(result, PostcodeAreas):
        return await answer_postcode(ctx, result)
    assert isinstance(result, NotAnAddress)
    ctx.goto("office.address")
    ctx.say(t._("That does not look like an address to me. Please write street and house number, "
                "for example <i>Badstraße 10</i>, or pick your area:"), await area_buttons(ctx))


async def answer_postcode(ctx: Context, result: PostcodeAreas) -> None:
    """Only a postcode: which of our areas it touches; the street and house number decide."""
    t = ctx.t
    ctx.goto("office.address")
    code = t.ltr(result.postcode)
    if not result.area_keys:
        ctx.say(t._("The postcode {postcode} is not in one of our four neighbourhood areas.", postcode=code) + "\n"
                + t._("All neighbourhood management areas of Berlin: {url}", url=t.ltr(QM_BERLIN_URL)) + "\n\n"
                + t._("Or pick one of our offices:"), await area_buttons(ctx))
        return
    areas = [a for a in await ctx.store.areas.all() if a.key in result.area_keys]
    names = format_list([t.ltr(esc(a.name)) for a in areas], locale=t.locale)
    text = t.ngettext("The postcode {postcode} covers parts of our area {areas}.",
                      "The postcode {postcode} covers parts of our areas {areas}.", len(areas),
                      postcode=code, areas=names)
    if result.outside:
        text += " " + t._("Other parts of it lie outside our areas.")
    text += "\n\n" + t._("Type your street and house number to be sure, for example <i>Badstraße 10</i>, or pick "
                          "your area:")
    ctx.say(text, [[Button(a.name, f"office:area:{a.key}")] for a in areas])


async def talk_to_a_person(ctx: Context) -> None:
    """"I want to talk to a person" (the intent "human", before "Ask the team" opens): who the people are,
    when and where to meet them, and that a written question reaches the same people."""
    area = await ctx.store.areas.get(ctx.resident.area_key) if ctx.resident.area_key else None
    if area is None or area.office is None:
        ctx.say(ctx._("Of course! The team of your neighbourhood office is happy to talk to you: visit or call "
                      "them during office hours (📍 Find my office shows them). Or write your question here: the "
                      "team reads it and answers you in this chat."))
        return
    t = ctx.t
    office = area.office
    st = status(office.hours, ctx.now, t.tz)
    when = describe_status(st, t, ctx.now) if st is not None else ctx._("opening hours not known yet")
    phone = t.ltr(esc(office.phone)) if office.phone else ctx._("not known")
    ctx.say(ctx._("Of course! The team of {area} is happy to talk to you in person at {address} ({when}) or on "
                  "the phone: {phone}. Or write your question here: the team reads it and answers you in this "
                  "chat.", area=t.ltr(esc(area.name)), address=t.ltr(esc(office.address)), when=when, phone=phone))


def register(app: Dialogs) -> None:
    app.button("office", on_button)
    app.step("office", on_text)
    app.command("office", start, N_("find your neighbourhood office"))
    app.menu_entry(10, N_("📍 Find my office"), "office:start")
    app.on_free_text(try_free_text)
    add_intro(app, "human", talk_to_a_person)
