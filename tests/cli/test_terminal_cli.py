"""Terminal output: colour only on a terminal (real pseudo-terminals from the ``pty`` module) and never with
NO_COLOR, a live progress line for `dp nightly` on a terminal's stderr with plain timestamped lines
otherwise, ``--format json`` documents that are the only thing on stdout, and examples in every ``--help``."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "manifest_small.json"
SGR = re.compile(r"\x1b\[[0-9;]*m")  # a colour code
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RED_FAILED = "\x1b[31;1mFAILED\x1b[0m"
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
# what the environment of the machine running the tests could add: the tests set what they need
COLOR_VARS = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM")


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def _drain(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's other end is closed (Linux)
            break
        if not chunk:
            break
        into.append(chunk)
    os.close(fd)


def run_tty(
    *args: str,
    stdout_tty: bool = True,
    stderr_tty: bool = True,
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    env_base: dict[str, str] | None = None,
) -> Run:
    """`dp ARGS` with stdout and/or stderr on a real pseudo-terminal each (the others piped); what each
    received, with the terminal's CRLF turned back into LF."""
    base = os.environ if env_base is None else env_base
    clean = {k: v for k, v in base.items() if k not in COLOR_VARS}
    environment = {**clean, "TERM": "xterm-256color", **(env or {})}
    ends: dict[str, tuple[int, int] | None] = {
        "stdout": pty.openpty() if stdout_tty else None,
        "stderr": pty.openpty() if stderr_tty else None,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "dataproducts", *args],
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=ends["stdout"][1] if ends["stdout"] else subprocess.PIPE,
        stderr=ends["stderr"][1] if ends["stderr"] else subprocess.PIPE,
    )
    received: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    readers = []
    for name, pair in ends.items():
        if pair is not None:
            os.close(pair[1])  # the child holds the terminal now; EOF comes when it exits
            fd = pair[0]
        else:
            pipe = proc.stdout if name == "stdout" else proc.stderr
            assert pipe is not None
            fd = os.dup(pipe.fileno())
            pipe.close()
        reader = threading.Thread(target=_drain, args=(fd, received[name]))
        reader.start()
        readers.append(reader)
    code = proc.wait(timeout=300)
    for reader in readers:
        reader.join(timeout=30)

    def text(name: str) -> str:
        return b"".join(received[name]).decode().replace("\r\n", "\n")

    return Run(code, text("stdout"), text("stderr"))


