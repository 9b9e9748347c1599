"""`kheti sms send`, `kheti broadcast`, `kheti advisory` and `kheti dlt`, run in-process against the test
database."""
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from cli import main
from farmdb.models import Advisory, DltTemplate


@pytest.fixture
def kheti(database_url, clock):
    """Run a kheti command on the test database (each command boots its own Service, as from a shell)."""
    def run(*args, input=None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False,
                                  env={"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "REDIS_URL": "",
                                       "CELERY_BROKER_URL": ""})
    return run


@pytest.fixture
def cotton(register_farmer, sessions):
    register_farmer(phone="+919800000201", locale="mr", district="Nashik", crops=("cotton",))
    with sessions() as db:
        return db.scalar(select(Advisory.id).join(Advisory.crop).where(Advisory.crop.has(code="cotton"))
                         .order_by(Advisory.id))


def test_a_preview_sends_nothing_and_the_confirmation_is_asked(kheti, cotton):
    preview = kheti("broadcast", "create", "--advisory", str(cotton), "--district", "Nashik", "--preview")
    assert preview.exit_code == 0
    assert preview.output.startswith("1 farmer(s), ") and "mr: 1 farmer(s) (1 in India)" in preview.output
    assert "UCS-2" in preview.output and "DLT template DEMO" in preview.output
    declined = kheti("broadcast", "create", "--advisory", str(cotton), "--district", "Nashik", input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert "broadcast #" not in declined.output


def test_create_with_yes_then_status(kheti, cotton):
    created = kheti("broadcast", "create", "--advisory", str(cotton), "--district", "Nashik", "--yes")
    assert created.exit_code == 0 and "created; follow it with: kheti broadcast status" in created.output
    broadcast_id = created.output.split("broadcast #")[1].split()[0]
    again = kheti("broadcast", "create", "--advisory", str(cotton), "--district", "Nashik", "--yes")
    assert f"broadcast #{broadcast_id} already existed; nobody added twice" in again.output
    status = kheti("broadcast", "status", broadcast_id)
    assert status.exit_code == 0 and "to 1 farmer(s), dispatched, finished" in status.output
    assert "sent 1" in status.output
    as_json = json.loads(kheti("broadcast", "status", broadcast_id, "--json").output)
    assert as_json["counts"]["sent"] == 1


def test_refusals_are_one_clear_line(kheti, cotton):
    refused = kheti("broadcast", "create", "--advisory", str(cotton), "--district", "Atlantis", "--yes")
    assert refused.exit_code == 1 and "Error: unknown district 'Atlantis'" in refused.output
    assert kheti("broadcast", "status", "999999").output.strip() == "Error: no broadcast 999999"


def test_an_agronomist_writes_a_pest_alert_and_the_dlt_templates_are_listed(kheti, sessions):
    added = kheti("advisory", "add", "--crop", "cotton", "--key", "cotton-pink-bollworm-test",
                  "--en", "Pink bollworm seen in Nashik: set 5 pheromone traps per acre.",
                  "--hi", "नाशिक में गुलाबी सुंडी दिखी: प्रति एकड़ 5 फेरोमोन ट्रैप लगाएं।",
                  "--mr", "नाशिकमध्ये गुलाबी बोंडअळी दिसली: एकरी 5 कामगंध सापळे लावा.")
    assert added.exit_code == 0
    advisory_id = int(added.output.strip())
    try:
        listed = kheti("advisory", "list", "--crop", "cotton")
        assert f"{advisory_id:5}  cotton       alert" in listed.output
        duplicate = kheti("advisory", "add", "--crop", "cotton", "--key", "cotton-pink-bollworm-test",
                          "--en", "x", "--hi", "x", "--mr", "x")
        assert duplicate.exit_code == 1 and "exists already" in duplicate.output
    finally:
        with sessions() as db, db.begin():
            db.execute(delete(Advisory).where(Advisory.id == advisory_id))
    templates = kheti("dlt", "templates").output.splitlines()
    assert any(line.startswith("service_explicit\tbroadcast.advisory_sms (mr)\t") for line in templates)
    assert len(templates) == len(set(line.split("\t")[2] + line.split("\t")[0] for line in templates))


def test_a_registered_template_is_recorded(kheti, sessions):
    try:
        recorded = kheti("dlt", "add", "--template-id", "1107170000000000999", "--entity-id", "1101000000000000001",
                         "--header", "KHETIS", "--category", "service_implicit", "--name", "mela",
                         "--text", "KHETI MELA at {#var#} on {#var#}")
        assert recorded.exit_code == 0
        assert "1107170000000000999\tregistered\tactive\tKHETIS" in kheti("dlt", "list").output
    finally:
        with sessions() as db, db.begin():
            db.execute(delete(DltTemplate).where(DltTemplate.template_id == "1107170000000000999"))
