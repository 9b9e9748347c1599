"""Payment links and their life after the SMS: Razorpay's SDK answered by `responses` (the real SDK code runs), the
sandbox, the retry offer when a link expires, and renewal reminders three days before a plan ends."""
import base64
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses
from celery.exceptions import Retry
from sqlalchemy import select

from dialogs.encoding import is_gsm7
from farmdb.models import Farmer, InboundMessage, OutboundMessage, Payment, Plan, Subscription
from nlu.transliterate import has_devanagari
from service import payments as settling
from service.payments import mark_paid, start_payment
from tests.conftest import in_worker
from workers import payments
from workers.sending import MAX_RETRIES

LINKS_URL = "https://api.razorpay.com/v1/payment_links"
KEY_ID, KEY_SECRET = "rzp_test_1DP5mmOlF5G5ag", "key-secret"
# 2026-11-21 11:00 in India: inside the hours reminders may go out.
NOW = datetime(2026, 11, 21, 5, 30, tzinfo=timezone.utc)


@pytest.fixture
def booted(make_service, request):
    """The Service of these tests (tasks in-process): Razorpay's when a test asks for its API (`razorpay`), the
    sandbox's otherwise."""
    if "razorpay" in request.fixturenames:
        return make_service(payment_provider="razorpay", razorpay_key_id=KEY_ID, razorpay_key_secret=KEY_SECRET,
                            razorpay_webhook_secret="whsec")
    return make_service()


@pytest.fixture
def clock(monkeypatch):
    """Pins the payments' idea of now; `clock.now = ...` moves it."""
    class Clock:
        now = NOW
    monkeypatch.setattr(payments, "utcnow", lambda: Clock.now)
    monkeypatch.setattr(settling, "utcnow", lambda: Clock.now)
    return Clock


@pytest.fixture
def razorpay():
    """Payment links come from Razorpay; its API is answered by `responses`."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        yield api


def link_created(request, link_id="plink_PnNhg2Gy7hN3Iq", short="https://rzp.io/rzp/kQ2Ls7a"):
    """Razorpay's answer to a create, shaped like its UPI Payment Link entity, echoing what was asked."""
    asked = json.loads(request.body)
    return 200, {}, json.dumps({
        "accept_partial": False, "amount": asked["amount"], "amount_paid": 0, "callback_method": "",
        "callback_url": "", "cancelled_at": 0, "created_at": 1763703000, "currency": asked["currency"],
        "customer": asked["customer"], "description": asked["description"], "expire_by": asked["expire_by"],
        "expired_at": 0, "first_min_partial_amount": 0, "id": link_id, "notes": asked["notes"],
        "notify": asked["notify"], "order_id": "order_PnNhgF1kDDs3h2", "payments": None,
        "reference_id": asked["reference_id"], "reminder_enable": False, "reminders": [], "short_url": short,
        "status": "created", "updated_at": 1763703000, "upi_link": True, "user_id": ""})


def _plan(db, code="season_basic") -> Plan:
    return db.scalar(select(Plan).where(Plan.code == code))


def _subscribe(service, sessions, farmer_id, key="subscribe:test:1") -> int:
    """What confirming a plan on USSD or SMS does; the link task runs in-process once this commits."""
    with sessions() as db, db.begin():
        return start_payment(service, db, farmer_id=farmer_id, plan=_plan(db), purpose="subscription",
                             idempotency_key=key).id


def _payment(sessions, payment_id) -> Payment:
    with sessions() as db:
        return db.get(Payment, payment_id)


def _sms(sessions, purpose="payment_link") -> list[OutboundMessage]:
    with sessions() as db:
        return db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == purpose)
                          .order_by(OutboundMessage.id)).all()


# --- Razorpay: making the link ------------------------------------------------------------------------------

