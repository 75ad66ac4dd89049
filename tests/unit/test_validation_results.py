"""The validation summary model (validation/results.py): it reads what `dp validate` writes, refuses a wrong
type or value naming file and key, and is the source of the published JSON Schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dataproducts.errors import ArtifactError
from dataproducts.schemas import __main__ as schemas_cli
from dataproducts.validation import results
from dataproducts.validation.results import (
    Engine,
    OutcomeStatus,
    Severity,
    ValidationSummaryModel,
    load_summary,
    parse_summary,
)

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "fixtures" / "validation_summary_sample.json"  # `dp validate` on faulty data


def _sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_the_sample_loads_and_round_trips() -> None:
    summary = load_summary(SAMPLE)
    assert isinstance(summary, ValidationSummaryModel)
    assert summary.to_json_dict() == _sample()
    assert json.dumps(summary.to_json_dict(), sort_keys=True) == json.dumps(_sample(), sort_keys=True)
    assert ValidationSummaryModel.model_validate(summary.to_json_dict()) == summary


def test_typed_values() -> None:
    summary = load_summary(SAMPLE)
    assert summary.engine in set(Engine)
    assert (summary.run_id, summary.selection) == (None, None)
    orders = summary.product("sales.fct_orders")
    assert orders is not None and orders.status is OutcomeStatus.FAILED and not orders.success
    failed = [e for e in orders.expectations if e.status is OutcomeStatus.FAILED]
    assert failed and all(e.severity is Severity.CRITICAL for e in failed)
    assert summary.product("nope.nothing") is None


def test_run_record_keys_are_optional(tmp_path: Path) -> None:
    data = _sample()
    data.update(run_id="2026-11-20T06-00-00Z-ab12", selection=["fct_orders", "tag:nightly"])
    summary = load_summary(_write(tmp_path, data))
    assert summary.selection == ["fct_orders", "tag:nightly"]
    assert summary.to_json_dict() == data


def test_an_expectation_that_could_not_run() -> None:
    data = _sample()
    expectation = data["products"][0]["expectations"][0]
    expectation.update(status="error", exception="column not found", element_count=None, observed_value=None)
    summary = parse_summary(json.dumps(data))
    assert summary.products[0].expectations[0].status is OutcomeStatus.ERROR


WRONG = [
    ("products/0/expectations/2/element_count", "503"),
    ("products/0/expectations/2/status", "skipped"),
    ("products/0/expectations/2/severity", "high"),
    ("products/0/expectations/2/kwargs", ["column"]),
    ("products/0/statistics/gx_success", 1),
    ("products/0/statistics/passed", -1),
    ("products/1/success", "true"),
    ("products/1/id", "fct_orders"),
    ("products/1/suite", None),
    ("engine", "spark"),
    ("as_of", "yesterday"),
    ("generated_at", "2026-12-03 15:16:54"),
    ("selection", "fct_orders"),
]


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value


@pytest.mark.parametrize(("key", "value"), WRONG)
def test_a_wrong_value_names_file_and_key(tmp_path: Path, key: str, value: Any) -> None:
    data = _sample()
    _set(data, key, value)
    path = _write(tmp_path, data)
    with pytest.raises(ArtifactError) as info:
        load_summary(path)
    message = str(info.value)
    assert message.startswith(f"{path}: invalid validation summary at {key}: "), message
    assert "\n" not in message
    assert list(jsonschema.Draft202012Validator(results.summary_schema()).iter_errors(data))


def test_a_missing_or_unknown_key_is_named(tmp_path: Path) -> None:
    data = _sample()
    del data["products"][0]["statistics"]["failed_info"]
    with pytest.raises(ArtifactError, match="at products/0/statistics/failed_info: required key missing"):
        load_summary(_write(tmp_path, data))
    data = _sample()
    data["products"][0]["expectations"][0]["note"] = "hi"
    with pytest.raises(ArtifactError, match="at products/0/expectations/0/note: unknown key"):
        load_summary(_write(tmp_path, data))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"schema_version": 2, "products": []}', "unsupported validation summary \\(schema_version 2"),
        ('{"schema_version": "1"}', "unsupported validation summary \\(schema_version '1'"),
        ("[1, 2]", "a validation summary is a JSON object, found list"),
        ('{"schema_version": 1, "products": [', "not valid JSON \\(line 1"),
    ],
)
def test_unreadable_summaries(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "summary.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ArtifactError, match=message) as info:
        load_summary(path)
    assert str(info.value).startswith(f"{path}: ")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="summary.json: validation summary not found"):
        load_summary(tmp_path / "summary.json")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    path.write_bytes(b'{"schema_version": 1, "engine": "\xff"}')
    with pytest.raises(ArtifactError, match="summary.json: not UTF-8"):
        load_summary(path)


def test_the_committed_schemas_are_generated_from_the_models() -> None:
    stale = schemas_cli.stale_files(REPO)
    assert not stale, f"run `make schemas` (python -m dataproducts.schemas): {stale}"
    assert results.summary_schema() == results.generate_schema()


def test_schema_identity_and_sample() -> None:
    schema = results.generate_schema()
    assert list(schema)[:4] == ["$schema", "$id", "title", "description"]
    assert schema["title"] == "Validation summary"
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_sample())


def test_schemas_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m dataproducts.schemas` writes every file; `--check` names a stale one and exits 1."""
    (tmp_path / "src" / "dataproducts" / "schemas").mkdir(parents=True)
    assert schemas_cli.main(["--root", str(tmp_path), "--check"]) == 1
    assert schemas_cli.main(["--root", str(tmp_path)]) == 0
    assert schemas_cli.main(["--root", str(tmp_path), "--check"]) == 0
    docs = tmp_path / "docs" / "schemas" / results.SCHEMA_FILE
    assert docs.read_text(encoding="utf-8") == (REPO / "docs" / "schemas" / results.SCHEMA_FILE).read_text(
        encoding="utf-8"
    )
    stale = copy.deepcopy(results.generate_schema())
    stale["title"] = "old"
    docs.write_text(json.dumps(stale), encoding="utf-8")
    capsys.readouterr()
    assert schemas_cli.main(["--root", str(tmp_path), "--check"]) == 1
    assert str(docs) in capsys.readouterr().err
    assert schemas_cli.main(["--root", str(tmp_path / "nowhere")]) == 2
