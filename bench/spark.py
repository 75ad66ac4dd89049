"""Scale on Spark next to DuckDB (issue 15): generate+load, dbt build, dp validate and dp nightly per engine.

    .venv-spark/bin/python bench/spark.py [--scales 1,10] [--engines duckdb,spark-local,spark-cluster]
                                          [--as-of 2026-11-20] [--out results/spark-<date>] [--keep]
    .venv-spark/bin/python bench/spark.py --render [--out ...]    # the .md again from the .json

Run it from the venv that holds the spark extra (``make test-spark`` installs ``.venv-spark``); DuckDB alone
runs from ``.venv`` too. Engines: ``duckdb`` (the ``local`` target), ``spark-local`` (``--target spark``,
Spark in dbt's own process, ``local[2]``) and ``spark-cluster`` (``--target spark`` on the standalone cluster
``scripts/spark up`` starts on free loopback ports: a master and two one-core workers).

Each engine and scale works on a throwaway copy of the project in a temporary folder (removed afterwards
unless ``--keep``), with its warehouse, metastore, target, runs and reports inside the copy, and times, each
in its own process:

  generate+load   ``dp generate --scale S`` (``--target spark``: DuckDB, then every landing table loaded into
                  Spark as a Parquet table)
  dbt build       ``dbt build [--target spark]`` (the first build of the products on that landing data)
  dp validate     ``dp validate --no-docs [--target spark]`` (the build above, adopted from target/)
  dp nightly      ``dp nightly --no-docs --no-notify [--target spark]`` (freshness, build, validate, report,
                  publish)

A step that this ``dp`` does not support on the target (exit code 2 with "type 'spark': this dp command works
on type: duckdb or type: postgres only") is recorded as "n/a (not supported by this dp)", not as a failure,
and the bench goes on. Peak memory is the sum of the resident set sizes of the step's process tree, sampled
from /proc every half second (on the cluster plus the master's and workers' JVMs and the executors they
started), so it counts shared pages once per process: an upper bound.

The profile's knobs (``DP_THREADS``, ``DP_MEMORY_LIMIT``, ``DP_SPARK_DRIVER_MEMORY``, ...) come from the
environment as for dbt; a run that sets one records it with each figure, beside the defaults' figures.

Prints the figures and writes ``<out>.json`` (every measurement; a later run replaces the engine/scale pairs it
measured and keeps the others) and ``<out>.md`` (the machine, the figures, the growth from the smallest to the
largest scale as fixed + per-unit cost, and where the engines' lines cross).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from itertools import pairwise
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
PY = sys.executable
DBT = str(Path(PY).parent / "dbt") if (Path(PY).parent / "dbt").exists() else "dbt"
ENGINES = ("duckdb", "spark-local", "spark-cluster")
STEPS = ("generate+load", "dbt build", "dp validate", "dp nightly")
WORKERS = (1, 4, 16, 32, 64)  # the k of the crossing table: Spark's per-unit cost divided by k
NOT_SUPPORTED = "n/a (not supported by this dp)"
# what this dp prints (exit 2) for a command that runs on DuckDB and PostgreSQL only
_UNSUPPORTED = re.compile(r"type '?spark'?[^\n]*(only|not supported|unsupported)", re.IGNORECASE)
PAGE = os.sysconf("SC_PAGE_SIZE")
# the profile's knobs (profiles.yml) a run may set in its environment: recorded with every figure, and a figure
# under other settings is kept beside the defaults' (the growth and crossing use the defaults' only)
KNOBS = (
    "DP_THREADS",
    "DP_MEMORY_LIMIT",
    "DP_SPARK_DRIVER_MEMORY",
    "DP_SPARK_EXECUTOR_MEMORY",
    "DP_SPARK_CORES",
    "DP_SPARK_SHUFFLE_PARTITIONS",
    "DP_SPARK_WORKER_MEMORY",
)
SETTINGS = " ".join(f"{k}={os.environ[k]}" for k in KNOBS if os.environ.get(k))
# the copy of the project leaves out what a build or a venv made, and every nested dbt_packages (the dbt
# package's integration tests install it from `local: ../`, a symlink loop)
_GENERATED = (
    ".venv",
    ".venv-*",
    ".git",
    "target",
    "logs",
    "reports",
    "warehouse",
    "runs",
    "files",
    "landing",
)
_CACHES = ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".work", "*.duckdb")


@dataclass
class Step:
    engine: str
    scale: float
    step: str
    wall_s: float | None
    peak_rss_mib: float | None
    returncode: int | None
    status: str  # ok | failed (exit N) | n/a (...) | timeout | skipped (...)
    load_before: float
    measured_at: str
    note: str = ""
    settings: str = SETTINGS  # the knobs set in the environment; "" = profiles.yml's defaults


@dataclass
class Sizes:
    """What one engine's landing data takes on disk at one scale."""

    engine: str
    scale: float
    landing_rows: int | None = None
    duckdb_landing_mib: float | None = None
    parquet_landing_mib: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    settings: str = SETTINGS