def test_a_razorpay_upi_link_is_made_through_the_sdk_and_sent_by_sms(sessions, register_farmer, razorpay, service):
    razorpay.add_callback(responses.POST, LINKS_URL, callback=link_created)
    farmer_id = register_farmer(locale="hi")
    before = datetime.now(timezone.utc)
    payment_id = _subscribe(service, sessions, farmer_id)

    [call] = razorpay.calls
    assert (call.request.method, call.request.url) == ("POST", LINKS_URL)
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
    assert call.request.headers["Content-type"] == "application/json"
    assert call.request.req_kwargs["timeout"] == (5, 10)  # the SDK sets none; ours bounds every call
    body = json.loads(call.request.body)
    expire_by = body.pop("expire_by")
    assert abs(expire_by - (before + timedelta(hours=48)).timestamp()) < 60
    assert body == {
        "upi_link": True, "amount": 9900, "currency": "INR", "accept_partial": False,
        "reference_id": f"kheti-payment-{payment_id}", "description": "Kheti Sahayak: Season advisory (120 days)",
        "customer": {"contact": "+919812345678", "name": "Asha Pawar"},
        "notify": {"sms": False, "email": False}, "reminder_enable": False,
        "notes": {"payment_id": str(payment_id), "plan": "season_basic"},
    }

    payment = _payment(sessions, payment_id)
    assert (payment.status, payment.provider, payment.provider_ref, payment.link_url) == \
        ("pending", "razorpay", "plink_PnNhg2Gy7hN3Iq", "https://rzp.io/rzp/kQ2Ls7a")
    assert int(payment.expires_at.timestamp()) == expire_by
    [sms] = _sms(sessions)
    assert sms.status == "sent" and sms.category == "service_implicit"
    assert sms.body == ("खेती सहायक: सीज़न सलाह (120 दिन) के लिए ₹99 UPI से 48 घंटे के अंदर भरें। "
                        f"पेमेंट नंबर {payment.id}। लिंक: https://rzp.io/rzp/kQ2Ls7a")


def test_a_link_task_that_runs_twice_makes_one_link_and_one_sms(sessions, register_farmer, razorpay, tasks, service):
    razorpay.add_callback(responses.POST, LINKS_URL, callback=link_created)
    payment_id = _subscribe(service, sessions, register_farmer())
    assert tasks.send_payment_link(payment_id) == "sent"
    assert len(razorpay.calls) == 1 and len(_sms(sessions)) == 1


@pytest.mark.parametrize("answer, reason", [
    (dict(status=503, body="<html>Service Unavailable</html>"), "Razorpay HTTP 503: <html>Service Unavailable</html>"),
    (dict(status=500, json={"error": {"code": "SERVER_ERROR", "description": "The server encountered an error."}}),
     "Razorpay HTTP 500: The server encountered an error."),
    (dict(status=429, json={"error": {"code": "BAD_REQUEST_ERROR", "description": "Too many requests"}}),
     "Razorpay HTTP 429: Too many requests"),
    (dict(body=requests.ConnectTimeout("connect timed out")), "Razorpay timed out: ConnectTimeout"),
    (dict(body=requests.ConnectionError("connection refused")), "Razorpay unreachable: ConnectionError"),
])
def test_a_retryable_failure_in_process_leaves_the_payment_pending_for_the_sweep(
        sessions, register_farmer, razorpay, caplog, answer, reason, tasks, service):
    razorpay.post(LINKS_URL, **answer)
    payment_id = _subscribe(service, sessions, register_farmer())  # the eager task must not raise into the caller's commit
    payment = _payment(sessions, payment_id)
    assert (payment.status, payment.link_url, payment.failure_reason) == ("pending", None, None)
    assert _sms(sessions) == [] and len(razorpay.calls) == 1
    assert reason in caplog.text

    # The hourly sweep tries again once the link is overdue, and then it is made and sent.
    razorpay.remove(responses.POST, LINKS_URL)
    razorpay.add_callback(responses.POST, LINKS_URL, callback=link_created)
    with sessions() as db, db.begin():
        db.get(Payment, payment_id).created_at -= payments.LINK_SWEEP_AFTER + timedelta(minutes=1)
    assert tasks.expire_stale_payments() == 0
    assert _payment(sessions, payment_id).link_url == "https://rzp.io/rzp/kQ2Ls7a"
    assert len(_sms(sessions)) == 1


