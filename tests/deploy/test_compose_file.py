"""docker-compose.yml as an operator runs it: the gateway scales behind the proxy, every setting reaches the services
through env_file, each service has a health check that fits what it does, and the secrets have no defaults.
(.ci/check-deploy renders it with `docker compose config` too, where compose is installed.)"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from service.variables import VARIABLES
from tests.deploy.repo_scripts import env_example

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
KHETI = [name for name, service in SERVICES.items() if "KHETI_IMAGE" in str(service.get("image", ""))]
REQUIRED = ("POSTGRES_PASSWORD", "SECRET_KEY")


def test_the_kheti_services_are_the_image_s_five_processes():
    assert sorted(KHETI) == ["beat", "gateway", "migrate", "worker", "worker-priority"]


def test_only_the_proxy_publishes_a_host_port_so_the_gateway_scales():
    assert "ports" not in SERVICES["gateway"], "a fixed host port stops `--scale gateway=3`"
    assert "container_name" not in SERVICES["gateway"]
    assert [name for name, service in SERVICES.items() if service.get("ports")] == ["proxy"]
    proxy = SERVICES["proxy"]
    assert proxy["image"].startswith("nginx:")
    conf = (ROOT / proxy["volumes"][0].split(":")[0]).read_text(encoding="utf-8")
    assert re.search(r"server gateway:5000 resolve;", conf), "the proxy must follow gateways as they scale"
    assert proxy["depends_on"]["gateway"]["condition"] == "service_healthy"


def test_every_setting_reaches_the_kheti_services_through_env_file():
    module = env_example()
    overridden = set(module.SET_BY_COMPOSE) | set(module.COMPOSE_DEFAULTS) | {"SECRET_KEY"}
    names = {v.name for v in VARIABLES}
    for name in KHETI:
        service = SERVICES[name]
        assert service["env_file"] == ".env", name
        # What compose sets over .env is its own wiring, each one explained in .env.example, and nothing else.
        assert set(service["environment"]) == overridden, name
        assert set(service["environment"]) <= names, name


def test_every_variable_compose_reads_is_in_env_example():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    read = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_TEXT))  # $${...} is the container's
    missing = sorted(name for name in read if not re.search(rf"^(# )?{name}=", example, re.M))
    assert missing == []


@pytest.mark.parametrize("secret", REQUIRED)
def test_secrets_are_required_and_have_no_default(secret):
    uses = re.findall(rf"\$\{{{secret}([^}}]*)\}}", COMPOSE_TEXT)
    assert uses, f"{secret} is not used"
    assert all(use.startswith(":?") and "set " + secret in use for use in uses), uses


def test_every_service_has_a_health_check_that_fits_it():
    for name, service in SERVICES.items():
        assert "healthcheck" in service, f"{name} has no healthcheck (it would inherit nothing or the wrong one)"
    assert SERVICES["migrate"]["healthcheck"] == {"disable": True}  # a one-shot others wait out
    assert "/healthz" in " ".join(SERVICES["gateway"]["healthcheck"]["test"])
    for worker in ("worker", "worker-priority"):
        test = " ".join(SERVICES[worker]["healthcheck"]["test"])
        assert "celery inspect ping" in test and "--destination" in test and "HOSTNAME" in test, test
    beat = " ".join(SERVICES["beat"]["healthcheck"]["test"])
    assert "celerybeat-schedule" in beat and "-mmin" in beat
    assert "--fresh" in SERVICES["backup"]["healthcheck"]["test"]


def test_the_worker_health_check_names_the_node_the_worker_runs_as():
    # `kheti worker` leaves Celery's node name at its default, celery@<hostname>, which the check pings.
    from celery.utils.nodenames import default_nodename
    assert default_nodename(None) == f"celery@{os.uname().nodename}"
    test = SERVICES["worker"]["healthcheck"]["test"][1]
    assert '--destination "celery@$${HOSTNAME}"' in test  # $$: the container's shell expands it, not compose


def test_images_are_pinned_to_exact_versions():
    for name, service in SERVICES.items():
        image = service.get("image", "")
        if name in KHETI:
            continue
        assert re.fullmatch(r"[a-z0-9/.-]+:\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?(@sha256:[0-9a-f]{64})?", image), image
    assert SERVICES["backup"]["image"] == SERVICES["postgres"]["image"], "pg_dump must match the server's version"


def test_the_backup_service_runs_the_scripts_it_mounts():
    backup = SERVICES["backup"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in backup["volumes"]}
    for target in ("/usr/local/bin/pg-backup", "/usr/local/bin/restore-drill"):
        script = ROOT / mounts[target]
        assert script.is_file() and os.access(script, os.X_OK), script
    assert backup["command"][:2] == ["pg-backup", "--every"]
    assert "PGPASSWORD" in backup["environment"] and "@postgres" in backup["command"][3]
