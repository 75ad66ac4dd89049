"""One large scale, end to end: does the nightly generate, build and report on this machine, and at what cost?

    python bench/large.py [--scale 1000] [--as-of 2026-11-20] [--out results/large-scale1000]

In ``bench/.work/large-<S>/`` (emptied first): ``dp generate --scale S``, the full nightly
(``dp nightly --no-docs --full-refresh``), then one more day (``dp generate --append``) and the daily nightly
(``dp nightly --no-docs``, incremental). Each step in its own process under ``/usr/bin/time -v`` (wall time,
peak RSS); after each step the disk the warehouse and the whole folder take. Prints a table and writes
``<out>.json`` and ``<out>.md``. ``bench/run.py`` measures the ratios at scales 10 and 100; this script
answers the issue 12 question for scale 1000 (about 100 million orders), where repeating the steps and
copying the warehouse would take hours and tens of GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from run import PY, RESULTS, WORK, machine_info, measure


def _disk_mib(path: Path) -> float:
    if path.is_file():
        return round(path.stat().st_size / 2**20, 1)
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1000.0)
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--out", default=None, help="results file stem (default results/large-scale<S>)")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    work = WORK / f"large-{args.scale:g}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    wh = work / "warehouse.duckdb"
    paths = ["--warehouse", str(wh), "--runs-dir", str(work / "runs")]
    outputs = [
        *("--target-dir", str(work / "target"), "--reports-dir", str(work / "reports")),
        *("--history", str(work / "history.duckdb")),
    ]
    dp = [PY, "-m", "dataproducts"]
    next_day = (as_of + dt.timedelta(days=1)).isoformat()
    plan = [
        (
            "dp generate",
            [*dp, "generate", "--scale", f"{args.scale:g}", "--as-of", as_of.isoformat(), *paths],
        ),
        (
            "(e) dp nightly --no-docs --full-refresh",
            [*dp, "nightly", *paths, *outputs, "--as-of", as_of.isoformat(), "--no-docs", "--full-refresh"],
        ),
        ("dp generate --append one day", [*dp, "generate", "--append", "--as-of", next_day, *paths]),
        (
            "(g) dp nightly --no-docs (incremental)",
            [*dp, "nightly", *paths, *outputs, "--as-of", next_day, "--no-docs"],
        ),
    ]
    steps: list[dict[str, Any]] = []
    out = RESULTS / (args.out or f"large-scale{args.scale:g}")
    for number, (name, cmd) in enumerate(plan, 1):
        print(f"[scale {args.scale:g}] {name} ...", flush=True)
        result = measure(cmd, work / f"step{number}.log")
        last = result.pop("stdout").strip().splitlines()
        step = {
            "step": name,
            **result,
            "warehouse_mib": _disk_mib(wh) if wh.exists() else 0.0,
            "folder_mib": _disk_mib(work),
            "last_line": last[-1] if last else "",
        }
        steps.append(step)
        print(
            f"  {step['wall_s']:.1f} s, peak RSS {step['peak_rss_mib']} MiB, exit {step['returncode']}, "
            f"warehouse {step['warehouse_mib']:.0f} MiB, folder {step['folder_mib']:.0f} MiB",
            flush=True,
        )
        _write(out, args.scale, as_of, steps)  # after every step: a run cut short keeps what it measured
        if result["returncode"] not in (0, 1):
            print(f"  stopped: see {work / f'step{number}.log'}", file=sys.stderr)
            break
    print((out.with_suffix(".md")).read_text(encoding="utf-8"))
    return 0 if len(steps) == len(plan) and all(s["returncode"] in (0, 1) for s in steps) else 1


def _write(out: Path, scale: float, as_of: dt.date, steps: list[dict[str, Any]]) -> None:
    machine = machine_info()
    document = {"machine": machine, "scale": scale, "as_of": as_of.isoformat(), "steps": steps}
    lines = [
        f"Machine: {machine['cores']} cores, {machine['ram_gib']} GiB RAM, Python {machine['python']}, "
        f"DuckDB {machine['duckdb']}; {machine['date']}. Scale {scale:g}, as of {as_of}.",
        "",
        "| step | wall s | peak RSS MiB | exit | warehouse MiB | folder MiB |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {s['step']} | {s['wall_s']:.1f} | {s['peak_rss_mib']} | {s['returncode']} | "
            f"{s['warehouse_mib']:.0f} | {s['folder_mib']:.0f} |"
            for s in steps
        ),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
