"""The standards file, type and name normalisation, and the rule waivers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dataproducts.errors import ConfigError
from dataproducts.governance.standards import load_standards, name_key, normalize_type, types_match
from dataproducts.governance.waivers import load_waivers, parse_waivers

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("INTEGER", "integer"),
        ("int", "integer"),
        ("int4", "integer"),
        ("BIGINT", "bigint"),
        ("VARCHAR(20)", "varchar"),
        ("text", "varchar"),
        ("DECIMAL(12, 2)", "decimal(12,2)"),
        ("numeric(12,2)", "decimal(12,2)"),
        ("timestamp without time zone", "timestamp"),
        ("bool", "boolean"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_type(raw: str | None, normal: str | None) -> None:
    assert normalize_type(raw) == normal


def test_types_match() -> None:
    assert types_match("integer", "INT")
    assert not types_match("integer", "bigint")
    assert types_match("decimal", "decimal(12,2)")
    assert types_match("decimal(12,2)", "DECIMAL(12, 2)")
    assert not types_match("decimal(12,2)", "decimal(14,2)")
    assert not types_match("integer", None)


def test_name_key_ignores_case_and_underscores() -> None:
    assert name_key("CustomerID") == name_key("customer_id") == name_key("Customer-Id") == "customerid"


def test_the_projects_standards_file_reads() -> None:
    standards = load_standards(REPO / "standards" / "conformed_columns.yml")
    customer = standards.match("customer_id")
    assert customer is not None and customer.data_type == "integer"
    assert standards.match("CustomerID") is customer and standards.match("cust_id") is customer
    assert standards.match("order_count") is None
    assert standards.personal_data_level == "confidential"


def test_standards_shapes_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "standards.yml"
    path.write_text(
        "conformed_columns:\n  customer_id: {type: integer, meaning: key, aliases: [cust_id]}\n"
        "classification: {levels: [open, closed], personal_data: closed}\n"
    )
    standards = load_standards(path)
    conformed = standards.match("cust_id")
    assert conformed is not None
    assert conformed.meaning == "key"
    assert standards.levels == ("open", "closed") and standards.level_rank("closed") == 1
    with pytest.raises(ConfigError, match="not found"):
        load_standards(tmp_path / "missing.yml")
    path.write_text("columns:\n  - {name: a, aliases: [x]}\n  - {name: b, aliases: [X]}\n")
    with pytest.raises(ConfigError, match="'X' spells both 'a' and 'b'"):
        load_standards(path)
    path.write_text("columns:\n  - {data_type: integer}\n")
    with pytest.raises(ConfigError, match="needs a name"):
        load_standards(path)
    path.write_text("columns: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_standards(path)


def test_waivers_need_product_known_rule_and_reason(tmp_path: Path) -> None:
    (waiver,) = parse_waivers(
        {
            "waivers": [
                {"product": "sales.fct_orders", "rule": "dp007", "reason": "soon", "expires": "2027-01-31"}
            ]
        }
    )
    assert waiver.rule == "DP007" and waiver.expires == dt.date(2027, 1, 31)
    assert waiver.active(dt.date(2027, 1, 31)) and not waiver.active(dt.date(2027, 2, 1))
    with pytest.raises(ConfigError, match="needs a reason"):
        parse_waivers([{"product": "sales.fct_orders", "rule": "DP007"}])
    with pytest.raises(ConfigError, match="unknown rule 'DP999'"):
        parse_waivers([{"product": "sales.fct_orders", "rule": "DP999", "reason": "x"}])
    with pytest.raises(ConfigError, match="no product"):
        parse_waivers([{"rule": "DP001", "reason": "x"}])
    with pytest.raises(ConfigError, match="not a date"):
        parse_waivers([{"product": "p", "rule": "DP001", "reason": "x", "expires": "soon"}])
    assert load_waivers(tmp_path / "none.yml") == ()
    assert load_waivers(REPO / "waivers.yml") is not None  # the repository's own file reads
