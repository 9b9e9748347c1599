"""The mapping table (farmdb/seed/data/agmarknet_commodities.json): every crop we carry has an Agmarknet name, every
name Agmarknet uses that we know of maps to a crop or says why not, and every market alias names a mandi we have."""
import json

from nlu.lexicon import DATA as SEED_DATA
from service.prices.names import Crop, name_key, table

# The commodity names of the reference (workspace shared/reference/agmarknet.md, "Names as they appear").
REFERENCE_NAMES = [
    "Wheat", "Paddy(Dhan)(Common)", "Paddy(Dhan)(Basmati)", "Rice", "Maize", "Jowar(Sorghum)",
    "Bajra(Pearl Millet/Cumbu)", "Ragi (Finger Millet)", "Bengal Gram(Gram)(Whole)", "Arhar (Tur/Red Gram)(Whole)",
    "Green Gram (Moong)(Whole)", "Black Gram (Urd Beans)(Whole)", "Lentil (Masur)(Whole)", "Soyabean", "Groundnut",
    "Mustard", "Sesamum(Sesame,Gingelly,Til)", "Sunflower", "Cotton", "Sugarcane", "Onion", "Potato", "Tomato",
    "Brinjal", "Cabbage", "Cauliflower", "Green Chilli", "Dry Chillies", "Garlic", "Ginger(Green)", "Turmeric",
    "Coriander(Leaves)", "Banana", "Pomegranate", "Grapes", "Mango", "Water Melon",
]
CROPS = {c["code"] for c in json.loads((SEED_DATA / "crops.json").read_text(encoding="utf-8"))}
RAW = json.loads((SEED_DATA / "agmarknet_commodities.json").read_text(encoding="utf-8"))


def test_every_reference_name_maps_to_a_crop_or_is_marked_not_carried():
    for name in REFERENCE_NAMES:
        entry = table().commodities.get(name_key(name))
        assert entry is not None, f"{name}: add it to agmarknet_commodities.json"
        assert ("crop" in entry) != ("not_carried" in entry), name


def test_every_crop_we_carry_has_an_agmarknet_name():
    mapped = {entry["crop"] for entry in RAW["commodities"].values() if "crop" in entry}
    assert CROPS - mapped == set()


def test_the_table_names_only_crops_we_have_and_says_why_a_name_is_not_carried():
    for name, entry in RAW["commodities"].items():
        for each in [entry, *entry.get("varieties", {}).values()]:
            assert set(each) <= {"crop", "kind", "varieties", "not_carried"}, name
            assert each.get("crop", "wheat") in CROPS, name
            assert "crop" in each or each.get("not_carried", "").strip(), name
    assert len({name_key(n) for n in RAW["commodities"]}) == len(RAW["commodities"]), "two names that are one"


def test_the_issue_s_examples():
    names = table()
    assert names.crop_for("Paddy(Dhan)(Common)", "Common") == Crop("rice", "Common")
    assert names.crop_for("Paddy (Dhan) (Common)", "Common") == Crop("rice", "Common")  # spacing does not matter
    assert names.crop_for("Bengal Gram(Gram)(Whole)", "Desi") == Crop("chickpea", "Desi")
    assert names.crop_for("Arhar (Tur/Red Gram)(Whole)", "Other") == Crop("pigeon_pea", "Other")
    assert names.crop_for("Soyabean", "Yellow") == Crop("soybean", "Yellow")
    assert names.crop_for("Paddy(Dhan)(Basmati)", "1121") == Crop("rice", "Basmati/1121")  # apart from Common
    assert names.crop_for("Rice", "Common") == ("not carried", "Rice")
    assert names.crop_for("Cotton", "Lint") == ("not carried", "Cotton/Lint")
    assert names.crop_for("Dragon Fruit", "Other") == ("unknown commodity", "Dragon Fruit")


def test_every_market_alias_names_one_of_our_mandis_in_its_state():
    mandis = {(m["state"], m["name"]) for m in json.loads((SEED_DATA / "mandis.json").read_text(encoding="utf-8"))}
    for alias in RAW["markets"]:
        assert (alias["state"], alias["mandi"]) in mandis, alias
    states = {s["name"] for s in json.loads((SEED_DATA / "states.json").read_text(encoding="utf-8"))}
    assert set(RAW["states"].values()) <= states


def test_a_mandi_named_with_its_yard_is_found_by_agmarknet_s_plain_name():
    """Agmarknet calls Pune's main yard "Pune", and its sub-yards "Pune(Moshi)": our "Pune (Gultekdi)" needs an alias,
    as a part in brackets is not dropped (it would make "Pune (Moshi)" Pune too)."""
    aliased = {(alias["state"], alias["mandi"]) for alias in RAW["markets"]}
    for mandi in json.loads((SEED_DATA / "mandis.json").read_text(encoding="utf-8")):
        if "(" in mandi["name"]:
            assert (mandi["state"], mandi["name"]) in aliased, mandi["name"]