def test_a_refused_link_fails_the_payment_with_the_reason(sessions, register_farmer, razorpay, tasks, service):
    razorpay.post(LINKS_URL, status=400, json={"error": {
        "code": "BAD_REQUEST_ERROR", "description": "The contact format is invalid.", "source": "business",
        "step": "payment_initiation", "reason": "input_validation_failed", "field": "contact"}})
    razorpay.get(LINKS_URL, json={"payment_links": []})  # made earlier? no
    payment_id = _subscribe(service, sessions, register_farmer())
    payment = _payment(sessions, payment_id)
    assert (payment.status, payment.failure_reason) == ("failed", "Razorpay refused: The contact format is invalid.")
    assert _sms(sessions) == []
    assert razorpay.calls[1].request.url == f"{LINKS_URL}?reference_id=kheti-payment-{payment_id}"
    assert tasks.send_payment_link(payment_id) == "skipped" and len(razorpay.calls) == 2


def test_a_link_made_by_an_earlier_try_is_found_by_its_reference_not_made_twice(sessions, register_farmer, razorpay, service):
    """A read timeout after Razorpay made the link: the retry's create is refused as a duplicate reference_id."""
    razorpay.post(LINKS_URL, status=400, json={"error": {
        "code": "BAD_REQUEST_ERROR", "description": "reference_id already exists", "field": "reference_id"}})

    def found(request):  # the link an earlier try made, under the reference asked for
        reference = request.params["reference_id"]
        return 200, {}, json.dumps({"payment_links": [{"id": "plink_Earlier1", "short_url": "https://rzp.io/rzp/e1",
                                                       "reference_id": reference, "amount": 9900,
                                                       "currency": "INR", "status": "created"}]})
    razorpay.add_callback(responses.GET, LINKS_URL, callback=found)
    payment_id = _subscribe(service, sessions, register_farmer())
    assert razorpay.calls[1].request.params == {"reference_id": f"kheti-payment-{payment_id}"}
    payment = _payment(sessions, payment_id)
    assert (payment.status, payment.provider_ref, payment.link_url) == \
        ("pending", "plink_Earlier1", "https://rzp.io/rzp/e1")
    [sms] = _sms(sessions)
    assert sms.body.endswith("https://rzp.io/rzp/e1")


# --- in a worker: Celery retries with backoff, then gives up --------------------------------------------------

@pytest.fixture
def as_worker(tasks, monkeypatch):
    """Run the task as a worker would; `as_worker.scheduled` holds the retries it schedules."""
    return in_worker(tasks.send_payment_link, monkeypatch)


def _linkless_payment(sessions, farmer_id) -> int:
    with sessions() as db, db.begin():
        plan = _plan(db)
        payment = Payment(farmer_id=farmer_id, plan_id=plan.id, amount_minor=plan.price_minor, currency="INR",
                          purpose="subscription", provider="razorpay", status="pending",
                          idempotency_key="subscribe:worker:1")
        db.add(payment)
        db.flush()
        return payment.id


def test_a_worker_retries_a_retryable_failure_with_backoff(sessions, register_farmer, razorpay, as_worker,
                                                           monkeypatch):
    monkeypatch.setattr("workers.payments.retry_delay", lambda attempts: attempts * 10.0)
    razorpay.post(LINKS_URL, status=502, body="Bad Gateway")
    payment_id = _linkless_payment(sessions, register_farmer())
    with pytest.raises(Retry):
        as_worker(payment_id, retries=1)
    [options] = as_worker.scheduled
    assert options["countdown"] == 20.0
    assert _payment(sessions, payment_id).status == "pending"


