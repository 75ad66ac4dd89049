"""Alerts without a build: settings, messages from a real report document, posting to a real HTTP receiver."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from dataproducts.alerts import AlertsConfig, Webhook, build_alerts, load_alerts, payload, redact
from dataproducts.alerts.send import deliver, post
from dataproducts.config import ProjectConfig
from dataproducts.errors import ConfigError
from http_receiver import Receiver

DOC = json.loads((REPO / "tests/fixtures/slo_report_built.json").read_text(encoding="utf-8"))
REPORT = REPO / "tests/fixtures/slo_report_built.json"  # stands in for the report file the alerts link to


def _cfg(alerts: Any) -> ProjectConfig:
    return ProjectConfig(
        project_dir=Path("/srv/project"),
        warehouse=Path("w"),
        target_dir=Path("t"),
        reports_dir=Path("r"),
        history=Path("h"),
        runs_dir=Path("runs"),
        files_dir=Path("f"),
        settings={"alerts": alerts},
    )


def _hook(url: str, fmt: str = "json", on: tuple[str, ...] = ("breached", "at_risk")) -> Webhook:
    return Webhook(name=f"{fmt} hook", format=fmt, url=url, on=on)  # type: ignore[arg-type]


# --- settings ------------------------------------------------------------------------------------------------


def test_settings_read_url_from_the_environment_and_default_on() -> None:
    settings = load_alerts(
        _cfg(
            {
                "portal_url": "https://portal.example.com/",
                "webhooks": [{"format": "slack", "url_env": "HOOK"}],
            }
        ),
        {"HOOK": "https://hooks.slack.com/services/T0/B0/secret"},
    )
    assert settings is not None
    (hook,) = settings.webhooks
    assert hook.url == "https://hooks.slack.com/services/T0/B0/secret" and hook.on == ("breached", "at_risk")
    assert settings.portal_url == "https://portal.example.com" and not settings.problems
    assert "secret" not in hook.shown and "hooks.slack.com" in hook.shown


def test_a_missing_url_env_is_a_problem_of_that_webhook_only() -> None:
    settings = load_alerts(
        _cfg(
            {
                "webhooks": [
                    {"format": "json", "url_env": "NOT_SET"},
                    {"format": "teams", "url": "https://t.example.com/x"},
                ]
            }
        ),
        {},
    )
    assert settings is not None
    assert settings.problems == [
        "alerts webhook 'webhook 1': environment variable NOT_SET (url_env) is not set"
    ]
    assert settings.webhooks[1].url == "https://t.example.com/x"
    with Receiver() as rx:
        settings = load_alerts(
            _cfg(
                {
                    "webhooks": [
                        {"format": "json", "url_env": "NOT_SET"},
                        {"format": "json", "url": rx.url("/ok")},
                    ]
                }
            ),
            {},
        )
        assert settings is not None
        skipped, posted = deliver(settings, lambda w: build_alerts(DOC, REPORT, w.on))
        assert len(rx.requests("/ok")) == 1
    assert (
        skipped.line()
        == "alerts: webhook webhook 1 skipped: environment variable NOT_SET (url_env) is not set"
    )
    assert posted.ok and posted.line().startswith(
        "alerts: 4 product(s) posted to webhook 2 (http://127.0.0.1:"
    )


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ("yes", "alerts: expected a mapping"),
        ({"webhooks": []}, "alerts.webhooks: expected a list"),
        (
            {"webhooks": [{"format": "email", "url": "https://x.example.com"}]},
            "webhooks[0].format: expected one of slack, teams, json",
        ),
        ({"webhooks": [{"format": "json"}]}, "webhooks[0]: give url or url_env"),
        ({"webhooks": [{"format": "json", "url": "ftp://x"}]}, "webhooks[0].url: expected an http(s) URL"),
        ({"webhooks": [{"format": "json", "url": "https://x.example.com", "on": ["met"]}]}, "webhooks[0].on"),
        (
            {"webhooks": [{"format": "json", "url": "https://x.example.com", "token": "t"}]},
            "unknown key 'token'",
        ),
        (
            {"webhooks": [{"format": "json", "url": "https://x.example.com"}], "max_attempts": 0},
            "max_attempts",
        ),
        (
            {"webhooks": [{"format": "json", "url": "https://x.example.com"}], "retries": 3},
            "unknown key 'retries'",
        ),
    ],
)
def test_wrong_settings_name_the_file_and_key(alerts: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_alerts(_cfg(alerts), {})
    assert str(info.value).startswith("/srv/project/dataproducts.yml: alerts")
    assert message in str(info.value)


def test_a_wrong_url_is_shown_without_its_secret() -> None:
    with pytest.raises(ConfigError) as info:
        load_alerts(
            _cfg({"webhooks": [{"format": "json", "url": "htps://hooks.example.com/very/secret"}]}), {}
        )
    assert "secret" not in str(info.value)


def test_redact_keeps_scheme_host_and_port_only() -> None:
    assert redact("https://hooks.slack.com/services/T/B/XYZ") == "https://hooks.slack.com/…"
    assert redact("http://127.0.0.1:8080/?token=abc") == "http://127.0.0.1:8080/…"
    assert redact("https://example.com") == "https://example.com"


# --- messages ------------------------------------------------------------------------------------------------


def test_alerts_carry_status_owner_reasons_and_links() -> None:
    batch = build_alerts(DOC, REPORT, ("breached", "at_risk"), "https://portal.example.com")
    expected = [p for p in DOC["products"] if p["status"] in ("breached", "at_risk")]
    assert [a.product for a in batch.alerts] == [p["id"] for p in expected]
    for alert, product in zip(batch.alerts, expected, strict=True):
        assert alert.status == product["status"]
        assert alert.owner.email == product["owner"]["email"]
        bad = [n for n, s in product["slis"].items() if s["status"] != "met"]
        assert [r.split(" ", 1)[0] for r in alert.reasons] == bad
        assert alert.links["report"] == REPORT.resolve().as_uri()
        assert alert.links["portal"] == f"https://portal.example.com/products/{product['name']}/"
    assert build_alerts(DOC, REPORT, ("at_risk",)).alerts == ()  # this report has none at risk


def test_slack_teams_and_json_payloads() -> None:
    batch = build_alerts(DOC, REPORT, ("breached",), "https://portal.example.com")
    first = batch.alerts[0]
    slack = payload("slack", batch)
    assert slack["blocks"][0]["type"] == "header" and first.product in slack["text"]
    sections = [b for b in slack["blocks"] if b["type"] == "section"]
    assert len(sections) == len(batch.alerts)
    assert f"<https://portal.example.com/products/{first.name}/|portal>" in sections[0]["text"]["text"]
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)
    teams = payload("teams", batch)
    (attachment,) = teams["attachments"]
    assert (
        teams["type"] == "message" and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    )
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    containers = [b for b in card["body"] if b["type"] == "Container"]
    assert len(containers) == len(batch.alerts)
    actions = [a for c in containers for i in c["items"] if i["type"] == "ActionSet" for a in i["actions"]]
    assert {a["type"] for a in actions} == {"Action.OpenUrl"} and all(
        a["url"].startswith("https://") for a in actions
    )
    plain = payload("json", batch)
    assert plain["kind"] == "dataproducts.alerts" and plain["schema_version"] == 1
    assert [a["product"] for a in plain["alerts"]] == [a.product for a in batch.alerts]
    assert plain["alerts"][0]["owner"]["email"] == first.owner.email


# --- posting ------------------------------------------------------------------------------------------------


def test_each_format_is_posted_as_json_and_a_failing_webhook_does_not_stop_the_others() -> None:
    with Receiver() as rx:
        rx.script("/down/s3cret", [500])
        hooks = (
            _hook(rx.url("/slack/T0/B0/s3cret"), "slack"),
            _hook(rx.url("/teams"), "teams"),
            _hook(rx.url("/json"), "json", ("breached",)),
            _hook(rx.url("/down/s3cret"), "json"),
        )
        settings = AlertsConfig(webhooks=hooks, max_attempts=2, max_seconds=5)
        deliveries = deliver(settings, lambda w: build_alerts(DOC, REPORT, w.on))
        assert [d.ok for d in deliveries] == [True, True, True, False]
        assert rx.requests("/slack/T0/B0/s3cret")[0].body["blocks"][0]["type"] == "header"
        assert rx.requests("/teams")[0].body["attachments"][0]["content"]["type"] == "AdaptiveCard"
        assert rx.requests("/json")[0].headers["Content-Type"] == "application/json"
        assert len(rx.requests("/down/s3cret")) == 2  # retried once, then given up
    failed = deliveries[3].line()
    assert "HTTP 500" in failed and "after 2 attempt(s)" in failed and "s3cret" not in failed
    assert "s3cret" not in deliveries[0].line()


def test_retries_back_off_until_the_webhook_answers() -> None:
    with Receiver() as rx:
        rx.script("/flaky", [503, 429, 200])
        settings = AlertsConfig(webhooks=(), max_attempts=4, max_seconds=10)
        started = time.monotonic()
        attempts, error = post(_hook(rx.url("/flaky")), {"x": 1}, settings)
        took = time.monotonic() - started
        assert (attempts, error) == (3, None)
        assert len(rx.requests("/flaky")) == 3
    assert 1.4 <= took < 5, "waits 0.5 s, then 1 s"


def test_a_client_error_is_not_retried_and_the_time_cap_holds() -> None:
    with Receiver() as rx:
        rx.script("/gone", [404])
        rx.script("/busy", [503])
        settings = AlertsConfig(webhooks=(), max_attempts=10, max_seconds=2)
        assert post(_hook(rx.url("/gone")), {}, settings) == (1, "HTTP 404 Not Found")
        started = time.monotonic()
        attempts, error = post(_hook(rx.url("/busy")), {}, settings)
        assert time.monotonic() - started < 2.5
        assert (
            error is not None and "gave up after 2s" in error and attempts == len(rx.requests("/busy")) < 10
        )


def test_nothing_listening_is_a_failed_delivery_not_an_exception() -> None:
    with Receiver() as rx:
        url = rx.url("/hook/secret-token")
    # the receiver is closed now: the port refuses connections
    settings = AlertsConfig(webhooks=(_hook(url),), max_attempts=2, max_seconds=3)
    (delivery,) = deliver(settings, lambda w: build_alerts(DOC, REPORT, w.on))
    assert not delivery.ok and delivery.attempts == 2
    assert "secret-token" not in delivery.line() and "refused" in delivery.line().lower()
