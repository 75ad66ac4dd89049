"""Reading the validation summary and the as-of day: one clear error per bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataproducts.artifacts import RunResults
from dataproducts.errors import ArtifactError
from dataproducts.runs import _vars_as_of
from dataproducts.slo.evidence import load_validation_summary


def _summary(**overrides: object) -> dict:
    return {
        "schema_version": 1,
        "invocation_id": "inv",
        "as_of": "2026-11-20",
        "products": [{"id": "sales.fct_orders", "expectations": []}],
        **overrides,
    }


def test_missing_summary_is_none(tmp_path: Path) -> None:
    assert load_validation_summary(tmp_path / "summary.json") is None


SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "validation_summary_sample.json"


def test_summary_is_read_through_its_model(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    path.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    summary = load_validation_summary(path)
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert summary is not None
    assert summary.invocation_id == sample["invocation_id"]
    assert set(summary.products) == {p["id"] for p in sample["products"]}
    assert summary.part_of == dict.fromkeys(summary.products, tmp_path)


def test_a_hand_trimmed_summary_is_refused_naming_the_key(tmp_path: Path) -> None:
    """A summary the runner could not have written (an expectation-less product without statistics) is an
    input error naming the key, never read with defaults."""
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(_summary()), encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"summary.json: invalid validation summary at"):
        load_validation_summary(path)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"schema_version": 1, "prod', "truncated"),
        (json.dumps(_summary(schema_version=2)), "schema_version 2"),
        (json.dumps(_summary(products={"a": 1})), "invalid validation summary at"),
        ("[]", "JSON object"),
    ],
)
def test_bad_summary_names_the_file(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "summary.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ArtifactError, match=needle) as info:
        load_validation_summary(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("vars_", "expected"),
    [
        ({"as_of": "2026-11-20"}, "2026-11-20"),
        ("{as_of: '2026-11-21'}", "2026-11-21"),
        ({}, None),
        ({"as_of": "not a date"}, None),
        ("{unclosed", None),
    ],
)
def test_as_of_from_dbt_vars(vars_: object, expected: str | None) -> None:
    run_results = RunResults.model_validate(
        {"metadata": {"dbt_schema_version": "x"}, "results": [], "args": {"vars": vars_}}
    )
    found = _vars_as_of(run_results.args)
    assert (found.isoformat() if found else None) == expected
