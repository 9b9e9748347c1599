"""Inbound SMS through the real app: recorded Africa's Talking and Twilio payloads, signatures, the conversations
farmers have, and what each leaves in the database."""
from dataclasses import replace
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from dialogs.texts import texts
from farmdb.models import ExpertRequest, Farmer, InboundMessage, OutboundMessage, Payment
from gateway import create_app
from tests.conftest import SEED_DAY

TOKEN = "twilio-test-token"
PUBLIC = "https://sms.example.org"


@pytest.fixture
def sms_app(settings, backends):
    app = create_app(replace(settings, twilio_auth_token=TOKEN, public_base_url=PUBLIC), backends=backends,
                     today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app


def at_sms(client, text, phone="+919812345678", message_id=None, **extra):
    """What Africa's Talking posts for an incoming SMS."""
    at_sms.n = getattr(at_sms, "n", 0) + 1
    form = {"from": phone, "to": "54321", "text": text, "date": "2026-07-15 09:12:33",
            "id": message_id or f"ATXid_{at_sms.n:08d}", "linkId": "", "networkCode": "40445", **extra}
    return client.post("/africastalking/sms", data=form)


def twilio_sms(client, text, phone="+919812345678", sid=None, sign=True, url=f"{PUBLIC}/twilio/sms"):
    twilio_sms.n = getattr(twilio_sms, "n", 0) + 1
    form = {"MessageSid": sid or f"SM{twilio_sms.n:032x}", "AccountSid": "AC" + "0" * 32, "From": phone,
            "To": "+15005550006", "Body": text, "NumMedia": "0", "NumSegments": "1", "FromCountry": "IN",
            "MessagingServiceSid": "", "ApiVersion": "2010-04-01"}
    headers = {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, form)} if sign else {}
    return client.post("/twilio/sms", data=form, headers=headers)


def twiml_reply(response) -> str | None:
    root = ElementTree.fromstring(response.get_data(as_text=True))
    message = root.find("Message")
    return message.text if message is not None else None


def outbox(db):
    db.rollback()
    return db.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()


# Signatures and provider fields

