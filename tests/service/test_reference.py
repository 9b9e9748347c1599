"""Finding a state or district from what a farmer typed."""
import pytest

from service.reference import ReferenceData


@pytest.fixture(scope="module")
def reference(engine):
    from farmdb.db import make_sessionmaker
    return ReferenceData(make_sessionmaker(engine)).fresh()


def _state(reference, name):
    return next(s.key for s in reference.states if s.names["en"] == name)


@pytest.mark.parametrize("state, typed, found", [
    ("Maharashtra", "nasik", ["Nashik"]),
    ("Maharashtra", "नाशिक", ["Nashik"]),
    # Bihar's Aurangabad has the name today; Maharashtra's is Chhatrapati Sambhajinagar, and still found by it.
    ("Maharashtra", "aurangbad", ["Chhatrapati Sambhajinagar"]),
    ("Maharashtra", "sambhajinagar", ["Chhatrapati Sambhajinagar"]),
    ("Bihar", "aurangabad", ["Aurangabad"]),
    ("Maharashtra", "ahmednagar", ["Ahilyanagar"]),  # renamed in 2024
    ("Maharashtra", "अहमदनगर", ["Ahilyanagar"]),
    ("Maharashtra", "osmanabad", ["Dharashiv"]),
    ("Maharashtra", "raigarh", ["Raigad"]),  # the census spelling; Raigarh itself is in Chhattisgarh
    ("Chhattisgarh", "raigarh", ["Raigarh"]),
    ("Maharashtra", "beed", ["Beed"]),
    ("Maharashtra", "bid", ["Beed"]),
    ("Maharashtra", "गडचिरोली", ["Gadchiroli"]),
    ("Uttar Pradesh", "allahabad", ["Prayagraj"]),
    ("Uttar Pradesh", "faizabad", ["Ayodhya"]),
    ("Uttar Pradesh", "mahamaya nagar", ["Hathras"]),
    ("Uttar Pradesh", "kanshiram nagar", ["Kasganj"]),
    ("Haryana", "gurgaon", ["Gurugram"]),
    ("Maharashtra", "chandra", ["Chandrapur"]),  # the start of a long name
    ("Maharashtra", "jalgoan", ["Jalgaon"]),
    ("Maharashtra", "sholapur", ["Solapur"]),
    ("Uttar Pradesh", "bareli", ["Bareilly"]),
    ("Uttar Pradesh", "kanpur", ["Kanpur Dehat", "Kanpur Nagar"]),
    ("Punjab", "ludhiyana", ["Ludhiana"]),
    ("Bihar", "purnea", ["Purnia"]),
    ("Bihar", "nashik", []),  # not in this state
    ("Maharashtra", "xyzzy", []),
    ("Maharashtra", "na", []),  # too short to mean anything
])
def test_districts(reference, state, typed, found):
    assert [d.names["en"] for d in reference.find_districts(_state(reference, state), typed)] == found


@pytest.mark.parametrize("typed, found", [
    ("maharashtra", ["Maharashtra"]), ("maharastra", ["Maharashtra"]), ("महाराष्ट्र", ["Maharashtra"]),
    ("gujrat", ["Gujarat"]), ("utter pradesh", ["Uttar Pradesh"]), ("tamilnadu", ["Tamil Nadu"]),
])
def test_states(reference, typed, found):
    assert [s.names["en"] for s in reference.find_states(typed)] == found
