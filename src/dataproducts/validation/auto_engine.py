"""The ``auto`` validation engine: compiled SQL where supported, Great Expectations for the rest.

``AutoEngine`` partitions each suite: compiled expectations run on the ``sql`` engine
(:class:`~dataproducts.validation.sql.engine.SqlEngine`); the rest (an unsupported type or option) run on the
GX engine, which the ``sql`` engine opens only when first needed; the results are merged into one suite
result in GX's order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from dataproducts.products import DataProduct
from dataproducts.validation.native import SuiteResult
from dataproducts.validation.registry import Engine
from dataproducts.validation.sql.engine import Planned, SqlEngine
from dataproducts.validation.suites import Suite


class AutoEngine:
    """Compiled SQL where supported, Great Expectations for the rest; one merged result per product."""

    name = Engine.AUTO

    def __init__(self, sql: SqlEngine) -> None:
        """``sql`` must have been opened with a GX engine factory (``gx=``)."""
        self.sql = sql
        self.delegated: dict[str, list[str]] = {}  # product id -> "type: reason", for the report and tests

    @property
    def warehouse(self) -> Any:  # SqlEngine.warehouse: the DuckDB file's Path, or the Spark warehouse
        return self.sql.warehouse

    def relation_exists(self, schema: str | None, name: str | None) -> bool:
        return self.sql.relation_exists(schema, name)

    def validate(self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]) -> SuiteResult:
        planned = self.sql.plan(product, suite, parameters)
        results = self.sql.run_checks(product, planned)
        rest = [p for p in planned if p.check is None]
        first: list[int] = []
        if rest:
            self.delegated[product.id] = [f"{p.type}: {p.reason}" for p in rest]
            subset = suite.subset([p.position for p in rest])
            gx_result = self.sql.gx_engine().validate(product, subset, parameters).to_json_dict()
            # GX reports in its own order: map each result back to its position in the suite.
            for p, r in _gx_report_positions(gx_result["results"], rest):
                results[p.position] = r
                if _failed_before_evaluation(r):
                    first.append(p.position)
        result = self.sql.suite_result(product, suite, planned, results, first, engine=self.name)
        result.meta["gx_expectations"] = len(rest)
        return self.sql.keep_for_docs(suite, result)

    def build_data_docs(self) -> None:
        self.sql.build_data_docs()

    def close(self) -> None:
        self.sql.close()


def _failed_before_evaluation(result: Mapping[str, Any]) -> bool:
    """GX's flat ``exception_info`` of an expectation that raised, or one keyed by metric (a metric that
    failed before evaluation): GX reports those first."""
    info = result.get("exception_info") or {}
    return bool(info.get("raised_exception")) or "raised_exception" not in (
        info or {"raised_exception": False}
    )


def _gx_report_positions(
    gx_results: Sequence[Mapping[str, Any]], expected: Sequence[Planned]
) -> list[tuple[Planned, dict[str, Any]]]:
    """Pair GX's results (JSON) with the planned expectations they belong to, by expectation id, else by
    type and kwargs (GX may move a failed metric's expectations to the front)."""

    def key(config: Mapping[str, Any]) -> tuple[str, str]:
        kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
        return str(config.get("type")), json.dumps(kwargs, sort_keys=True, default=str)

    pairs: list[tuple[Planned, dict[str, Any]]] = []
    left = list(expected)
    for result in gx_results:
        config = result.get("expectation_config") or {}
        match = None
        for p in left:
            same_id = p.config.get("id") is not None and p.config.get("id") == config.get("id")
            if same_id or key(p.config) == key(config):
                match = p
                break
        if match is None:
            continue
        left.remove(match)
        pairs.append((match, dict(result)))
    return pairs