# ---------------------------------------------------------------------------------------------- /proc sampling


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            data = Path(f"/proc/{entry.name}/stat").read_bytes()
        except OSError:
            continue
        ppid = int(data.rsplit(b")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree_rss_bytes(roots: list[int]) -> int:
    """The summed resident set size of ``roots`` and all their descendants."""
    kids = _children()
    total, seen, stack = 0, set(), list(roots)
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            total += int(Path(f"/proc/{pid}/statm").read_bytes().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        stack.extend(kids.get(pid, []))
    return total


@contextmanager
def sampling(roots: Callable[[], list[int]], every: float = 0.5) -> Iterator[list[int]]:
    """Sample the trees under ``roots()`` until the block ends; the peak (bytes) in the yielded list."""
    peak = [0]
    done = threading.Event()

    def loop() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_bytes(roots()))
            done.wait(every)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


# ------------------------------------------------------------------------------------------------ running steps


def _load() -> float:
    return os.getloadavg()[0]


def run_step(
    engine: str,
    scale: float,
    name: str,
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    log: Path,
    timeout: float,
    also: Callable[[], list[int]] = list,
    unsupported_ok: bool = False,
) -> Step:
    """Run ``cmd`` and measure it; a refusal to run on the target becomes "n/a" when ``unsupported_ok``."""
    load = _load()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"[{engine} scale {scale:g}] {name} ... (load {load:.1f})", flush=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        with sampling(lambda: [proc.pid, *also()]) as peak:
            try:
                _, stderr = proc.communicate(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)  # the step's own session: dbt, its JVM and their children
                _, stderr = proc.communicate()
                timed_out = True
        out.write(f"\n--- stderr ---\n{stderr}")
    wall: float | None = round(time.perf_counter() - started, 2)
    rss = round(peak[0] / 2**20, 1) if peak[0] else None
    if timed_out:
        status = f"timeout after {timeout:g} s"
    elif proc.returncode == 0:
        status = "ok"
    elif unsupported_ok and proc.returncode == 2 and _UNSUPPORTED.search(stderr):
        status = NOT_SUPPORTED
    else:
        status = f"failed (exit {proc.returncode})"
    note = _why(stderr, log) if status != "ok" else ""
    if status == NOT_SUPPORTED:
        wall, rss = None, None  # the refusal's second is not the step's cost
    print(f"[{engine} scale {scale:g}] {name}: {status}, {wall} s, peak {rss} MiB", flush=True)
    return Step(engine, scale, name, wall, rss, proc.returncode, status, round(load, 2), stamp, note)


def _why(stderr: str, log: Path) -> str:
    """One line on why a step did not pass: stderr's last line (dp), else the error lines dbt printed."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if lines:
        return lines[-1][:200]
    text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text("utf-8", errors="replace"))
    errors = [
        re.sub(r"^\d\d:\d\d:\d\d\s+", "", line.strip())  # dbt's time stamp
        for line in text.splitlines()
        if re.search(r"\b(Error|Exception)\b", line)
    ]
    found = [line for line in errors if "Runtime Error in" in line or "Error:" in line]
    return " / ".join(dict.fromkeys(found or errors))[:300]


def _skipped(engine: str, scale: float, name: str, why: str) -> Step:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Step(engine, scale, name, None, None, None, f"skipped ({why})", round(_load(), 2), stamp)


# -------------------------------------------------------------------------------------------- project and cluster


def copy_project(dest: Path) -> Path:
    """A copy of the project's sources (what a build or a venv made left out, at the top level only:
    src/dataproducts/files is code), with an empty warehouse/ and the dbt packages (symlinks followed)."""
    top = shutil.ignore_patterns(*_GENERATED)
    anywhere = shutil.ignore_patterns(*_CACHES)

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory)
        ignored = set(anywhere(directory, names))
        if here == REPO:
            ignored |= set(top(directory, names))
        elif "dbt_packages" in names:
            ignored.add("dbt_packages")
        if here == REPO / "bench":
            ignored.add("results")
        return ignored

    shutil.copytree(REPO, dest, ignore=ignore)
    (dest / "warehouse").mkdir()
    return dest


def _free_ports(count: int) -> list[int]:
    """``count`` consecutive free loopback ports (the workers' web UIs follow the master's)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + count > 65535:
            continue
        held: list[socket.socket] = []
        try:
            for port in range(first, first + count):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", port))
            return list(range(first, first + count))
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError("no run of free loopback ports found")


class Cluster:
    """``scripts/spark up``/``down`` with its folder under the bench's temporary folder."""

    def __init__(self, root: Path) -> None:
        master, webui, *_ = _free_ports(4)
        self.root = root
        self.env = {
            **os.environ,
            "DP_SPARK_ROOT": str(root),
            "DP_SPARK_MASTER_PORT": str(master),
            "DP_SPARK_WEBUI_PORT": str(webui),
            "DP_PYTHON": PY,
        }
        self.master = f"spark://127.0.0.1:{master}"
        root.mkdir(parents=True, exist_ok=True)

    def _script(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(REPO / "scripts" / "spark"), *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def up(self) -> tuple[float, str]:
        started = time.perf_counter()
        result = self._script("up")
        if result.returncode != 0:
            raise RuntimeError(f"scripts/spark up failed: {result.stderr.strip()}")
        return round(time.perf_counter() - started, 2), result.stderr.strip()

    def down(self) -> None:
        result = self._script("down", timeout=120)
        if result.returncode != 0:
            print(f"scripts/spark down: {result.stderr.strip()}", file=sys.stderr)

    def pids(self) -> list[int]:
        """The master's and workers' JVMs (the executors are the workers' children)."""
        found = []
        for file in self.root.glob("dp-spark-*/pids/*.pid"):
            try:
                found.append(int(file.read_text().strip()))
            except (OSError, ValueError):
                continue
        return found


# ------------------------------------------------------------------------------------------------ one engine


def _mib(path: Path) -> float | None:
    if not path.exists():
        return None
    if path.is_file():
        return round(path.stat().st_size / 2**20, 1)
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def _landing_rows(landing: Path) -> int | None:
    try:
        import duckdb
    except ImportError:
        return None
    if not landing.exists():
        return None
    con = duckdb.connect(str(landing), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw_%' and table_type = 'BASE TABLE'"
        ).fetchall()
        total = 0
        for schema, table in tables:
            row = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            total += int(row[0]) if row else 0
        return total
    finally:
        con.close()


def bench_engine(
    engine: str,
    scale: float,
    as_of: str,
    work: Path,
    cluster: Cluster | None,
    timeout: float,
    keep: bool,
) -> tuple[list[Step], Sizes]:
    folder = work / f"{engine}-s{scale:g}"
    project = copy_project(folder / "project")
    logs = folder / "logs"
    logs.mkdir(parents=True)
    spark = engine != "duckdb"
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DP_PROJECT_DIR": str(project),
    }
    for key in (
        "DP_WAREHOUSE",
        "DP_TARGET_DIR",
        "DP_RUNS_DIR",
        "DP_REPORTS_DIR",
        "DP_HISTORY",
        "DP_SPARK_MASTER",
    ):
        env.pop(key, None)  # every path the copy's own default
    target: list[str] = []
    also: Callable[[], list[int]] = list
    if spark:
        target = ["--target", "spark"]
        env["DP_SPARK_WAREHOUSE"] = str(project / "warehouse" / "spark")
        env["DP_PYTHON"] = PY
        env["DP_SPARK_MASTER"] = cluster.master if cluster else "local[2]"
        if cluster:
            also = cluster.pids
    dp = [PY, "-m", "dataproducts"]
    vars_ = json.dumps({"as_of": as_of})
    steps: list[Step] = []

    def step(name: str, cmd: list[str], unsupported_ok: bool = False) -> Step:
        app = f"dp-bench-{engine}-s{scale:g}-{name.split()[-1].replace('+', '-')}"
        result = run_step(
            engine,
            scale,
            name,
            cmd,
            project,
            {**env, "DP_SPARK_APP_NAME": app},
            logs / f"{name.replace(' ', '_').replace('+', '_')}.log",
            timeout,
            also,
            unsupported_ok,
        )
        steps.append(result)
        return result

    generated = step("generate+load", [*dp, "generate", "--scale", f"{scale:g}", "--as-of", as_of, *target])
    landing = project / "warehouse" / ("landing_spark.duckdb" if spark else "dataproducts.duckdb")
    sizes = Sizes(engine, scale, _landing_rows(landing), _mib(landing))
    if spark:
        raw = project / "warehouse" / "spark" / "tables"
        parquet = [_mib(p) for p in raw.glob("raw_*.db")]
        sizes.parquet_landing_mib = round(sum(p for p in parquet if p), 1) if parquet else None
    if generated.status != "ok":
        steps.extend(_skipped(engine, scale, s, "generate failed") for s in STEPS[1:])
        return steps, sizes
    built = step("dbt build", [DBT, "build", *target, "--vars", vars_])
    if spark:
        sizes.extra["spark_tables_mib"] = _mib(project / "warehouse" / "spark" / "tables")
    else:
        sizes.extra["warehouse_mib"] = _mib(project / "warehouse" / "dataproducts.duckdb")
    if built.status.startswith("timeout"):
        steps.extend(_skipped(engine, scale, s, "dbt build timed out") for s in STEPS[2:])
        return steps, sizes
    step("dp validate", [*dp, "validate", "--as-of", as_of, "--no-docs", *target], unsupported_ok=spark)
    step(
        "dp nightly",
        [*dp, "nightly", "--as-of", as_of, "--no-docs", "--no-notify", *target],
        unsupported_ok=spark,
    )
    if not keep:
        shutil.rmtree(project / "warehouse", ignore_errors=True)
    return steps, sizes


# ---------------------------------------------------------------------------------------------- machine, output


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False, timeout=60)
        java_version = (java.stderr.strip().splitlines() or ["?"])[0]
    except (OSError, subprocess.TimeoutExpired):
        java_version = "not found"
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 2**20, 1),
        "python": platform.python_version(),
        "java": java_version,
        "pyspark": _version("pyspark"),
        "dbt-core": _version("dbt-core"),
        "dbt-spark": _version("dbt-spark"),
        "dbt-duckdb": _version("dbt-duckdb"),
        "duckdb": _version("duckdb"),
        "dataproducts": _version("dataproducts"),
    }


def fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least squares ``t = fixed + per_unit * scale`` (through the two points when there are two)."""
    if len({s for s, _ in points}) < 2:
        return None
    n = len(points)
    mean_s = sum(s for s, _ in points) / n
    mean_t = sum(t for _, t in points) / n
    slope = sum((s - mean_s) * (t - mean_t) for s, t in points) / sum((s - mean_s) ** 2 for s, _ in points)
    return mean_t - slope * mean_s, slope


def growth(steps: list[dict[str, Any]]) -> dict[str, dict[str, tuple[float, float]]]:
    """engine -> step -> (fixed s, s per scale unit), for the steps measured ok at two scales or more."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for engine in ENGINES:
        for name in STEPS:
            points = [
                (s["scale"], s["wall_s"])
                for s in steps
                if s["engine"] == engine and s["step"] == name and s["status"] == "ok" and s["wall_s"]
            ]
            line = fit(points)
            if line:
                out.setdefault(engine, {})[name] = line
    return out


def crossing(spark: tuple[float, float], duck: tuple[float, float], workers: float = 1) -> float | None:
    """The scale from which ``spark`` (per-unit cost divided by ``workers``) is faster than ``duck``."""
    fixed_s, unit_s = spark
    fixed_d, unit_d = duck
    unit_s /= workers
    if unit_s >= unit_d:
        return None
    return max((fixed_s - fixed_d) / (unit_d - unit_s), 0.0)


