"""Agmarknet's prices read into one shape from both API spellings and from the portal's CSV; what cannot be read is
said by line (or record) and reason."""
import json
from datetime import date

import pytest

from service.prices.records import FileProblem, Record, field_of, read_csv, read_file, read_json
from tests.service.prices.conftest import DATA, recorded


def test_the_api_answer_and_its_capitalised_sister_read_alike():
    lower, problems = read_json((DATA / "maharashtra_page1.json").read_text())
    assert problems == [] and len(lower) == 7
    assert lower[0] == Record("record 1", "Maharashtra", "Nashik", "Lasalgaon", "Onion", "Red", "FAQ",
                              date(2026, 12, 4), 1500, 2300, 2000)
    capital, problems = read_json((DATA / "gujarat_variety_wise.json").read_text())
    assert problems == [] and len(capital) == 3
    assert (capital[0].market, capital[0].commodity, capital[0].modal_price) == ("Amreli APMC", "Soyabean", 5125)
    assert capital[1].min_price == 5800 and isinstance(capital[1].min_price, int)  # 5800.0 in the answer


def test_pages_saved_together_and_a_bare_list_of_records_are_read_too():
    pages = [recorded("maharashtra_page1.json"), recorded("maharashtra_page2.json")]
    records, _ = read_json(json.dumps(pages))
    assert len(records) == 13
    bare, _ = read_json(json.dumps(pages[0]["records"]))
    assert len(bare) == 7


def test_the_portal_csv_below_its_title_line_with_a_state_given():
    records, problems = read_csv(recorded("maharashtra_portal.csv"), state="Maharashtra")
    assert [r.where for r in records] == ["line 3", "line 4", "line 5", "line 7", "line 8"]
    first = records[0]
    assert (first.state, first.district, first.market, first.commodity, first.variety) == (
        "Maharashtra", "Nashik", "Lasalgaon", "Onion", "Red")
    assert (first.day, first.min_price, first.max_price, first.modal_price) == (date(2026, 12, 5), 1520, 2310, 2050)
    assert problems == [("line 6", "min price 'NR' is not a number")]  # the note under the table is not a row


def test_a_csv_without_a_state_column_needs_one_named():
    with pytest.raises(FileProblem, match="--state"):
        read_csv(recorded("maharashtra_portal.csv"))


@pytest.mark.parametrize("text, problem", [
    ("hello,world\n1,2\n", "no header row"),
    ("<table><tr><td>Market</td></tr></table>", "not CSV"),
    ('{"status": "ok"}', "without `records`"),
    ('{"records": [', "not JSON"),
])
def test_a_file_that_is_not_a_price_report_is_refused_in_one_line(text, problem):
    with pytest.raises(FileProblem, match=problem):
        read_file(text)


@pytest.mark.parametrize("row, why", [
    ("Maharashtra,Nashik,Lasalgaon,Onion,Red,FAQ,1500,2300,,04/12/2026", "no modal price"),
    ("Maharashtra,Nashik,Lasalgaon,Onion,Red,FAQ,1500,2300,2000,yesterday",
     "date 'yesterday' is not a date (04/12/2026)"),
    ("Maharashtra,Nashik,Lasalgaon,Onion,Red,FAQ,-5,2300,2000,04/12/2026", "min price '-5' is not a price"),
])
def test_unreadable_rows_are_reported_by_line(row, why):
    header = "State,District,Market,Commodity,Variety,Grade,Min_Price,Max_Price,Modal_Price,Arrival_Date\n"
    records, problems = read_csv(header + row + "\n")
    assert records == [] and problems == [("line 2", why)]


@pytest.mark.parametrize("written", ["04/12/2026", "04-12-2026", "2026-12-04", "04 Dec 2026", "04-Dec-2026",
                                     "04/12/2026 00:00:00"])
def test_dates_as_the_portal_and_the_api_write_them(written):
    header = "State,District,Market,Commodity,Variety,Grade,Min Price,Max Price,Modal Price,Price Date\n"
    records, _ = read_csv(header + f"Maharashtra,Nashik,Lasalgaon,Onion,Red,FAQ,1500,2300,2000,{written}\n")
    assert records[0].day == date(2026, 12, 4)


@pytest.mark.parametrize("header, field", [
    ("Modal Price (Rs./Quintal)", "modal_price"), ("Modal_Price", "modal_price"), ("modal_price", "modal_price"),
    ("Arrival_Date", "day"), ("Price Date", "day"), ("Market Name", "market"), ("District Name", "district"),
    ("Sl no.", None), ("Commodity_Code", None),
])
def test_header_spellings(header, field):
    assert field_of(header) == field
