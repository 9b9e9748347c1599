"""POST /payments/razorpay/webhook end to end: USSD subscribe -> a Razorpay UPI link (its API answered by
`responses`) -> the link SMS -> Razorpay's signed webhooks, shaped like its documented payloads -> one subscription and
one receipt however often Razorpay says "paid"; an expired or cancelled link -> one SMS with a fresh link."""
import hashlib
import hmac
import itertools
import json
import threading

import pytest
import responses
from sqlalchemy import func, select

from farmdb.models import OutboundMessage, Payment, PaymentEvent, Subscription
from gateway import create_app
from tests.conftest import SEED_DAY

LINKS_URL = "https://api.razorpay.com/v1/payment_links"
WEBHOOK = "/payments/razorpay/webhook"
SECRET = "whsec_kheti_test"
CREATED_AT = 1763703000


@pytest.fixture
def service(make_service):
    """The gateway's Service with PAYMENT_PROVIDER=razorpay."""
    service, _ = make_service(payment_provider="razorpay", razorpay_key_id="rzp_test_1DP5mmOlF5G5ag",
                              razorpay_key_secret="key-secret", razorpay_webhook_secret=SECRET)
    return service


@pytest.fixture
def app(service):
    app = create_app(service=service, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def razorpay_api():
    """Razorpay's create: each link gets the next id (plink_Test1, plink_Test2, ...)."""
    numbers = itertools.count(1)

    def create(request):
        asked, n = json.loads(request.body), next(numbers)
        return 200, {}, json.dumps({**asked, "id": f"plink_Test{n}", "short_url": f"https://rzp.io/rzp/test{n}",
                                    "status": "created", "amount_paid": 0, "order_id": f"order_Test{n}",
                                    "created_at": CREATED_AT, "expired_at": 0, "cancelled_at": 0})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.add_callback(responses.POST, LINKS_URL, callback=create)
        yield api


@pytest.fixture
def link(ussd, register_farmer, db, razorpay_api) -> Payment:
    """A farmer subscribed on USSD (the season plan, ₹99) and got plink_Test1 by SMS."""
    register_farmer(locale="hi")
    phone = ussd()
    phone.dial()
    for press in ["7", "2", "1"]:
        phone.press(press)
    db.rollback()
    payment = db.scalars(select(Payment)).one()
    assert (payment.provider, payment.provider_ref, payment.status) == ("razorpay", "plink_Test1", "pending")
    return payment


# --- payloads as Razorpay sends them (its documented samples, with our link's values) ---------------------------

def _link_entity(payment: Payment, status: str, amount_paid: int = 0, **changes) -> dict:
    return {
        "accept_partial": False, "amount": payment.amount_minor, "amount_paid": amount_paid, "callback_method": "",
        "callback_url": "", "cancelled_at": 0, "created_at": CREATED_AT, "currency": payment.currency,
        "customer": {"contact": "+919812345678", "name": "Asha Pawar"},
        "description": "Kheti Sahayak: Season advisory (120 days)", "expire_by": CREATED_AT + 48 * 3600,
        "expired_at": 0, "first_min_partial_amount": 0, "id": payment.provider_ref,
        "notes": {"payment_id": str(payment.id), "plan": "season_basic"}, "notify": {"email": False, "sms": False},
        "order_id": "order_Test1", "reference_id": f"kheti-payment-{payment.id}", "reminder_enable": False,
        "reminders": [], "short_url": payment.link_url, "status": status, "updated_at": CREATED_AT + 600,
        "upi_link": True, "user_id": "", **changes,
    }


def _payment_entity(payment: Payment, status: str, amount: int, **changes) -> dict:
    return {
        "acquirer_data": {"rrn": "433012345678"}, "amount": amount, "amount_refunded": 0, "bank": None,
        "captured": status == "captured", "card_id": None, "contact": "+919812345678", "created_at": CREATED_AT + 500,
        "currency": payment.currency, "description": "#" + payment.provider_ref.removeprefix("plink_"),
        "email": "void@razorpay.com", "entity": "payment", "error_code": None, "error_description": None,
        "error_reason": None, "error_source": None, "error_step": None, "fee": 234, "id": "pay_Test1",
        "international": False, "invoice_id": None, "method": "upi", "notes": [], "order_id": "order_Test1",
        "refund_status": None, "status": status, "tax": 36, "vpa": "asha@okbank", "wallet": None, **changes,
    }


def _event(name: str, contains: list, payload: dict) -> dict:
    return {"entity": "event", "account_id": "acc_Test0000000001", "event": name, "contains": contains,
            "payload": payload, "created_at": CREATED_AT + 600}


def paid(payment: Payment, amount: int | None = None, currency: str | None = None) -> dict:
    amount = payment.amount_minor if amount is None else amount
    link = _link_entity(payment, "paid", amount, currency=currency or payment.currency)
    order = {"amount": payment.amount_minor, "amount_due": 0, "amount_paid": amount, "attempts": 1,
             "created_at": CREATED_AT, "currency": payment.currency, "entity": "order", "id": "order_Test1",
             "notes": link["notes"], "offer_id": None, "receipt": link["reference_id"], "status": "paid"}
    return _event("payment_link.paid", ["payment_link", "order", "payment"], {
        "payment_link": {"entity": link}, "order": {"entity": order},
        "payment": {"entity": _payment_entity(payment, "captured", amount)}})


def closed(payment: Payment, how: str) -> dict:
    """payment_link.expired or payment_link.cancelled."""
    at = {"expired": {"expired_at": CREATED_AT + 48 * 3600}, "cancelled": {"cancelled_at": CREATED_AT + 900}}[how]
    return _event(f"payment_link.{how}", ["payment_link"], {"payment_link": {"entity": _link_entity(payment, how,
                                                                                                     **at)}})


def partially_paid(payment: Payment) -> dict:
    return _event("payment_link.partially_paid", ["payment_link", "order", "payment"], {
        "payment_link": {"entity": _link_entity(payment, "partially_paid", 5000)},
        "payment": {"entity": _payment_entity(payment, "captured", 5000)}})


def failed(payment: Payment) -> dict:
    return _event("payment.failed", ["payment"], {"payment": {"entity": _payment_entity(
        payment, "failed", payment.amount_minor, error_code="BAD_REQUEST_ERROR",
        error_description="Payment was unsuccessful as you may have cancelled the payment or the UPI app timed out.",
        error_source="customer", error_step="payment_authentication", error_reason="payment_cancelled")}})


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client, document, event_id: str = "evt_Test1", signature: str | None = None, **headers):
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    headers = {"X-Razorpay-Signature": sign(body) if signature is None else signature,
               "X-Razorpay-Event-Id": event_id, "Content-Type": "application/json", **headers}
    return client.post(WEBHOOK, data=body, headers={k: v for k, v in headers.items() if v != ""})