def test_the_known_signature_vector():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
              "To": "+18005551212"}
    validator = RequestValidator("12345")
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert validator.compute_signature(url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert validator.validate(url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


@pytest.mark.parametrize("sign, url", [(False, None), (True, "http://localhost/twilio/sms"),
                                       (True, f"{PUBLIC}/twilio/other")])
def test_a_twilio_request_without_a_valid_signature_is_refused_before_anything_is_stored(sms_app, db, sign, url):
    response = twilio_sms(sms_app.test_client(), "gehu ka bhav", sign=sign, url=url or f"{PUBLIC}/twilio/sms")
    assert response.status_code == 403
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_the_signature_is_checked_against_the_public_url_behind_a_proxy(sms_app):
    # The test client calls http://localhost/..., Twilio called https://sms.example.org/...: the rebuilt URL wins.
    assert twilio_sms(sms_app.test_client(), "help").status_code == 200


def test_twilio_callbacks_are_refused_when_no_token_is_configured(client):
    assert twilio_sms(client, "help").status_code == 403


@pytest.mark.parametrize("form, missing", [({"to": "1", "text": "x", "id": "a"}, "from"),
                                           ({"from": "+919812345678", "text": "x"}, "id")])
def test_at_sms_missing_fields_are_400_with_the_name(client, form, missing):
    response = client.post("/africastalking/sms", data=form)
    assert response.status_code == 400 and response.json["message"] == f"missing form field: {missing}"


def test_an_odd_sender_number_is_a_400_with_the_reason(client):
    response = at_sms(client, "help", phone="NOT-A-NUMBER")
    assert response.status_code == 400 and "invalid sender number" in response.json["message"]


# Answers

@pytest.fixture
def farmer(register_farmer):
    return register_farmer(locale="hi")


def test_twilio_answers_inline_with_twiml(sms_app, farmer, db):
    response = twilio_sms(sms_app.test_client(), "kal barish hogi kya")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    reply = twiml_reply(response)
    t = texts("hi", latin=True)
    assert reply.startswith(t("sms.weather", district="Nashik", rain0=0, tmin0=0, tmax0=0, rain1=0, tmin1=0,
                              tmax1=0, rain2=0, hint="").split("Nashik")[0] + "Nashik")
    [row] = db.scalars(select(InboundMessage)).all()
    assert (row.provider, row.intent, row.farmer_id, row.text) == ("twilio", "weather", farmer, "kal barish hogi kya")
    assert outbox(db) == []  # inline: nothing goes through the outbox


def test_at_replies_through_the_outbox(client, farmer, db):
    assert at_sms(client, "गेहूं का भाव").status_code == 200
    [sms] = outbox(db)
    assert (sms.purpose, sms.category, sms.status, sms.phone) == ("reply", "service_implicit", "sent", "+919812345678")
    assert sms.body.startswith("गेहूं") and "₹" in sms.body and sms.encoding == "UCS-2" and sms.segments <= 2


@pytest.mark.parametrize("text, expected_key", [
    ("PRICE ONION", "sms.price"),
    ("kanda bhav lasalgaon", "sms.price"),
    ("WEATHER NASIK", "sms.weather"),
    ("HELP", "sms.help"),
    ("qwzx plmk vvbn", "sms.not_understood"),
    ("", "sms.not_understood"),
    ("🌾🌾🌾", "sms.not_understood"),
    ("\x00\x01\ufffd\x7f\u200b\x1b[31m", "sms.not_understood"),  # binary junk as a gateway may pass it on
])
def test_answers_fit_two_sms(client, farmer, db, text, expected_key):
    at_sms(client, text)
    [sms] = outbox(db)
    assert sms.segments <= 2
    first_words = texts("hi", latin=not any("\u0900" <= c <= "\u097f" for c in text))(expected_key).split("{")[0]
    assert sms.body.startswith(first_words[:12]) or first_words[:12] in sms.body


def test_the_same_message_twice_is_answered_once(client, farmer, db):
    at_sms(client, "mujhe call karo", message_id="ATXid_dup")
    at_sms(client, "mujhe call karo", message_id="ATXid_dup")
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 1
    assert db.scalar(select(func.count()).select_from(ExpertRequest)) == 1
    assert len(outbox(db)) == 1


def test_twilio_retry_gets_the_same_reply(sms_app, farmer, db):
    client = sms_app.test_client()
    first = twiml_reply(twilio_sms(client, "expert se baat karni hai", sid="SMdup"))
    again = twiml_reply(twilio_sms(client, "expert se baat karni hai", sid="SMdup"))
    assert first == again and db.scalar(select(func.count()).select_from(ExpertRequest)) == 1


def test_a_pest_report_makes_a_ticket(client, farmer, db):
    at_sms(client, "kapas me gulabi sundi lag gayi")
    [request] = db.scalars(select(ExpertRequest)).all()
    assert (request.kind, request.crop.code, request.channel) == ("pest_report", "cotton", "sms")
    assert request.ticket in outbox(db)[0].body


def test_stop_then_silence_then_start(client, farmer, db):
    at_sms(client, "STOP")
    assert db.get(Farmer, farmer).sms_opted_out
    at_sms(client, "gehu ka bhav")  # opted out: no answer at all
    at_sms(client, "START")
    db.rollback()
    assert not db.get(Farmer, farmer).sms_opted_out
    bodies = [m.body for m in outbox(db)]
    t = texts("hi", latin=True)
    assert bodies == [t("sms.stopped"), t("sms.restarted")]


def test_registration_by_sms_in_steps_with_consent(client, db):
    phone = "+919812300077"
    steps = ["START", "Sunita Shinde", "nasik", "kanda aur soyabin", "haan"]
    for text in steps:
        assert at_sms(client, text, phone=phone).status_code == 200
    farmer = db.scalar(select(Farmer).where(Farmer.phone == phone))
    assert (farmer.name, farmer.district.name, farmer.registered_via, farmer.consent_channel) == \
        ("Sunita Shinde", "Nashik", "sms", "sms")
    assert sorted(fc.crop.code for fc in farmer.crops) == ["onion", "soybean"]
    bodies = [m.body for m in outbox(db)]
    assert len(bodies) == len(steps) and all(m.segments <= 2 for m in outbox(db))


def test_registration_declined_stores_nothing(client, db):
    for text in ["START", "Ganesh", "pune", "onion", "no"]:
        at_sms(client, text, phone="+919812300078")
    assert db.scalar(select(Farmer).where(Farmer.phone == "+919812300078")) is None


def test_a_stranger_asking_for_an_expert_is_asked_to_register(client, db):
    at_sms(client, "expert se baat karni hai", phone="+919812300079")
    assert db.scalar(select(func.count()).select_from(ExpertRequest)) == 0
    assert outbox(db)[0].body == texts("hi", latin=True)("sms.reg.needed")


def test_language_change_by_keyword(client, farmer, db):
    at_sms(client, "LANG MR")
    db.rollback()
    assert db.get(Farmer, farmer).locale == "mr"
    assert outbox(db)[0].body == texts("mr", latin=True)("sms.language")


def test_subscribe_by_sms_then_payment_status(client, farmer, db):
    at_sms(client, "plan lena hai")
    at_sms(client, "2")
    [payment] = db.scalars(select(Payment)).all()
    assert payment.status == "pending" and payment.plan.code == "season_basic"
    at_sms(client, "mera payment hua kya")
    bodies = [m.body for m in outbox(db) if m.purpose == "reply"]
    assert "99" in bodies[-1]


def test_a_5000_character_message_is_stored_and_answered(client, farmer, db):
    assert at_sms(client, "gehu ka bhav " * 400).status_code == 200
    [row] = db.scalars(select(InboundMessage)).all()
    assert len(row.text) == 5000 and row.intent == "market_price"


@pytest.mark.parametrize("locale, text, expected", [
    ("hi", "STOP", None),  # typed in Latin letters: the reply is in Hinglish
    ("mr", "कांद्याला आज काय भाव आहे", "कांदा"),
    ("hi", "गेहूं का भाव", "गेहूं"),
    ("mr", "kanda bhav", "Kanda"),
    ("en", "onion price", "Onion"),
])
def test_replies_come_in_the_farmers_language_and_the_script_they_wrote_in(client, register_farmer, db, locale,
                                                                           text, expected):
    register_farmer(locale=locale)
    at_sms(client, text)
    [sms] = outbox(db)
    devanagari = any("\u0900" <= c <= "\u097f" for c in text)
    assert (sms.encoding == "UCS-2") == (devanagari or "₹" in sms.body)
    if text != "STOP":
        assert expected in sms.body
    else:
        assert sms.body == texts("hi", latin=True)("sms.stopped")


@pytest.mark.parametrize("text", ["mandi band hai", "stop the bollworm", "light nahi hai pump band hai",
                                  "बाजार बंद आहे का"])
def test_a_question_with_stop_or_band_in_it_does_not_opt_out(client, farmer, db, text):
    at_sms(client, text)
    db.rollback()
    assert not db.get(Farmer, farmer).sms_opted_out


def test_delete_by_sms_withdraws_consent_and_erases_after_confirmation(client, farmer, db, backends):
    from farmdb.models import ConsentEvent
    at_sms(client, "kapas me sundi")  # leaves a ticket with their words, and a stored reply
    at_sms(client, "DELETE")
    db.rollback()
    assert db.get(Farmer, farmer) is not None  # not before they confirm
    at_sms(client, "YES")
    db.rollback()
    assert db.get(Farmer, farmer) is None
    assert [e.action for e in db.scalars(select(ConsentEvent).order_by(ConsentEvent.id))] == ["given", "withdrawn"]
    assert all(m.phone == "erased" and m.extra == {} for m in db.scalars(select(InboundMessage)))
    assert all(r.description is None for r in db.scalars(select(ExpertRequest)))
    assert backends.redis.get("sms:{+919812345678}") is None
    messages = outbox(db)
    assert all(m.body == "(erased)" and m.phone == "erased" for m in messages[:-1])  # everything sent before
    # ... except the confirmation itself, which must still reach their phone.
    assert messages[-1].body == texts("hi", latin=True)("sms.deleted") and messages[-1].farmer_id is None


def test_an_opted_out_farmer_can_still_delete(client, farmer, db):
    at_sms(client, "STOP")
    at_sms(client, "DELETE")
    at_sms(client, "haan")
    db.rollback()
    assert db.get(Farmer, farmer) is None


def test_sms_registration_speaks_the_default_language_from_start_to_end(client, db):
    phone = "+919812300088"
    for text in ["START", "Ramesh", "nashik", "kanda", "YES"]:
        at_sms(client, text, phone=phone)
    farmer = db.scalar(select(Farmer).where(Farmer.phone == phone))
    assert farmer.locale == "hi"  # DEFAULT_LOCALE: a bare keyword says nothing of the sender's language
    bodies = [m.body for m in outbox(db)]
    t = texts("hi", latin=True)
    assert bodies[0] == t("sms.reg.name") and bodies[-1] == t("sms.reg.done", name="Ramesh")


def test_two_quick_replies_in_a_registration_are_read_one_after_the_other(app, db):
    """Two names arrive together on two gateway threads at the name step: one is taken as the name, the other is
    then read at the district step. Without the per-phone lock both would be read as names."""
    import threading
    phone = "+919812300099"
    at_sms(app.test_client(), "START", phone=phone)
    barrier = threading.Barrier(2)

    def send(text, mid):
        barrier.wait()
        at_sms(app.test_client(), text, phone=phone, message_id=mid)

    threads = [threading.Thread(target=send, args=(name, f"ATXid_{name}")) for name in ("Ramesh", "Suresh")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    t = texts("hi", latin=True)
    replies = [m.body for m in outbox(db)][1:]
    asked_district = [r for r in replies if r in (t("sms.reg.district", name="Ramesh"),
                                                  t("sms.reg.district", name="Suresh"))]
    assert len(replies) == 2 and len(asked_district) == 1 and t("sms.reg.district_again") in replies


def test_a_busy_conversation_is_a_503_so_the_provider_delivers_it_again(client, farmer, backends, db):
    from service.conversations import chat_key
    backends.redis.set(chat_key("+919812345678") + ":lock", "another worker", px=15000)
    import dialogs.store
    original, dialogs.store.LOCK_WAIT_S = dialogs.store.LOCK_WAIT_S, 0.05
    try:
        response = at_sms(client, "gehu ka bhav")
    finally:
        dialogs.store.LOCK_WAIT_S = original
    assert response.status_code == 503
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 0  # nothing half-done


def test_a_district_name_two_states_share_is_answered_with_the_state(client, db):
    at_sms(client, "WEATHER AURANGABAD", phone="+919812300066")  # a stranger: no state of their own
    body = outbox(db)[0].body
    assert body.startswith(("Weather Aurangabad (Bihar): ", "Weather Aurangabad (Maharashtra): ")), body


@pytest.mark.parametrize("text, district, state, other", [
    # Aurangabad is Bihar's name, and was Maharashtra's (Chhatrapati Sambhajinagar since 2023): both still count.
    ("WEATHER AURANGABAD BIHAR", "Aurangabad", "Bihar", "Chhatrapati Sambhajinagar"),
    ("aurangabad maharashtra mausam", "Chhatrapati Sambhajinagar", "Maharashtra", "Aurangabad"),
    ("bilaspur himachal pradesh ka mausam", "Bilaspur", "Himachal Pradesh", "Bilaspur"),
    ("bilaspur chhattisgarh weather", "Bilaspur", "Chhattisgarh", "Bilaspur"),
    ("मौसम औरंगाबाद बिहार", "Aurangabad", "Bihar", "Chhatrapati Sambhajinagar"),
])
def test_a_stranger_can_name_the_state_of_a_shared_district_name(client, db, text, district, state, other):
    """The answer is that state's district: its own forecast, and no "(state)" note, since the farmer said."""
    from farmdb.models import District, State, WeatherForecast

    def today_rain(place):
        return round(db.scalar(select(WeatherForecast.rain_mm).where(
            WeatherForecast.district_id == place.id, WeatherForecast.forecast_date == SEED_DAY)))
    wanted = db.scalar(select(District).join(State).where(District.name == district, State.name == state))
    unwanted = db.scalar(select(District).join(State).where(District.name == other, State.name != state))
    at_sms(client, text, phone="+919812300067")
    body = outbox(db)[0].body
    head = body.split(":")[0]
    assert "(" not in head and body.count(f" {today_rain(wanted)}") >= 1, body
    assert head.endswith(district) or not head.isascii(), body  # by its name today
    if today_rain(wanted) != today_rain(unwanted):
        assert any(f"{word} {today_rain(wanted)}" in body for word in ("today", "aaj", "आज")), body


def test_a_farmers_own_state_decides_a_shared_district_name(client, register_farmer, db):
    register_farmer(locale="en", district="Nashik")  # Maharashtra
    at_sms(client, "weather aurangabad")
    # Maharashtra's, by its name today and without a state note
    assert outbox(db)[0].body.startswith("Weather Chhatrapati Sambhajinagar: today ")


@pytest.mark.parametrize("home, text, expected", [
    # A district's old name, as a farmer still writes it, finds it; the answer names it as it is called today.
    ("Lucknow", "mausam allahabad", "Prayagraj"),
    ("Lucknow", "इलाहाबाद का मौसम", "प्रयागराज"),
    ("Lucknow", "faizabad ka mausam", "Ayodhya"),
    ("Lucknow", "mausam mahamaya nagar", "Hathras"),
    ("Lucknow", "kanshiram nagar mausam", "Kasganj"),
    ("Karnal", "gurgaon ka mausam", "Gurugram"),
    ("Pune", "havaman aurangabad", "Chhatrapati Sambhajinagar"),  # not Bihar's: the farmer is in Maharashtra
    ("Pune", "औरंगाबाद हवामान", "छत्रपती संभाजीनगर"),
    ("Pune", "osmanabad havaman", "Dharashiv"),
    ("Pune", "उस्मानाबाद हवामान", "धाराशिव"),
    ("Pune", "ahmednagar havaman", "Ahilyanagar"),
    ("Pune", "रायगढ़ हवामान", "रायगड"),  # the Hindi spelling, from Maharashtra: Raigad, not Raigarh (Chhattisgarh)
    ("Patna", "mausam aurangabad", "Aurangabad"),  # Bihar's, which has the name today
])
def test_a_districts_old_name_still_finds_it(client, register_farmer, db, home, text, expected):
    register_farmer(locale="mr" if home == "Pune" else "hi", district=home)
    at_sms(client, text)
    body = outbox(db)[0].body
    assert body.split(":")[0].endswith(f" {expected}"), body


# Price alerts, through the real app into the database

def test_price_alerts_are_set_listed_and_cancelled_by_sms(sms_app, register_farmer, db):
    from farmdb.models import PriceAlert
    register_farmer(locale="mr")
    client = sms_app.test_client()
    assert at_sms(client, "ALERT कांदा 2500 लासलगाव").status_code == 200
    assert at_sms(client, "onion 1000 pimpalgaon baswant").status_code == 200  # no keyword: a mandi we know
    db.rollback()
    alerts = db.scalars(select(PriceAlert).order_by(PriceAlert.id)).all()
    assert [(a.mandi.name, a.direction, a.amount, a.channel, a.cancelled_at) for a in alerts] == [
        ("Lasalgaon", "above", 2500, "sms", None), ("Pimpalgaon Baswant", "below", 1000, "sms", None)]
    replies = [m.body for m in outbox(db)]
    assert replies[0].startswith("भाव अलर्ट लावला: कांदा (लासलगाव) भाव क्विंटलला ₹2,500 च्या वर गेला की SMS येईल")
    assert replies[1].startswith("Bhav alert lavla: Kanda (Pimpalgaon Baswant) bhav quintalla Rs 1,000 chya khali")
    at_sms(client, "alerts")
    assert outbox(db)[-1].body.endswith("1) Kanda Rs 2,500 chya var, Lasalgaon; 2) Kanda Rs 1,000 chya khali, "
                                        "Pimpalgaon Baswant")
    at_sms(client, "ALERT CANCEL 1")
    db.rollback()
    assert [a.cancelled_at is not None for a in db.scalars(select(PriceAlert).order_by(PriceAlert.id))] == [True,
                                                                                                         False]
    assert all(m.status != "failed" for m in outbox(db))  # every reply matched its DLT template
