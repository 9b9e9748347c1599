#!/usr/bin/env python3
"""Check the deployment files offline: `.venv/bin/python deploy/validate.py [PATH ...]` (exit 0: all good).

With no PATH it checks deploy/kubernetes: every kustomization rendered (`kubectl kustomize`, or `kustomize build`),
so each overlay's patches are checked as applied, and every YAML file that is a whole manifest on its own (resources
and the Secret example; patch files only through the kustomizations that use them). A PATH may be a manifest file or
a kustomization's folder. Each document is validated:
- a Kubernetes kind: with kubernetes-validate's bundled schemas (no network), strict (an unknown field is an error),
  for each version in KUBERNETES_VERSIONS (`-k` to choose);
- a KEDA kind (keda.sh/v1alpha1: ScaledObject, TriggerAuthentication): with deploy/kubernetes/schemas/, a schema of
  our own (kubernetes-validate has none for custom resources);
- any other kind is an error, never a silent skip.
Then yamllint over deploy/ (the repository's .yamllint.yaml). The Dockerfile (hadolint) and docker-compose.yml
(`docker compose config`) are .ci/check-deploy's.
Needs the dev extras (kubernetes-validate, yamllint): `pip install -e '.[dev]'`.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"
SCHEMAS = KUBERNETES / "schemas"
KUBERNETES_VERSIONS = ("1.29", "1.37")  # the oldest we support (autoscaling/v2, pod security labels) and the newest
KUSTOMIZATION = "kustomization.yaml"


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.checked = 0

    def fail(self, where: str, why: str) -> None:
        self.failures.append(f"{where}: {why}")
        print(f"FAIL {where}: {why}")

    def ok(self, where: str) -> None:
        self.checked += 1


def kustomize(folder: Path) -> str:
    """The kustomization rendered, or raise RuntimeError with the tool's complaint."""
    if shutil.which("kubectl"):
        command = ["kubectl", "kustomize", str(folder)]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build", str(folder)]
    else:
        raise RuntimeError("neither kubectl nor kustomize is installed: cannot render it (--no-render to skip)")
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(done.stderr.strip() or done.stdout.strip())
    return done.stdout


def kustomizations(top: Path) -> list[Path]:
    """Folders with a Kustomization (Components are rendered only through the kustomizations that use them)."""
    found = []
    for path in sorted(top.rglob(KUSTOMIZATION)):
        if yaml.safe_load(path.read_text()).get("kind", "Kustomization") == "Kustomization":
            found.append(path.parent)
    return found


def patch_files(top: Path) -> set[Path]:
    """Files that kustomizations use as patches: partial manifests, valid only once applied."""
    patches = set()
    for path in top.rglob(KUSTOMIZATION):
        spec = yaml.safe_load(path.read_text()) or {}
        for entry in spec.get("patches", []) + spec.get("patchesStrategicMerge", []):
            name = entry.get("path") if isinstance(entry, dict) else entry
            if name:
                patches.add((path.parent / name).resolve())
    return patches


def standalone_files(top: Path) -> list[Path]:
    patches = patch_files(top)
    return [p for p in sorted(top.rglob("*.yaml")) + sorted(top.rglob("*.yml"))
            if p.name != KUSTOMIZATION and p.resolve() not in patches]


def keda_validator(kind: str):
    import jsonschema
    schema = json.loads((SCHEMAS / "keda.sh-v1alpha1.json").read_text())
    if kind not in schema["$defs"]:
        return None
    return jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{kind}"})


def validate_document(doc: dict, where: str, versions: tuple[str, ...], report: Report) -> None:
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError, VersionNotSupportedError
    if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
        report.fail(where, "not a Kubernetes object (no apiVersion or kind)")
        return
    name = f"{where} {doc['kind']}/{(doc.get('metadata') or {}).get('name', '?')}"
    if doc["apiVersion"].startswith("keda.sh/"):
        validator = keda_validator(doc["kind"]) if doc["apiVersion"] == "keda.sh/v1alpha1" else None
        if validator is None:
            report.fail(name, f"no schema for {doc['apiVersion']} {doc['kind']} in {SCHEMAS.relative_to(ROOT)}")
            return
        errors = sorted({f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                         for e in validator.iter_errors(doc)})
        for error in errors:
            report.fail(name, error)
        if not errors:
            report.ok(name)
        return
    for version in versions:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except ValidationError as error:
            report.fail(name, f"Kubernetes {version}: {'.'.join(map(str, error.path)) or '(top)'}: {error.message}")
            return
        except SchemaNotFoundError as error:
            report.fail(name, error.message)
            return
        except VersionNotSupportedError:
            report.fail(name, f"this kubernetes-validate has no schemas for Kubernetes {version}: upgrade it")
            return
    report.ok(name)


def validate_text(text: str, where: str, versions: tuple[str, ...], report: Report) -> None:
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        report.fail(where, f"not YAML: {error}")
        return
    if not documents:
        report.fail(where, "no document")
    for doc in documents:
        validate_document(doc, where, versions, report)


def check_manifests(paths: list[Path], versions: tuple[str, ...], render: bool, report: Report) -> None:
    for path in paths:
        if path.is_dir():
            folders, files = kustomizations(path), standalone_files(path)
        elif path.name == KUSTOMIZATION:
            folders, files = [path.parent], []
        else:
            folders, files = [], [path]
        for file in files:
            validate_text(file.read_text(), _shown(file), versions, report)
        for folder in folders:
            if not render:
                print(f"SKIPPED rendering {_shown(folder)} (--no-render): its patches are not checked")
                continue
            try:
                rendered = kustomize(folder)
            except RuntimeError as error:
                report.fail(_shown(folder), f"kustomize: {error}")
                continue
            validate_text(rendered, f"{_shown(folder)} (rendered)", versions, report)


def run_tool(name: str, command: list[str], report: Report) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode:
        report.fail(name, (done.stdout + done.stderr).strip() or f"exit {done.returncode}")
    else:
        report.ok(name)
        print(f"ok   {name}")


def yamllint_config() -> list[str]:
    """The repository's .yamllint.yaml; without one, its rules (yamllint's own default is 80 columns)."""
    if (ROOT / ".yamllint.yaml").exists():
        return ["-c", str(ROOT / ".yamllint.yaml")]
    return ["-d", "{extends: default, rules: {line-length: {max: 120}, document-start: disable, "
                  "truthy: {check-keys: false}}}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="manifest files or kustomization folders")
    parser.add_argument("-k", "--kubernetes-version", action="append", dest="versions")
    parser.add_argument("--no-render", action="store_true", help="do not render kustomizations (no kubectl)")
    args = parser.parse_args(argv)
    try:
        import kubernetes_validate  # noqa: F401
    except ImportError:
        print("kubernetes-validate is not installed: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    report = Report()
    versions = tuple(args.versions or KUBERNETES_VERSIONS)
    check_manifests([p.resolve() for p in args.paths] or [KUBERNETES], versions, not args.no_render, report)
    if not args.paths:  # the whole tree: its style too
        run_tool("yamllint deploy/", [sys.executable, "-m", "yamllint", "--strict", *yamllint_config(), "deploy"],
                 report)
    print(f"\n{report.checked} checked, {len(report.failures)} failed")
    return 1 if report.failures else 0


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