def _receipts(db) -> list[OutboundMessage]:
    db.rollback()
    return db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "receipt")).all()


def _count(db, model) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model))


# --- paid -----------------------------------------------------------------------------------------------------

def test_paid_delivered_three_times_starts_one_plan_and_sends_one_receipt(client, db, link):
    results = [post(client, paid(link), event_id="evt_PaidOnce1") for _ in range(3)]
    assert [(r.status_code, r.json["result"]) for r in results] == \
        [(200, "paid"), (200, "duplicate"), (200, "duplicate")]
    db.rollback()
    payment = db.get(Payment, link.id)
    assert (payment.status, payment.provider_payment_id) == ("paid", "pay_Test1")
    [subscription] = db.scalars(select(Subscription)).all()
    assert subscription.payment_id == link.id and subscription.status == "active"
    [receipt] = _receipts(db)
    assert receipt.status == "sent"
    assert receipt.body.startswith("खेती सहायक: सीज़न सलाह के लिए ₹99 मिल गए, पेमेंट नंबर ")
    assert _count(db, PaymentEvent) == 1


def test_three_paid_events_with_different_ids_for_one_link_send_one_receipt(client, db, link):
    results = [post(client, paid(link), event_id=f"evt_Paid{n}") for n in range(3)]
    assert [r.json["result"] for r in results] == ["paid", "already_paid", "already_paid"]
    assert len(_receipts(db)) == 1 and _count(db, Subscription) == 1 and _count(db, PaymentEvent) == 3


def test_paid_events_racing_each_other_still_send_one_receipt(app, db, link):
    """Concurrent deliveries: the row lock (PostgreSQL) or the single writer (SQLite) lets one settle it."""
    body = json.dumps(paid(link)).encode()
    results, start = [], threading.Barrier(3)

    def deliver(n):
        with app.test_client() as own:
            start.wait()
            results.append(post(own, body, event_id=f"evt_Race{n}").status_code)
    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200, 200, 200]
    assert len(_receipts(db)) == 1 and _count(db, Subscription) == 1


def test_a_payment_that_reaches_us_after_our_sweep_expired_its_link_still_counts(client, db, link):
    db.get(Payment, link.id).status = "expired"
    db.commit()
    assert post(client, paid(link)).json["result"] == "paid"
    assert len(_receipts(db)) == 1


@pytest.mark.parametrize("amount, currency", [(100, "INR"), (9900, "USD")])
def test_paid_with_the_wrong_amount_or_currency_starts_nothing(client, db, link, caplog, amount, currency):
    response = post(client, paid(link, amount=amount, currency=currency))
    assert (response.status_code, response.json["result"]) == (200, "amount_mismatch")
    db.rollback()
    payment = db.get(Payment, link.id)
    assert payment.status == "pending" and "amount does not match" in payment.failure_reason
    assert _receipts(db) == [] and _count(db, Subscription) == 0
    assert any(r.levelname == "ERROR" and "not activated" in r.getMessage() for r in caplog.records)