def dp(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None, env_base: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`dp ARGS` with stdout and stderr piped (no terminal), in ``cwd``."""
    base = os.environ if env_base is None else env_base
    return subprocess.run(
        [sys.executable, "-m", "dataproducts", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


# --- colour -------------------------------------------------------------------------------------------------

CHECK = ("check", "--manifest", str(FIXTURE), "--no-warehouse", "--project-dir", str(REPO))


def test_statuses_are_coloured_on_a_terminal_and_the_words_stay_the_same() -> None:
    on_tty = run_tty(*CHECK)
    piped = dp(*CHECK, env={"NO_COLOR": "", "FORCE_COLOR": "", "TERM": "xterm"})
    assert on_tty.returncode == piped.returncode == 1, on_tty.stderr + piped.stderr
    assert RED_FAILED in on_tty.stdout  # the verdict, red, on the terminal
    assert not SGR.search(piped.stdout)  # piped: no escape code at all
    assert SGR.sub("", on_tty.stdout) == piped.stdout  # colour adds codes, never changes the words
    assert piped.stdout.splitlines()[-1].startswith("dp check FAILED: ")


@pytest.mark.parametrize(
    ("env", "flags", "coloured"),
    [
        ({"NO_COLOR": "1"}, (), False),
        ({"NO_COLOR": "anything"}, (), False),
        ({"NO_COLOR": ""}, (), True),  # no-color.org: only a non-empty value disables
        ({"TERM": "dumb"}, (), False),
        ({"CLICOLOR": "0"}, (), False),
        ({}, ("--color", "never"), False),
        ({"NO_COLOR": "1"}, ("--color", "always"), True),  # the flag beats the environment
    ],
)
def test_colour_on_a_terminal_follows_no_color_term_and_the_flag(
    env: dict[str, str], flags: tuple[str, ...], coloured: bool
) -> None:
    run = run_tty(*CHECK, *flags, env=env)
    assert run.returncode == 1, run.stderr
    assert bool(SGR.search(run.stdout)) is coloured, run.stdout[-300:]
    assert run.stdout.rstrip().endswith("3 products, 23 rules")


@pytest.mark.parametrize(
    ("env", "flags", "coloured"),
    [
        ({}, (), False),
        ({"FORCE_COLOR": "1"}, (), True),
        ({"CLICOLOR_FORCE": "1"}, (), True),
        ({"FORCE_COLOR": "0"}, (), False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, (), False),
        ({}, ("--color=always",), True),
    ],
)
def test_piped_output_is_plain_unless_colour_is_forced(
    env: dict[str, str], flags: tuple[str, ...], coloured: bool
) -> None:
    run = run_tty(*CHECK, *flags, stdout_tty=False, stderr_tty=False, env=env)
    assert run.returncode == 1, run.stderr
    assert (RED_FAILED in run.stdout) is coloured
    assert bool(SGR.search(run.stdout)) is coloured


def test_an_error_stays_one_line_with_its_exit_code_and_is_coloured_only_on_a_terminal(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "no-such-run"
    on_tty = run_tty("verify", str(missing))
    assert on_tty.returncode == 2 and on_tty.stdout == ""
    assert on_tty.stderr == f"dp: \x1b[31;1merror\x1b[0m: {missing}: no such folder\n"
    plain = run_tty("verify", str(missing), env={"NO_COLOR": "1"})
    assert plain.returncode == 2 and plain.stderr == f"dp: error: {missing}: no such folder\n"
    usage = run_tty("check", "--format", "yaml")
    assert usage.returncode == 2 and len(usage.stderr.splitlines()) == 1
    assert SGR.sub("", usage.stderr).startswith("dp: error: dp check: argument --format: invalid choice")


# --- dp nightly: progress ----------------------------------------------------------------------------------

CORNER_SHOP = REPO / "tests" / "fixtures" / "projects" / "corner_shop"
STEPS = ("checks", "dbt source freshness", "dbt build", "dp validate", "dp report", "dp publish")


def _user_env() -> dict[str, str]:
    """The environment of a user in their own project: no DP_*/DBT_* settings of the test session."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DP_", "DBT_"))}


