"""The SLO history: idempotent recording, rolling windows in SQL, corrupt files left untouched."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from dataproducts.errors import HistoryError
from dataproducts.slo.history import ProductRecord, RunRecord, read_history, record_run

DAY0 = dt.date(2026, 11, 1)


def _run(day: int, status: str = "met", rows: int = 100, inv: str | None = None) -> RunRecord:
    as_of = dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(6), tzinfo=dt.UTC)
    slis: dict[str, dict[str, Any]] = {
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
        assert history.volume_baseline("sales.fct_orders", 3, run_id="inv-5", as_of=current.as_of) == [
            104,
            103,
            102,
        ]
        previous = history.previous_columns("sales.fct_orders", run_id="inv-5", as_of=current.as_of)
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


def test_a_renamed_product_reads_the_history_of_its_former_id(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    for day in range(5):
        record_run(path, _run(day, "breached" if day == 3 else "met", rows=100 + day))
    old = _run(5, rows=90)
    current = dataclasses.replace(
        old, products=(dataclasses.replace(old.products[0], product_id="sales.orders"),)
    )
    with read_history(path, formerly={"sales.orders": ["sales.fct_orders"]}) as history:
        assert history.volume_baseline("sales.orders", 2, run_id="inv-5", as_of=current.as_of) == [104, 103]
        previous = history.previous_columns("sales.orders", run_id="inv-5", as_of=current.as_of)
        assert previous is not None and previous[0] == "inv-4"
        history.set_current(current)
        assert [p.date.day for p in history.trend("sales.orders", 28)] == [1, 2, 3, 4, 5, 6]
        assert history.missed_days("sales.orders", 28) == []
        assert history.product_counts("sales.orders", 28).bad == 1
        assert history.sli_counts("sales.orders", 28)["freshness"].good == 5
        assert all(p.run_id is None for p in history.trend("sales.fct_orders", 28))
    with read_history(path) as history:  # without ``formerly`` the trend restarts
        history.set_current(current)
        assert [p.date.day for p in history.trend("sales.orders", 28)] == [6]


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
        assert history.volume_baseline("sales.fct_orders", 7, run_id="x", as_of=run.as_of) == []
        assert history.previous_columns("sales.fct_orders", run_id="x", as_of=run.as_of) is None
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


def _partial(day: int, status: str, run_id: str) -> RunRecord:
    run = _run(day, status, inv=run_id)
    return RunRecord(
        run.run_id,
        run.as_of,
        run.generated_at,
        run.project,
        status,
        run.products,
        partial=True,
        selection=["sales.fct_orders"],
    )


def test_a_partial_run_never_replaces_or_dilutes_a_complete_runs_day(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    record_run(path, _run(0, "met", inv="full-0"))
    record_run(path, _partial(0, "breached", "part-0"))  # later the same day, a partial run
    with read_history(path) as history:
        history.set_current(_run(1, "met", inv="full-1"))
        counts = history.product_counts("sales.fct_orders", 28)
        assert (counts.good, counts.bad) == (2, 0)  # day 0 counts once, by its complete run
        assert [p.run_id for p in history.trend("sales.fct_orders", 28)] == ["full-0", "full-1"]


def test_a_partial_report_of_a_recorded_run_merges_into_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    other = ProductRecord("sales.dim_products", "met", 5, None, {})
    full = _run(0, "met", inv="r0")
    record_run(path, RunRecord("r0", full.as_of, full.as_of, "p", "met", (*full.products, other)))
    record_run(path, _partial(0, "breached", "r0"))  # dp report --select fct_orders on the same run
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select product_id, status from slo_product_runs order by 1").fetchall()
        runs = con.execute("select run_id, partial from slo_runs").fetchall()
    assert rows == [("sales.dim_products", "met"), ("sales.fct_orders", "breached")]
    assert runs == [("r0", False)]


def test_days_without_a_run_are_missed(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    record_run(path, _run(0))
    record_run(path, _run(1))
    with read_history(path) as history:
        history.set_current(_run(4))
        assert history.missed_days("sales.fct_orders", 28) == [DAY0 + dt.timedelta(days=d) for d in (2, 3)]
        trend = history.trend("sales.fct_orders", 28)
        assert [(p.date.day, p.status) for p in trend] == [
            (1, "met"),
            (2, "met"),
            (3, "missed"),
            (4, "missed"),
            (5, "met"),
        ]
        # before the first recorded day nothing is missed; the window bounds it too
        assert history.missed_days("sales.fct_orders", 2) == [DAY0 + dt.timedelta(days=3)]


def test_a_run_is_never_rerecorded_under_another_day(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    record_run(path, _run(0, inv="r"))
    with pytest.raises(HistoryError, match="recorded for as-of day 2026-11-01, not 2026-11-05"):
        record_run(path, _run(4, inv="r"))
    with read_history(path) as history:
        assert history.recorded_run("r") == (DAY0, False)


def test_a_version_1_history_is_read_and_migrated(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "h.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table slo_meta (key varchar not null, value varchar)")
        con.execute("insert into slo_meta values ('schema_version', '1')")
        con.execute(
            "create table slo_runs (invocation_id varchar not null, as_of timestamp not null, as_of_date date "
            "not null, generated_at timestamp not null, project varchar, overall_status varchar not null, "
            "recorded_at timestamp not null)"
        )
        con.execute(
            "create table slo_product_runs (invocation_id varchar not null, product_id varchar not null, "
            "status varchar not null, row_count bigint, columns_json varchar)"
        )
        con.execute(
            "create table slo_sli_results (invocation_id varchar not null, product_id varchar not null, sli "
            "varchar not null, status varchar not null, value double, unit varchar, target_json varchar, "
            "reason varchar)"
        )
        con.execute(
            "insert into slo_runs values ('old', '2026-11-01 06:00', '2026-11-01', now(), 'p', 'breached', now())"
        )
        con.execute("insert into slo_product_runs values ('old', 'sales.fct_orders', 'breached', 7, null)")
    with read_history(path) as history:  # read as is, file untouched
        history.set_current(_run(1))
        assert history.product_counts("sales.fct_orders", 28).bad == 1
    record_run(path, _run(1))  # migrated in the same transaction
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select value from slo_meta").fetchone() == ("2",)
        assert con.execute(
            "select run_id, dbt_invocation_id, partial from slo_runs order by 1"
        ).fetchall() == [
            ("inv-1", None, False),
            ("old", "old", False),
        ]
