"""`dp report` on the command line: the report and its schema, idempotent history, exit codes, and bad
input (exit 2, one line naming the file, nothing written, the history file byte-for-byte unchanged)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import jsonschema
import pytest

from conftest import AS_OF, REPO, BuiltProject, dp, make_config
from dataproducts.config import ProjectConfig
from dataproducts.dbt import run_dbt

pytestmark = pytest.mark.integration

SCHEMA = json.loads((REPO / "src/dataproducts/schemas/slo_report.schema.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Validated:
    """A built and validated project, copied so that tests never touch the shared session build."""

    root: Path
    config: ProjectConfig


def _validated(built: BuiltProject, root: Path) -> Validated:
    """Copy the build, check source freshness (after the build, into the same target directory, as a user
    would: it rewrites manifest.json, and the run is still judged as the build's) and validate."""
    from dataproducts.pipeline import validate

    root.mkdir(parents=True, exist_ok=True)
    cfg = make_config(root)
    shutil.copy2(built.config.warehouse, cfg.warehouse)
    shutil.copytree(built.config.target_dir, cfg.target_dir, ignore=shutil.ignore_patterns("docs"))
    result = run_dbt(
        cfg,
        ["source", "freshness", "--quiet"],
        dbt_vars={"as_of": AS_OF.isoformat()},
        quiet=True,
        extra_env={"DBT_LOG_PATH": str(root / "logs")},
    )
    assert result.returncode in (0, 1)
    validate(cfg, data_docs=False)
    return Validated(root, cfg)


@pytest.fixture(scope="module")
def clean(built_clean: BuiltProject, tmp_path_factory: pytest.TempPathFactory) -> Validated:
    return _validated(built_clean, tmp_path_factory.mktemp("report-clean"))


@pytest.fixture(scope="module")
def faulty(built_faulty: BuiltProject, tmp_path_factory: pytest.TempPathFactory) -> Validated:
    return _validated(built_faulty, tmp_path_factory.mktemp("report-faulty"))


def _copy(src: Validated, dest: Path) -> ProjectConfig:
    """A private copy of a validated project (warehouse, target, history if any)."""
    cfg = make_config(dest)
    shutil.copy2(src.config.warehouse, cfg.warehouse)
    shutil.copytree(src.config.target_dir, cfg.target_dir)
    shutil.copytree(src.config.runs_dir, cfg.runs_dir, ignore=shutil.ignore_patterns(".lock"))
    if src.config.history.exists():
        shutil.copy2(src.config.history, cfg.history)
    return cfg


def _args(cfg: ProjectConfig) -> list[str]:
    return [
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
    ]


def _report(cfg: ProjectConfig, *extra: str) -> tuple[int, dict, str]:
    result = dp("report", *_args(cfg), *extra)
    path = cfg.reports_dir / "latest" / "slo_report.json"
    doc = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return result.returncode, doc, result.stdout + result.stderr


def _history_runs(cfg: ProjectConfig) -> int:
    with duckdb.connect(str(cfg.history), read_only=True) as con:
        row = con.execute("select count(*) from slo_runs").fetchone()
    return int(row[0]) if row else 0


# --- the report ---------------------------------------------------------------------------------------------


def test_report_on_a_clean_build(clean: Validated, tmp_path: Path) -> None:
    cfg = _copy(clean, tmp_path)
    code, doc, output = _report(cfg)
    assert code == 0, output
    jsonschema.validate(doc, SCHEMA)
    assert doc["as_of"] == f"{AS_OF.isoformat()}T06:00:00Z"
    assert doc["as_of_date"] == AS_OF.isoformat()
    assert doc["overall_status"] == "met"
    manifest = json.loads((cfg.target_dir / "manifest.json").read_text(encoding="utf-8"))
    run_results = json.loads((cfg.target_dir / "run_results.json").read_text(encoding="utf-8"))
    assert doc["invocation_id"] == run_results["metadata"]["invocation_id"], "the build's, not freshness's"
    assert doc["run_id"] == _record(cfg).name and doc["partial"] is False
    assert (_record(cfg) / "reports").is_dir(), "the report is kept in its run record too"
    public = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"].get("access") == "public"
    }
    assert {p["name"] for p in doc["products"]} == public
    for product in doc["products"]:
        assert product["status"] == "met", (product["id"], product["status_reason"])
        assert product["id"] == f"{product['domain']}.{product['name']}"
        assert len(product["trend"]) == 1
        assert product["error_budget"]["remaining"] == 1.0
        # first run: no volume band yet, said so; required fields still judged
        assert "no previous runs" in product["slis"]["completeness"]["reason"]
        assert product["links"]["dbt_docs"].endswith(f"#!/model/{product['unique_id']}")
    # the exposure still on customers v1 (dim_customers_v1) and its owner are listed with the product
    customers = next(p for p in doc["products"] if p["id"] == "customers.customers")
    assert "newsletter_sync" in {e["name"] for e in customers["exposures"]}
    for name in ("slo_report.json", "slo_report.md", "slo_report.html"):
        assert (cfg.reports_dir / "latest" / name).is_file()
        assert (cfg.reports_dir / AS_OF.isoformat() / name).is_file()
    assert _history_runs(cfg) == 1


def test_report_is_idempotent_per_invocation(clean: Validated, tmp_path: Path) -> None:
    cfg = _copy(clean, tmp_path)
    assert _report(cfg)[0] == 0
    code, doc, output = _report(cfg)
    assert code == 0, output
    assert _history_runs(cfg) == 1
    assert all(len(p["trend"]) == 1 for p in doc["products"])
    assert doc["inputs"]["history"]["runs_before"] == 1


