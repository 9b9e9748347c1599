"""India's DLT: a message to an Indian number must fit a registered template or it is refused before sending; every
text the service itself sends fits one of the templates our catalogues produce."""
import pytest
from sqlalchemy import delete, select, update

from farmdb.models import DltTemplate, OutboundMessage
from locales.dlt import as_dlt_text, catalogue_templates
from service.dlt import TemplateBook, compile_text
from service.outbox import queue_sms
from tests.gateway.test_sms_inbound import at_sms


@pytest.mark.parametrize("template, text, fits", [
    ("Dear {#var#}, your ticket is {#var#}.", "Dear Asha, your ticket is KS-4821.", True),
    ("Dear {#var#}, your ticket is {#var#}.", "Dear Asha, your ticket is KS-4821. Call us!", False),
    ("Dear {#var#}, your ticket is {#var#}.", "Hello Asha, your ticket is KS-4821.", False),
    ("Dear {#var#}, your ticket is {#var#}.", "Dear , your ticket is .", True),  # a variable may be empty
    ("Dear {#var#}, hello", "Dear " + "x" * 30 + ", hello", True),
    ("Dear {#var#}, hello", "Dear " + "x" * 31 + ", hello", False),  # 30 characters per placeholder
    ("Dear {#var#}{#var#}, hello", "Dear " + "x" * 60 + ", hello", True),  # placeholders in a row add up
    ("Price Rs. {#var#} (approx)*", "Price Rs. 1,850 (approx)*", True),  # regex characters are literal
    ("Price Rs. {#var#} (approx)*", "Price Rs  1,850 (approx)", False),
    ("Kheti  Sahayak:\n{#var#}", "Kheti Sahayak: x", True),  # any run of spaces matches any run of spaces
    ("खेती सहायक: {#var#} का भाव", "खेती सहायक: प्याज का भाव", True),
    ("line one {#var#}", "line one a\nb", True),  # a variable may span lines
])
def test_a_template_fits_only_its_own_text(template, text, fits):
    assert bool(compile_text(template).fullmatch(text)) is fits


def test_catalogue_texts_become_dlt_templates():
    assert as_dlt_text("Kheti Sahayak: {price} received for {plan}.") == \
        "Kheti Sahayak: {#var#} received for {#var#}{#var#}."
    produced = catalogue_templates()
    ids = {(catalogue, message_id) for catalogue, message_id, _, _ in produced}
    for catalogue in ("en", "hi", "mr", "hi_Latn", "mr_Latn"):
        assert {(catalogue, "payment.receipt_sms"), (catalogue, "sms.weather"), (catalogue, "alert.heat_sms"),
                (catalogue, "broadcast.advisory_sms")} <= ids
    assert not {m for _, m, _, _ in produced} & {"sms.price.line", "sms.payment.paid", "account.sms_stop"}
    categories = {m: c for _, m, c, _ in produced}
    assert (categories["broadcast.advisory_sms"], categories["advice.stage_sms"], categories["alert.heat_sms"],
            categories["payment.receipt_sms"]) == ("service_explicit", "service_explicit", "service_implicit",
                                                   "service_implicit")


def _queue(service, db, phone, body, category="service_implicit", key="dlt:1"):
    return queue_sms(service, db, phone=phone, body=body, locale="en", category=category, purpose="reply",
                     idempotency_key=key)


def test_a_message_no_template_fits_is_refused_with_the_reason_and_never_sent(sessions, service):
    with sessions() as db, db.begin():
        message_id = _queue(service, db, "+919812345678", "Buy cheap seeds now!!!").id
    with sessions() as db:
        row = db.get(OutboundMessage, message_id)
    assert (row.status, row.provider, row.attempts) == ("failed", None, 0)
    assert row.last_error.startswith("DLT: no registered service_implicit template matches this text")