def _cell(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def render(data: dict[str, Any]) -> str:
    m = data["machine"]
    steps = data["steps"]
    lines = [
        "# Spark next to DuckDB: generate+load, dbt build, dp validate, dp nightly (bench/spark.py)",
        "",
        f"Machine: {m['cores']} cores, {m['ram_gib']} GiB RAM, Python {m['python']}, {m['java']}, "
        f"pyspark {m['pyspark']}, dbt-core {m['dbt-core']}, dbt-spark {m['dbt-spark']}, "
        f"dbt-duckdb {m['dbt-duckdb']}, duckdb {m['duckdb']}. A shared VM: the load average before each step "
        "is in the table (other jobs' work on the same two cores).",
        "",
        "Defaults of profiles.yml on every engine: one model at a time (`DP_THREADS=1`); DuckDB limited to 1 GB;",
        "Spark with a 1 GiB driver (and 1 GiB executors on the cluster: two workers of one core each), 4 shuffle",
        "partitions, Parquet tables. Scale 1 = 100 000 orders, 25 000 customers, 300 000 requests over two years.",
        "Peak RSS: the sum over the step's process tree (on the cluster plus its master, workers and executors),",
        "sampled every 0.5 s: shared pages count once per process.",
        "",
        "Runs merged here: "
        + "; ".join(f"{r['started']} `bench/spark.py {' '.join(r['argv'])}`" for r in data.get("runs", []))
        + ".",
        "",
        "| engine | scale | step | wall s | peak RSS MiB | exit | status | load before | measured | settings |",
        "|---|---:|---|---:|---:|---:|---|---:|---|---|",
    ]
    order = {e: i for i, e in enumerate(("cluster", *ENGINES))}
    for s in sorted(
        steps,
        key=lambda s: (order.get(s["engine"], 9), s["scale"], s.get("settings", ""), _step_order(s["step"])),
    ):
        lines.append(
            f"| {s['engine']} | {s['scale']:g} | {s['step']} | {_cell(s['wall_s'])} | {_cell(s['peak_rss_mib'])} "
            f"| {_cell(s['returncode'])} | {s['status']} | {s['load_before']:.1f} | {s['measured_at']} "
            f"| {s.get('settings', '')} |"
        )
    failed = [s for s in steps if s["note"] and s["status"] != NOT_SUPPORTED]
    if failed:
        lines += ["", "Why a step did not pass (the last line on stderr, or the errors dbt printed):", ""]
        lines += [f"- {s['engine']} scale {s['scale']:g} {s['step']}: `{s['note']}`" for s in failed]
    if data.get("sizes"):
        lines += [
            "",
            "| engine | scale | landing rows | landing DuckDB MiB | landing Parquet MiB | built |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for z in sorted(data["sizes"], key=lambda z: (order.get(z["engine"], 9), z["scale"])):
            built = ", ".join(f"{_LABELS.get(k, k)} {v}" for k, v in z["extra"].items())
            lines.append(
                f"| {z['engine']} | {z['scale']:g} | {_cell(z['landing_rows'])} | {_cell(z['duckdb_landing_mib'])} "
                f"| {_cell(z['parquet_landing_mib'])} | {built} |"
            )
    lines += _render_growth(steps)
    return "\n".join(lines) + "\n"


# what the sizes table's last column names (products_parquet_mib: the first runs' name for spark_tables_mib)
_LABELS = {
    "warehouse_mib": "DuckDB warehouse after the build, MiB:",
    "spark_tables_mib": "Spark tables (landing and products) after the build, MiB:",
    "products_parquet_mib": "Spark tables (landing and products) after the build, MiB:",
}


def _step_order(name: str) -> int:
    return STEPS.index(name) if name in STEPS else -1


def _render_growth(steps: list[dict[str, Any]]) -> list[str]:
    steps = [s for s in steps if not s.get("settings")]
    lines_of = growth(steps)
    if not lines_of:
        return []
    out = [
        "",
        "## Growth: wall time = fixed + per-unit x scale (least squares through the measured scales)",
        "",
        "Figures under profiles.yml's defaults only (no settings column above).",
        "",
        "| engine | step | fixed s | s per scale unit | scales |",
        "|---|---|---:|---:|---|",
    ]
    for engine, by_step in lines_of.items():
        for name, (fixed, unit) in by_step.items():
            scales = sorted(
                {
                    s["scale"]
                    for s in steps
                    if s["engine"] == engine and s["step"] == name and s["status"] == "ok"
                }
            )
            out.append(
                f"| {engine} | {name} | {fixed:.1f} | {unit:.2f} | {', '.join(f'{x:g}' for x in scales)} |"
            )
    marginal = []
    for engine in ENGINES:
        for name in STEPS:
            points = sorted(
                (s["scale"], s["wall_s"])
                for s in steps
                if s["engine"] == engine and s["step"] == name and s["status"] == "ok" and s["wall_s"]
            )
            cells = [
                f"{a:g} to {b:g}: {(tb - ta) / (b - a):.2f}" for (a, ta), (b, tb) in pairwise(points) if b > a
            ]
            if cells:
                marginal.append(f"| {engine} | {name} | {'; '.join(cells)} |")
    if marginal:
        out += [
            "",
            "Marginal cost (s per scale unit) between consecutive measured scales: a straight line fits when these",
            "agree; at small scales the fixed cost and the machine's load dominate the difference.",
            "",
            "| engine | step | from scale to scale: s per unit |",
            "|---|---|---|",
            *marginal,
        ]
    duck = lines_of.get("duckdb", {})
    rows = []
    for engine in ("spark-local", "spark-cluster"):
        for name, line in lines_of.get(engine, {}).items():
            if name not in duck or name == "generate+load":  # Spark's load includes DuckDB's generate
                continue
            ratio = line[1] / duck[name][1] if duck[name][1] > 0 else float("inf")
            cells = []
            for workers in WORKERS:
                at = crossing(line, duck[name], workers)
                cells.append("never" if at is None else f"{at:,.0f}")
            rows.append(f"| {engine} | {name} | {ratio:.1f} | " + " | ".join(cells) + " |")
    if rows:
        out += [
            "",
            "Where the lines cross: the scale from which Spark would take less time than DuckDB, on this machine",
            "(k = 1) and if Spark's per-unit cost were divided by k (k times this machine's cores as workers,",
            "ideal scaling) while DuckDB stays on this machine. Fixed costs as measured here. Spark's per-unit",
            "cost must fall below DuckDB's first: k above the ratio in the third column.",
            "",
            "| Spark engine | step | per-unit cost / DuckDB's | "
            + " | ".join(f"k = {k}" for k in WORKERS)
            + " |",
            "|---|---|---:|" + "---:|" * len(WORKERS),
            *rows,
        ]
    return out


# ------------------------------------------------------------------------------------------------------- main


def _merge(previous: dict[str, Any], new: dict[str, Any], measured: set[tuple[str, float]]) -> dict[str, Any]:
    """The new figures, plus the previous run's for engine/scale pairs (under these settings) this run did not
    measure."""

    def again(row: dict[str, Any]) -> bool:
        return (row["engine"], row["scale"]) in measured and row.get("settings", "") == SETTINGS

    kept = [s for s in previous.get("steps", []) if not again(s)]
    kept_sizes = [z for z in previous.get("sizes", []) if not again(z)]
    return {
        **new,
        "steps": kept + new["steps"],
        "sizes": kept_sizes + new["sizes"],
        "runs": [*previous.get("runs", []), *new["runs"]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="1,10", help="comma-separated scales (default 1,10)")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help=f"comma-separated, of {', '.join(ENGINES)}"
    )
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--out", default=None, help="results file stem (default results/spark-<today>)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per step (default 3600)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    parser.add_argument("--fresh", action="store_true", help="do not keep the figures of an earlier run")
    parser.add_argument("--render", action="store_true", help="only write <out>.md again from <out>.json")
    args = parser.parse_args()
    if args.render:
        stem = Path(args.out) if args.out else RESULTS / f"spark-{dt.datetime.now(dt.UTC).date().isoformat()}"
        stem = stem if stem.is_absolute() else HERE / stem
        if not stem.with_suffix(".json").exists():
            parser.error(f"{stem.with_suffix('.json')} not found")
        text = render(json.loads(stem.with_suffix(".json").read_text("utf-8")))
        stem.with_suffix(".md").write_text(text, encoding="utf-8")
        print(text)
        return 0
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}: choose from {', '.join(ENGINES)}")
    try:
        scales = [float(s) for s in args.scales.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--scales must be comma-separated numbers, got {args.scales!r}")
    if any(e != "duckdb" for e in engines):
        try:
            import pyspark  # noqa: F401
        except ImportError:
            parser.error(
                f"pyspark is not installed for {PY}: run .venv-spark/bin/python bench/spark.py "
                "(make test-spark installs .venv-spark)"
            )
        if shutil.which("java") is None:
            parser.error("java is not on PATH: Spark needs a JDK 17")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    stem = Path(args.out) if args.out else RESULTS / f"spark-{today}"
    if not stem.is_absolute():
        stem = HERE / stem
    json_path = stem.with_suffix(".json")
    previous: dict[str, Any] = {}
    if json_path.exists() and not args.fresh:
        previous = json.loads(json_path.read_text("utf-8"))
    work = Path(tempfile.mkdtemp(prefix="dp-bench-spark-"))
    print(f"working in {work}", flush=True)
    steps: list[Step] = []
    sizes: list[Sizes] = []
    measured: set[tuple[str, float]] = set()
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_info()

    def save() -> str:
        """The figures so far, merged with an earlier run's (written after every engine and scale)."""
        new = {
            "machine": machine,
            "steps": [asdict(s) for s in steps],
            "sizes": [asdict(z) for z in sizes],
            "runs": [{"started": started, "argv": sys.argv[1:], "engines": engines, "scales": scales}],
        }
        if previous:
            new = _merge(previous, new, measured)
        stem.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
        text = render(new)
        stem.with_suffix(".md").write_text(text, encoding="utf-8")
        return text

    try:
        for engine in engines:
            cluster = None
            if engine == "spark-cluster":
                cluster = Cluster(work / "cluster")
                measured.add(("cluster", 0))
                load = _load()
                stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
                try:
                    seconds, said = cluster.up()
                except RuntimeError as error:
                    up = Step(
                        "cluster", 0, "scripts/spark up", None, None, 2, "failed", load, stamp, str(error)
                    )
                    steps.append(up)
                    cluster.down()
                    save()
                    continue
                print(f"[cluster] up in {seconds} s: {said.splitlines()[-1] if said else ''}", flush=True)
                rss = round(tree_rss_bytes(cluster.pids()) / 2**20, 1)
                steps.append(
                    Step("cluster", 0, "scripts/spark up", seconds, rss, 0, "ok", round(load, 2), stamp)
                )
            try:
                for scale in scales:
                    found, size = bench_engine(
                        engine, scale, args.as_of, work, cluster, args.timeout, args.keep
                    )
                    steps.extend(found)
                    sizes.append(size)
                    measured.add((engine, scale))
                    save()
            finally:
                if cluster:
                    cluster.down()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}", flush=True)
    print(save())
    print(f"wrote {json_path} and {stem.with_suffix('.md')}")
    bad = [s for s in steps if s.status.startswith(("failed", "timeout"))]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