def test_a_worker_gives_up_after_the_last_retry(sessions, register_farmer, razorpay, as_worker):
    razorpay.post(LINKS_URL, status=502, body="Bad Gateway")
    payment_id = _linkless_payment(sessions, register_farmer())
    assert as_worker(payment_id, retries=MAX_RETRIES) == "failed"
    assert as_worker.scheduled == []
    payment = _payment(sessions, payment_id)
    assert (payment.status, payment.failure_reason) == ("failed", "Razorpay HTTP 502: Bad Gateway")


# --- the sandbox, and links that expire -----------------------------------------------------------------------

def test_the_sandbox_makes_a_local_link_that_expires_after_the_configured_hours(sessions, register_farmer, service):
    before = datetime.now(timezone.utc)
    payment_id = _subscribe(service, sessions, register_farmer())
    payment = _payment(sessions, payment_id)
    assert payment.provider == "sandbox" and len(payment.provider_ref) >= 22  # random: tests/gateway/test_payments.py
    assert payment.link_url == f"http://127.0.0.1:5000/payments/sandbox/{payment.provider_ref}"
    assert abs(payment.expires_at - (before + timedelta(hours=48))) < timedelta(minutes=1)


def _expire_link(sessions, payment_id, ago=timedelta(hours=1)):
    with sessions() as db, db.begin():
        db.get(Payment, payment_id).expires_at = NOW - ago


def test_an_expired_link_gets_one_sms_with_a_fresh_link_however_often_the_sweep_runs(
        sessions, register_farmer, clock, tasks, service):
    first = _subscribe(service, sessions, register_farmer(locale="en"))
    _expire_link(sessions, first)
    assert tasks.expire_stale_payments() == 1
    assert tasks.expire_stale_payments() == 0
    with sessions() as db:
        expired, fresh = db.scalars(select(Payment).order_by(Payment.id)).all()
    assert (expired.status, expired.failure_reason) == ("expired", "link expired")
    assert (fresh.status, fresh.idempotency_key, fresh.purpose) == \
        ("pending", f"retry:payment:{first}", "subscription")
    link_sms, retry_sms = _sms(sessions)
    assert retry_sms.body == ("Kheti Sahayak: your payment of ₹99 for Season advisory did not go through. "
                              f"Pay again by UPI within 48 hours, payment no. {fresh.id}. Link: {fresh.link_url}")
    assert retry_sms.idempotency_key == f"payment_retry:payment:{fresh.id}"

    # The fresh link expiring too sends nothing more: one reminder, not one every two days.
    _expire_link(sessions, fresh.id)
    assert tasks.expire_stale_payments() == 1
    assert len(_sms(sessions)) == 2
    with sessions() as db:
        assert db.scalar(select(Payment).where(Payment.status == "pending")) is None


def test_a_link_is_not_expired_before_its_grace_time(sessions, register_farmer, clock, tasks, service):
    payment_id = _subscribe(service, sessions, register_farmer())
    _expire_link(sessions, payment_id, ago=payments.EXPIRY_GRACE - timedelta(minutes=1))
    assert tasks.expire_stale_payments() == 0
    assert _payment(sessions, payment_id).status == "pending"


@pytest.mark.parametrize("change", ["opted_out", "no_consent", "bought_again"])
def test_no_retry_sms_for_a_farmer_who_said_stop_withdrew_or_bought_since(sessions, register_farmer, clock, change, tasks, service):
    farmer_id = register_farmer()
    first = _subscribe(service, sessions, farmer_id)
    with sessions() as db, db.begin():
        farmer = db.get(Farmer, farmer_id)
        if change == "opted_out":
            farmer.sms_opted_out = True
        elif change == "no_consent":
            farmer.consent_withdrawn_at = NOW
    if change == "bought_again":
        _subscribe(service, sessions, farmer_id, key="subscribe:test:2")
    _expire_link(sessions, first)
    tasks.expire_stale_payments()
    assert _payment(sessions, first).status == "expired"
    assert len(_sms(sessions)) == (2 if change == "bought_again" else 1)  # only the link(s) asked for