def test_breached_products_and_fail_on(faulty: Validated, tmp_path: Path) -> None:
    cfg = _copy(faulty, tmp_path)
    code, doc, output = _report(cfg)
    assert code == 1, output
    jsonschema.validate(doc, SCHEMA)
    by_id = {p["id"]: p for p in doc["products"]}
    orders = by_id["sales.orders"]
    assert orders["status"] == "breached"
    assert orders["slis"]["validity"]["status"] == "breached"
    assert orders["failing_checks"], "a breached validity SLI lists its failing checks"
    assert doc["products"][0]["status"] == "breached", "worst products first"
    assert _report(cfg, "--fail-on", "never")[0] == 0
    assert _report(cfg, "--fail-on", "at_risk")[0] == 1


def test_html_escapes_sample_values(clean: Validated, tmp_path: Path) -> None:
    """A data value holding HTML in a failing sample is escaped in the HTML report."""
    cfg = _copy(clean, tmp_path)
    summary_path = _summary(cfg)
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    evil = "<script>alert('x')</script>"
    product = summary["products"][0]
    product["expectations"].append(
        {
            "type": "expect_column_values_to_match_regex",
            "column": "email",
            "kwargs": {"column": "email", "regex": "^.+@.+$"},
            "severity": "warning",
            "status": "failed",
            "element_count": 100,
            "unexpected_count": 1,
            "unexpected_percent": 1.0,
            "missing_count": 0,
            "observed_value": None,
            "partial_unexpected_list": [evil],
            "exception": None,
        }
    )
    summary_path.write_text(json.dumps(summary), encoding="utf-8")
    code, doc, output = _report(cfg, "--fail-on", "never")
    assert code == 0, output
    entry = next(p for p in doc["products"] if p["id"] == product["id"])
    assert evil in entry["failing_checks"][0]["samples"], "the JSON keeps the raw value"
    html_path = cfg.reports_dir / "latest" / "slo_report.html"
    if not html_path.exists():
        pytest.skip("HTML renderer not available yet")
    html = html_path.read_text(encoding="utf-8")
    assert "alert(" in html
    assert evil not in html
    assert "&lt;script&gt;" in html


# --- bad input ------------------------------------------------------------------------------------------------


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _other_invocation(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["invocation_id" if "invocation_id" in data else "metadata"] = (
        "00000000-0000-0000-0000-000000000000"
        if "invocation_id" in data
        else {**data["metadata"], "invocation_id": "00000000-0000-0000-0000-000000000000"}
    )
    path.write_text(json.dumps(data), encoding="utf-8")


def _record(cfg: ProjectConfig) -> Path:
    (record,) = [p for p in cfg.runs_dir.iterdir() if not p.name.startswith(".")]
    return record


def _summary(cfg: ProjectConfig) -> Path:
    (part,) = (_record(cfg) / "validations").iterdir()
    return part / "summary.json"


BAD_INPUTS: dict[str, tuple[Callable[[ProjectConfig], Path], Callable[[Path], object]]] = {
    "missing run_results": (lambda c: _record(c) / "dbt" / "run_results.json", Path.unlink),
    "truncated manifest": (lambda c: _record(c) / "dbt" / "manifest.json", _truncate),
    "truncated run_results": (lambda c: _record(c) / "dbt" / "run_results.json", _truncate),
    "truncated sources": (lambda c: _record(c) / "dbt" / "sources.json", _truncate),
    "truncated validation summary": (_summary, _truncate),
    "validation of another invocation": (_summary, _other_invocation),
    "manifest of another invocation": (lambda c: _record(c) / "dbt" / "manifest.json", _other_invocation),
    "truncated run record": (lambda c: _record(c) / "run.json", _truncate),
    "truncated target run_results (the build to adopt)": (
        lambda c: c.target_dir / "run_results.json",
        _truncate,
    ),
    "corrupt history": (lambda c: c.history, lambda p: p.write_bytes(b"\x00not a duckdb file" * 64)),
    "truncated history": (lambda c: c.history, _truncate),
    "missing warehouse": (lambda c: c.warehouse, Path.unlink),
}


@pytest.fixture(scope="module")
def with_history(clean: Validated, tmp_path_factory: pytest.TempPathFactory) -> Validated:
    """The clean project with one report already recorded (so a history file exists)."""
    root = tmp_path_factory.mktemp("report-history")
    cfg = _copy(clean, root)
    assert _report(cfg)[0] == 0
    return Validated(root, cfg)


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_and_writes_nothing(with_history: Validated, tmp_path: Path, case: str) -> None:
    cfg = _copy(with_history, tmp_path)
    shutil.copytree(with_history.config.reports_dir, cfg.reports_dir)
    which, damage = BAD_INPUTS[case]
    damage(which(cfg))
    history_before = cfg.history.read_bytes() if cfg.history.exists() else None
    report_before = (cfg.reports_dir / "latest" / "slo_report.json").read_bytes()
    result = dp("report", *_args(cfg))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dp: error: ")
    assert which(cfg).name in lines[0], "the error names the file"
    assert (cfg.history.read_bytes() if cfg.history.exists() else None) == history_before
    assert (cfg.reports_dir / "latest" / "slo_report.json").read_bytes() == report_before
    assert sorted(p.name for p in cfg.reports_dir.iterdir()) == [AS_OF.isoformat(), "latest"]
    reports = _record(with_history.config) / "reports"
    assert len(list((_record(cfg) / "reports").iterdir())) == len(list(reports.iterdir())), "no new part"