# --- expired, cancelled, failed -------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["expired", "cancelled"])
def test_a_closed_link_gets_one_sms_with_a_fresh_link(client, db, link, razorpay_api, how):
    assert post(client, closed(link, how), event_id="evt_Closed1").json["result"] == "expired"
    assert post(client, closed(link, how), event_id="evt_Closed2").json["result"] == "expired"  # a re-send
    db.rollback()
    old, fresh = db.scalars(select(Payment).order_by(Payment.id)).all()
    assert (old.status, old.failure_reason) == ("expired", f"link {how}")
    assert (fresh.status, fresh.provider_ref, fresh.link_url) == ("pending", "plink_Test2", "https://rzp.io/rzp/test2")
    assert len(razorpay_api.calls) == 2
    assert json.loads(razorpay_api.calls[1].request.body)["reference_id"] == f"kheti-payment-{fresh.id}"
    link_sms, retry_sms = db.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert retry_sms.body == ("खेती सहायक: सीज़न सलाह के लिए ₹99 का पेमेंट पूरा नहीं हुआ। "
                              f"UPI से 48 घंटे के अंदर दोबारा भरें, पेमेंट नंबर {fresh.id}। "
                              "लिंक: https://rzp.io/rzp/test2")

    # The fresh link is paid: that one starts the plan.
    assert post(client, paid(fresh), event_id="evt_PaidFresh").json["result"] == "paid"
    assert [r.body.count("₹99") for r in _receipts(db)] == [1]


def test_a_failed_upi_attempt_is_recorded_and_the_link_stays_payable(client, db, link):
    assert post(client, failed(link), event_id="evt_Failed1").json["result"] == "recorded"
    db.rollback()
    payment = db.get(Payment, link.id)
    assert payment.status == "pending"
    assert payment.failure_reason.startswith("Payment was unsuccessful as you may have cancelled")
    assert _count(db, OutboundMessage) == 1  # only the link: no SMS for each failed attempt
    assert post(client, paid(link), event_id="evt_Paid1").json["result"] == "paid"  # tried again, it worked
    assert len(_receipts(db)) == 1


def test_a_partial_payment_starts_nothing(client, db, link):
    assert post(client, partially_paid(link)).json["result"] == "ignored"
    db.rollback()
    assert db.get(Payment, link.id).status == "pending" and _receipts(db) == []


# --- events that are not ours, and requests that are not Razorpay's -------------------------------------------

def test_an_event_about_a_link_we_do_not_know_is_acknowledged_and_kept(client, db, link):
    stranger = Payment(id=999999, amount_minor=9900, currency="INR", provider="razorpay",
                       provider_ref="plink_NotOurs", link_url="https://rzp.io/rzp/x")
    response = post(client, paid(stranger), event_id="evt_Stranger")
    assert (response.status_code, response.json["result"]) == (200, "ignored")
    db.rollback()
    event = db.scalars(select(PaymentEvent)).one()
    assert (event.event_id, event.event, event.payment_id) == ("evt_Stranger", "payment_link.paid", None)
    db.rollback()
    assert db.get(Payment, link.id).status == "pending"


def test_an_event_we_do_not_handle_is_acknowledged(client, db, link):
    captured = _event("payment.captured", ["payment"], {"payment": {"entity": _payment_entity(link, "captured",
                                                                                            9900)}})
    assert post(client, captured).json["result"] == "ignored"
    assert _receipts(db) == []


BODY = json.dumps({"event": "payment.captured", "payload": {}}).encode()


@pytest.mark.parametrize("body, headers, reason", [
    (BODY, {"X-Razorpay-Signature": sign(BODY, "not-the-secret")}, "bad X-Razorpay-Signature"),
    (BODY, {"X-Razorpay-Signature": ""}, "missing X-Razorpay-Signature"),
    (BODY, {"X-Razorpay-Signature": sign(BODY + b" ")}, "bad X-Razorpay-Signature"),  # signed another body
    (b"{not json", {}, "not a Razorpay event we can read"),
    (b"[1, 2]", {}, "not a Razorpay event we can read"),
    (b'{"event": "payment_link.paid", "payload": {"payment_link": {}}}', {}, "not a Razorpay event we can read"),
    (b"\xff\xfe", {}, "bad X-Razorpay-Signature"),
    (BODY, {"X-Razorpay-Event-Id": ""}, "missing or odd X-Razorpay-Event-Id"),
])
def test_what_razorpay_did_not_send_is_a_400_with_the_reason(client, db, link, body, headers, reason):
    signature = headers.pop("X-Razorpay-Signature", None)
    response = post(client, body, signature=signature, **headers)
    assert (response.status_code, response.json) == (400, {"error": reason})
    assert _count(db, PaymentEvent) == 0 and _receipts(db) == []
