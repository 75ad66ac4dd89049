"""`dp nightly` end to end on small generated data: a clean night, a late feed, a build that fails."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from conftest import AS_OF, REPO, SMALL_SCALE, dp, make_config
from dataproducts.config import ProjectConfig
from dataproducts.generate import generate

pytestmark = pytest.mark.integration

SCHEMA = json.loads((REPO / "src/dataproducts/schemas/slo_report.schema.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Night:
    config: ProjectConfig
    returncode: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict:
        path = self.config.reports_dir / "latest" / "slo_report.json"
        return json.loads(path.read_text(encoding="utf-8"))

    def product(self, product_id: str) -> dict:
        return next(p for p in self.report["products"] if p["id"] == product_id)

    @property
    def record(self) -> Path:
        (record,) = [p for p in self.config.runs_dir.iterdir() if not p.name.startswith(".")]
        return record


def _night(tmp: Path, faults: tuple[str, ...], *extra: str) -> Night:
    cfg = make_config(tmp)
    generate(cfg.warehouse, scale=SMALL_SCALE, seed=7, as_of=AS_OF, faults=faults)
    result = dp(
        "nightly",
        "--as-of",
        AS_OF.isoformat(),
        "--warehouse",
        str(cfg.warehouse),
        "--target-dir",
        str(cfg.target_dir),
        "--reports-dir",
        str(cfg.reports_dir),
        "--history",
        str(cfg.history),
        "--runs-dir",
        str(cfg.runs_dir),
        *extra,
        env={"DBT_LOG_PATH": str(tmp / "logs")},
    )
    return Night(cfg, result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Night:
    return _night(tmp_path_factory.mktemp("nightly-clean"), ())


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> Night:
    return _night(tmp_path_factory.mktemp("nightly-late"), ("late",), "--no-docs")


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Night:
    return _night(tmp_path_factory.mktemp("nightly-drift"), ("schema_drift",), "--no-docs")


def test_clean_night_exits_0_and_covers_every_public_product(clean: Night) -> None:
    assert clean.returncode == 0, clean.stdout + clean.stderr
    doc = clean.report
    jsonschema.validate(doc, SCHEMA)
    manifest = json.loads((clean.record / "dbt" / "manifest.json").read_text(encoding="utf-8"))
    public = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"].get("access") == "public"
    }
    assert {p["name"] for p in doc["products"]} == public
    assert doc["overall_status"] == "met"
    assert all(p["slis"]["freshness"]["status"] == "met" for p in doc["products"])
    # the report judges the build's own record; the nightly never writes target/ (only the docs site)
    run_results = json.loads((clean.record / "dbt" / "run_results.json").read_text(encoding="utf-8"))
    assert doc["invocation_id"] == run_results["metadata"]["invocation_id"]
    assert doc["run_id"] == clean.record.name and doc["partial"] is False
    assert sorted(p.name for p in clean.config.target_dir.iterdir()) == ["docs"]
    run = json.loads((clean.record / "run.json").read_text(encoding="utf-8"))
    assert run["origin"] == "nightly" and run["as_of"] == AS_OF.isoformat() and run["selection"] is None
    for name in ("slo_report.json", "slo_report.md", "slo_report.html"):
        assert (clean.config.reports_dir / "latest" / name).is_file()
        (part,) = (clean.record / "reports").iterdir()
        assert (part / name).read_bytes() == (clean.config.reports_dir / "latest" / name).read_bytes()


def test_progress_is_plain_lines_off_a_terminal(clean: Night) -> None:
    steps = ("[1/7] checks", "[2/7] dbt source freshness", "[3/7] dbt build", "[4/7] dp validate")
    for step in (*steps, "[5/7] dp report", "[6/7] dp publish"):
        assert f"{step}: started" in clean.stdout
        assert f"{step}: ok (" in clean.stdout
    assert "[7/7] dbt docs generate" in clean.stdout


def test_links_lead_to_the_docs_sites(clean: Night) -> None:
    latest = clean.config.reports_dir / "latest"
    for product in clean.report["products"]:
        page, _, anchor = product["links"]["dbt_docs"].partition("#")
        assert (latest / page).resolve().is_file(), page
        assert anchor == f"!/model/{product['unique_id']}"
        data_docs = product["links"]["data_docs"]
        assert data_docs and (latest / data_docs).resolve().is_file(), data_docs


def test_late_feed_breaches_freshness_and_exits_1(late: Night) -> None:
    assert late.returncode == 1, late.stdout + late.stderr
    doc = late.report
    jsonschema.validate(doc, SCHEMA)
    for product in doc["products"]:
        freshness = product["slis"]["freshness"]
        assert freshness["status"] == "breached", (product["id"], freshness["reason"])
        # loaded on D-3 between 00:00 and 01:00, judged at D 06:00: 77-78 hours old
        assert 76 <= freshness["value"] <= 78
        assert product["status"] == "breached"
    assert "[2/6] dbt source freshness: failed" in late.stdout


def test_failed_build_still_writes_the_report(drifted: Night) -> None:
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert "[3/6] dbt build: failed" in drifted.stdout
    doc = drifted.report
    jsonschema.validate(doc, SCHEMA)
    customers = drifted.product("customers.customers")
    assert customers["status"] == "breached"
    assert customers["slis"]["availability"]["status"] == "breached"
    for sli in ("completeness", "validity", "schema_stability"):
        assert customers["slis"][sli]["status"] == "unknown"
        assert "not built" in customers["slis"][sli]["reason"]
    # products that do not depend on the customer master are judged as usual
    for product_id in ("sales.products", "operations.service_health_daily"):
        product = drifted.product(product_id)
        assert product["status"] == "met", (product_id, product["status_reason"])
