"""The audit log can never be changed, so it must never hold a farmer's number: masked however it was typed and
however deep in the detail it sits, while dates, counts and names stay as they were."""
from service import audit


def test_a_farmer_s_number_is_masked_wherever_and_however_it_appears(db):
    event = audit.record(db, None, "farmers_exported", target_type="farmer", target_id="+919822011234",
                         actor="asha", q="+91 98220-11234", rows=3, since="2026-07-15",
                         changed={"phone": ["098220 11234", "9822011235"], "district": ["Nashik", "Pune"]},
                         note="farmer called from 9822011234 twice")
    db.flush()
    assert event.target_id == "+91******1234"
    assert event.detail == {"q": "+91******1234", "rows": 3, "since": "2026-07-15",
                            "changed": {"phone": ["*******1234", "******1235"], "district": ["Nashik", "Pune"]},
                            "note": "farmer called from ******1234 twice"}
