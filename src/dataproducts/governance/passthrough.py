"""Is a product only a copy of another? Proven on the data when a built warehouse is at hand.

Candidates come from the manifest: a version whose columns are the columns of an upstream product (same
names), or whose SQL is a bare ``select *`` of one product through ``select *`` CTEs. With a warehouse the
two relations are compared row for row (``EXCEPT ALL`` both ways plus counts, so duplicates count): equal
means a pass-through. Without one, only the SQL text can be judged, and the result says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dataproducts.errors import WarehouseError
from dataproducts.warehouse import (
    Connection,
    DuckDBWarehouse,
    PostgresWarehouse,
    SparkWarehouse,
)

_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_SQL_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_SQL_LINE_COMMENT = re.compile(r"--[^\n]*")
_CONFIG_CALL = re.compile(r"\{\{\s*config\s*\(.*?\)\s*\}\}", re.S)
_REF_CALL = re.compile(r"\{\{\s*ref\s*\(\s*['\"](?P<name>\w+)['\"][^)]*\)\s*\}\}")
_CTE = re.compile(r"(?P<name>\w+)\s+as\s*\(\s*select\s+\*\s+from\s+(?P<src>[\w.]+)\s*\)\s*")
_FINAL = re.compile(r"select\s+\*\s+from\s+(?P<src>[\w.]+)\s*;?\s*")


def select_star_source(raw_sql: str) -> str | None:
    """The one model a query only ``select *``s (through ``select *`` CTEs), or None if it transforms."""
    text = _JINJA_COMMENT.sub(" ", raw_sql)
    text = _SQL_BLOCK_COMMENT.sub(" ", text)
    text = _SQL_LINE_COMMENT.sub(" ", text)
    text = _CONFIG_CALL.sub(" ", text)
    text = _REF_CALL.sub(lambda m: f"__ref__{m.group('name').lower()}", text)
    text = " ".join(text.lower().split())
    if "{{" in text or "{%" in text:
        return None
    ctes: dict[str, str] = {}
    rest = text
    if rest.startswith("with "):
        rest = rest[5:]
        while True:
            match = _CTE.match(rest)
            if not match:
                return None
            ctes[match.group("name")] = match.group("src")
            rest = rest[match.end() :]
            if rest.startswith(","):
                rest = rest[1:].lstrip()
                continue
            break
    final = _FINAL.fullmatch(rest)
    if not final:
        return None
    source = final.group("src")
    seen: set[str] = set()
    while source in ctes and source not in seen:
        seen.add(source)
        source = ctes[source]
    refs = {src for src in ctes.values() if src.startswith("__ref__")}
    if source.startswith("__ref__") and refs <= {source}:
        return source.removeprefix("__ref__")
    return None


@dataclass(frozen=True)
class DataComparison:
    """The outcome of comparing two relations' rows."""

    same: bool
    rows: int
    other_rows: int
    detail: str = ""


class Warehouse:
    """A read-only connection to the warehouse (a DuckDB file, the PostgreSQL database of a postgres target or
    a Spark target's warehouse) used to compare relations; opened lazily, closed by the caller."""

    def __init__(self, warehouse: Path | DuckDBWarehouse | PostgresWarehouse | SparkWarehouse) -> None:
        self.target: DuckDBWarehouse | PostgresWarehouse | SparkWarehouse = (
            warehouse
            if isinstance(warehouse, DuckDBWarehouse | PostgresWarehouse | SparkWarehouse)
            else DuckDBWarehouse(Path(warehouse))
        )
        self.path = self.target.path if isinstance(self.target, DuckDBWarehouse) else None
        self._con: Connection | None = None
        self.error: str | None = None

    def connect(self) -> Connection | None:
        if self._con is None and self.error is None:
            try:
                self._con = self.target.connect()
            except WarehouseError as exc:
                self.error = str(exc)
        return self._con

    def has_relation(self, schema: str | None, alias: str | None) -> bool:
        con = self.connect()
        if con is None:
            return False
        return con.relation_exists(schema, alias)

    def compare(
        self,
        left: tuple[str | None, str | None],
        right: tuple[str | None, str | None],
        columns: Sequence[str],
    ) -> DataComparison:
        """Compare ``columns`` of two relations as multisets of rows."""
        con = self.connect()
        assert con is not None
        cols = ", ".join(con.quote(c) for c in columns)
        a, b = con.relation(left[0], left[1] or ""), con.relation(right[0], right[1] or "")
        try:
            row = con.rows(
                f"select (select count(*) from {a}), (select count(*) from {b}), "
                f"(select count(*) from (select {cols} from {a} except all select {cols} from {b}) as l), "
                f"(select count(*) from (select {cols} from {b} except all select {cols} from {a}) as r)"
            )[0]
        except WarehouseError as exc:
            why = str(exc).removeprefix(f"{self.target.label}: ")
            return DataComparison(False, 0, 0, f"not comparable: {why}")
        rows, other, only_left, only_right = (int(v) for v in row)
        return DataComparison(rows == other and only_left == 0 and only_right == 0, rows, other)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
