"""Where the nightly's OpenLineage events go: the precedence of docs/lineage.md, and wrong settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dataproducts.config import ProjectConfig
from dataproducts.errors import ConfigError
from dataproducts.lineage import load_lineage

HTTP = {"type": "http", "url": "http://127.0.0.1:5000", "api_key_env": "LINEAGE_KEY"}


def _cfg(root: Path, section: Any = None) -> ProjectConfig:
    return ProjectConfig(
        project_dir=root,
        warehouse=root / "w.duckdb",
        target_dir=root / "target",
        reports_dir=root / "reports",
        history=root / "h.duckdb",
        runs_dir=root / "runs",
        files_dir=root / "files",
        settings={} if section is None else {"openlineage": section},
    )


def _client_file(path: Path, log_file_path: str) -> Path:
    transport = {"type": "file", "log_file_path": log_file_path}
    path.write_text(
        json.dumps({"transport": {"type": "composite", "transports": [transport]}}), encoding="utf-8"
    )
    return path


def test_nothing_configured_sends_nothing(tmp_path: Path) -> None:
    settings = load_lineage(_cfg(tmp_path), {})
    assert not settings.enabled and settings.origin == "not configured"


def test_dataproducts_yml_transports_with_paths_relative_to_the_project(tmp_path: Path) -> None:
    section = {"namespace": "acme", "transport": [HTTP, {"type": "file", "path": "lineage/events.jsonl"}]}
    settings = load_lineage(_cfg(tmp_path, section), {})
    assert settings.enabled and settings.origin == "dataproducts.yml" and settings.namespace == "acme"
    http, file = settings.transports
    assert (http.url, http.endpoint, http.api_key_env, http.timeout) == (
        "http://127.0.0.1:5000",
        "api/v1/lineage",
        "LINEAGE_KEY",
        5.0,
    )
    assert file.path == tmp_path / "lineage" / "events.jsonl"


def test_the_project_openlineage_yml_is_read_when_dataproducts_yml_has_no_section(tmp_path: Path) -> None:
    _client_file(tmp_path / "openlineage.yml", "events.jsonl")
    settings = load_lineage(_cfg(tmp_path), {})
    assert settings.origin == str(tmp_path / "openlineage.yml")
    assert settings.client_config is not None
    (inner,) = settings.client_config["transport"]["transports"]
    assert inner["log_file_path"] == str(tmp_path / "events.jsonl"), "relative to the project, not the cwd"
    assert inner["append"] is True, "one file, one JSON event per line"


def test_a_client_file_transport_that_says_append_false_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "openlineage.yml").write_text(
        "transport:\n  type: file\n  log_file_path: /var/tmp/ol\n  append: false\n", encoding="utf-8"
    )
    settings = load_lineage(_cfg(tmp_path), {})
    assert settings.client_config is not None
    assert settings.client_config["transport"] == {
        "type": "file",
        "log_file_path": "/var/tmp/ol",
        "append": False,
    }


def test_log_file_path_is_the_clients_name_for_path(tmp_path: Path) -> None:
    section = {"transport": {"type": "file", "log_file_path": "ol.jsonl"}}
    (spec,) = load_lineage(_cfg(tmp_path, section), {}).transports
    assert spec.path == tmp_path / "ol.jsonl"


def test_dataproducts_yml_beats_the_project_openlineage_yml(tmp_path: Path) -> None:
    _client_file(tmp_path / "openlineage.yml", "events.jsonl")
    assert load_lineage(_cfg(tmp_path, {"transport": HTTP}), {}).origin == "dataproducts.yml"


def test_openlineage_environment_beats_files(tmp_path: Path) -> None:
    config = _client_file(tmp_path / "elsewhere.yml", "/var/tmp/ol.jsonl")
    cfg = _cfg(tmp_path, {"namespace": "acme", "transport": HTTP})
    settings = load_lineage(cfg, {"OPENLINEAGE_CONFIG": str(config)})
    assert settings.origin.startswith("OPENLINEAGE_CONFIG") and settings.client_config is not None
    assert settings.namespace == "acme"
    assert load_lineage(cfg, {"OPENLINEAGE_URL": "http://x:5000"}).origin == "OPENLINEAGE_URL"
    assert load_lineage(cfg, {"OPENLINEAGE__TRANSPORT__TYPE": "console"}).client_config == {}
    assert load_lineage(cfg, {"OPENLINEAGE_NAMESPACE": "env-ns"}).namespace == "env-ns"


def test_disabled_by_the_environment_or_the_section(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, {"transport": HTTP})
    assert not load_lineage(cfg, {"OPENLINEAGE_DISABLED": "true", "OPENLINEAGE_URL": "http://x"}).enabled
    assert not load_lineage(_cfg(tmp_path, {"enabled": False, "transport": HTTP}), {}).enabled


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("http://x", "openlineage: expected a mapping"),
        ({"transport": {"type": "kafka"}}, "openlineage.transport.type: expected one of http, file, console"),
        ({"transport": {"type": "http", "url": "x"}}, "openlineage.transport.url: expected an http(s) URL"),
        ({"transport": {**HTTP, "api_key": "s3cret"}}, "unknown key 'api_key' for type http (keep secrets"),
        ({"transport": [{"type": "file"}]}, "openlineage.transport[0].path: expected a file path"),
        ({"transport": {**HTTP, "timeout": 0}}, "timeout: expected a positive number"),
        ({"namespace": "x"}, "openlineage.transport: expected a transport"),
        ({"transport": HTTP, "url": "x"}, "openlineage: unknown key 'url'"),
    ],
)
def test_wrong_settings_name_the_file_and_key(tmp_path: Path, section: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_lineage(_cfg(tmp_path, section), {})
    assert str(info.value).startswith(f"{tmp_path / 'dataproducts.yml'}: openlineage")
    assert message in str(info.value)
    assert "s3cret" not in str(info.value)


def test_an_unreadable_or_wrong_client_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the OpenLineage configuration"):
        load_lineage(_cfg(tmp_path), {"OPENLINEAGE_CONFIG": str(tmp_path / "missing.yml")})
    (tmp_path / "openlineage.yml").write_text("transport: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"openlineage.yml: transport: expected a mapping with a type"):
        load_lineage(_cfg(tmp_path), {})
