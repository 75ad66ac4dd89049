"""The descriptor model (``dataproducts.descriptor``): strict types, ranges, problems naming file and key."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dataproducts.descriptor import (
    SCHEMA_PATH,
    DescriptorModel,
    json_schema,
    missing_keys,
    render_json_schema,
    validate_descriptor,
)
from dataproducts.products import parse_descriptor
from dataproducts.slo.model import targets_for

REPO = Path(__file__).resolve().parents[2]

GOOD: dict[str, Any] = {
    "domain": "sales",
    "owner": {"team": "Sales Analytics", "name": "Maria Lopez", "email": "sales-analytics@example.com"},
    "refresh": {"cycle": "daily", "schedule": "0 6 * * *"},
    "classification": "internal",
    "personal_data": False,
    "interfaces": [
        {"type": "sql", "address": "sales.fct_orders"},
        {"type": "dbt_ref", "address": "ref('x')"},
    ],
    "suite": "expectations/sales/fct_orders.json",
    "slo": {
        "window_days": 28,
        "freshness": {"max_age_hours": 30, "objective": 0.95},
        "availability": {"objective": 0.99},
        "completeness": {"min_volume_ratio": 0.5, "max_volume_ratio": 2.0, "objective": 0.95},
        "validity": {"min_pass_rate": 0.98, "objective": 0.95},
    },
}


def _project_descriptors() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path in sorted((REPO / "models").rglob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        for model in data.get("models") or []:
            configs = [model.get("config") or {}] + [
                v.get("config") or {} for v in model.get("versions") or []
            ]
            for config in configs:
                descriptor = (config.get("meta") or {}).get("data_product")
                if descriptor is not None:
                    found.append((str(path.relative_to(REPO)), model["name"], descriptor))
    return found


def _with(key: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    *parents, last = key.split(".")
    target = data
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value
    return data


def test_every_descriptor_of_the_project_is_valid_and_complete() -> None:
    descriptors = _project_descriptors()
    assert len(descriptors) >= 10
    schema = json_schema()
    for file, name, raw in descriptors:
        model, problems = validate_descriptor(raw, file=file, model=name)
        assert problems == (), [str(p) for p in problems]
        assert list(missing_keys(model)) == [], (file, name)
        jsonschema.validate(raw, schema)


def test_a_good_descriptor_has_no_problem_and_reads_its_targets() -> None:
    model, problems = validate_descriptor(GOOD)
    assert problems == () and list(missing_keys(model)) == []
    assert model.slo is not None and model.slo.availability is not None
    assert model.slo.availability.count_missed_runs is True  # the documented default
    assert model.slo.freshness is not None and model.slo.freshness.max_age_hours == 30.0  # an int is a number


WRONG = [
    ("owner.email", 42, "expected a string, got 42"),
    ("owner.email", "not-an-email", 'expected an email address, got "not-an-email"'),
    ("domain", 123, "expected a string, got 123"),
    ("domain", "", 'expected a non-empty string, got ""'),
    ("classification", "secret", "expected one of 'public', 'internal', 'confidential' or 'restricted'"),
    ("refresh.cycle", "monthly", "expected one of 'hourly', 'daily' or 'weekly'"),
    ("personal_data", "false", 'expected true or false, got "false"'),
    ("personal_data", 0, "expected true or false, got 0"),
    ("interfaces", "sales.fct_orders", 'expected a list, got "sales.fct_orders"'),
    ("owner", "Sales", 'expected a mapping, got "Sales"'),
    ("slo.freshness.objective", "high", 'expected a number, got "high"'),
    ("slo.freshness.objective", True, "expected a number, got true"),
    ("slo.availability.objective", 1, "expected a value less than 1, got 1"),
    ("slo.availability.objective", 0, "expected a value greater than 0, got 0"),
    ("slo.availability.count_missed_runs", "yes", 'expected true or false, got "yes"'),
    ("slo.window_days", "7", 'expected an integer, got "7"'),
    ("slo.window_days", 7.5, "expected an integer, got 7.5"),
    ("slo.window_days", 0, "expected a value greater than 0, got 0"),
    ("slo.window_days", 100000000, "expected a value less than or equal to 3650, got 100000000"),
    ("slo.validity.min_pass_rate", "0.5", 'expected a number, got "0.5"'),
    ("slo.validity.min_pass_rate", 1.5, "expected a value less than or equal to 1, got 1.5"),
    ("slo.completeness.min_volume_ratio", -1, "expected a value greater than 0, got -1"),
    ("slo.freshness.max_age_hours", "30", 'expected a number, got "30"'),
    ("slo.objective", 2, "expected a value less than 1, got 2"),
    ("owner.phone", "555", "unknown key (see docs/descriptor.md)"),
    ("slo.freshness.max_age_minutes", 30, "unknown key (see docs/descriptor.md)"),
]


@pytest.mark.parametrize(("key", "value", "message"), WRONG, ids=[f"{w[0]}={w[1]!r}" for w in WRONG])
def test_a_wrong_value_is_a_problem_naming_the_key_never_a_default(
    key: str, value: Any, message: str
) -> None:
    model, problems = validate_descriptor(
        _with(key, value), file="models/s/_s__models.yml", model="fct_orders"
    )
    assert [p.key for p in problems] == [key]
    assert str(problems[0]).startswith(
        f"models/s/_s__models.yml: fct_orders: config.meta.data_product.{key}: {message}"
    ), str(problems[0])
    with pytest.raises(jsonschema.ValidationError):  # the published schema refuses it too
        jsonschema.validate(_with(key, value), json_schema())


def test_the_volume_band_is_checked_against_the_defaults_too() -> None:
    _, problems = validate_descriptor(_with("slo.completeness", {"min_volume_ratio": 3}))
    assert [(p.key, p.message) for p in problems] == [
        ("slo.completeness", "min_volume_ratio 3 is above max_volume_ratio 2")
    ]
    _, problems = validate_descriptor(
        _with("slo.completeness", {"min_volume_ratio": 0.9, "max_volume_ratio": 0.8})
    )
    assert [p.key for p in problems] == ["slo.completeness"]


def test_several_problems_are_all_listed_and_the_rest_is_kept() -> None:
    raw = _with("owner.email", 42)
    raw["interfaces"] = [{"type": "sql", "address": "a.b"}, {"type": "odbc", "address": "x"}, {"type": "sql"}]
    raw["slo"]["window_days"] = "7"
    model, problems = validate_descriptor(raw)
    assert [p.key for p in problems] == [
        "owner.email",
        "interfaces[1].type",
        "interfaces[2].address",
        "slo.window_days",
    ]
    assert model.owner is not None and model.owner.team == "Sales Analytics" and model.owner.email is None
    assert model.interfaces is not None and [i.address for i in model.interfaces] == ["a.b"]
    assert model.slo is not None and model.slo.window_days == 28 and model.slo.validity is not None


def test_missing_keys_are_what_dp_check_requires() -> None:
    model, problems = validate_descriptor({"owner": {"team": "x"}, "slo": {"freshness": {"objective": 0.9}}})
    assert problems == ()
    assert list(missing_keys(model)) == [
        "domain",
        "refresh",
        "classification",
        "personal_data",
        "interfaces",
        "suite",
        "owner.email",
        "slo.freshness.max_age_hours",
    ]


def test_targets_read_the_typed_values() -> None:
    from dataproducts.products import DataProduct, ProductVersion

    raw = _with("slo.objective", 0.9)
    raw["slo"]["availability"]["count_missed_runs"] = False
    version = ProductVersion("1", "model.x.y", None, "s", "y", None, True, (), True)
    product = DataProduct(
        name="y",
        domain="sales",
        group="sales",
        access="public",
        description="",
        materialized="table",
        descriptor=parse_descriptor({"data_product": raw}),
        group_owner=parse_descriptor({}).owner,
        versions=(version,),
    )
    targets = targets_for(product)
    assert targets.window_days == 28 and targets.product_objective == 0.9
    assert targets.objective("availability") == 0.99 and targets.objective("schema_stability") == 0.95
    assert (targets.min_volume_ratio, targets.max_volume_ratio, targets.min_pass_rate) == (0.5, 2.0, 0.98)
    assert targets.count_missed_runs is False
    assert targets_for(product, window_days=7).window_days == 7


def test_the_published_json_schema_is_the_generated_one() -> None:
    committed = (REPO / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == render_json_schema(), (
        f"{SCHEMA_PATH} is stale: regenerate it with `python -m dataproducts.descriptor`"
    )
    schema = json.loads(committed)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False and "domain" in schema["required"]
    assert schema["title"] == DescriptorModel.model_config.get("title")


def test_the_docs_document_every_key_of_the_model() -> None:
    docs = (REPO / "docs" / "descriptor.md").read_text()
    assert "docs/schemas/descriptor.schema.json" in docs or "schemas/descriptor.schema.json" in docs

    def keys(model: type[Any], prefix: str = "") -> list[str]:
        """Every leaf key (``slo.freshness.objective``, ``interfaces[].type``)."""
        found = []
        for name, info in model.model_fields.items():
            sub: list[str] = []
            for arg in getattr(info.annotation, "__args__", (info.annotation,)):
                for candidate in (arg, *getattr(arg, "__args__", ())):
                    if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
                        sep = "." if candidate is arg else "[]."
                        sub += keys(candidate, f"{prefix}{name}{sep}")
            found += sub or [f"{prefix}{name}"]
        return found

    for key in keys(DescriptorModel):
        assert f"`{key}`" in docs, f"docs/descriptor.md does not document {key}"
