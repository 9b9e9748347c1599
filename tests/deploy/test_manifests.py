"""The Kubernetes manifests (deploy/kubernetes): what they promise, read with PyYAML, and deploy/validate.py catching
a broken one. The schema checks need kubernetes-validate (dev extras); rendering an overlay needs kubectl."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from service.settings import Settings, SettingsError
from service.variables import VARIABLES
from workers.app import TASK_MODULES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
BASE = DEPLOY / "base"
EXAMPLE = DEPLOY / "overlays" / "example"
VALIDATE = [sys.executable, str(ROOT / "deploy" / "validate.py")]
CONNECTIONS = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
TOOL_VARIABLES = {"PROMETHEUS_MULTIPROC_DIR"}  # prometheus_client's, not the app's, but the image's processes need it
INTERNAL_PATHS = {"/healthz", "/readyz", "/metrics"}


def documents(*paths: Path) -> list[dict]:
    return [d for p in paths for d in yaml.safe_load_all(p.read_text()) if d]


def base_resources() -> list[dict]:
    listed = yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"]
    return documents(*(BASE / name for name in listed if name.endswith(".yaml")), BASE / "migrate" / "job.yaml")


def of_kind(kind: str, docs: list[dict] | None = None) -> list[dict]:
    return [d for d in (base_resources() if docs is None else docs) if d["kind"] == kind]


def workloads() -> list[dict]:
    return of_kind("Deployment") + of_kind("Job")


def containers(workload: dict) -> list[dict]:
    return workload["spec"]["template"]["spec"]["containers"]


def by_name(kind: str, name: str) -> dict:
    return next(d for d in of_kind(kind) if d["metadata"]["name"] == name)


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
    return {key: value for key, value in pairs}


def settings_map() -> dict[str, str]:
    return env_file(BASE / "settings" / "settings.env")


def example_secret() -> dict[str, str]:
    return next(d for d in documents(BASE / "secret.example.yaml")
                if d["metadata"]["name"] == "kheti-secrets")["stringData"]


def quantity(value: str) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for unit, factor in units.items():
        if str(value).endswith(unit):
            return float(str(value)[: -len(unit)]) * factor
    return float(value)


# --- what every workload promises ---------------------------------------------------------------------------------

@pytest.mark.parametrize("workload", workloads(), ids=lambda w: w["metadata"]["name"])
def test_every_workload_runs_unprivileged_with_sized_resources(workload):
    pod = workload["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["automountServiceAccountToken"] is False
    assert workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == "kheti"
    for container in containers(workload):
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        resources = container["resources"]
        for resource in ("cpu", "memory"):
            assert quantity(resources["requests"][resource]) <= quantity(resources["limits"][resource])
        # The image's files are read-only: what the processes write goes to emptyDirs.
        assert "/tmp" in {m["mountPath"] for m in container["volumeMounts"]}
        assert [e["configMapRef"]["name"] for e in container["envFrom"] if "configMapRef" in e] == ["kheti-settings"]
        assert [e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e] == ["kheti-secrets"]


@pytest.mark.parametrize("deployment", of_kind("Deployment"), ids=lambda d: d["metadata"]["name"])
def test_every_deployment_has_a_liveness_probe(deployment):
    for container in containers(deployment):
        assert "livenessProbe" in container


def test_the_gateway_is_gated_by_readyz_at_start_and_kept_by_healthz():
    gateway = containers(by_name("Deployment", "kheti-gateway"))[0]
    assert gateway["startupProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert by_name("Deployment", "kheti-gateway")["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_process_counts_are_set_not_derived():
    """Derived from the node's cores (Celery's own default) or the CPU limit (the image's), they would change with
    the node or the limit; the memory requests are sized for these counts."""
    gateway = containers(by_name("Deployment", "kheti-gateway"))[0]
    assert int({e["name"]: e["value"] for e in gateway["env"]}["WEB_CONCURRENCY"]) >= 2
    for name in ("kheti-worker-priority", "kheti-worker-bulk"):
        assert "-c" in containers(by_name("Deployment", name))[0]["command"]


def test_exactly_one_beat_that_nothing_scales():
    beat = by_name("Deployment", "kheti-beat")
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    scaled = documents(*DEPLOY.rglob("*.yaml"))
    targets = {d["spec"]["scaleTargetRef"]["name"] for d in scaled
               if d.get("kind") in ("HorizontalPodAutoscaler", "ScaledObject")
               and "scaleTargetRef" in d.get("spec", {})}
    assert "kheti-beat" not in targets
    assert all(d["spec"].get("replicas") in (None, 1) for d in scaled
               if d.get("kind") == "Deployment" and d["metadata"]["name"] == "kheti-beat")


def test_autoscaled_deployments_leave_the_count_to_their_scaler():
    for name in ("kheti-gateway", "kheti-worker-priority", "kheti-worker-bulk"):
        assert "replicas" not in by_name("Deployment", name)["spec"], name
    assert by_name("HorizontalPodAutoscaler", "kheti-gateway")["spec"]["scaleTargetRef"]["name"] == "kheti-gateway"
    assert by_name("PodDisruptionBudget", "kheti-gateway")["spec"]["selector"]["matchLabels"][
        "app.kubernetes.io/component"] == "gateway"


def test_each_worker_is_scaled_on_the_celery_lists_of_the_queues_it_consumes():
    """Celery's Redis transport keeps a queue as a list named like the queue: what KEDA's redis trigger reads."""
    queues = {spec.queue for module in TASK_MODULES for spec in module.TASKS} | {"default"}
    for name in ("kheti-worker-priority", "kheti-worker-bulk"):
        command = containers(by_name("Deployment", name))[0]["command"]
        consumed = set(command[command.index("-Q") + 1].split(","))
        triggers = by_name("ScaledObject", name)["spec"]["triggers"]
        assert consumed <= queues
        assert {t["metadata"]["listName"] for t in triggers if t["type"] == "redis"} == consumed, name


def test_both_workers_have_the_same_liveness_check():
    probes = [containers(by_name("Deployment", n))[0]["livenessProbe"] for n in ("kheti-worker-priority",
                                                                                   "kheti-worker-bulk")]
    assert probes[0] == probes[1]
    assert "control.ping" in probes[0]["exec"]["command"][2]


# --- who may talk to whom ---------------------------------------------------------------------------------------

def test_only_the_gateway_takes_traffic():
    policies = of_kind("NetworkPolicy")
    assert all(p["spec"]["policyTypes"] == ["Ingress"] for p in policies)  # egress stays open
    denying = [p for p in policies if not p["spec"].get("ingress")]
    assert [p["spec"]["podSelector"] for p in denying] == [{"matchLabels": {"app.kubernetes.io/name": "kheti"}}]
    opening = [p for p in policies if p["spec"].get("ingress")]
    assert opening and all(p["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == "gateway"
                           for p in opening)
    for policy in opening:
        for rule in policy["spec"]["ingress"]:
            assert all(set(peer) == {"namespaceSelector"} for peer in rule["from"])  # from a namespace, not anyone
    patched = documents(EXAMPLE / "patches" / "ingress-controller.yaml")[0]
    assert patched["metadata"]["name"] in {p["metadata"]["name"] for p in opening}


def test_the_ingress_routes_every_public_path_and_no_internal_one(app):
    routed = {p["path"] for rule in documents(EXAMPLE / "ingress.yaml")[0]["spec"]["rules"]
              for p in rule["http"]["paths"]}
    prefixes = {"/" + rule.rule.split("/")[1] for rule in app.url_map.iter_rules()}
    assert prefixes - INTERNAL_PATHS <= routed, "a public route the Ingress does not send to the gateway"
    assert not routed & INTERNAL_PATHS


# --- settings and secrets -----------------------------------------------------------------------------------------

def test_every_variable_is_in_the_configmap_or_the_secret_and_secrets_only_in_the_secret():
    secret_names = {v.name for v in VARIABLES if v.secret} | CONNECTIONS
    assert set(example_secret()) == secret_names
    assert set(settings_map()) == {v.name for v in VARIABLES} - secret_names | TOOL_VARIABLES


def test_the_example_secret_holds_placeholders_only():
    for key, value in example_secret().items():
        assert value == "" or "REPLACE-ME" in value, key
    listed = [yaml.safe_load(p.read_text()) for p in DEPLOY.rglob("kustomization.yaml")]
    assert not any("secret.example.yaml" in str(k.get("resources", [])) for k in listed)


def test_the_examples_settings_pass_the_services_own_checks():
    """base settings, merged with the example's, plus the Secret with its placeholders filled in."""
    release = yaml.safe_load((EXAMPLE / "release" / "kustomization.yaml").read_text())
    merged = {**settings_map(), **dict(line.split("=", 1) for line in release["configMapGenerator"][0]["literals"])}
    secret = {key: value.replace("REPLACE-ME", "x") or "x" for key, value in example_secret().items()}
    with pytest.raises(SettingsError, match="SECRET_KEY"):  # as shipped, the placeholder stops start-up
        Settings.from_env({**merged, **example_secret(), "SECRET_KEY": "REPLACE-ME"})
    settings = Settings.from_env({**merged, **secret, "SECRET_KEY": "k" * 40})
    assert settings.var_dir == "/var/lib/kheti" and settings.trusted_proxies == 1


def test_one_release_names_one_image_for_the_app_and_its_migration():
    release = yaml.safe_load((EXAMPLE / "release" / "kustomization.yaml").read_text())
    assert {c["image"] for w in workloads() for c in containers(w)} == {i["name"] for i in release["images"]}
    for folder in (EXAMPLE, EXAMPLE / "migrate"):
        spec = yaml.safe_load((folder / "kustomization.yaml").read_text())
        assert [str((folder / c).resolve()) for c in spec["components"]] == [str(EXAMPLE / "release")]
    assert "migrate" not in str(yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"])


# --- deploy/validate.py -------------------------------------------------------------------------------------------

BROKEN = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: x
          image: y
          livenessprobe: {httpGet: {path: /healthz, port: 5000}}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: broken}
spec:
  scaleTargetRef: {name: broken}
  triggers:
    - type: redis
      metadata: {address: "redis:6379", listName: sms.bulk, listLength: 20}
---
apiVersion: example.org/v1
kind: Widget
metadata: {name: unknown}
"""


def run_validate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*VALIDATE, *args], capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_validate_fails_on_a_broken_manifest(tmp_path):
    pytest.importorskip("kubernetes_validate", reason="dev extras: kubernetes-validate")
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)
    done = run_validate(str(broken))
    assert done.returncode == 1, done.stdout
    assert "'livenessprobe' was unexpected" in done.stdout  # strict: a misspelt field is an error
    assert "listLength: 20 is not of type 'string'" in done.stdout  # KEDA wants strings: our schema
    assert "Widget" in done.stdout  # a kind with no schema is an error, not a skip
    assert run_validate(str(BASE / "gateway.yaml")).returncode == 0


def test_validate_fails_on_an_overlay_whose_patch_breaks_a_manifest(tmp_path):
    pytest.importorskip("kubernetes_validate", reason="dev extras: kubernetes-validate")
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is needed to render a kustomization")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    base = os.path.relpath(BASE, overlay)  # kustomize takes no absolute path
    (overlay / "kustomization.yaml").write_text(f"resources: [{base}]\npatches: [{{path: bad.yaml}}]\n")
    (overlay / "bad.yaml").write_text("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
                                      "metadata: {name: kheti-gateway}\nspec: {minReplicas: two}\n")
    done = run_validate(str(overlay))
    assert done.returncode == 1, done.stdout
    assert "minReplicas" in done.stdout


def test_the_whole_tree_validates():
    pytest.importorskip("kubernetes_validate", reason="dev extras: kubernetes-validate")
    pytest.importorskip("yamllint", reason="dev extras: yamllint")
    render = shutil.which("kubectl") or shutil.which("kustomize")
    done = run_validate(*([] if render else ["--no-render"]))
    assert done.returncode == 0, done.stdout + done.stderr
