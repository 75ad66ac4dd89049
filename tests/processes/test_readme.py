"""The README's "Working with the project" block, run as written on a fresh copy of the project.

Every command must exit with the code its comment documents (`exit N`; 0 when the comment says nothing).
Between the steps that follow the build, the commands a user runs at any time (`dbt parse`, `dbt docs
generate`, `dp check`, `dp catalog`, `dp diff`, `dp export odcs`) are slipped in, one per gap, and must
change nothing: every step still exits as documented, and the hand-run build is the run its report judges.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, copy_ignore

pytestmark = pytest.mark.processes

INTERLEAVED = (
    "dbt parse --quiet",
    "dp check",
    "dbt docs generate --quiet",
    "dp catalog",
    "dp diff --state target",
    "dp export odcs",
)


def readme_block() -> list[str]:
    """The command lines of the README's "Working with the project" block."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Working with the project", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines() if line.strip()]


def _expected_exit(line: str) -> int:
    comment = line.split("#", 1)[1] if "#" in line else ""
    found = re.search(r"exit (\d)", comment)
    return int(found.group(1)) if found else 0


def _project(tmp: Path) -> Path:
    dest = tmp / "project"
    shutil.copytree(
        REPO,
        dest,
        ignore=copy_ignore(
            REPO,
            ".venv",
            ".venv-*",
            "target",
            "logs",
            "reports",
            "runs",
            "warehouse",
            ".git",
            "*.duckdb",
            "__pycache__",
            ".pytest_cache",
            ".mypy_cache",
            ".ruff_cache",
            "bench",
        ),
    )
    (dest / "warehouse").mkdir()
    (dest / ".venv").symlink_to(REPO / ".venv")
    return dest


def test_the_readme_block_runs_as_written(tmp_path: Path) -> None:
    lines = readme_block()
    assert lines[0].startswith("source .venv/bin/activate"), lines[0]
    assert any(line.startswith("dbt build") for line in lines)
    project = _project(tmp_path)
    # the script: the block's own lines in order, each followed by its exit code; after the build, one
    # interleaved command per gap
    script = ["set +e"]
    steps: list[tuple[str, int]] = []
    built = False
    extra = 0
    for line in lines:
        command = line.split("  #", 1)[0].strip()
        if command.startswith(("source ", "export ")):
            script.append(command)
            continue
        if built:
            inserted = INTERLEAVED[extra % len(INTERLEAVED)]
            extra += 1
            steps.append((f"(interleaved) {inserted}", 0))
            script += [f"{inserted} >/dev/null 2>&1", f'echo "@@EXIT {len(steps) - 1} $?"']
        steps.append((command, _expected_exit(line)))
        script += [f"{command} > step{len(steps) - 1}.log 2>&1", f'echo "@@EXIT {len(steps) - 1} $?"']
        built = built or command.startswith("dbt build")
    assert extra >= len(INTERLEAVED), "every interleaved command runs at least once"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DP_", "DBT_", "VIRTUAL_ENV"))}
    proc = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    codes = {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"@@EXIT (\d+) (\d+)", proc.stdout)}
    problems = []
    for index, (command, expected) in enumerate(steps):
        got = codes.get(index)
        log = project / f"step{index}.log"
        tail = log.read_text(encoding="utf-8")[-1500:] if log.exists() else ""
        print(f"{got} (want {expected}) {command}")
        if got != expected:
            problems.append(f"{command}: exit {got}, documented {expected}\n{tail}")
    assert not problems, "\n".join(problems) + proc.stderr[-2000:]

    # the hand-run build was adopted as a run and judged, not the docs or parse runs after it
    records = sorted(p for p in (project / "runs").iterdir() if not p.name.startswith("."))
    metas = [json.loads((r / "run.json").read_text(encoding="utf-8")) for r in records]
    assert [m["origin"] for m in metas] == ["dbt", "nightly"], metas
    hand = metas[0]
    assert hand["dbt_command"] == "build" and hand["as_of"] == "2026-11-20"
    (hand_report,) = (records[0] / "reports").iterdir()
    doc = json.loads((hand_report / "slo_report.json").read_text(encoding="utf-8"))
    assert doc["invocation_id"] == hand["dbt_invocation_id"]
    assert doc["overall_status"] == "met", [(p["id"], p["status_reason"]) for p in doc["products"]]
    assert all(p["slis"]["freshness"]["status"] == "met" for p in doc["products"]), "freshness was judged"
    latest = json.loads((project / "reports" / "latest" / "slo_report.json").read_text(encoding="utf-8"))
    assert latest["run_id"] == records[1].name and latest["overall_status"] == "met"
    # nothing left behind
    leftovers = [
        p
        for folder in ("runs", "reports", "target")
        for p in (project / folder).rglob(".*")
        if ".staging-" in p.name or p.name.endswith(".tmp") or "-old-" in p.name
    ]
    assert not leftovers, leftovers
