"""`kheti prices import` and `kheti prices fetch` as an operator runs them: the report printed, one line when the
prices cannot be had."""
import pytest
import responses
from click.testing import CliRunner

from cli import main
from service.prices.agmarknet import ENDPOINT
from tests.service.prices.conftest import DATA, prices_db, recorded  # noqa: F401 (a fixture)


@pytest.fixture
def kheti(database_url, prices_db):  # noqa: F811
    def run(*args, **env):
        return CliRunner().invoke(main, list(args), catch_exceptions=False,
                                  env={"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "REDIS_URL": "",
                                       "CELERY_BROKER_URL": "", **env})
    return run


def test_import_a_portal_csv_prints_its_report(kheti):
    result = kheti("prices", "import", str(DATA / "maharashtra_portal.csv"), "--state", "Maharashtra")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "maharashtra_portal.csv (2026-12-05): read 6, stored 4, updated 0, unchanged 0, skipped 2",
        "skipped, unreadable: 1",
        "skipped, modal outside min-max: 1",
        "  line 6: unreadable: min price 'NR' is not a number",
        "  line 7: modal outside min-max: Cotton at Akola: min 6900, max 7350, modal 7700",
    ]
    again = kheti("prices", "import", str(DATA / "maharashtra_portal.csv"), "--state", "Maharashtra")
    assert again.output.startswith("maharashtra_portal.csv (2026-12-05): read 6, stored 0, updated 0, unchanged 4")


def test_a_file_that_cannot_be_read_is_one_line(kheti):
    result = kheti("prices", "import", str(DATA / "maharashtra_portal.csv"))
    assert result.exit_code == 1
    assert result.output == ("Error: maharashtra_portal.csv: the file has no state column: say which state it is "
                             "for with --state\n")


def test_fetch_needs_a_key(kheti):
    result = kheti("prices", "fetch")
    assert result.exit_code == 2 and "AGMARKNET_API_KEY" in result.output


@responses.activate
def test_fetch_pages_through_the_day_and_prints_the_report(kheti):
    responses.get(ENDPOINT, json=recorded("maharashtra_page1.json"),
                  match=[responses.matchers.query_param_matcher({"offset": "0"}, strict_match=False)])
    responses.get(ENDPOINT, json=recorded("maharashtra_page2.json"),
                  match=[responses.matchers.query_param_matcher({"offset": "7"}, strict_match=False)])
    result = kheti("prices", "fetch", "--state", "Maharashtra", "--date", "2026-12-04", AGMARKNET_API_KEY="k" * 40)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("data.gov.in (2026-12-04): read 13, stored 8")
    assert "new mandis (2): Lasalgaon (Niphad) (Nashik, Maharashtra), Pune (Moshi) (Pune, Maharashtra)" in \
        result.output
    assert "filters%5Barrival_date%5D=04%2F12%2F2026" in responses.calls[0].request.url


@responses.activate
def test_a_refused_key_is_one_line(kheti):
    responses.get(ENDPOINT, status=403, json=recorded("refused_key.json"))
    result = kheti("prices", "fetch", AGMARKNET_API_KEY="k" * 40)
    assert result.exit_code == 1
    assert result.output == ("Error: data.gov.in refused AGMARKNET_API_KEY (HTTP 403: Invalid API key): check the "
                             "key on data.gov.in (My Account)\n")


def test_check_alerts_says_what_it_checked_and_sent(kheti, register_farmer, sessions, monkeypatch):
    """An alert set at Lasalgaon for onion above 2,000; the recorded day has it at 2,300."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from farmdb.models import Crop, Mandi, PriceAlert
    from service.prices import alerts

    day = date(2026, 12, 4)
    monkeypatch.setattr(alerts, "local_today", lambda _service: day)
    farmer = register_farmer(locale="hi")
    with sessions() as db, db.begin():
        db.add(PriceAlert(farmer_id=farmer, crop_id=db.scalar(select(Crop.id).where(Crop.code == "onion")),
                          mandi_id=db.scalar(select(Mandi.id).where(Mandi.name == "Lasalgaon")), direction="above",
                          amount=2000, channel="sms", expires_on=day + timedelta(days=90), armed=True, times_sent=0))
    assert kheti("prices", "check-alerts").output == "1 alerts checked: 0 SMS queued, 0 armed again\n"
    kheti("prices", "import", str(DATA / "maharashtra_page1.json"))  # checks them itself, in-process
    with sessions() as db:
        assert db.scalar(select(PriceAlert.times_sent)) == 1
    assert kheti("prices", "check-alerts").output == "1 alerts checked: 0 SMS queued, 0 armed again\n"  # sent once
