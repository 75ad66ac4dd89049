"""`dp --version`: the runner and the stack it runs on, one line each, without importing dbt or GX."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

from conftest import dp


def test_version_names_runner_dbt_gx_duckdb_and_python() -> None:
    proc = dp("--version")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    import dataproducts

    assert lines[0] == f"dp {dataproducts.__version__}"
    for name in ("dbt-core", "dbt-duckdb", "great-expectations", "duckdb"):
        assert f"{name} {version(name)}" in lines, proc.stdout
    assert f"Python {sys.version.split()[0]}" in lines
    assert len(lines) == 6


def test_version_imports_neither_dbt_nor_gx() -> None:
    probe = (
        "import sys\n"
        "from dataproducts.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'dbt', 'great_expectations', 'duckdb'})\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "", f"--version imported {proc.stdout.splitlines()[-1]}"