@dataclass(frozen=True)
class Shop:
    project: Path
    init: subprocess.CompletedProcess[str]
    nightly: Run


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """tests/fixtures/projects/corner_shop (a foreign dbt project, small), made data products by
    `dp init --format json`, then `dp nightly --format json` with stderr on a terminal: the one real
    nightly of this module (about 20 s)."""
    project = tmp_path_factory.mktemp("term") / "corner_shop"
    shutil.copytree(CORNER_SHOP, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    init = dp("init", "--no-profile", "--format", "json", cwd=project, env_base=_user_env())
    assert init.returncode == 0, init.stderr
    nightly = run_tty(
        "nightly", "--no-docs", "--fail-on", "never", "--format", "json",
        stdout_tty=False, cwd=project, env_base=_user_env(),
    )  # fmt: skip
    return Shop(project, init, nightly)


def test_nightly_on_a_terminal_draws_each_step_with_its_elapsed_time_on_stderr(shop: Shop) -> None:
    err = shop.nightly.stderr
    assert shop.nightly.returncode == 0, err
    outcomes = re.findall(
        r"\r\x1b\[K\x1b\[1m\[(\d)/6\] ([a-z ]+)\x1b\[0m \x1b\[(?:32|31;1)m(ok|failed)\x1b\[0m \((\d+\.\d)s\)",
        err,
    )
    assert [(int(n), name) for n, name, _, _ in outcomes] == list(enumerate(STEPS, 1)), err[-2000:]
    # while a step runs its line is redrawn in place with the seconds so far: the dbt steps take seconds
    ticks = re.findall(r"\r\x1b\[K\x1b\[1m\[3/6\] dbt build\x1b\[0m \.\.\. \x1b\[2m(\d+)s\x1b\[0m", err)
    assert len(ticks) >= 2 and ticks[0] == "0" and int(ticks[-1]) >= 1, err[:2000]
    build_seconds = float(outcomes[2][3])
    assert int(ticks[-1]) <= build_seconds + 1
    assert "started" not in err and not re.search(STAMP, err)  # the timestamped log lines are for logs


def test_nightly_json_is_the_whole_stdout_and_says_what_the_run_did(shop: Shop) -> None:
    doc = json.loads(shop.nightly.stdout)  # stdout was a pipe: nothing but the document
    assert doc["status"] == "ok" and doc["exit_code"] == 0 and doc["fail_on"] == "never"
    assert [s["name"] for s in doc["steps"]] == list(STEPS)
    assert all(s["status"] == "ok" and s["seconds"] >= 0 for s in doc["steps"])
    assert doc["seconds"] == pytest.approx(sum(s["seconds"] for s in doc["steps"]), abs=0.01)
    on_disk = json.loads((shop.project / "reports" / "latest" / "slo_report.json").read_text())
    assert doc["report"] == on_disk and doc["overall_status"] == on_disk["overall_status"]
    assert sorted(doc["files"]) == sorted(
        str(shop.project / "reports" / "latest" / f)
        for f in ("slo_report.json", "slo_report.md", "slo_report.html")
    )
    products = {p["product"] for p in json.loads(shop.init.stdout)["proposals"]}
    assert {p["id"] for p in doc["report"]["products"]} == products  # what dp init proposed was judged
    publish = doc["steps"][-1]["detail"]
    assert f"{len(products)} product versions" in publish and doc["report"]["run_id"] in publish


def test_init_json_proposes_the_marts_and_lists_the_files_it_wrote(shop: Shop) -> None:
    doc = json.loads(shop.init.stdout)
    assert doc["status"] == "ok" and doc["dry_run"] is False
    marts = sorted(p.stem for p in (CORNER_SHOP / "models" / "marts").rglob("*.sql"))
    assert sorted(p["model"] for p in doc["proposals"]) == marts
    for entry in doc["files"]:
        assert entry["action"] == "create" and (shop.project / entry["path"]).is_file()
    customers = next(p for p in doc["proposals"] if p["model"] == "customers")
    assert {"first_name", "last_name", "email"} <= set(customers["personal_data"])


def test_validate_report_and_verify_json_on_the_nightly_run(shop: Shop, tmp_path: Path) -> None:
    env = _user_env()
    night = json.loads(shop.nightly.stdout)
    run_id = night["report"]["run_id"]
    products = {p["id"] for p in night["report"]["products"]}
    validate = dp(
        "validate", "--run", run_id, "--no-docs", "--format", "json", cwd=shop.project, env_base=env
    )
    doc = _json_only(validate)
    summary_file = Path(doc["results_dir"]) / "summary.json"
    assert doc["summary"] == json.loads(summary_file.read_text())
    assert {p["id"] for p in doc["summary"]["products"]} == products
    assert doc["unsuited"] == [] and doc["data_docs"] is None

    latest = shop.project / "reports" / "latest" / "slo_report.json"
    never = _json_only(
        dp(
            "report",
            "--run",
            run_id,
            "--format",
            "json",
            "--fail-on",
            "never",
            cwd=shop.project,
            env_base=env,
        )
    )
    assert never["exit_code"] == 0 and never["report"] == json.loads(latest.read_text())
    assert {p["id"] for p in never["report"]["products"]} == products
    judged = _json_only(dp("report", "--run", run_id, "--format", "json", cwd=shop.project, env_base=env))
    assert (judged["exit_code"] == 1) is (judged["overall_status"] in ("breached", "unknown"))

    run = shop.project / "files" / "runs" / run_id  # what the nightly published
    verified = _json_only(dp("verify", str(shop.project / "files"), "--format", "json", env_base=env))
    assert verified["verified"] is True and verified["run_id"] == run_id and verified["problems"] == []
    assert verified["folder"] == str(run) and verified["files"] == len(
        json.loads((run / "manifest.json").read_text())["files"]
    )

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    victim = sorted(copy.rglob("*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:-8])
    broken = dp("verify", str(copy), "--format", "json", env_base=env)
    doc = _json_only(broken)
    assert broken.returncode == 1 and doc["verified"] is False
    assert doc["problems"] and all(victim.name in p for p in doc["problems"])


def test_publish_json_says_what_it_wrote(shop: Shop, tmp_path: Path) -> None:
    """`dp publish` on the nightly's build as if run by hand (its artifacts in target/), in a copy of the
    project whose files port is still empty."""
    project = tmp_path / "corner_shop"
    shutil.copytree(shop.project, project, ignore=shutil.ignore_patterns("files", "target", "logs"))
    run_id = json.loads(shop.nightly.stdout)["report"]["run_id"]
    shutil.copytree(project / "runs" / run_id / "dbt", project / "target")
    doc = _json_only(dp("publish", "--format", "json", cwd=project, env_base=_user_env()))
    run = Path(doc["path"])
    assert doc["run_id"] == run_id and run == project / "files" / "runs" / run_id and run.is_dir()
    listed = json.loads((run / "manifest.json").read_text())["files"]
    assert doc["versions"] == len(json.loads(shop.init.stdout)["proposals"]) and doc["skipped"] == []
    assert doc["data_files"] + doc["role_files"] == len(listed)
    assert doc["rows"] == sum(
        f["row_count"] for f in listed if f.get("role") is None and f["audience"] == "clear"
    )
    assert doc["bytes"] > 0 and doc["seconds"] >= 0


def test_nightly_without_a_terminal_keeps_its_timestamped_lines(tmp_path: Path) -> None:
    """No terminal (cron, CI, a pipe): the step lines that logs and tests parse, on stdout; with --format
    json on stderr. A nightly whose first step fails (the SLO history is a folder) shows both quickly."""
    (tmp_path / "history").mkdir()
    args = (
        "nightly", "--no-docs", "--history", str(tmp_path / "history"), "--runs-dir", str(tmp_path / "runs"),
        "--warehouse", str(tmp_path / "w.duckdb"), "--target-dir", str(tmp_path / "target"),
        "--project-dir", str(REPO),
    )  # fmt: skip
    error = (
        f"dp: error: dp nightly ran nothing: {tmp_path / 'history'}: the SLO history is a folder, not a file"
    )
    piped = dp(*args, "--format", "json")
    assert piped.returncode == 2 and piped.stdout == ""  # an error: no document, one line
    lines = piped.stderr.splitlines()
    assert len(lines) == 3, piped.stderr
    assert re.fullmatch(rf"{STAMP} \[1/6\] checks: started", lines[0])
    assert re.fullmatch(rf"{STAMP} \[1/6\] checks: failed \(\d+\.\ds\): 1 problem\(s\)", lines[1])
    assert lines[2] == error and not ANSI.search(piped.stderr)


def test_progress_on_a_terminal_that_cannot_redraw(monkeypatch: pytest.MonkeyPatch) -> None:
    """TERM=dumb: no cursor codes and no colour; the label once, its outcome appended when it ends."""
    from dataproducts.pipeline import Progress

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "dumb")
    leader, follower = pty.openpty()
    received: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(leader, received))
    reader.start()
    with os.fdopen(follower, "w") as terminal:
        progress = Progress(2, terminal)
        progress.start("dbt build")
        progress.done("failed", 2.5, "error 1")
        progress.start("dp report")
        progress.done("ok", 0.4)
    reader.join(timeout=10)
    text = b"".join(received).decode().replace("\r\n", "\n")
    assert text == "[1/2] dbt build ... failed (2.5s): error 1\n[2/2] dp report ... ok (0.4s)\n"


def test_progress_on_a_terminal_without_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR takes the colour away, not the progress: the same live line, plain."""
    from dataproducts.pipeline import Progress

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm")
    leader, follower = pty.openpty()
    received: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(leader, received))
    reader.start()
    with os.fdopen(follower, "w") as terminal:
        progress = Progress(2, terminal)
        progress.start("slow step")
        time.sleep(1.3)
        progress.done("ok", 1.3, "done")
        progress.start("failing step")
        progress.done("failed", 0.0)
    reader.join(timeout=10)
    text = b"".join(received).decode().replace("\r\n", "\n")
    assert "\r\x1b[K[1/2] slow step ... 0s" in text and "\r\x1b[K[1/2] slow step ... 1s" in text
    assert text.endswith("\r\x1b[K[1/2] slow step ok (1.3s): done\n\r\x1b[K[2/2] failing step ... 0s"
                         "\r\x1b[K[2/2] failing step failed (0.0s)\n")  # fmt: skip
    assert not SGR.search(text)


# --- --format json ------------------------------------------------------------------------------------------


def _json_only(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON document that is stdout (json.loads fails on anything else there)."""
    assert proc.stdout.startswith("{"), proc.stderr
    document = json.loads(proc.stdout)
    assert isinstance(document, dict)
    assert document["exit_code"] == proc.returncode
    assert document["status"] == {0: "ok", 1: "failed", 2: "error"}[proc.returncode]
    return document


def test_catalog_and_export_json_list_the_files_they_wrote(tmp_path: Path) -> None:
    catalog = dp(
        "catalog", "--manifest", str(FIXTURE), "-o", str(tmp_path / "catalog"), "--format", "json",
        "--project-dir", str(REPO),
    )  # fmt: skip
    assert catalog.returncode == 0, catalog.stderr
    files = _json_only(catalog)["files"]
    assert isinstance(files, list)
    assert sorted(Path(f).name for f in files) == ["catalog.html", "catalog.json", "catalog.md"]
    listed = json.loads(Path(files[[Path(f).suffix for f in files].index(".json")]).read_text())
    assert listed  # the files are there and readable

    export = dp(
        "export", "odcs", "--manifest", str(FIXTURE), "-o", str(tmp_path / "contracts"), "--format", "json",
        "--project-dir", str(REPO),
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    doc = _json_only(export)
    assert doc["standard"] == "odcs"
    contracts = doc["contracts"]
    assert isinstance(contracts, list) and contracts
    written = sorted(p.relative_to(tmp_path / "contracts") for p in (tmp_path / "contracts").rglob("*.yaml"))
    assert sorted(Path(c["path"]).relative_to(tmp_path / "contracts") for c in contracts) == written
    for c in contracts:  # each product's contract file is named after it: <domain>/<name>.odcs.yaml
        domain, name = c["product"].split(".")
        assert Path(c["path"]).parts[-2:] == (domain, f"{name}.odcs.yaml")


def test_generate_json_counts_the_rows_that_are_in_the_warehouse(tmp_path: Path) -> None:
    import duckdb

    where = ("--warehouse", str(tmp_path / "w.duckdb"), "--runs-dir", str(tmp_path / "runs"))
    fresh = _json_only(dp("generate", "--scale", "0.01", "--as-of", "2026-11-20", *where, "--format", "json"))
    assert fresh["appended"] is False and fresh["row_changes"] is None and fresh["as_of"] == "2026-11-20"
    grown = _json_only(dp("generate", "--append", "--as-of", "2026-11-22", *where, "--format", "json"))
    assert grown["appended"] is True and grown["previous_as_of"] == "2026-11-20"
    assert grown["seed"] == fresh["seed"] and grown["scale"] == fresh["scale"]  # the recorded ones
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as db:
        for table, rows in grown["row_counts"].items():
            (count,) = db.execute(f"select count(*) from {table}").fetchone() or (None,)
            assert count == rows, table
            assert grown["row_changes"][table] == rows - fresh["row_counts"][table], table
    assert grown["row_changes"]["raw_shop.orders"] > 0  # two more days of orders


def test_check_json_is_the_only_thing_on_stdout_even_on_a_terminal() -> None:
    run = run_tty(*CHECK, "--format", "json", stderr_tty=False)
    assert run.returncode == 1
    doc = json.loads(run.stdout)  # no colour codes inside the JSON
    assert doc["status"] == "failed" and doc["summary"]["violations"] == len(
        [v for v in doc["violations"] if not v["waived"]]
    )


def test_quiet_and_json_exclude_each_other() -> None:
    proc = dp("report", "--quiet", "--format", "json", "--project-dir", str(REPO))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "dp: error: dp report: --quiet and --format json exclude each other\n"


# --- --help -------------------------------------------------------------------------------------------------


def _commands() -> list[str]:
    from dataproducts.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert isinstance(sub.choices, dict)
    return list(sub.choices)


def test_every_command_help_ends_with_examples_of_itself() -> None:
    top = dp("--help")
    assert top.returncode == 0
    assert "examples:\n" in top.stdout and "dp <command> --help" in top.stdout
    for command in _commands():
        proc = dp(command, "--help")
        assert proc.returncode == 0, proc.stderr
        examples = proc.stdout.split("\nexamples:\n", 1)
        assert len(examples) == 2, f"dp {command} --help shows no examples"
        lines = [line for line in examples[1].splitlines() if line.startswith("  dp ")]
        assert len(lines) >= 2 and all(line.startswith(f"  dp {command}") for line in lines), lines
        assert f"  dp {command}" in top.stdout  # dp --help shows one example of each command
        assert proc.stdout.rstrip().endswith("2 usage/config/input error.")


# commands that serve rather than report (none yet; a long-running server prints no report)
SERVING = frozenset({"serve", "portal"})


def test_every_command_that_reports_takes_format_json() -> None:
    for command in sorted(set(_commands()) - SERVING):
        proc = dp(command, "--help")
        assert "--format {text,json}" in proc.stdout, f"dp {command} has no --format json"
