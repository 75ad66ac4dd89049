"""`dp nightly` end to end on small generated data: a clean night, a late feed, a build that fails."""

from __future__ import annotations

import dataclasses
import json
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import AS_OF, REPO, SMALL_SCALE, copy_ignore, dp, make_config
from dataproducts.config import ProjectConfig
from dataproducts.generate import generate
from http_receiver import Receiver

pytestmark = pytest.mark.integration

SCHEMA = json.loads((REPO / "src/dataproducts/schemas/slo_report.schema.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Night:
    config: ProjectConfig
    returncode: int
    stdout: str
    stderr: str
    received: tuple[Any, ...] = ()  # the requests a receiver on 127.0.0.1 got during the night
    lineage_file: Path | None = None

    @property
    def report(self) -> dict:
        path = self.config.reports_dir / "latest" / "slo_report.json"
        return json.loads(path.read_text(encoding="utf-8"))

    def product(self, product_id: str) -> dict:
        return next(p for p in self.report["products"] if p["id"] == product_id)

    @property
    def lineage_requests(self) -> list[Any]:
        return [r for r in self.received if r.path.startswith("/api/v1/lineage")]

    @property
    def record(self) -> Path:
        (record,) = [p for p in self.config.runs_dir.iterdir() if not p.name.startswith(".")]
        return record


def _night(tmp: Path, faults: tuple[str, ...], *extra: str, env: dict[str, str] | None = None) -> Night:
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
        env={"DBT_LOG_PATH": str(tmp / "logs"), **(env or {})},
    )
    return Night(cfg, result.returncode, result.stdout, result.stderr)


def _openlineage_yml(tmp: Path, transports: dict[str, Any]) -> dict[str, str]:
    """The client's own openlineage.yml (OPENLINEAGE_CONFIG): a composite of ``transports``."""
    path = tmp / "openlineage.yml"
    config = {"transport": {"type": "composite", "continue_on_failure": True, "transports": transports}}
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return {"OPENLINEAGE_CONFIG": str(path)}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Night:
    """A clean night that sends its OpenLineage events over HTTP to a receiver and to a file at once."""
    tmp = tmp_path_factory.mktemp("nightly-clean")
    events = tmp / "openlineage.jsonl"
    with Receiver() as rx:
        env = _openlineage_yml(
            tmp,
            {
                "receiver": {
                    "type": "http",
                    "url": rx.base,
                    "endpoint": "api/v1/lineage",
                    "auth": {"type": "api_key", "apiKey": "night-key"},
                },
                "file": {"type": "file", "log_file_path": str(events), "append": True},
            },
        )
        night = _night(tmp, (), env=env)
        return dataclasses.replace(night, received=tuple(rx.requests()), lineage_file=events)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ALERT_SECRET = "T0/B0/s3cr3t-path"


def _project_with(tmp: Path, settings: dict[str, Any]) -> Path:
    """A copy of the project (sources only) whose dataproducts.yml holds ``settings``."""
    dest = tmp / "project"
    generated = (
        ".venv",
        ".venv-*",
        "target",
        "logs",
        "reports",
        "warehouse",
        "runs",
        "files",
        ".git",
        "*.duckdb",
    )
    caches = ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")
    shutil.copytree(REPO, dest, ignore=copy_ignore(REPO, *generated, *caches))
    (dest / "dataproducts.yml").write_text(json.dumps(settings), encoding="utf-8")  # JSON is YAML
    return dest


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> Night:
    """A late feed (every product breached). Its lineage server is down (nothing listens on the port) and
    its alerts go to a receiver (one webhook answers, one fails): the night goes on either way."""
    tmp = tmp_path_factory.mktemp("nightly-late")
    env = {
        "OPENLINEAGE__TRANSPORT__TYPE": "http",
        "OPENLINEAGE__TRANSPORT__URL": f"http://127.0.0.1:{_closed_port()}",
        "OPENLINEAGE__TRANSPORT__RETRY": '{"total": 0}',
    }
    with Receiver() as rx:
        rx.script(f"/down/{ALERT_SECRET}", [500])
        alerts = {
            "max_attempts": 2,
            "max_seconds": 5,
            "webhooks": [
                {"name": "ops", "format": "json", "url": rx.url("/alerts")},
                {"name": "down", "format": "slack", "url": rx.url(f"/down/{ALERT_SECRET}")},
            ],
        }
        project = _project_with(tmp, {"alerts": alerts})
        night = _night(tmp, ("late",), "--no-docs", "--project-dir", str(project), env=env)
        return dataclasses.replace(night, received=tuple(rx.requests()))


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Night:
    tmp = tmp_path_factory.mktemp("nightly-drift")
    events = tmp / "openlineage.jsonl"
    down = {"type": "http", "url": f"http://127.0.0.1:{_closed_port()}", "retry": {"total": 0}}
    env = _openlineage_yml(
        tmp, {"file": {"type": "file", "log_file_path": str(events), "append": True}, "down": down}
    )
    night = _night(tmp, ("schema_drift",), "--no-docs", env=env)
    return dataclasses.replace(night, lineage_file=events)


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


# --- OpenLineage (dataproducts.lineage; the checks in tests/lineage/checks.py) ---------------------------------


def _manifest(night: Night) -> dict[str, Any]:
    return json.loads((night.record / "dbt" / "manifest.json").read_text(encoding="utf-8"))


def _file_events(night: Night) -> list[dict[str, Any]]:
    assert night.lineage_file is not None and night.lineage_file.is_file()
    lines = night.lineage_file.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]  # one JSON event per line


