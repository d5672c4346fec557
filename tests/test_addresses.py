"""What residents type → official address and QM area (``dialogs.office.addresses``), on the real address list.

Every expectation below was checked against ``storage/data/adressen.csv.gz`` (June 2023) and
``storage/data/qm-areas.yaml``, e.g. Koloniestraße 129 is PLR 01300730 "Drontheimer Straße" (not in
``plr_approx``) and counts for QM Soldiner only through the override "17-34, 119-143" in 13359.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import dialogs.office.addresses as addresses_module
from dialogs.office.addresses import (
    AddressRow,
    AreaMap,
    AreaOverride,
    ChooseStreet,
    Found,
    NeedNumber,
    NoStreet,
    NotAnAddress,
    StreetIndex,
    address_row_from_record,
    parse_ranges,
    resolve,
    resolve_choice,
    street_key,
)
from tests.address_book_memory import MemoryAddressBook, load_address_book, load_area_map


@pytest.fixture(scope="session")
def book() -> MemoryAddressBook:
    return load_address_book()


@pytest.fixture(scope="session")
def areas() -> AreaMap:
    return load_area_map()


# text typed by a resident → (official street, house number, postcode, area key or None)
SPELLINGS = [
    ("swinemünder str 64", "Swinemünder Straße", 64, "13355", "brunnenstrasse"),
    ("Swinemuender Strasse 64", "Swinemünder Straße", 64, "13355", "brunnenstrasse"),
    ("Swinemünderstr.64", "Swinemünder Straße", 64, "13355", "brunnenstrasse"),
    ("Prinz Eugen Str. 1", "Prinz-Eugen-Straße", 1, "13347", "pankstrasse"),
    ("prinz-eugen-strasse 1", "Prinz-Eugen-Straße", 1, "13347", "pankstrasse"),
    ("Koloniestrasse 129 13359", "Koloniestraße", 129, "13359", "soldiner"),      # via the override
    ("13359 koloniestr 129", "Koloniestraße", 129, "13359", "soldiner"),
    ("Koloniestraße 129", "Koloniestraße", 129, "13359", "soldiner"),             # 129 only in Gesundbrunnen
    ("129 Koloniestraße", "Koloniestraße", 129, "13359", "soldiner"),
    ("Koloniestr. 60", "Koloniestraße", 60, "13359", "soldiner"),                 # PLR 01300731
    ("Bellermanstr 81", "Bellermannstraße", 81, "13357", "badstrasse"),           # typo: one n
    ("Bellermannstrase 81", "Bellermannstraße", 81, "13357", "badstrasse"),
    ("badstr. 10a", "Badstraße", 10, "13357", "badstrasse"),                      # 10A does not exist: 10
    ("Badstraße 10 A", "Badstraße", 10, "13357", "badstrasse"),
    ("badstr10", "Badstraße", 10, "13357", "badstrasse"),
    ("BADSTRASSE 10", "Badstraße", 10, "13357", "badstrasse"),
    ("ich wohne in der Badstraße 10", "Badstraße", 10, "13357", "badstrasse"),
    ("Badstraße 60", "Badstraße", 60, "13357", "pankstrasse"),                   # PLR Humboldthain Nordwest
    ("Osloer Straße 12, 13359 Berlin", "Osloer Straße", 12, "13359", "soldiner"),
    ("Osloer 12", "Osloer Straße", 12, "13359", "soldiner"),
    ("prinzenallee 58", "Prinzenallee", 58, "13359", None),                       # PLR Drontheimer Straße
    ("my address is Prinzenallee 58", "Prinzenallee", 58, "13359", None),
    ("Prinzenallee 30", "Prinzenallee", 30, "13359", "soldiner"),
    ("Müllerstr 1 Wedding", "Müllerstraße", 1, "13353", "pankstrasse"),         # Ortsteil word decides
    ("Müllerstraße 1, 13353 Berlin", "Müllerstraße", 1, "13353", "pankstrasse"), # postcode decides
    ("Brunnenstraße 10", "Brunnenstraße", 10, "10119", None),                     # the Mitte part
    ("Brunnenstr. 70", "Brunnenstraße", 70, "13355", "brunnenstrasse"),           # the Gesundbrunnen part
    ("Pankstr 20", "Pankstraße", 20, "13357", "pankstrasse"),
    ("Grüntaler Str. 9", "Grüntaler Straße", 9, "13357", "badstrasse"),
    ("Soldiner Strasse 40", "Soldiner Straße", 40, "13359", "soldiner"),
    ("Soldiner Staße 40", "Soldiner Straße", 40, "13359", "soldiner"),          # slip in "Straße"
    ("Badstraße Nr. 10", "Badstraße", 10, "13357", "badstrasse"),
    ("Kaiseerin-Augusta-Straße 1", "Kaiserin-Augusta-Straße", 1, "12099", None),  # not "Augustastraße"
    ("Unter den Linden 1", "Unter den Linden", 1, "10117", None),                 # elsewhere in Berlin
    ("unter den linden 1", "Unter den Linden", 1, "10117", None),
    ("Kurfürstendamm 21", "Kurfürstendamm", 21, "10719", None),
    ("Kurfuerstendamm 21", "Kurfürstendamm", 21, "10719", None),
    ("Karl-Marx-Allee 1", "Karl-Marx-Allee", 1, "10178", None),
    ("Karl Marx Allee 1", "Karl-Marx-Allee", 1, "10178", None),
    ("Str. des 17. Juni 100", "Straße des 17. Juni", 100, "10557", None),
    ("Platz der Luftbrücke 5", "Platz der Luftbrücke", 5, "12101", None),
    ("Pl. der Luftbruecke 5", "Platz der Luftbrücke", 5, "12101", None),
    ("Hauptstraße 1 Staaken", "Hauptstraße", 1, "13591", None),
    ("Koloniestraße 5 13357", "Koloniestraße", 5, "13357", None),                 # PLR Schwedenstraße
]


@pytest.mark.parametrize(("text", "street", "number", "postcode", "area"), SPELLINGS,
                         ids=[s[0] for s in SPELLINGS])
async def test_real_world_spellings(book, areas, text, street, number, postcode, area):
    result = await resolve(text, book, areas)
    assert isinstance(result, Found), result
    assert (result.row.street, result.row.number, result.row.postcode) == (street, number, postcode)
    assert result.area_key == area
    assert result.number_exact


@pytest.mark.parametrize(("text", "street", "number", "postcode", "area"), SPELLINGS,
                         ids=[s[0] for s in SPELLINGS])
def test_spelling_table_matches_the_csv(book, areas, text, street, number, postcode, area):
    rows = [r for r in book.rows(street) if r.number == number and r.postcode == postcode]
    assert rows, f"{street} {number} ({postcode}) is not in the address list"
    assert {areas.area_for(r) for r in rows} == {area}


def test_enough_spellings():
    assert len(SPELLINGS) >= 25


async def test_fuzzy_match_is_flagged(book, areas):
    exact = await resolve("Bellermannstraße 81", book, areas)
    fuzzy = await resolve("Bellermanstr 81", book, areas)
    assert isinstance(exact, Found) and exact.street_exact
    assert isinstance(fuzzy, Found) and not fuzzy.street_exact
    assert fuzzy.row == exact.row


async def test_longer_mistyped_name_beats_exact_tail(book, areas):
    # "Feldstraße" exists many times, but the resident means Staakener Feldstraße
    result = await resolve("Stakener Feldstraße 1", book, areas)
    assert isinstance(result, Found) and result.row.street == "Staakener Feldstraße"
    assert not result.street_exact


# -- ambiguity ------------------------------------------------------------------------------------

async def test_hauptstrasse_exists_in_many_places(book, areas):
    result = await resolve("Hauptstraße 1", book, areas)
    assert isinstance(result, ChooseStreet)
    assert result.number == 1
    assert {o.street for o in result.options} == {"Hauptstraße"}
    # number 1 exists in four separate Hauptstraßen (Staaken, Blankenfelde, Alt-Hohenschönhausen and
    # the one through Rummelsburg and Stralau/Friedrichshain)
    assert sorted(o.ortsteil for o in result.options) == [
        "Alt-Hohenschönhausen", "Blankenfelde", "Rummelsburg / Friedrichshain", "Staaken"]
    rummelsburg = next(o for o in result.options if "Rummelsburg" in o.ortsteile)
    assert rummelsburg.postcodes == ("10317",)


async def test_koloniestrasse_without_postcode_asks(book, areas):
    result = await resolve("Koloniestraße", book, areas)
    assert isinstance(result, ChooseStreet)
    assert [(o.ortsteil, o.postcodes) for o in result.options] == [
        ("Gesundbrunnen", ("13357", "13359")), ("Lichterfelde", ("12209",))]   # our part first


async def test_number_in_both_koloniestrassen_asks_then_choice_decides(book, areas):
    result = await resolve("Koloniestraße 5", book, areas)
    assert isinstance(result, ChooseStreet)
    assert result.number == 5
    assert {o.ortsteil for o in result.options} == {"Gesundbrunnen", "Lichterfelde"}
    picked = await resolve_choice("Koloniestraße", "Lichterfelde", result.number, result.suffix, book, areas)
    assert isinstance(picked, Found)
    assert (picked.row.postcode, picked.row.number, picked.area_key) == ("12209", 5, None)


async def test_ortsteil_word_decides(book, areas):
    result = await resolve("Koloniestraße 5 Lichterfelde", book, areas)
    assert isinstance(result, Found) and result.row.ortsteil == "Lichterfelde"


async def test_koloniestrasse_with_postcode_is_soldiner(book, areas):
    result = await resolve("Koloniestraße 13359", book, areas)
    # every address of Koloniestraße in 13359 counts for Soldiner (PLR 01300731 or the override)
    assert isinstance(result, Found)
    assert result.area_key == "soldiner" and not result.number_exact and result.row.postcode == "13359"


async def test_street_crossing_ortsteile_is_one_street(book, areas):
    # Brunnenstraße: Mitte 10115/10119 and Gesundbrunnen 13355 — one street, the number decides
    for text, postcode in (("Brunnenstraße 1", "10119"), ("Brunnenstraße 100", "13355"),
                           ("Brunnenstraße 140", "10115"), ("Brunnenstraße 170", "10119")):
        result = await resolve(text, book, areas)
        assert isinstance(result, Found), (text, result)
        assert result.row.postcode == postcode
    result = await resolve("Brunnenstraße", book, areas)
    assert isinstance(result, NeedNumber)
    assert result.street == "Brunnenstraße" and result.ortsteil == "Mitte / Gesundbrunnen"
    assert result.area_keys == frozenset({"brunnenstrasse"}) and result.outside
    chosen = await resolve_choice(result.street, result.ortsteil, 70, "", book, areas)
    assert isinstance(chosen, Found) and chosen.area_key == "brunnenstrasse"
    chosen = await resolve_choice(result.street, "Mitte", 10, "", book, areas)   # any Ortsteil of it works
    assert isinstance(chosen, Found) and chosen.area_key is None and chosen.row.postcode == "10119"


async def test_mueller_strasse_one_in_four_places(book, areas):
    result = await resolve("Müllerstr 1", book, areas)
    assert isinstance(result, ChooseStreet)
    assert {o.ortsteil for o in result.options} == {"Wedding / Gesundbrunnen", "Lichterfelde", "Mahlsdorf",
                                                     "Spandau"}
    assert result.options[0].ortsteil == "Wedding / Gesundbrunnen"    # touches our areas: listed first
    picked = await resolve_choice("Müllerstraße", result.options[0].ortsteil, 1, "", book, areas)
    assert isinstance(picked, Found) and picked.area_key == "pankstrasse"


async def test_postcode_and_number_disagree(book, areas):
    # 129 exists only in Gesundbrunnen, 12209 is the Lichterfelde Koloniestraße: ask
    result = await resolve("Koloniestraße 129, 12209", book, areas)
    assert isinstance(result, ChooseStreet) and result.number == 129
    assert {o.ortsteil for o in result.options} == {"Gesundbrunnen", "Lichterfelde"}


# -- house numbers --------------------------------------------------------------------------------

async def test_street_in_several_areas_needs_a_number(book, areas):
    result = await resolve("Badstraße", book, areas)
    assert isinstance(result, NeedNumber)
    assert result.area_keys == frozenset({"badstrasse", "pankstrasse"}) and result.outside
    assert result.ortsteil == "Gesundbrunnen"
    answer = await resolve_choice(result.street, result.ortsteil, "10", None, book, areas)
    assert isinstance(answer, Found) and answer.area_key == "badstrasse"


async def test_street_in_one_answer_needs_no_number(book, areas):
    outside = await resolve("Unter den Linden", book, areas)
    assert isinstance(outside, Found) and outside.area_key is None and not outside.number_exact
    inside = await resolve("Prinz-Eugen-Straße", book, areas)        # all 32 addresses in PLR Antonstraße
    assert isinstance(inside, Found) and inside.area_key == "pankstrasse" and not inside.number_exact
    assert inside.typed_number is None


async def test_missing_number_uses_nearest_on_same_side(book, areas):
    result = await resolve("Prinz-Eugen-Straße 31", book, areas)     # numbers run 1-29
    assert isinstance(result, Found)
    assert (result.row.number, result.number_exact, result.typed_number) == (29, False, 31)
    result = await resolve("Brunnenstraße 60", book, areas)          # 58-62 do not exist, 56 does
    assert isinstance(result, Found)
    assert (result.row.number, result.number_exact, result.area_key) == (56, False, "brunnenstrasse")


async def test_far_number_falls_back_to_street(book, areas):
    result = await resolve("Badstraße 999", book, areas)
    assert isinstance(result, NeedNumber) and result.tried_number == 999
    result = await resolve("Prinz-Eugen-Straße 99", book, areas)     # the whole street is in one area
    assert isinstance(result, Found)
    assert result.area_key == "pankstrasse" and not result.number_exact and result.typed_number == 99


async def test_suffix_is_kept_when_it_exists(book, areas):
    result = await resolve("Swinemünder Straße 64a", book, areas)
    assert isinstance(result, Found) and (result.row.number, result.row.suffix) == (64, "A")
    result = await resolve("Swinemünder Straße 64", book, areas)
    assert isinstance(result, Found) and result.row.suffix == ""


# -- nonsense and unknown streets -----------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   ", "asdf", "1234", "12345", "hallo", "Hallo!", "😀", "🏠🏠",
                                  "danke", "ok", "?", "ich brauche Hilfe mit dem Aktionsfonds", "Wedding",
                                  "Gesundbrunnen", "Berlin", "wann ist der nächste Markt",
                                  "Termin um 14 Uhr", "Hallo ich heiße Anna und bin 30"])
async def test_not_an_address(book, areas, text):
    assert await resolve(text, book, areas) == NotAnAddress()


async def test_unknown_street_with_suggestions(book, areas):
    result = await resolve("Foobarstraße 12", book, areas)
    assert isinstance(result, NoStreet)
    assert result.text == "Foobarstraße 12"
    assert 0 < len(result.suggestions) <= 3
    assert all(s in set(book.street_names()) for s in result.suggestions)


async def test_unknown_street_without_suggestions(book, areas):
    result = await resolve("Qxzjvk Straße 3", book, areas)
    assert isinstance(result, NoStreet)
    assert len(result.suggestions) <= 3


async def test_street_elsewhere_is_not_forced_onto_wedding(book, areas):
    # exact names win over look-alikes: Osloer Straße is not "Oslostraße", Wiesenstraße (Wedding) is
    # not confused with Wiesenweg
    for text, street in (("Wiesenstraße 20", "Wiesenstraße"), ("Wiesenweg 5", "Wiesenweg")):
        result = await resolve(text, book, areas)
        rows = result.options if isinstance(result, ChooseStreet) else [result.row]
        assert {r.street for r in rows} == {street}, (text, result)


# -- parse_ranges and the area map -----------------------------------------------------------------

def test_parse_ranges():
    assert parse_ranges("17-34, 119-143") == ((17, 34), (119, 143))
    assert parse_ranges("5") == ((5, 5),)
    assert parse_ranges(" 5 ; 7 – 9 ") == ((5, 5), (7, 9))
    assert parse_ranges(12) == ((12, 12),)


@pytest.mark.parametrize(("text", "message"), [
    ("", "no house numbers"),
    ("   ", "no house numbers"),
    ("34-17", "runs backwards: 34 is greater than 17"),
    ("17-", "neither a house number nor a range"),
    ("a-b", "neither a house number nor a range"),
    ("12a", "suffix letters are not allowed"),
    ("17-34,", "empty entry"),
    ("17-34,,40", "empty entry"),
    ("0", "start at 1"),
    ("0-5", "start at 1"),
])
def test_parse_ranges_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_ranges(text)


def test_parse_ranges_rejects_other_values():
    with pytest.raises(ValueError, match="no house numbers"):
        parse_ranges(None)          # type: ignore[arg-type]
    with pytest.raises(ValueError, match="neither a house number"):
        parse_ranges(True)          # type: ignore[arg-type]


def _row(street="Koloniestraße", number=129, postcode="13359", plr="01300730"):
    return AddressRow(street, number, "", postcode, "Gesundbrunnen", plr, "Drontheimer Straße")


def test_area_map_override_first_then_plr():
    amap = AreaMap({"01300731": "soldiner", "01300730": "other"},
                   [AreaOverride("soldiner", "Koloniestraße", "13359", ((17, 34), (119, 143)))])
    assert amap.area_for(_row(number=129)) == "soldiner"          # override
    assert amap.area_for(_row(number=118)) == "other"             # not in the ranges: PLR
    assert amap.area_for(_row(number=129, postcode="13357")) == "other"   # other postcode
    assert amap.area_for(_row(street="Prinzenallee")) == "other"
    assert amap.area_for(_row(plr="09999999")) == "soldiner"
    assert amap.area_for(_row(number=5, plr="09999999")) is None


def test_area_map_from_yaml(areas):
    assert set(areas.plr_to_area.values()) == {"pankstrasse", "brunnenstrasse", "badstrasse", "soldiner"}
    assert areas.plr_to_area["01401043"] == "pankstrasse"
    assert areas.plr_to_area["01300731"] == "soldiner"
    assert areas.overrides == (AreaOverride("soldiner", "Koloniestraße", "13359", ((17, 34), (119, 143))),)
    assert areas.unknown_override_streets(load_address_book().street_names()) == []


def test_area_map_config_errors():
    with pytest.raises(ValueError, match="both 'a' and 'b'"):
        AreaMap.from_config({"areas": [{"key": "a", "plr_approx": {"01": "x"}},
                                       {"key": "b", "plr_approx": {"01": "x"}}]})
    with pytest.raises(ValueError, match="area 'a', override for 'Badstraße'.*runs backwards"):
        AreaMap.from_config({"areas": [{"key": "a",
                                        "overrides": [{"street": "Badstraße", "numbers": "9-1"}]}]})
    inactive = AreaMap.from_config({"areas": [{"key": "a", "active": False,
                                               "plr_approx": {"01300731": "x"}}]})
    assert inactive.plr_to_area == {}


# -- the module itself ------------------------------------------------------------------------------

def test_module_is_pure():
    tree = ast.parse(Path(addresses_module.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            # its own pure helpers (dialogs/office/transliterate.py …) only
            imported.add(module if module.startswith("dialogs.") else module.split(".")[0])
    own = {m for m in imported if m.startswith("dialogs.")}
    assert all(m.startswith("dialogs.office.") for m in own), own
    assert imported - own <= {"__future__", "re", "unicodedata", "weakref", "collections", "dataclasses", "typing",
                              "bisect", "functools", "itertools", "operator", "rapidfuzz"}, imported


def test_street_key_normalisation():
    same = ["Prinz-Eugen-Straße", "prinz eugen str.", "Prinz Eugen Str", "PRINZ-EUGEN-STRASSE",
            "prinzeugenstr"]
    assert {street_key(s) for s in same} == {"prinzeugenstr"}
    assert street_key("Swinemünder Straße") == street_key("Swinemuender Strasse") == "swinemuenderstr"
    assert street_key("Hoffmann-von-Fallersleben-Pl.") == street_key("Hoffmann von Fallersleben Platz")


async def test_index_is_built_once_per_book(book, areas):
    await resolve("Badstraße 10", book, areas)
    index = StreetIndex.for_book(book)
    await resolve("Prinzenallee 58", book, areas)
    assert StreetIndex.for_book(book) is index


async def test_street_without_numbered_addresses(areas):
    small = MemoryAddressBook([_row(street="Badstraße", number=10, postcode="13357", plr="01300733")],
                              extra_names=["Rosenthaler Platz"])
    assert isinstance(await resolve("Rosenthaler Platz", small, areas), NoStreet)
    result = await resolve("Badstr 10", small, areas)
    assert isinstance(result, Found) and result.area_key == "badstrasse"


async def test_unnumbered_records_can_be_kept(areas):
    # storage drops the 296 records without house number; if a book keeps them (number 0) they resolve
    record = {"hnr": "", "hnr_zusatz": "", "str_name": "Nettelbeckplatz", "plz": "13347", "ort_name": "Wedding",
              "PLR_NAME": "Humboldthain Nordwest", "PLR_ID": "1300836"}
    assert address_row_from_record(record) is None
    row = address_row_from_record(record, keep_unnumbered=True)
    assert row is not None and (row.number, row.plr_id) == (0, "01300836")
    small = MemoryAddressBook([row])
    result = await resolve("Nettelbeckplatz", small, areas)
    assert isinstance(result, Found) and result.area_key == "pankstrasse" and not result.number_exact
    result = await resolve("Nettelbeckplatz 2", small, areas)          # 0 is never "the nearest number"
    assert isinstance(result, Found) and result.row.number == 0 and not result.number_exact
