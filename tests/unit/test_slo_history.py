"""The SLO history: idempotent recording, rolling windows in SQL, corrupt files left untouched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dataproducts.errors import HistoryError
from dataproducts.slo.history import ProductRecord, RunRecord, read_history, record_run

DAY0 = dt.date(2026, 11, 1)


def _run(day: int, status: str = "met", rows: int = 100, inv: str | None = None) -> RunRecord:
    as_of = dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(6), tzinfo=dt.UTC)
    slis = {
        "freshness": {"status": status, "value": 5.0, "unit": "hours", "target": {}, "reason": "r"},
        "validity": {
            "status": "unknown" if day == 2 else "met",
            "value": None,
            "unit": "ratio",
            "reason": "",
        },
    }
    product = ProductRecord("sales.fct_orders", status, rows, {"sales.fct_orders": {"id": "INTEGER"}}, slis)
    return RunRecord(inv or f"inv-{day}", as_of, as_of, "p", status, (product,))


def test_windows_budgets_and_trend_include_the_current_run(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    for day in range(5):
        record_run(path, _run(day, "breached" if day == 3 else "met", rows=100 + day))
    current = _run(5, rows=90)
    with read_history(path) as history:
        assert history.volume_baseline("sales.fct_orders", 3, invocation_id="inv-5", as_of=current.as_of) == [
            104,
            103,
            102,
        ]
        previous = history.previous_columns("sales.fct_orders", invocation_id="inv-5", as_of=current.as_of)
        assert previous is not None and previous[0] == "inv-4"
        history.set_current(current)
        counts = history.sli_counts("sales.fct_orders", 28)
        assert (counts["freshness"].good, counts["freshness"].bad) == (5, 1)
        assert (counts["validity"].good, counts["validity"].unknown) == (5, 1)
        product = history.product_counts("sales.fct_orders", 28)
        assert (product.good, product.bad) == (5, 1)
        # a 3-day window ending at day 5 holds days 3, 4, 5
        assert history.product_counts("sales.fct_orders", 3).bad == 1
        assert history.product_counts("sales.fct_orders", 2).bad == 0
        trend = history.trend("sales.fct_orders", 28)
        assert [p.date.day for p in trend] == [1, 2, 3, 4, 5, 6]
        assert trend[3].status == "breached" and trend[3].slis["freshness"] == "breached"


def test_recording_is_idempotent_per_invocation(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    record_run(path, _run(0, "met"))
    record_run(path, _run(0, "breached"))  # the same invocation again: replaced, not appended
    with read_history(path) as history:
        history.set_current(_run(1))
        assert history.runs_in_history() == 1
        assert history.product_counts("sales.fct_orders", 28).bad == 1
    # reading the current invocation again ignores its recorded rows
    with read_history(path) as history:
        history.set_current(_run(0, "met"))
        assert history.product_counts("sales.fct_orders", 28).bad == 0


def test_missing_history_is_empty_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.duckdb"
    run = _run(0)
    with read_history(path) as history:
        assert history.volume_baseline("sales.fct_orders", 7, invocation_id="x", as_of=run.as_of) == []
        assert history.previous_columns("sales.fct_orders", invocation_id="x", as_of=run.as_of) is None
        history.set_current(run)
        assert history.product_counts("sales.fct_orders", 28).good == 1
    assert not path.exists()


@pytest.mark.parametrize("content", [b"not a database" * 50, b""])
def test_corrupt_history_raises_and_is_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "h.duckdb"
    path.write_bytes(content)
    with pytest.raises(HistoryError, match=str(path)), read_history(path):
        pass
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.duckdb"]


def test_a_duckdb_file_that_is_not_a_history(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t (x int)")
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="missing tables"), read_history(path):
        pass
    assert path.read_bytes() == before


def test_truncated_history_raises_before_anything_is_computed(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    for day in range(3):
        record_run(path, _run(day))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    before = path.read_bytes()
    with pytest.raises(HistoryError, match=str(path)), read_history(path) as history:
        history.set_current(_run(3))
        history.trend("sales.fct_orders", 28)
    assert path.read_bytes() == before