def test_a_pending_payment_that_never_got_a_link_fails_when_its_link_would_have_closed(
        sessions, register_farmer, clock, razorpay, tasks):
    payment_id = _linkless_payment(sessions, register_farmer())
    with sessions() as db, db.begin():
        db.get(Payment, payment_id).created_at = NOW - timedelta(hours=49)
    tasks.expire_stale_payments()
    payment = _payment(sessions, payment_id)
    assert (payment.status, payment.failure_reason) == ("failed", "no payment link could be made in time")
    assert len(razorpay.calls) == 0


# --- renewal reminders ----------------------------------------------------------------------------------------

def _active_plan(sessions, farmer_id, ends_in, starts_ago=timedelta(days=100)) -> int:
    with sessions() as db, db.begin():
        subscription = Subscription(farmer_id=farmer_id, plan_id=_plan(db).id, status="active",
                                    starts_at=NOW - starts_ago, ends_at=NOW + ends_in)
        db.add(subscription)
        db.flush()
        return subscription.id


def test_a_plan_ending_in_three_days_gets_one_reminder_with_a_renewal_link(sessions, register_farmer, clock, tasks):
    farmer_id = register_farmer(locale="mr")
    # Ends 2026-11-24 20:00 UTC = 25 Nov 01:30 in India: the reminder names the farmer's date, and it is 4 days off.
    late = _active_plan(sessions, farmer_id, ends_in=timedelta(days=3, hours=14, minutes=30))
    assert tasks.remind_renewals() == 0
    with sessions() as db, db.begin():
        db.get(Subscription, late).ends_at = NOW + timedelta(days=3, hours=12)  # 24 Nov, 23:00 in India
    assert tasks.remind_renewals() == 1
    assert tasks.remind_renewals() == 1  # the same subscription, already reminded: nothing more
    [renewal] = _payments(sessions)
    assert (renewal.purpose, renewal.status, renewal.idempotency_key) == \
        ("renewal", "pending", f"renewal:subscription:{late}")
    [reminder] = _sms(sessions)
    assert reminder.idempotency_key == f"renewal_reminder:subscription:{late}"
    assert reminder.body == ("खेती सहायक: तुमचा प्लॅन 'हंगामी सल्ला' 24 नोव्हेंबर 2026 रोजी संपत आहे. "
                             "सल्ला मिळत राहण्यासाठी ₹99 UPI ने 48 तासांच्या आत भरा. "
                             f"पेमेंट क्रमांक {renewal.id}. लिंक: {renewal.link_url}")


def _payments(sessions) -> list[Payment]:
    with sessions() as db:
        return db.scalars(select(Payment).order_by(Payment.id)).all()


@pytest.mark.parametrize("case", ["paid_renewal", "opted_out", "no_consent", "ends_later", "ended", "night"])
def test_no_reminder_when_not_due_or_not_wanted(sessions, register_farmer, clock, case, tasks):
    farmer_id = register_farmer()
    current = _active_plan(sessions, farmer_id, ends_in=timedelta(days=10 if case == "ends_later" else 2))
    with sessions() as db, db.begin():
        farmer = db.get(Farmer, farmer_id)
        if case == "paid_renewal":
            db.add(Subscription(farmer_id=farmer_id, plan_id=_plan(db).id, status="active",
                                starts_at=db.get(Subscription, current).ends_at,
                                ends_at=db.get(Subscription, current).ends_at + timedelta(days=120)))
        elif case == "opted_out":
            farmer.sms_opted_out = True
        elif case == "no_consent":
            farmer.consent_withdrawn_at = NOW
        elif case == "ended":
            db.get(Subscription, current).ends_at = NOW - timedelta(hours=1)
    if case == "night":
        clock.now = NOW + timedelta(hours=12)  # 23:00 in India: a late re-run waits for the morning
    tasks.remind_renewals()
    assert _payments(sessions) == [] and _sms(sessions) == []