def test_nightly_sends_valid_openlineage_run_events_over_http_and_to_a_file(clean: Night) -> None:
    from lineage.checks import check_nightly_events

    assert clean.returncode == 0, clean.stdout + clean.stderr
    posted = [r for r in clean.lineage_requests if r.path == "/api/v1/lineage"]
    assert posted and len(posted) == len(clean.lineage_requests)
    assert {r.headers.get("Authorization") for r in posted} == {"Bearer night-key"}
    assert {r.headers.get("Content-Type") for r in posted} == {"application/json"}
    events = [r.body for r in posted]
    warehouse_ns = f"duckdb://{clean.config.warehouse.resolve()}"
    by_job = check_nightly_events(events, _manifest(clean), warehouse_ns, clean.record.name)
    assert _file_events(clean) == events, "the file holds the same events, one per line, in order"
    products = {p["id"]: p for p in clean.report["products"]}
    assert set(by_job) == set(products)
    for job, (start, end) in by_job.items():
        assert end["eventType"] == "COMPLETE" and start["eventTime"] <= end["eventTime"]
        (output,) = [o for o in end["outputs"] if o["name"].endswith("." + products[job]["relation"])]
        facets = output["facets"]
        columns = [f["name"] for f in facets["schema"]["fields"]]
        assert columns and all(f.get("type") for f in facets["schema"]["fields"])
        owner = products[job]["owner"]
        assert f"mailto:{owner['email']}" in {o["name"] for o in facets["ownership"]["owners"]}
        assertions = facets["dataQualityAssertions"]["assertions"]
        assert {a["params"]["source"] for a in assertions} == {"gx", "dbt"}, job
        assert all(a["success"] for a in assertions), job  # a clean night
        assert all(a["column"] in columns for a in assertions if a.get("column")), job
        tags = {t["key"]: t["value"] for t in end["run"]["facets"]["tags"]["tags"]}
        assert tags["slo_status"] == products[job]["status"] and tags["as_of"] == AS_OF.isoformat()
    assert "openlineage: " in clean.stdout and clean.stderr.count("openlineage") == 0


def test_a_product_that_did_not_build_fails_its_lineage_run(drifted: Night) -> None:
    from lineage.checks import check_nightly_events

    events = _file_events(drifted)
    warehouse_ns = f"duckdb://{drifted.config.warehouse.resolve()}"
    by_job = check_nightly_events(events, _manifest(drifted), warehouse_ns, drifted.record.name)
    end = by_job["customers.customers"][-1]
    assert end["eventType"] == "FAIL"
    assert "dbt build" in end["run"]["facets"]["errorMessage"]["message"]
    assert by_job["sales.products"][-1]["eventType"] == "COMPLETE"
    # the composite's other transport, a server that is down: one warning, the file has every event
    (warning,) = [line for line in drifted.stderr.splitlines() if "openlineage" in line]
    assert (
        warning.startswith("dp: warning: openlineage: http http://127.0.0.1:")
        and "failed after 0 of" in warning
    )
    nightly_end = [e for e in events if e["job"]["name"] == "nightly"][-1]
    assert (
        nightly_end["eventType"] == "FAIL"
        and "customers.customers" in nightly_end["run"]["facets"]["errorMessage"]["message"]
    )


