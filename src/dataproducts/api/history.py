"""A product's SLO history for the API: its recorded runs, newest first, from the history store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from dataproducts.slo.history import read_history


def _target(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def product_history(path: Path, product_id: str, days: int) -> list[dict[str, Any]]:
    """Every recorded run of ``product_id`` whose as-of day is within ``days`` days of the newest recorded
    run's, newest first: the run, the product's status and row count, and its SLIs. Empty without a history
    file. Read through ``HistoryReader`` (read-only; version 1 files and renamed products included)."""
    if not path.is_file():
        return []
    with read_history(path) as reader:
        newest = reader._query("select max(as_of_date) from rec_runs")[0][0]
        if newest is None:
            return []
        start = newest - dt.timedelta(days=days - 1)
        runs = reader._query(
            """
            select r.run_id, r.as_of_date, r.as_of, r.generated_at, r.partial, p.status, p.row_count
            from rec_product_runs p join rec_runs r using (run_id)
            where p.product_id = ? and r.as_of_date >= ?
            order by r.as_of desc, r.generated_at desc, r.run_id desc
            """,
            [product_id, start],
        )
        slis = reader._query(
            """
            select s.run_id, s.sli, s.status, s.value, s.unit, s.target_json, s.reason
            from rec_sli_results s join rec_runs r using (run_id)
            where s.product_id = ? and r.as_of_date >= ?
            order by s.sli
            """,
            [product_id, start],
        )
    by_run: dict[str, dict[str, Any]] = {}
    for run_id, sli, status, value, unit, target, reason in slis:
        by_run.setdefault(run_id, {})[sli] = {
            "status": status,
            "value": value,
            "unit": unit,
            "target": _target(target),
            "reason": reason,
        }
    return [
        {
            "run_id": run_id,
            "as_of_date": as_of_date.isoformat(),
            "as_of": as_of.isoformat() + "Z",
            "generated_at": generated_at.isoformat() + "Z",
            "partial": bool(partial),
            "status": status,
            "row_count": row_count,
            "slis": by_run.get(run_id, {}),
        }
        for run_id, as_of_date, as_of, generated_at, partial, status, row_count in runs
    ]