def test_paying_the_renewal_starts_the_next_plan_when_the_current_one_ends(sessions, register_farmer, clock, tasks, service):
    farmer_id = register_farmer()
    current = _active_plan(sessions, farmer_id, ends_in=timedelta(days=2))
    tasks.remind_renewals()
    [renewal] = _payments(sessions)
    with sessions() as db, db.begin():
        mark_paid(service, db, db.get(Payment, renewal.id, with_for_update=True))
    with sessions() as db:
        ends = db.get(Subscription, current).ends_at
        following = db.scalar(select(Subscription).where(Subscription.payment_id == renewal.id))
        assert (following.starts_at, following.ends_at) == (ends, ends + timedelta(days=120))
    assert tasks.remind_renewals() == 0  # the next plan is queued: no reminder for the current one


# --- what every payment SMS says, in which letters, and DLT -----------------------------------------------------

def _wrote(sessions, phone, *texts):
    """The farmer's SMS to us, oldest first."""
    with sessions() as db, db.begin():
        for n, text in enumerate(texts):
            db.add(InboundMessage(provider="africastalking", provider_message_id=f"ATXid_{phone}_{n}", phone=phone,
                                  text=text, received_at=NOW - timedelta(minutes=10 - n)))


@pytest.mark.parametrize("locale", ["en", "hi", "mr"])
@pytest.mark.parametrize("writes", ["latin", "devanagari", "nothing"])
def test_every_payment_sms_names_the_payment_and_the_links_hours_in_the_farmers_letters_and_fits_dlt(
        sessions, register_farmer, clock, tasks, service, locale, writes):
    """Link, retry, reminder and receipt: each says the payment's number, each link how many hours it can be paid;
    to a farmer whose latest SMS with words was in Latin letters they go in Latin letters, as replies do ("2", the
    plan's number, has no letters to go by); and each fits a DLT template (the numbers are Indian)."""
    phones = "+919812345678", "+919812345679"
    said = {"latin": ("kanda bhav", "plan"), "devanagari": ("कांदा भाव", "प्लान")}.get(writes, ())
    for phone in phones:
        _wrote(sessions, phone, *said, *(["2"] if said else []))
    buyer, renewer = (register_farmer(locale=locale, phone=phone) for phone in phones)
    first = _subscribe(service, sessions, buyer)
    _expire_link(sessions, first)
    tasks.expire_stale_payments()  # the "did not go through" SMS, with a fresh link
    _active_plan(sessions, renewer, ends_in=timedelta(days=3, hours=12))
    assert tasks.remind_renewals() == 1
    with sessions() as db, db.begin():
        fresh = db.scalars(select(Payment).where(Payment.idempotency_key == f"retry:payment:{first}")).one()
        assert mark_paid(service, db, fresh)  # the receipt
    with sessions() as db:
        rows = db.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        renewal = db.scalars(select(Payment.id).where(Payment.farmer_id == renewer)
                             .order_by(Payment.id.desc())).first()
    # The link names the first payment; the retry and the receipt the fresh one; the reminder the renewer's.
    named = {"payment_link": first, "payment_retry": fresh.id, "receipt": fresh.id, "renewal_reminder": renewal}
    payment_of = {row.id: named[row.idempotency_key.split(":")[0]] for row in rows}
    assert [row.idempotency_key.split(":")[0] for row in rows] == \
        ["payment_link", "payment_retry", "renewal_reminder", "receipt"]
    for row in rows:
        assert row.template_id and row.status != "failed", (row.body, row.last_error)
        assert str(payment_of[row.id]) in row.body, row.body
        numbers = re.findall(r"\d+", row.body)
        numbers.remove(str(payment_of[row.id]))  # once: a payment numbered 48 must not pass for the hours
        assert ("48" in numbers) is (row.purpose == "payment_link"), row.body  # the receipt has no link
        if writes == "latin":
            assert is_gsm7(row.body) and "Rs " in row.body, row.body
        elif locale != "en":
            assert has_devanagari(row.body), row.body

