"""The hand-written sample report the renderer tests use follows the real report schema, so the renderers
are tested against the contract `dp report` writes (and this fails when that contract changes)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from dataproducts.render._format import target

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "slo_report_sample.json"
SCHEMA = ROOT / "src" / "dataproducts" / "schemas" / "slo_report.schema.json"


def test_sample_follows_the_report_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(sample)]
    assert errors == []


def test_sample_covers_what_the_renderers_must_handle() -> None:
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    products = sample["products"]
    assert len(products) == 10
    assert {p["status"] for p in products} == {"met", "at_risk", "breached", "unknown"}
    samples = [s for p in products for c in p["failing_checks"] for s in c["samples"]]
    assert "<script>alert(1)</script>" in samples and None in samples
    assert any(len(p["trend"]) < sample["window_days"] for p in products)  # days without a run
    assert any(e["url"].startswith("javascript:") for p in products for e in p["exposures"])
    assert sample["deprecations"] and sample["schema_changes"]


def test_targets_as_the_schema_states_them() -> None:
    assert target({"max": 24}, "hours") == "≤ 24 h"
    assert target({"min": 0.999}, "ratio") == "≥ 99.9%"
    assert target({"min": 0.5, "max": 2.0}, "ratio") == "≥ 50%, ≤ 200%"
    assert target({"min": None, "max": 0}, "count") == "≤ 0"
    assert target({}, "count") == "—"
    assert target(None, "count") == "—"