def test_a_lineage_server_that_is_down_is_one_warning_not_a_failed_night(late: Night) -> None:
    assert late.returncode == 1, late.stdout + late.stderr  # the report's breach, as without lineage
    warnings = [line for line in late.stderr.splitlines() if "openlineage" in line]
    assert len(warnings) == 1, late.stderr
    assert (
        warnings[0].startswith("dp: warning: openlineage: http http://127.0.0.1:")
        and "failed after 0 of" in warnings[0]
    )
    assert (late.config.reports_dir / "latest" / "slo_report.json").is_file()


def test_dataproducts_yml_transports_resend_the_same_runs(clean: Night, tmp_path: Path) -> None:
    """The `openlineage:` section's transports (HTTP with the key from the environment, a file relative to
    the project) on the clean night's record: the same events, the same run ids as the night sent."""
    from dataproducts.lineage import emit_nightly, load_lineage
    from dataproducts.runs import read_record

    section = {
        "transport": [
            {"type": "http", "url": "", "api_key_env": "DP_TEST_OL_KEY"},
            {"type": "file", "path": "lineage/events.jsonl"},
            {"type": "http", "url": "http://127.0.0.1:9", "api_key_env": "DP_TEST_OL_UNSET", "name": "unset"},
            {"type": "http", "url": "", "endpoint": "api/v1/failing?token=s3cret", "name": "failing"},
        ]
    }
    record = read_record(clean.record)
    statuses = {p["id"]: p["status"] for p in clean.report["products"]}
    with Receiver() as rx:
        rx.script("/api/v1/failing", [503])
        section["transport"][0]["url"] = section["transport"][3]["url"] = rx.base
        cfg = dataclasses.replace(clean.config, project_dir=tmp_path, settings={"openlineage": section})
        settings = load_lineage(cfg, {})
        result = emit_nightly(
            cfg,
            record,
            started_at=_start(clean),
            statuses=statuses,
            settings=settings,
            environ={"DP_TEST_OL_KEY": "k-123"},
        )
        posted = rx.requests("/api/v1/lineage")
    assert result is not None
    unset, failing = result.problems
    assert unset == (
        "openlineage: transport 'unset' not set up: environment variable DP_TEST_OL_UNSET (api_key_env) is not set"
    )
    assert failing.startswith(f"openlineage: http {rx.base} failed after 0 of {len(posted)} events: ")
    assert "s3cret" not in failing and "\n" not in failing
    assert {r.headers["Authorization"] for r in posted} == {"Bearer k-123"}
    lines = (tmp_path / "lineage" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [r.body for r in posted]
    night = {(e.body["job"]["name"], e.body["run"]["runId"]) for e in clean.lineage_requests}
    again = {(e.body["job"]["name"], e.body["run"]["runId"]) for e in posted}
    assert again == night, "a record's run ids never change"


def _start(night: Night) -> Any:
    import datetime as dt

    (first,) = [
        r.body
        for r in night.lineage_requests
        if r.body["job"]["name"] == "nightly" and r.body["eventType"] == "START"
    ]
    return dt.datetime.fromisoformat(first["eventTime"].replace("Z", "+00:00"))


# --- alerts (dataproducts.alerts) -------------------------------------------------------------------------------


def test_the_night_posts_its_breached_products_and_a_failing_webhook_is_one_warning(late: Night) -> None:
    assert late.returncode == 1, late.stdout + late.stderr
    (posted,) = [r.body for r in late.received if r.path == "/alerts"]
    products = late.report["products"]
    assert [a["product"] for a in posted["alerts"]] == [
        p["id"] for p in products
    ]  # all breached, worst first
    assert posted["run_id"] == late.record.name
    for alert, product in zip(posted["alerts"], products, strict=True):
        assert alert["status"] == "breached" and alert["owner"] == product["owner"]
        assert any(r.startswith("freshness breached: ") for r in alert["reasons"])
    assert len([r for r in late.received if r.path.startswith("/down/")]) == 2  # retried once
    warnings = [line for line in late.stderr.splitlines() if "alerts" in line]
    assert len(warnings) == 1 and warnings[0].startswith(
        "dp: warning: alerts: webhook down (http://127.0.0.1:"
    )
    assert "HTTP 500" in warnings[0] and "s3cr3t" not in late.stdout + late.stderr
    assert f"alerts: {len(products)} product(s) posted to ops" in late.stdout
