"""When the nightly must rebuild the incremental products from scratch: the landing area's identity against
the one the last complete build came from (kept in the warehouse)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import make_config
from dataproducts.generate import generate
from dataproducts.incremental import full_refresh_reason, read_landing_state, remember_build

DAY = dt.date(2026, 11, 20)


def test_appends_continue_a_build_and_a_fresh_landing_area_does_not(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    assert read_landing_state(cfg.db) is None  # no warehouse yet: never second-guessed
    generate(cfg.warehouse, scale=0.01, seed=1, as_of=DAY)
    state = read_landing_state(cfg.db)
    assert state is not None and state.as_of == DAY
    assert full_refresh_reason(cfg, state) == "no build on record was made from this landing area"
    remember_build(cfg, state)
    assert full_refresh_reason(cfg, state) is None
    generate(cfg.warehouse, as_of=DAY + dt.timedelta(days=1), append=True)
    assert full_refresh_reason(cfg, read_landing_state(cfg.db)) is None
    generate(cfg.warehouse, scale=0.01, seed=1, as_of=DAY + dt.timedelta(days=5))
    assert "generated anew" in (full_refresh_reason(cfg, read_landing_state(cfg.db)) or "")
    remember_build(cfg, read_landing_state(cfg.db))
    generate(
        cfg.warehouse,
        scale=0.01,
        seed=1,
        as_of=DAY + dt.timedelta(days=2),
        history_start=DAY - dt.timedelta(days=725),
    )
    assert "went back in time" in (full_refresh_reason(cfg, read_landing_state(cfg.db)) or "")
