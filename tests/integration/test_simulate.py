"""`dp simulate`: a real multi-day run with an incident on a known day; the breach shows in the right
product and SLI, in the history and the trend, and that product's budget ends lower than a healthy one's."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import duckdb
import jsonschema
import pytest

from conftest import REPO, dp, make_config
from dataproducts.config import ProjectConfig
from dataproducts.pipeline import default_schedule, parse_incidents

pytestmark = pytest.mark.integration

SCHEMA = json.loads((REPO / "src/dataproducts/schemas/slo_report.schema.json").read_text(encoding="utf-8"))
DAYS = 4
END = dt.date(2026, 11, 20)
START = END - dt.timedelta(days=DAYS - 1)
INCIDENT_DAY = 3  # 2026-11-19: most of the last data day's orders are missing
INCIDENT = "volume_drop"
HIT, HEALTHY = "sales.sales_daily", "sales.products"


@pytest.fixture(scope="module")
def simulated(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[ProjectConfig, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("simulate")
    cfg = make_config(tmp)
    result = dp(
        "simulate",
        "--days",
        str(DAYS),
        "--end",
        END.isoformat(),
        "--scale",
        "0.05",
        "--incident",
        f"{INCIDENT_DAY}={INCIDENT}",
        "--no-docs",
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
        env={"DBT_LOG_PATH": str(tmp / "logs")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return cfg, result


@pytest.fixture(scope="module")
def report(simulated: tuple[ProjectConfig, subprocess.CompletedProcess[str]]) -> dict:
    cfg, _ = simulated
    return json.loads((cfg.reports_dir / "latest" / "slo_report.json").read_text(encoding="utf-8"))


def _product(report: dict, product_id: str) -> dict:
    return next(p for p in report["products"] if p["id"] == product_id)


def test_prints_the_schedule(simulated: tuple[ProjectConfig, subprocess.CompletedProcess[str]]) -> None:
    _, result = simulated
    incident_date = START + dt.timedelta(days=INCIDENT_DAY - 1)
    assert f"incidents: day {INCIDENT_DAY} ({incident_date}): {INCIDENT}" in result.stdout
    assert f"day {INCIDENT_DAY}/{DAYS} {incident_date} [{INCIDENT}]" in result.stdout


def test_every_product_has_one_trend_point_per_day(report: dict) -> None:
    jsonschema.validate(report, SCHEMA)
    assert report["as_of_date"] == END.isoformat()
    expected = [(START + dt.timedelta(days=i)).isoformat() for i in range(DAYS)]
    for product in report["products"]:
        assert [p["date"] for p in product["trend"]] == expected, product["id"]
        assert len({p["invocation_id"] for p in product["trend"]}) == DAYS
        assert len({p["run_id"] for p in product["trend"]}) == DAYS
        assert product["error_budget"]["missed_runs"] == 0


def test_the_incident_breaches_the_right_product_and_sli(report: dict) -> None:
    hit = _product(report, HIT)["trend"][INCIDENT_DAY - 1]
    assert hit["status"] == "breached"
    assert hit["slis"]["validity"] == "breached"
    assert hit["slis"]["freshness"] == "met"
    for product in report["products"]:
        if product["id"] != HIT:
            assert product["trend"][INCIDENT_DAY - 1]["status"] != "breached", product["id"]
        # the other days were clean
        for i, point in enumerate(product["trend"]):
            if i != INCIDENT_DAY - 1:
                assert point["status"] in ("met", "at_risk"), (product["id"], point)


def test_the_breached_product_spent_budget_a_healthy_one_did_not(report: dict) -> None:
    hit, healthy = _product(report, HIT), _product(report, HEALTHY)
    assert hit["error_budget"]["bad_runs"] == 1
    assert hit["error_budget"]["per_sli"]["validity"]["bad_runs"] == 1
    assert hit["error_budget"]["per_sli"]["freshness"]["bad_runs"] == 0
    assert healthy["error_budget"]["bad_runs"] == 0
    assert hit["error_budget"]["remaining"] < healthy["error_budget"]["remaining"] == 1.0
    # today is clean, but 1 bad run in 4 burns a 5% budget 5x: at risk, worst first
    assert hit["run_status"] == "met"
    assert hit["status"] == "at_risk"
    assert "budget" in hit["status_reason"]
    assert report["products"][0]["status"] == "at_risk"


def test_the_volume_band_uses_the_earlier_runs(report: dict) -> None:
    completeness = _product(report, HEALTHY)["slis"]["completeness"]
    assert completeness["details"]["baseline_runs"] == DAYS - 1
    assert completeness["value"] == pytest.approx(1.0, abs=0.05)


def test_history_holds_one_real_run_per_day(
    simulated: tuple[ProjectConfig, subprocess.CompletedProcess[str]], report: dict
) -> None:
    cfg, _ = simulated
    with duckdb.connect(str(cfg.history), read_only=True) as con:
        rows = con.execute(
            "select as_of_date, dbt_invocation_id, run_id, partial from slo_runs order by as_of_date"
        ).fetchall()
    assert [r[0] for r in rows] == [START + dt.timedelta(days=i) for i in range(DAYS)]
    assert rows[-1][1] == report["invocation_id"] and rows[-1][2] == report["run_id"]
    assert not any(r[3] for r in rows)
    # each day's run has its record, with that day's report
    for _, _, run_id, _ in rows:
        assert len(list((cfg.runs_dir / run_id / "reports").iterdir())) == 1
    for i in range(DAYS):
        assert (cfg.reports_dir / (START + dt.timedelta(days=i)).isoformat() / "slo_report.json").is_file()


# --- the schedule (pure) --------------------------------------------------------------------------------------


def test_default_schedule() -> None:
    assert default_schedule(1) == {}
    assert default_schedule(4) == {2: ("late",)}
    assert default_schedule(5) == {2: ("nulls", "duplicates"), 3: ("late",), 4: ("volume_drop",)}
    assert default_schedule(14) == {4: ("nulls", "duplicates"), 7: ("late",), 11: ("volume_drop",)}


def test_parse_incidents() -> None:
    start = dt.date(2026, 11, 1)
    assert parse_incidents(["3=late", "2026-11-05=nulls,duplicates"], 7, start) == {
        3: ("late",),
        5: ("nulls", "duplicates"),
    }


@pytest.mark.parametrize("value", ["9=late", "0=late", "late", "x=late", "2=meteor"])
def test_bad_incidents_exit_2(value: str, tmp_path: Path) -> None:
    result = dp("simulate", "--days", "3", "--incident", value, "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "w.duckdb").exists()
