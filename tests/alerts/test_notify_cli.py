"""`dp report --notify` on a real build (the session's faulty one): every format reaches a real receiver, a
failing webhook is one warning line without its secret, and the report and its exit code do not change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import AS_OF, BuiltProject, dp, make_config
from dataproducts.config import ProjectConfig
from dataproducts.dbt import run_dbt
from http_receiver import Receiver

pytestmark = pytest.mark.integration

SECRET = "T000/B000/XXXXsecretXXXX"


def _args(cfg: ProjectConfig, project: Path) -> list[str]:
    return [
        "--project-dir",
        str(project),
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


@pytest.fixture(scope="module")
def validated(built_faulty: BuiltProject, tmp_path_factory: pytest.TempPathFactory) -> ProjectConfig:
    """A private copy of the faulty build, its sources checked and validated (breached products)."""
    from dataproducts.pipeline import validate

    root = tmp_path_factory.mktemp("notify")
    cfg = make_config(root)
    shutil.copy2(built_faulty.config.warehouse, cfg.warehouse)
    shutil.copytree(built_faulty.config.target_dir, cfg.target_dir, ignore=shutil.ignore_patterns("docs"))
    fresh = run_dbt(
        cfg,
        ["source", "freshness", "--quiet"],
        dbt_vars={"as_of": AS_OF.isoformat()},
        quiet=True,
        extra_env={"DBT_LOG_PATH": str(root / "logs")},
    )
    assert fresh.returncode in (0, 1)
    validate(cfg, data_docs=False)
    return cfg


def _project(project_copy: Path, alerts: dict[str, Any] | None) -> Path:
    if alerts is not None:
        (project_copy / "dataproducts.yml").write_text(yaml.safe_dump({"alerts": alerts}), encoding="utf-8")
    return project_copy


def _copy(cfg: ProjectConfig, dest: Path) -> ProjectConfig:
    dest.mkdir(parents=True)
    mine = make_config(dest)
    shutil.copy2(cfg.warehouse, mine.warehouse)
    shutil.copytree(cfg.target_dir, mine.target_dir)
    shutil.copytree(cfg.runs_dir, mine.runs_dir, ignore=shutil.ignore_patterns(".lock"))
    return mine


def test_report_notify_posts_every_format_and_keeps_its_exit_code(
    validated: ProjectConfig, project_copy: Path, tmp_path: Path
) -> None:
    cfg = _copy(validated, tmp_path / "run")
    with Receiver() as rx:
        rx.script(f"/down/{SECRET}", [503])
        rx.script("/flaky", [500, 200])
        project = _project(
            project_copy,
            {
                "portal_url": "https://portal.example.com/",
                "max_attempts": 3,
                "max_seconds": 5,
                "webhooks": [
                    {"name": "slack", "format": "slack", "url_env": "TEST_SLACK_HOOK"},
                    {"name": "teams", "format": "teams", "url": rx.url("/teams")},
                    {"name": "json", "format": "json", "url": rx.url("/flaky"), "on": ["breached"]},
                    {"name": "down", "format": "json", "url": rx.url(f"/down/{SECRET}")},
                ],
            },
        )
        result = dp(
            "report", "--notify", *_args(cfg, project), env={"TEST_SLACK_HOOK": rx.url(f"/slack/{SECRET}")}
        )
        received = rx.requests()
        as_json = dp(
            "report",
            "--notify",
            "--format",
            "json",
            *_args(cfg, project),
            env={"TEST_SLACK_HOOK": rx.url(f"/slack/{SECRET}")},
        )
        assert len(rx.requests(f"/slack/{SECRET}")) == 2  # posted again
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["overall_status"] == "breached", "stdout: the one JSON document"
    assert "webhook down" in as_json.stderr and "secret" not in as_json.stdout + as_json.stderr
    assert result.returncode == 1, result.stdout + result.stderr  # breached, as without --notify
    doc = json.loads((cfg.reports_dir / "latest" / "slo_report.json").read_text(encoding="utf-8"))
    breached = [p for p in doc["products"] if p["status"] == "breached"]
    alerted = [p for p in doc["products"] if p["status"] in ("breached", "at_risk")]
    assert breached, "the faulty build breaches products"

    def bodies(path: str) -> list[Any]:
        return [r.body for r in received if r.path == path]

    (slack,) = bodies(f"/slack/{SECRET}")
    text = json.dumps(slack)
    for product in alerted:
        assert product["id"] in slack["text"] and product["owner"]["email"] in text
        assert f"https://portal.example.com/products/{product['name']}/" in text
    (teams,) = bodies("/teams")
    card = teams["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert [c["items"][0]["text"].split(":")[0] for c in card["body"] if c["type"] == "Container"] == [
        p["id"] for p in alerted
    ]
    first_try, second_try = bodies("/flaky")  # a 500, then delivered
    assert first_try == second_try
    assert [a["product"] for a in second_try["alerts"]] == [p["id"] for p in breached]
    for alert, product in zip(second_try["alerts"], breached, strict=True):
        assert alert["status"] == "breached" and alert["owner"] == product["owner"]
        assert alert["reasons"] and any(
            r.startswith(("validity", "completeness", "availability", "freshness", "schema"))
            for r in alert["reasons"]
        )
        report = Path(alert["links"]["report"].removeprefix("file://"))
        assert report.is_file() and report.name == "slo_report.html"
    assert len(bodies(f"/down/{SECRET}")) == 3
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1, result.stderr
    assert (
        warnings[0].startswith("dp: warning: alerts: webhook down (http://127.0.0.1:")
        and "HTTP 503" in warnings[0]
    )
    assert "secret" not in result.stdout + result.stderr
    assert sum("posted to" in line for line in result.stdout.splitlines()) == 3


def test_notify_without_alerts_or_with_an_unset_url_env_writes_nothing(
    validated: ProjectConfig, project_copy: Path, tmp_path: Path
) -> None:
    cfg = _copy(validated, tmp_path / "run")
    result = dp("report", "--notify", *_args(cfg, _project(project_copy, None)))
    assert result.returncode == 2
    assert (
        result.stderr.strip().endswith("has no alerts: section (docs/alerts.md)")
        and "Traceback" not in result.stderr
    )
    project = _project(project_copy, {"webhooks": [{"format": "slack", "url_env": "DP_TEST_UNSET_HOOK"}]})
    result = dp("report", "--notify", *_args(cfg, project), env={"DP_TEST_UNSET_HOOK": ""})
    assert result.returncode == 2 and "DP_TEST_UNSET_HOOK (url_env) is not set" in result.stderr
    assert not cfg.reports_dir.exists(), "nothing written before the settings are right"


def test_nightly_refuses_wrong_alert_and_lineage_settings_before_running_anything(
    project_copy: Path, tmp_path: Path
) -> None:
    settings = {
        "alerts": {"webhooks": [{"format": "email", "url": "https://hooks.example.com/x"}]},
        "openlineage": {"transport": {"type": "kafka"}},
    }
    (project_copy / "dataproducts.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    cfg = make_config(tmp_path)
    result = dp("nightly", "--as-of", AS_OF.isoformat(), *_args(cfg, project_copy))
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("dp: error: dp nightly ran nothing: (1) ") and "Traceback" not in line
    assert "dataproducts.yml: openlineage.transport.type: expected one of http, file, console" in line
    assert "dataproducts.yml: alerts.webhooks[0].format: expected one of slack, teams, json" in line
    assert not cfg.runs_dir.exists() or not [p for p in cfg.runs_dir.iterdir() if not p.name.startswith(".")]
    assert not cfg.reports_dir.exists()
