"""Subscribing end to end on the sandbox provider: USSD -> payment link SMS -> the link's page -> paid -> one
subscription and exactly one receipt, however often "pay" is pressed; a link past its expiry is not payable."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from farmdb.models import OutboundMessage, Payment, Subscription
from farmdb.types import utcnow


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
    for _ in range(3):
        response = client.post(link + "/pay")
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
    client.post(link + "/pay")
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
    client.post(f"/payments/sandbox/{second_payment.provider_ref}/pay")
    db.rollback()
    second = db.scalars(select(Subscription).where(Subscription.payment_id == second_payment.id)).one()
    assert second.starts_at == first.ends_at


def test_an_unknown_payment_is_a_404(client):
    assert client.get("/payments/sandbox/sandbox_999999").status_code == 404
    assert client.post("/payments/sandbox/sandbox_999999/pay").status_code == 404


def test_a_sandbox_link_past_its_expiry_cannot_be_paid(client, link, db):
    payment = db.scalars(select(Payment)).one()
    payment.expires_at = utcnow() - timedelta(minutes=1)  # closed; the hourly sweep has not marked it yet
    db.commit()
    assert client.post(link + "/pay").status_code == 303
    db.rollback()
    assert db.scalars(select(Payment)).one().status == "pending" and db.scalars(select(Subscription)).all() == []
    assert "<button" not in client.get(link).get_data(as_text=True)


def test_the_razorpay_webhook_is_not_there_when_payments_run_on_the_sandbox(client):
    assert client.post("/payments/razorpay/webhook", data=b"{}").status_code == 404
