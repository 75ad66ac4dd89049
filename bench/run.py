"""Benchmarks at scale (not timed tests): the compiled engine against one hand-written scan, against GX,
and the runner against ``dbt build``.

    python bench/run.py [--scales 10,100] [--skip-gx] [--as-of 2026-11-20] [--regenerate]

For each scale: ``dp generate`` into ``bench/.work/scale-<S>/`` (kept between runs unless --regenerate), then
each measurement in its own process under ``/usr/bin/time -v`` (wall time, peak RSS):

  (d) dbt build --full-refresh   (a) hand-written single-scan SQL per product  (b) dp validate --engine sql
  (c) dp validate --engine gx     (e) dp nightly --no-docs --full-refresh (every product from all history)
  (f) the transformation floor: the build's compiled SQL as plain CREATE TABLE AS in one DuckDB session
      (bench/floor.py; no contracts, constraints or tests)
  (g) the daily nightly: on a copy of the warehouse after a full nightly, ``dp generate --append`` one
      more day, then ``dp nightly --no-docs`` (incremental); repeated day after day, the median reported
  plus dp report (peak RSS target) and, per product, in-process seconds for (a) and (b), measured
  alternately in one process (``probe.py paired``: medians of many pairs for millisecond products).

Prints the tables, writes ``bench/results/latest.json`` and ``latest.md``.
Targets at scale 100: (b)/(a) <= 1.5 per product; (c)/(b) >= 2 over all suites; (e)/(d) <= 1.3; peak RSS
of dp validate and dp report < 1 GiB; time growing no faster than linearly from scale 10 to 100; (e)/(f)
<= 1.5; (g)/(e) <= 0.2; peak RSS of (e) and (g) < 2 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
RESULTS = HERE / "results"
PY = sys.executable
ENV = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}


def measure(cmd: list[str], log: Path) -> dict[str, Any]:
    """Run ``cmd`` under GNU time; wall seconds, peak RSS (MiB), exit code and stdout."""
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], cwd=REPO, env=ENV, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    log.write_text(f"$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}", encoding="utf-8")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return {
        "wall_s": round(wall, 3),
        "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
        "returncode": proc.returncode,
        "stdout": proc.stdout,
    }


def measure_n(cmd: list[str], log: Path, repeat: int) -> dict[str, Any]:
    """``measure`` ``repeat`` times: the median wall time (every run listed), the highest peak RSS."""
    runs = [
        measure(cmd, log.with_name(f"{log.stem}.{i}{log.suffix}") if repeat > 1 else log)
        for i in range(repeat)
    ]
    walls = sorted(r["wall_s"] for r in runs)
    rss = [r["peak_rss_mib"] for r in runs if r["peak_rss_mib"] is not None]
    return {
        "wall_s": walls[len(walls) // 2]
        if len(walls) % 2
        else round((walls[len(walls) // 2 - 1] + walls[len(walls) // 2]) / 2, 3),
        "runs_s": [r["wall_s"] for r in runs],
        "peak_rss_mib": max(rss) if rss else None,
        "returncode": max(r["returncode"] for r in runs),
        "stdout": runs[-1]["stdout"],
    }


def _generator_version() -> str:
    """A digest of the generator's code: a bench warehouse made by other code is generated again."""
    import hashlib

    package = REPO / "src" / "dataproducts"
    digest = hashlib.sha256()
    for path in [package / "generate.py", *sorted((package / "sql" / "generate").glob("*.sql"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _json_line(text: str) -> dict[str, Any]:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def bench_scale(scale: float, as_of: str, skip_gx: bool, regenerate: bool, repeat: int = 3) -> dict[str, Any]:
    work = WORK / f"scale-{scale:g}"
    work.mkdir(parents=True, exist_ok=True)
    wh, target, reports, hist = (
        work / "warehouse.duckdb",
        work / "target",
        work / "reports",
        work / "history.duckdb",
    )
    paths = ["--warehouse", str(wh), "--runs-dir", str(work / "runs")]
    stamp = work / "generated.json"
    want = {"scale": scale, "as_of": as_of, "generator": _generator_version()}
    out: dict[str, Any] = {"scale": scale, "steps": {}}
    steps = out["steps"]
    dp = [PY, "-m", "dataproducts"]
    if regenerate or not wh.exists() or not stamp.exists() or json.loads(stamp.read_text()) != want:
        wh.unlink(missing_ok=True)
        print(f"[scale {scale:g}] dp generate ...", flush=True)
        steps["generate"] = measure(
            [*dp, "generate", "--scale", f"{scale:g}", "--as-of", as_of, *paths], work / "generate.log"
        )
        stamp.write_text(json.dumps(want))
    probe = [PY, str(HERE / "probe.py")]
    args = [str(REPO), str(wh), str(target), as_of]
    print(f"[scale {scale:g}] (d) dbt build ...", flush=True)
    # the first build creates the products; the measured ones rebuild them, as every nightly does
    measure([*probe, "dbt-build", *args], work / "dbt_build_first.log")
    steps["d_dbt_build"] = measure_n([*probe, "dbt-build", *args], work / "dbt_build.log", repeat)
    print(f"[scale {scale:g}] (f) the transformation floor ...", flush=True)
    floor = [PY, str(HERE / "floor.py")]
    subprocess.run([*floor, "prep", str(target / "manifest.json"), str(wh), str(work / "floor")], check=True)
    steps["f_floor"] = measure_n(
        [*floor, "run", str(target / "manifest.json"), str(work / "floor")], work / "floor.log", repeat
    )
    print(f"[scale {scale:g}] (a) hand-written scans ...", flush=True)
    steps["a_handwritten"] = measure_n([*probe, "handwritten", *args], work / "handwritten.log", repeat)
    print(f"[scale {scale:g}] (b) dp validate --engine sql ...", flush=True)
    common = [*paths, "--target-dir", str(target), "--as-of", as_of, "--no-docs", "-q"]
    steps["b_validate_sql"] = measure_n(
        [*dp, "validate", "--engine", "sql", *common], work / "validate_sql.log", repeat
    )
    steps["ab_per_product"] = measure([*probe, "paired", *args], work / "probe_paired.log")
    if not skip_gx:
        print(f"[scale {scale:g}] (c) dp validate --engine gx ...", flush=True)
        steps["c_validate_gx"] = measure_n(
            [*dp, "validate", "--engine", "gx", *common], work / "validate_gx.log", repeat
        )
    print(f"[scale {scale:g}] dp report ...", flush=True)
    report_paths = [
        *paths,
        "--target-dir",
        str(target),
        "--reports-dir",
        str(reports),
        "--history",
        str(hist),
    ]
    steps["report"] = measure([*dp, "report", *report_paths, "--as-of", as_of, "-q"], work / "report.log")
    print(f"[scale {scale:g}] (e) dp nightly --no-docs ...", flush=True)
    steps["e_nightly"] = measure_n(
        [*dp, "nightly", *report_paths, "--as-of", as_of, "--no-docs", "--full-refresh"],
        work / "nightly.log",
        repeat,
    )
    print(f"[scale {scale:g}] (g) the daily nightly ...", flush=True)
    steps.update(bench_daily(work, as_of, repeat))
    paired = _json_line(steps["ab_per_product"]["stdout"]).get("paired", {})
    out["per_product"] = {
        pid: {
            "a_s": round(m["a"], 5),
            "b_s": round(m["b"], 5),
            "b_over_a": round(m["b"] / m["a"], 2),
            "pairs": m["pairs"],
        }
        for pid, m in paired.items()
        if m["a"] > 0
    }
    for step in steps.values():
        step.pop("stdout", None)
    return out


def bench_daily(work: Path, as_of: str, repeat: int) -> dict[str, Any]:
    """(g): a copy of the built warehouse, one full nightly on it (not timed), then each day: append that
    day's landing data (timed apart) and run the nightly, which builds incrementally."""
    import shutil

    daily = work / "daily"
    shutil.rmtree(daily, ignore_errors=True)
    daily.mkdir()
    wh = daily / "warehouse.duckdb"
    shutil.copyfile(work / "warehouse.duckdb", wh)
    dp = [PY, "-m", "dataproducts"]
    paths = [
        *("--warehouse", str(wh), "--runs-dir", str(daily / "runs"), "--target-dir", str(daily / "target")),
        *("--reports-dir", str(daily / "reports"), "--history", str(daily / "history.duckdb")),
    ]
    first = measure([*dp, "nightly", *paths, "--as-of", as_of, "--no-docs"], daily / "nightly_full.log")
    appends: list[dict[str, Any]] = []
    nights: list[dict[str, Any]] = []
    day = dt.date.fromisoformat(as_of)
    for n in range(1, repeat + 1):
        next_day = (day + dt.timedelta(days=n)).isoformat()
        appends.append(
            measure(
                [
                    *dp,
                    "generate",
                    "--append",
                    "--as-of",
                    next_day,
                    "--warehouse",
                    str(wh),
                    "--runs-dir",
                    str(daily / "runs"),
                ],
                daily / f"append_{n}.log",
            )
        )
        nights.append(
            measure([*dp, "nightly", *paths, "--as-of", next_day, "--no-docs"], daily / f"nightly_{n}.log")
        )
    incremental = all(
        "full refresh" not in (daily / f"nightly_{n}.log").read_text() for n in range(1, repeat + 1)
    )
    return {
        "g_first_full_nightly": first,
        "g_append_day": _median(appends),
        "g_daily_nightly": {**_median(nights), "incremental": incremental},
    }


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    mid = ordered[len(ordered) // 2]
    return {
        "wall_s": mid["wall_s"],
        "peak_rss_mib": max((r["peak_rss_mib"] or 0) for r in runs),
        "returncode": max(r["returncode"] for r in runs),
        "runs": [r["wall_s"] for r in runs],
    }


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    s = result["steps"]
    r: dict[str, Any] = {}
    if "c_validate_gx" in s:
        r["c_over_b"] = round(s["c_validate_gx"]["wall_s"] / s["b_validate_sql"]["wall_s"], 2)
    r["e_over_d"] = round(s["e_nightly"]["wall_s"] / s["d_dbt_build"]["wall_s"], 2)
    if "f_floor" in s:
        r["d_over_f"] = round(s["d_dbt_build"]["wall_s"] / s["f_floor"]["wall_s"], 2)
        r["e_over_f"] = round(s["e_nightly"]["wall_s"] / s["f_floor"]["wall_s"], 2)
    if "g_daily_nightly" in s:
        r["g_over_e"] = round(s["g_daily_nightly"]["wall_s"] / s["e_nightly"]["wall_s"], 2)
    r["b_over_a_max"] = max((p["b_over_a"] for p in result["per_product"].values()), default=None)
    big = {k: v for k, v in result["per_product"].items() if v["a_s"] >= 0.1}
    r["b_over_a_max_products_over_100ms"] = max((p["b_over_a"] for p in big.values()), default=None)
    a_all = sum(p["a_s"] for p in result["per_product"].values())
    b_all = sum(p["b_s"] for p in result["per_product"].values())
    r["b_over_a_all"] = round(b_all / a_all, 2) if a_all else None  # None: the probe failed (see its log)
    return r


def markdown(results: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    lines = [
        f"Machine: {machine['cores']} cores, {machine['ram_gib']} GiB RAM, {machine['python']}, "
        f"duckdb {machine['duckdb']}, GX {machine['gx']}; {machine['date']}.",
        "",
        "| scale | step | wall s | peak RSS MiB | exit |",
        "|---:|---|---:|---:|---:|",
    ]
    names = {
        "generate": "dp generate",
        "d_dbt_build": "(d) dbt build",
        "a_handwritten": "(a) hand-written scans (process)",
        "b_validate_sql": "(b) dp validate --engine sql",
        "ab_per_product": "(a)+(b) per product, paired (probe process)",
        "c_validate_gx": "(c) dp validate --engine gx",
        "report": "dp report",
        "e_nightly": "(e) dp nightly --no-docs --full-refresh",
        "f_floor": "(f) floor: compiled SQL as plain CREATE TABLE AS, one DuckDB session",
        "g_first_full_nightly": "(g) setup: first nightly on the copy (full refresh)",
        "g_append_day": "(g) dp generate --append one day",
        "g_daily_nightly": "(g) daily nightly: dp nightly --no-docs after the append (incremental)",
    }
    for res in results:
        for key, step in res["steps"].items():
            lines.append(
                f"| {res['scale']:g} | {names.get(key, key)} | {step['wall_s']:.2f} | {step['peak_rss_mib']} | "
                f"{step['returncode']} |"
            )
    lines += [
        "",
        "| scale | (b)/(a) max | (b)/(a) max, products with (a) >= 0.1 s | (b)/(a) all | (c)/(b) | (e)/(d) "
        "| (d)/(f) | (e)/(f) | (g)/(e) |",
    ]
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for res in results:
        r = res["ratios"]
        lines.append(
            f"| {res['scale']:g} | {r['b_over_a_max']} | {r['b_over_a_max_products_over_100ms']} | "
            f"{r['b_over_a_all']} | {r.get('c_over_b', 'n/a')} | {r['e_over_d']} | {r.get('d_over_f', 'n/a')} | "
            f"{r.get('e_over_f', 'n/a')} | {r.get('g_over_e', 'n/a')} |"
        )
    lines += [
        "",
        "Per product, in-process seconds, medians of alternated runs: (a) hand-written scan, (b) compiled engine.",
        "",
    ]
    lines += ["| scale | product | (a) s | (b) s | (b)/(a) | pairs |", "|---:|---|---:|---:|---:|---:|"]
    for res in results:
        for pid, p in res["per_product"].items():
            lines.append(
                f"| {res['scale']:g} | {pid} | {p['a_s']:.4f} | {p['b_s']:.4f} | {p['b_over_a']} | {p['pairs']} |"
            )
    return "\n".join(lines) + "\n"


def machine_info() -> dict[str, Any]:
    import duckdb

    ram = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    try:
        from importlib.metadata import version

        gx_version = version("great_expectations")
    except Exception:
        gx_version = "?"
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(ram, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "gx": gx_version,
        "date": dt.date.today().isoformat(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="10,100")
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--skip-gx", action="store_true")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each timed step; the median is reported (default 3)"
    )
    parser.add_argument(
        "--out", default=str(RESULTS / "latest"), help="results file stem (default results/latest)"
    )
    args = parser.parse_args()
    results = []
    for scale in (float(s) for s in args.scales.split(",") if s.strip()):
        res = bench_scale(scale, args.as_of, args.skip_gx, args.regenerate, max(1, args.repeat))
        res["ratios"] = ratios(res)
        results.append(res)
    machine = machine_info()
    text = markdown(results, machine)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n")
    out.with_suffix(".md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
