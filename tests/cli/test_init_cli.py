"""`dp init` and the optional files on a second, independent dbt project (tests/fixtures/projects/corner_shop).

The project is copied to a temporary folder and built once with real dbt (CSV sources, DuckDB file named by
its own profile); every test works on that copy or on a copy of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from dataproducts.declarations import read_declarations
from dataproducts.descriptor import validate_descriptor
from dataproducts.validation.suites import load_suite

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "corner_shop"
GENERATED = ("target", "logs", "runs", "reports", "dbt_packages")


def run(project: Path, *args: str, tool: str = "dp") -> subprocess.CompletedProcess[str]:
    """`dp` (or dbt) inside ``project``, as a user runs it there: no DP_* settings from the test session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DP_", "DBT_"))}
    env["DO_NOT_TRACK"] = "1"
    command = (
        [sys.executable, "-m", "dataproducts"] if tool == "dp" else [str(Path(sys.executable).parent / "dbt")]
    )
    return subprocess.run(
        [*command, *args], cwd=project, env=env, capture_output=True, text=True, check=False, timeout=600
    )


def tree_hash(project: Path) -> dict[str, str]:
    return {
        p.relative_to(project).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file()
        and p.relative_to(project).parts[0] not in GENERATED
        and not p.name.endswith((".duckdb", ".duckdb.wal"))
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project, copied and built by `dbt build` (no dp files yet)."""
    project = tmp_path_factory.mktemp("byo") / "corner_shop"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns(*GENERATED, "*.duckdb"))
    proc = run(project, "build", "--quiet", tool="dbt")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return project


@pytest.fixture(scope="module")
def initialised(built: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    project = tmp_path_factory.mktemp("init") / "corner_shop"
    shutil.copytree(built, project, ignore=shutil.ignore_patterns("target", "logs"))
    proc = run(project, "init")
    assert proc.returncode == 0, proc.stderr
    return project, proc.stdout


@pytest.fixture
def copy_of(initialised: tuple[Path, str], tmp_path: Path) -> Iterator[Path]:
    project = tmp_path / "corner_shop"
    shutil.copytree(
        initialised[0], project, ignore=shutil.ignore_patterns("target", "logs", "runs", "reports")
    )
    yield project


def test_the_fixture_is_another_style_of_project() -> None:
    text = "\n".join(p.read_text() for p in FIXTURE.rglob("*.yml"))
    assert "group" not in text and "contract" not in text and "access" not in text
    assert not (FIXTURE / "products").exists() and not (FIXTURE / "expectations").exists()
    assert not (FIXTURE / "standards").exists() and not (FIXTURE / "dataproducts.yml").exists()
    assert "external_location" in (FIXTURE / "models" / "sources.yml").read_text()


def test_init_proposes_the_marts_and_writes_valid_files(initialised: tuple[Path, str]) -> None:
    project, out = initialised
    marts = sorted(p.stem for p in (project / "models" / "marts").rglob("*.sql"))
    declarations = read_declarations(project)
    assert sorted(d.model for d in declarations) == marts
    assert "no public models: the models under a marts folder" in out
    for declaration in declarations:
        _, problems = validate_descriptor(declaration.descriptor)
        assert problems == ()
        d = declaration.descriptor
        assert declaration.file == f"products/{d['domain']}/{declaration.model}.yml"
        assert d["review"], "a guessed descriptor asks for review"
        suite = load_suite(project / d["suite"])
        assert suite.name == f"{d['domain']}.{declaration.model}"
        assert len(suite) > 0 and all(e.get("description") for e in suite.expectations)
        assert set(suite.severities) <= {"critical", "warning", "info"}
    by_model = {d.model: d.descriptor for d in declarations}
    # the domain is the folder below marts, else the project
    assert by_model["revenue_daily"]["domain"] == "finance"
    assert by_model["customers"]["domain"] == "corner_shop"
    # personal data guessed from names, and marked for review; amounts are not personal
    assert {"first_name", "last_name", "email"} <= set(by_model["customers"]["personal_data_columns"])
    assert by_model["customers"]["classification"] == "confidential"
    assert by_model["orders"]["personal_data"] is False
    # an empty-but-valid access policy: the owning domain alone reads until the owner names readers
    assert by_model["customers"]["access"]["readers"] == []
    assert (
        by_model["customers"]["access"]["personal_columns"] == by_model["customers"]["personal_data_columns"]
    )
    standards = yaml.safe_load((project / "standards" / "conformed_columns.yml").read_text())
    names = {c["name"] for c in standards["columns"]}
    assert "customer_id" in names


def test_suites_come_from_the_projects_tests_and_the_built_data(initialised: tuple[Path, str]) -> None:
    project, _ = initialised
    orders = json.loads((project / "expectations" / "corner_shop" / "orders.json").read_text())
    described = {(e["type"], e["kwargs"].get("column")): e for e in orders["expectations"]}
    unique = described[("expect_column_values_to_be_unique", "order_id")]
    assert unique["severity"] == "critical" and "dbt test unique_orders_order_id" in unique["description"]
    status = described[("expect_column_values_to_be_in_set", "status")]
    assert "accepted_values" in status["description"] and "returned" in status["kwargs"]["value_set"]
    rows = described[("expect_table_row_count_to_be_between", None)]
    (count,) = (
        __import__("duckdb")
        .connect(str(project / "corner_shop.duckdb"), read_only=True)
        .execute("select count(*) from main.orders")
        .fetchone()
    )
    assert rows["kwargs"] == {"min_value": count // 2, "max_value": count * 2}
    assert rows["severity"] == "warning" and f"{count} rows" in rows["description"]
    amount = described[("expect_column_values_to_be_between", "amount")]
    assert amount["kwargs"]["min_value"] == 0 and amount["severity"] == "warning"


def test_running_init_again_changes_nothing(copy_of: Path) -> None:
    before = tree_hash(copy_of)
    proc = run(copy_of, "init")
    assert proc.returncode == 0, proc.stderr
    assert tree_hash(copy_of) == before
    assert "create" not in proc.stdout and "keep " in proc.stdout


def test_an_edited_file_is_kept_and_force_rewrites_it(copy_of: Path) -> None:
    path = copy_of / "products" / "corner_shop" / "orders.yml"
    original = path.read_text()
    edited = original.replace("cycle: daily", "cycle: hourly")
    path.write_text(edited)
    dry = run(copy_of, "init", "--dry-run", "--force")
    assert dry.returncode == 0 and "would overwrite" in dry.stdout and path.read_text() == edited
    assert run(copy_of, "init").returncode == 0 and path.read_text() == edited
    assert run(copy_of, "init", "--force").returncode == 0 and path.read_text() == original


def test_select_uses_dbt_selection_syntax(built: Path, tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(built, project, ignore=shutil.ignore_patterns("target", "logs"))
    proc = run(project, "init", "--select", "path:models/marts/finance", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "finance.revenue_daily" in proc.stdout and "corner_shop.orders" not in proc.stdout
    assert not (project / "products").exists(), "--dry-run writes nothing"
    nothing = run(project, "init", "--select", "tag:no_such_tag")
    assert (
        nothing.returncode == 2 and nothing.stderr.count("\n") == 1 and "no model matches" in nothing.stderr
    )


def test_a_warehouse_the_profile_does_not_write_is_refused(built: Path) -> None:
    proc = run(built, "init", "--warehouse", "elsewhere.duckdb", "--dry-run")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "dbt writes corner_shop.duckdb" in proc.stderr and "Traceback" not in proc.stderr


def test_validate_and_check_work_on_the_initialised_project(copy_of: Path) -> None:
    assert run(copy_of, "build", "--quiet", tool="dbt").returncode == 0
    validate = run(copy_of, "validate", "--no-docs")
    assert validate.returncode in (0, 1), validate.stderr
    summaries = list((copy_of / "runs").glob("*/validations/*/summary.json"))
    assert len(summaries) == 1
    validated = {p["id"] for p in json.loads(summaries[0].read_text())["products"]}
    assert validated == {f"{d.descriptor['domain']}.{d.model}" for d in read_declarations(copy_of)}

    check = run(copy_of, "check", "--format", "json")
    assert check.returncode == 1, check.stderr
    data = json.loads(check.stdout)
    rules = {v["rule"] for v in data["violations"]}
    assert {"DP001", "DP003", "DP007"} <= rules  # owners, contracts, exposures: what to improve next
    assert any("make it public" in n for n in data["notes"])
    assert any("to review" in n for n in data["notes"])


def test_optional_files_are_optional(copy_of: Path) -> None:
    shutil.rmtree(copy_of / "standards")
    shutil.rmtree(copy_of / "expectations")
    assert not (copy_of / "waivers.yml").exists() and not (copy_of / "dataproducts.yml").exists()
    assert run(copy_of, "build", "--quiet", tool="dbt").returncode == 0
    check = run(copy_of, "check")
    assert check.returncode == 1, check.stderr
    assert "no standards/conformed_columns.yml: DP011 and DP012" in check.stdout
    assert "DP006" in check.stdout  # a product without a suite is something to improve, not an input error
    validate = run(copy_of, "validate", "--no-docs")
    assert validate.returncode == 0, validate.stderr
    assert "no quality suite for" in validate.stderr and "dp init" in validate.stderr
    report = run(copy_of, "report")
    assert report.returncode in (0, 1), report.stderr
    waivers = run(copy_of, "check", "--waivers", "nope.yml")
    assert waivers.returncode == 2 and "nope.yml: waivers file not found" in waivers.stderr