def test_a_fitting_message_carries_its_template_and_entity_id(sessions, service):
    with sessions() as db, db.begin():
        message_id = _queue(service, db, "+919812345678", "Kheti Sahayak: the mandi is closed tomorrow.").id
    with sessions() as db:
        row = db.get(OutboundMessage, message_id)
        template = db.scalar(select(DltTemplate).where(DltTemplate.template_id == row.template_id))
    assert row.status == "sent" and template.text.startswith("Kheti Sahayak: {#var#}")
    assert row.dlt_entity_id == template.entity_id


def test_numbers_outside_india_need_no_template(sessions, service):
    with sessions() as db, db.begin():
        message_id = _queue(service, db, "+254712345678", "Mvua kubwa inatarajiwa kesho.").id
    with sessions() as db:
        row = db.get(OutboundMessage, message_id)
    assert (row.status, row.template_id) == ("sent", None)


def test_a_template_of_another_category_or_header_does_not_count(sessions, make_service, service):
    body = "Kheti Sahayak: the mandi is closed tomorrow."
    with sessions() as db, db.begin():  # the operator-notice template is service implicit
        assert _queue(service, db, "+919812345678", body, category="promotional", key="dlt:promo").status == "failed"
    other, _ = make_service(sms_provider="africastalking", at_username="sandbox", at_api_key="k",
                            at_sender_id="OTHERS")
    with sessions() as db, db.begin():
        row = _queue(other, db, "+919812345678", body, key="dlt:header")
        assert row.status == "failed" and "for header OTHERS" in row.last_error


def test_a_newly_registered_template_is_used_at_once(sessions, service):
    body = "KHETI MELA at Niphad on 3 March, 10 am"
    with sessions() as db, db.begin():
        assert _queue(service, db, "+919812345678", body, key="dlt:before").status == "failed"
        db.add(DltTemplate(template_id="1107170000000000001", entity_id="1101000000000000001", header="KHETIS",
                           category="service_implicit", name="mela notice", text="KHETI MELA at {#var#} on {#var#}"))
    try:
        with sessions() as db, db.begin():
            row = _queue(service, db, "+919812345678", body, key="dlt:after")
            assert (row.status, row.template_id) == ("queued", "1107170000000000001")
    finally:
        with sessions() as db, db.begin():
            db.execute(delete(DltTemplate).where(DltTemplate.template_id == "1107170000000000001"))


def test_an_inactive_template_does_not_count(sessions, service):
    body = "Kheti Sahayak: the mandi is closed tomorrow."
    with sessions() as db, db.begin():
        db.execute(update(DltTemplate).where(DltTemplate.text.like("Kheti Sahayak: {#var#}%")).values(active=False))
    try:
        with sessions() as db, db.begin():
            assert _queue(service, db, "+919812345678", body).status == "failed"
    finally:
        with sessions() as db, db.begin():
            db.execute(update(DltTemplate).values(active=True))


@pytest.mark.parametrize("text", [
    "help", "kal barish hogi kya", "गेहूं का भाव", "kanda bhav lasalgaon", "soybean salla", "मदत", "PRICE onion",
    "WEATHER nashik", "mera bhugtan", "plan", "LANG MR", "expert se baat", "kide lag gaye kapas mein",
    "aaj mausam kaisa hai", "कांद्याला भाव किती", "register", "asdfgh",
])
def test_every_reply_the_service_writes_fits_a_template(client, sessions, register_farmer, text):
    register_farmer(locale="mr", crops=("onion", "soybean"))
    assert at_sms(client, text).status_code == 200
    with sessions() as db:
        rows = db.scalars(select(OutboundMessage)).all()
    assert rows and [(r.status, r.last_error) for r in rows if r.template_id is None or r.status == "failed"] == []


def test_every_text_a_stranger_gets_while_registering_fits_a_template(client, sessions):
    for step in ("register", "Sunita", "nashik", "kanda soyabean", "haan"):
        assert at_sms(client, step, phone="+919822222222").status_code == 200
    with sessions() as db:
        rows = db.scalars(select(OutboundMessage)).all()
    assert len(rows) == 5 and all(r.status == "sent" and r.template_id for r in rows)


