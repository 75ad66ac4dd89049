"""The seed's shared platforms on paper (issue 15, part 5): the same project parsed by dbt for Azure
Databricks (dbt-databricks) and Microsoft Fabric / Synapse (dbt-fabric) with deploy/platforms/profiles.yml,
and the Data Factory pipeline that runs the nightly job (deploy/adf).

`dbt parse` renders the profile and every model's configuration with the platform's adapter but never
connects, so this proves the project is valid dbt there (every product, version, contract and access), not
that it builds there: deploy/README.md says what was and was not run. The adapters live in a venv of their
own (`make test-platforms` makes .venv-platforms): dbt-databricks brings a dbt-spark older than the spark
extra's, so the two cannot share the project's venv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO

pytestmark = pytest.mark.platforms

PLATFORMS_DBT = Path(os.environ.get("DP_PLATFORMS_DBT", str(REPO / ".venv-platforms" / "bin" / "dbt")))
PROFILES = REPO / "deploy" / "platforms"
ADF = REPO / "deploy" / "adf"
TARGETS = {"databricks": "databricks", "fabric": "fabric"}  # target -> adapter_type


def _parse(dbt: Path, target_path: Path, *extra: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DP_", "DBT_"))}
    env["DO_NOT_TRACK"] = "1"
    proc = subprocess.run(
        [
            str(dbt), "parse", "--no-partial-parse", "--show-all-deprecations", "--warn-error", "--quiet",
            "--project-dir", str(REPO), "--target-path", str(target_path),
            "--log-path", str(target_path / "logs"), *extra,
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, (
        f"dbt parse {' '.join(extra)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}"
    )
    return dict(json.loads((target_path / "manifest.json").read_text(encoding="utf-8")))


def _products(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every public model version: what a consumer is promised (group, contract, columns and types)."""
    out = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node.get("access") != "public":
            continue
        key = f"{node['name']}.v{node['version']}" if node.get("version") is not None else node["name"]
        out[key] = {
            "group": node.get("group"),
            "contract": bool(node["config"]["contract"]["enforced"]),
            "latest_version": node.get("latest_version"),
            "deprecation_date": node.get("deprecation_date"),
            "columns": {name: col.get("data_type") for name, col in node["columns"].items()},
        }
    return out


@pytest.fixture(scope="module")
def local_products(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The products as the project's own venv parses them for its default DuckDB target."""
    dbt = REPO / ".venv" / "bin" / "dbt"
    return _products(_parse(dbt, tmp_path_factory.mktemp("local")))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_dbt_parse_on_the_platform_keeps_every_product_and_contract(
    target: str, local_products: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    if not PLATFORMS_DBT.is_file():
        pytest.fail(
            f"{PLATFORMS_DBT} not found: run `make test-platforms` (it installs dbt-databricks and dbt-fabric)"
        )
    manifest = _parse(PLATFORMS_DBT, tmp_path, "--profiles-dir", str(PROFILES), "--target", target)
    assert manifest["metadata"]["adapter_type"] == TARGETS[target]
    products = _products(manifest)
    assert products, "no public model parsed"
    assert products == local_products
    assert all(p["contract"] for p in products.values()), "a public product without an enforced contract"


def test_the_data_factory_pipeline_runs_the_nightly_and_fails_visibly() -> None:
    pipeline = json.loads((ADF / "pipeline.json").read_text(encoding="utf-8"))
    trigger = json.loads((ADF / "trigger.json").read_text(encoding="utf-8"))
    activities = {a["name"]: a for a in pipeline["properties"]["activities"]}
    for activity in activities.values():
        for dep in activity.get("dependsOn", []):
            assert dep["activity"] in activities, f"{activity['name']} depends on unknown {dep['activity']}"
    # every parameter an expression reads is declared
    declared = set(pipeline["properties"]["parameters"])
    used = set(re.findall(r"pipeline\(\)\.parameters\.(\w+)", json.dumps(pipeline)))
    assert used and used <= declared, used - declared
    # the nightly activity runs the script that is in this repository, and the script runs dp nightly
    command = activities["Nightly"]["typeProperties"]["command"]
    script = REPO / command.split()[-1]
    assert script.is_file() and os.access(script, os.X_OK), script
    text = script.read_text(encoding="utf-8")
    assert "dp nightly" in text and 'exit "$code"' in text
    failing = [a for a in activities.values() if a["type"] == "Fail"]
    assert failing and failing[0]["dependsOn"] == [
        {"activity": "Nightly", "dependencyConditions": ["Failed"]}
    ]
    (ref,) = trigger["properties"]["pipelines"]
    assert ref["pipelineReference"]["referenceName"] == pipeline["name"]
    assert set(ref["parameters"]) <= declared
