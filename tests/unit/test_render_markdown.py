"""The chat-sized Markdown rendering of the SLO report: worst first, every product once, inert text, short."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproducts.render import render_markdown

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "slo_report_sample.json"
WORST_FIRST = [
    "operations.service_health_daily",  # breached, -43% (ties with fct_orders: then by id)
    "sales.fct_orders",  # breached, -43%
    "operations.kpi_status_daily",  # unknown
    "marketing.customer_lifetime_value",  # at risk, -19%
    "customers.dim_customers",  # at risk, 100%
    "sales.fct_order_items",  # met, 29%
    "customers.dim_customers_v1",  # met, 100% ...then by id
    "marketing.cohort_retention",
    "sales.dim_products",
    "sales.sales_daily",
]
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@pytest.fixture()
def report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


def table_rows(markdown: str) -> list[str]:
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    return rows[1:]  # without the header row


def row_id(row: str) -> str:
    match = re.search(r"`([^`]+)`", row)
    assert match is not None, row
    return match.group(1)


def row_ids(markdown: str) -> list[str]:
    return [row_id(row) for row in table_rows(markdown)]


def test_headline_has_overall_status_and_as_of(report: dict[str, Any]) -> None:
    first, second = render_markdown(report).splitlines()[:2]
    assert "breached" in first and "2026-11-20" in first and first.startswith("### 🔴")
    assert "2 breached · 1 unknown · 2 at risk · 5 met" in second
    assert "28-day window" in second


def test_products_worst_first(report: dict[str, Any]) -> None:
    assert row_ids(render_markdown(report)) == WORST_FIRST


def test_order_does_not_depend_on_input_order(report: dict[str, Any]) -> None:
    reversed_report = copy.deepcopy(report)
    reversed_report["products"].reverse()
    assert row_ids(render_markdown(reversed_report)) == WORST_FIRST


def test_every_product_once_with_status_word_budget_and_owner(report: dict[str, Any]) -> None:
    rows = table_rows(render_markdown(report))
    assert len(rows) == len(report["products"])
    by_id = {p["id"]: p for p in report["products"]}
    for row in rows:
        product = by_id[row_id(row)]
        word = {"met": "met", "at_risk": "at risk", "breached": "breached", "unknown": "unknown"}
        assert word[product["status"]] in row
        assert f"(mailto:{product['owner']['email']})" in row


def test_not_met_slis_and_reasons_are_shown(report: dict[str, Any]) -> None:
    rows = dict(zip(WORST_FIRST, table_rows(render_markdown(report)), strict=True))
    assert "**Freshness** breached: Newest event_at is 51.0 h old" in rows["operations.service_health_daily"]
    assert "**Completeness** breached" in rows["sales.fct_orders"]
    assert "**Validity** breached" in rows["sales.fct_orders"]
    # Four SLIs unknown for the same reason share one entry.
    assert (
        "**Freshness, Availability, Completeness, Validity** unknown" in rows["operations.kpi_status_daily"]
    )
    assert "| — |" in rows["sales.sales_daily"]
    assert "| -43% |" in rows["sales.fct_orders"]


def test_short_enough_for_a_chat_channel(report: dict[str, Any]) -> None:
    assert len(report["products"]) == 10
    assert len(render_markdown(report).splitlines()) < 40


def test_long_lists_are_capped(report: dict[str, Any]) -> None:
    big = copy.deepcopy(report)
    big["deprecations"] = big["deprecations"] * 10
    big["schema_changes"] = big["schema_changes"] * 10
    lines = render_markdown(big).splitlines()
    assert len(lines) < 40
    assert "- … and 15 more in the full report" in lines
    assert "- … and 25 more in the full report" in lines


def test_deprecations_and_schema_changes_listed(report: dict[str, Any]) -> None:
    markdown = render_markdown(report)
    assert "**Upcoming deprecations**" in markdown
    assert (
        "- `customers.dim_customers` v1 retires 2027-06-30 (in 222 days); still used by newsletter_sync"
        in (markdown)
    )
    assert "[Marketing Operations](mailto:marketing-ops@example.com)" in markdown
    assert "`sales.fct_orders` v2 retires 2026-12-15 (in 25 days)" in markdown
    assert "finance_close_export (Finance \\<Ops\\> & Co)" in markdown  # no email: the name, escaped
    assert "**Schema changes**" in markdown
    assert "- `sales.dim_products`: type changed `list_price`: `DECIMAL(10,2)` → `DECIMAL(12,2)`" in markdown


def test_html_in_values_is_escaped(report: dict[str, Any]) -> None:
    markdown = render_markdown(report)
    assert "<script>" not in markdown
    assert "\\<script\\>alert(1)\\</script\\>" in markdown


def test_pipes_in_values_do_not_break_the_table() -> None:
    report = {
        "overall_status": "at_risk",
        "products": [
            {
                "id": "odd|name",
                "status": "at_risk",
                "owner": {"name": "Team | A", "email": "a@example.com"},
                "slis": {"validity": {"status": "at_risk", "reason": "values 'a|b' and `c|d`"}},
                "error_budget": {"remaining": 0.5},
            }
        ],
    }
    (row,) = table_rows(render_markdown(report))
    assert len(UNESCAPED_PIPE.findall(row)) == 6, row  # 5 cells
    assert "`odd\\|name`" in row and "Team \\| A" in row


def test_tolerates_missing_and_null_values() -> None:
    assert "No data products" in render_markdown({})
    nulls = {
        "overall_status": None,
        "summary": None,
        "products": [
            None,
            {"id": "x.y", "status": None, "owner": None, "slis": None, "error_budget": None},
            {"id": "x.z", "status": "brand_new_status", "slis": {"freshness": None}, "error_budget": {}},
        ],
        "deprecations": [None, {"product": None, "exposures": None}],
        "schema_changes": None,
    }
    markdown = render_markdown(nulls)
    assert row_ids(markdown) == ["x.y", "x.z"]
    assert (
        "⚪ brand_new_status | `x.z`" in markdown
    )  # an unrecognised status: shown as given, sorted as unknown
    assert "retires no date; no known consumers" in markdown


SPECIAL_TEXT = st.text(alphabet=st.sampled_from("ab <>|`*_[]()&;\\\n#!~\"'é✓"), max_size=30)


@settings(max_examples=150, deadline=None)
@given(reason=SPECIAL_TEXT, name=SPECIAL_TEXT, product_id=SPECIAL_TEXT)
def test_any_text_keeps_the_table_shape_and_stays_inert(reason: str, name: str, product_id: str) -> None:
    report = {
        "overall_status": "breached",
        "products": [
            {
                "id": product_id,
                "status": "breached",
                "owner": {"name": name, "email": "o@example.com"},
                "slis": {"validity": {"status": "breached", "reason": reason}},
            }
        ],
    }
    markdown = render_markdown(report)
    (row,) = table_rows(markdown)
    assert len(UNESCAPED_PIPE.findall(row)) == 6, row
    text = re.sub(r"(?<!\\)`[^`]*`", "", markdown)  # code spans are literal text (ours hold no backtick)
    text = re.sub(r"(?<!\\)\[((?:\\.|[^\\\]])*)\]\(mailto:o@example\.com\)", r"\1", text)  # our one link
    assert not re.search(r"(?<!\\)[<>\[\]]", text), markdown


def test_lone_surrogates_from_json_do_not_break_the_text() -> None:
    report = json.loads(
        '{"products": [{"id": "a\\ud800", "owner": {"name": "\\udfff", "email": "\\ud800@x.org"}}]}'
    )
    render_markdown(report).encode("utf-8")