def test_the_template_book_compiles_once(sessions, monkeypatch):
    calls = []
    monkeypatch.setattr("service.dlt.compile_text", lambda *a: calls.append(a) or compile_text(*a))
    book = TemplateBook()
    with sessions() as db:
        book.templates(db)
        before = len(calls)
        book.templates(db)
    assert before > 0 and len(calls) == before  # unchanged table: nothing recompiled


def _longest(values):
    return max(values, key=len)


def _worst_values(db, catalogue: str, settings) -> dict:
    """Each placeholder of our SMS texts at the longest our data and code give it, in the catalogue's letters."""
    from collections import defaultdict
    from datetime import date

    from dialogs.flows.advice import STAGES
    from dialogs.flows.price_alerts import MAX_ALERTS
    from dialogs.sms.alerts import PLACE_SAID_MAX
    from dialogs.sms.questions import PRICE_MANDIS
    from dialogs.texts import texts
    from farmdb.models import Advisory, Crop, District, Mandi, Plan

    locale, _, script = catalogue.partition("_")
    latin = bool(script)
    t = texts(locale, latin)
    crops, plans = db.scalars(select(Crop)).all(), db.scalars(select(Plan).where(Plan.active)).all()
    districts = db.scalars(select(District)).all()
    mandis = sorted((m.name_in(locale, latin=latin) for m in db.scalars(select(Mandi))), key=len)[-3:]
    money, number = t.money(2_49_999), t.number(99_999)
    known = _longest([*mandis, *(d.name_in(locale, latin=latin) for d in districts), t("alert.nearest")])
    place = _longest([known, "W" * PLACE_SAID_MAX])  # a mandi, a district, or what the farmer typed
    longest_date = _longest(t.date(date(2026, month, 28)) for month in range(1, 13))
    alert = _longest(t(f"alert.line.{way}", crop=_longest(c.name_in(locale, latin=latin) for c in crops),
                       amount=money, place=known) for way in ("above", "below"))
    shared = defaultdict(list)  # districts a name fits several of, offered by number with their state
    for d in districts:
        shared[d.names["en"].lower()].append(f"{d.names['en']} ({d.state.name})")
    return {
        "crop": _longest(c.name_in(locale, latin=latin) for c in crops),
        "district": _longest(d.name_in(locale, latin=latin) for d in districts),
        "plan": _longest(p.name_in(locale, latin=latin) for p in plans),
        "stage": _longest(t(key) for key in STAGES.values()),
        "text": _longest(a.texts.get(catalogue) or a.texts["en"] for a in db.scalars(select(Advisory))),
        "date": _longest(t.date(date(2026, month, 28)) for month in range(1, 13)),
        "end": _longest(t.date(date(2026, month, 28), year=True) for month in range(1, 13)),
        "url": "https://sms.example.org/payments/sandbox/" + "A" * 22,
        "ticket": "9999999", "ref": "2147483647", "hours": str(24 * 180), "days": "365",
        "price": money, "amount": money, "temp": "48", "rain": "999",
        **{f"{k}{n}": "-12" for k in ("rain", "tmin", "tmax") for n in range(3)},
        "name": "Venkatasubramanian", "answer": (("उत्तर " if not latin and locale != "en" else "answer ") * 80)[:480],
        "grievance": settings.grievance_contact + " / grievance.officer@example.org",
        "hint": _longest(t(f"weather.hint.{k}") for k in ("good", "heat", "heavy_rain", "rain", "rain_tomorrow",
                                                            "wind")),
        "status": _longest(t(f"sms.payment.{k}") for k in ("paid", "pending", "failed")),
        "lines": "; ".join(t("sms.price.line.old", mandi=m, date=_longest(t.date(date(2026, month, 28))
                                                                          for month in range(1, 13)),
                             modal=money, low=number, high=number) for m in mandis[-PRICE_MANDIS:]),
        "line": t("sms.price.line.old", mandi=mandis[-1], date=_longest(t.date(date(2026, month, 28))
                                                                        for month in range(1, 13)),
                  modal=money, low=number, high=number),
        "place": place, "mandi": mandis[-1], "count": str(MAX_ALERTS), "number": "99",
        "now": t("alert.now.old", mandi=mandis[-1], date=longest_date, modal=money),
        "alerts": "; ".join(f"{n}) {alert}" for n in range(1, MAX_ALERTS + 1)),
        "choices": _longest([
            ", ".join(f"{n} {p.name_in(locale, latin=latin)} {t.money(p.price_minor // 100)}"
                      for n, p in enumerate(plans, 1)),
            _longest(", ".join(f"{n} {t(STAGES[s['stage']])}" for n, s in enumerate(c.stages, 1)) for c in crops),
            _longest(", ".join(f"{n} {label}" for n, label in enumerate(labels[:5], 1)) for labels in shared.values()),
        ]),
    }


