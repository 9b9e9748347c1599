"""Subscribing end to end on the sandbox provider: USSD -> payment link SMS -> the link's page -> paid -> one
subscription and exactly one receipt, however often "pay" is pressed; a link past its expiry is not payable. The
link cannot be guessed, its button cannot be pressed from another site, and the pages exist only on the sandbox."""
import re
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from farmdb.models import OutboundMessage, Payment, Subscription
from farmdb.types import utcnow
from gateway import create_app
from tests.conftest import SEED_DAY

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def page_token(client, link) -> str:
    """Open the page as its visitor does: the token its form carries (good for the visitor's session)."""
    return _TOKEN.search(client.get(link).get_data(as_text=True))[1]


def pay(client, link, token=None):
    """Press "Pay" as the visitor of the page does: the form's token goes with it."""
    return client.post(link + "/pay", data={"csrf_token": token or page_token(client, link)})


@pytest.fixture
def link(ussd, register_farmer, db):
    register_farmer(locale="hi")
    phone = ussd()
    phone.dial()
    for press in ["7", "2", "1"]:  # subscribe, the season plan, confirm
        phone.press(press)
    db.rollback()
    [sms] = db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "payment_link")).all()
    url = re.search(r"https?://\S+", sms.body).group(0)
    return urlsplit(url).path


def test_the_link_opens_the_sandbox_page(client, link):
    page = client.get(link)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "₹99" in body and "120 days" in body and "pending" in body and "+91******5678" in body


def test_paying_three_times_starts_one_subscription_and_sends_one_receipt(client, link, db):
    token = page_token(client, link)
    for _ in range(3):
        response = pay(client, link, token)
        assert response.status_code == 303 and response.headers["Location"].endswith(link)
    db.rollback()
    [payment] = db.scalars(select(Payment)).all()
    assert payment.status == "paid" and payment.paid_at is not None
    [subscription] = db.scalars(select(Subscription)).all()
    assert subscription.status == "active" and subscription.payment_id == payment.id
    assert subscription.ends_at - subscription.starts_at == timedelta(days=120)
    [receipt] = db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "receipt")).all()
    assert receipt.status == "sent" and "₹99" in receipt.body and "खेती सहायक" in receipt.body
    assert "paid" in client.get(link).get_data(as_text=True)


def test_a_renewal_starts_when_the_current_plan_ends(client, link, db, ussd):
    pay(client, link)
    db.rollback()
    first = db.scalars(select(Subscription)).one()
    first_payment = db.scalars(select(Payment)).one()
    first_payment.idempotency_key += ":yesterday"  # the same plan again, bought on another day
    db.commit()
    phone = ussd()
    phone.dial()
    for press in ["7", "2", "1"]:
        phone.press(press)
    db.rollback()
    second_payment = db.scalars(select(Payment).where(Payment.status == "pending")).one()
    pay(client, f"/payments/sandbox/{second_payment.provider_ref}")
    db.rollback()
    second = db.scalars(select(Subscription).where(Subscription.payment_id == second_payment.id)).one()
    assert second.starts_at == first.ends_at


def test_an_unknown_payment_is_a_404(client, link):
    token = page_token(client, link)
    assert client.get("/payments/sandbox/sandbox_999999").status_code == 404
    assert client.post("/payments/sandbox/sandbox_999999/pay", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("path", ["/payments/sandbox/%00", "/payments/sandbox/a%00b", "/payments/sandbox/" + "x" * 5000,
                                  "/payments/sandbox/%C3%A9t%C3%A9", "/payments/sandbox/%00/pay"])
def test_a_reference_no_link_can_hold_is_a_404_not_a_500(client, path):
    response = client.post(path) if path.endswith("/pay") else client.get(path)
    assert response.status_code == 404


def test_the_reference_in_the_link_cannot_be_guessed(client, link, db):
    """Not the payment's id, nor anything else counted: 128 random bits, a new one for every payment."""
    payment = db.scalars(select(Payment)).one()
    ref = link.rsplit("/", 1)[1]
    assert ref == payment.provider_ref and not re.fullmatch(r"(sandbox_)?0*" + str(payment.id), ref)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", ref)
    assert client.get(f"/payments/sandbox/sandbox_{payment.id}").status_code == 404


def test_another_site_cannot_press_pay(client, link, db):
    """A cross-site form posts without the page's token (SameSite keeps the session cookie home, and the site
    cannot read the token): nothing is paid."""
    client.get(link)  # the visitor has opened the page: their session holds a token
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post(link + "/pay", data=data, headers={"Origin": "https://evil.example"}).status_code == 400
    db.rollback()
    assert db.scalars(select(Payment)).one().status == "pending" and db.scalars(select(Subscription)).all() == []


def test_the_page_is_not_cached_framed_or_given_away_as_a_referrer(client, link):
    response = client.get(link)
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin")


def test_the_sandbox_pages_are_not_there_when_payments_run_on_razorpay(settings, backends, link, db):
    ref = db.scalars(select(Payment)).one().provider_ref
    razorpay = replace(settings, payment_provider="razorpay", razorpay_key_id="rzp_test_1",
                       razorpay_key_secret="secret", razorpay_webhook_secret="whsec")
    client = create_app(razorpay, backends=backends, today=lambda: SEED_DAY).test_client()
    assert client.get(link).status_code == 404
    assert client.post(link + "/pay").status_code == 404
    db.rollback()
    assert db.scalars(select(Payment).where(Payment.provider_ref == ref)).one().status == "pending"


def test_a_sandbox_link_past_its_expiry_cannot_be_paid(client, link, db):
    token = page_token(client, link)
    payment = db.scalars(select(Payment)).one()
    payment.expires_at = utcnow() - timedelta(minutes=1)  # closed; the hourly sweep has not marked it yet
    db.commit()
    assert pay(client, link, token).status_code == 303
    db.rollback()
    assert db.scalars(select(Payment)).one().status == "pending" and db.scalars(select(Subscription)).all() == []
    assert "<button" not in client.get(link).get_data(as_text=True)


def test_the_razorpay_webhook_is_not_there_when_payments_run_on_the_sandbox(client):
    assert client.post("/payments/razorpay/webhook", data=b"{}").status_code == 404