@pytest.mark.parametrize("catalogue", ["en", "hi", "mr", "hi_Latn", "mr_Latn"])
def test_every_sms_text_with_its_longest_values_fits_an_active_template(sessions, service, catalogue):
    """Every SMS text of every catalogue (replies, alerts, advisories, tickets, payments, consent), filled with the
    longest values our data gives, fits one of the templates the seed registers from the catalogues: a wording
    change is registered again (`kheti seed`, `kheti dlt templates`), and every placeholder is wide enough."""
    from dialogs.texts import texts

    locale, _, script = catalogue.partition("_")
    t = texts(locale, latin=bool(script))
    book = TemplateBook()
    with sessions() as db:
        values = _worst_values(db, catalogue, service.settings)
        unfit = []
        for _, message_id, category, _ in [row for row in catalogue_templates() if row[0] == catalogue]:
            body = t(message_id, **values)
            if book.match(db, body, category, header="KHETIS") is None:
                unfit.append((message_id, body))
    assert unfit == []


@pytest.mark.parametrize("catalogue", ["en", "hi", "mr", "hi_Latn", "mr_Latn"])
def test_the_longest_grievance_contact_keeps_every_consent_notice_whole(sessions, catalogue):
    """GRIEVANCE_CONTACT at the longest the settings allow: the SMS consent notice is sent whole (never cut to fit its
    segments) and matches its registered template; the USSD notice fits its screens with every word on one."""
    from dialogs.encoding import screen_units
    from dialogs.model import Option, View
    from dialogs.sms.registration import CONSENT_SEGMENTS
    from dialogs.sms.turn import fit
    from dialogs.texts import texts
    from dialogs.ussd import UssdLayout
    from locales.dlt import category_of
    from service.variables import GRIEVANCE_MAX_CHARS

    contact = "1800-180-1551 ext 99"
    assert len(contact) == GRIEVANCE_MAX_CHARS
    locale, _, script = catalogue.partition("_")
    t = texts(locale, latin=bool(script))
    notice = t("sms.reg.consent", grievance=contact)
    assert fit(notice, CONSENT_SEGMENTS) == notice and contact in notice
    with sessions() as db:
        assert TemplateBook().match(db, notice, category_of("sms.reg.consent"), header="KHETIS") is not None

    screen = t("reg.consent.notice", grievance=contact)
    layout, nav = UssdLayout(), (Option("0", t("nav.back")), Option("00", t("nav.home")))
    pages = layout.pages(View(lines=(screen,), options=(Option("1", t("common.yes")), Option("2", t("common.no"))),
                              nav=nav, more=Option("98", t("nav.more"))))
    for page in pages:
        encoding, units = screen_units(page)
        assert units <= (layout.max_chars if encoding == "GSM-7" else layout.ucs2_max_chars), page
    assert all(word in "\n".join(pages) for word in screen.split())
