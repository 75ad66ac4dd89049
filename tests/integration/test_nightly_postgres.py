"""`dp nightly --target postgres` end to end on a real PostgreSQL server: the landing data loaded there by
``dp generate --target postgres``, dbt's build and source freshness there, the suites validated there (GX
through SQLAlchemy and psycopg2), SLO evidence, run ledger and landing state read from there; the report,
run record and history are the runner's own files, as on DuckDB. The same data as the session's DuckDB
build with faults (``built_faulty``: nulls, duplicates, a volume drop): the validation outcomes, failures
included, must be the same, expectation by expectation.

One nightly per module (about a minute on a tiny warehouse), in a database of its own on the session's
server, so other tests on that server are never touched.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import AS_OF, REPO, SMALL_SCALE, BuiltProject, dp, scratch_record
from dataproducts.config import load_config
from dataproducts.incremental import full_refresh_reason, read_landing_state
from dataproducts.profile import POSTGRES_ADAPTERS
from dataproducts.runs import read_ledger
from dataproducts.validation.runner import SUMMARY_FILE, run_validation
from differential import suite_differences
from postgres_support import PostgresServer, free_port

pytestmark = pytest.mark.integration

FAULTS = ("nulls", "duplicates", "volume_drop")  # built_faulty's
SCHEMA = json.loads((REPO / "src/dataproducts/schemas/slo_report.schema.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class PgNight:
    tmp: Path
    env: dict[str, str]
    database: str
    password: str
    result: subprocess.CompletedProcess[str]

    @property
    def paths(self) -> list[str]:
        return _paths(self.tmp)

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.tmp / "reports" / "latest" / "slo_report.json").read_text(encoding="utf-8"))

    @property
    def record(self) -> Path:
        """The nightly's run record."""
        (record,) = [p for p in (self.tmp / "runs").iterdir() if not p.name.startswith(".")]
        return record

    def summary(self) -> dict[str, Any]:
        (part,) = (self.record / "validations").iterdir()
        return json.loads((part / SUMMARY_FILE).read_text(encoding="utf-8"))


def _paths(tmp: Path) -> list[str]:
    return [
        "--warehouse",
        str(tmp / "warehouse.duckdb"),  # a postgres target's landing copy goes beside it
        "--target-dir",
        str(tmp / "target"),
        "--reports-dir",
        str(tmp / "reports"),
        "--history",
        str(tmp / "history.duckdb"),
        "--runs-dir",
        str(tmp / "runs"),
    ]


@pytest.fixture(scope="module")
def pg_night(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> PgNight:
    tmp = tmp_path_factory.mktemp("nightly-pg")
    database = f"dp_nightly_{uuid.uuid4().hex[:8]}"
    postgres_server.query(f'create database "{database}"')
    env = {**postgres_server.env(), "DP_PG_DATABASE": database, "DBT_LOG_PATH": str(tmp / "logs")}
    paths = _paths(tmp)
    generated = dp(
        "generate",
        "--target",
        "postgres",
        "--scale",
        str(SMALL_SCALE),
        "--seed",
        "7",
        "--as-of",
        AS_OF.isoformat(),
        "--inject",
        ",".join(FAULTS),
        "--warehouse",
        paths[1],
        "--runs-dir",
        paths[-1],
        env=env,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    lineage = {  # the night's OpenLineage events into a file, through the client's own environment settings
        "OPENLINEAGE__TRANSPORT__TYPE": "file",
        "OPENLINEAGE__TRANSPORT__LOG_FILE_PATH": str(tmp / "openlineage.jsonl"),
        "OPENLINEAGE__TRANSPORT__APPEND": "true",
    }
    night = dp(
        "nightly",
        "--target",
        "postgres",
        "--as-of",
        AS_OF.isoformat(),
        "--no-docs",
        *paths,
        env={**env, **lineage},
    )
    return PgNight(tmp, env, database, postgres_server.password, night)


def test_the_nightly_on_postgres_covers_every_public_product_with_real_slis(pg_night: PgNight) -> None:
    result = pg_night.result
    assert result.returncode == 1, result.stdout + result.stderr  # the faults breach validity
    for step in ("checks", "dbt source freshness", "dbt build", "dp report"):
        assert f"] {step}: ok (" in result.stdout, result.stdout
    assert "] dp validate: failed (" in result.stdout and "products passed" in result.stdout
    doc = pg_night.report
    jsonschema.validate(doc, SCHEMA)
    manifest = json.loads((pg_night.record / "dbt" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["metadata"]["adapter_type"] == "postgres"
    public = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"].get("access") == "public"
    }
    assert {p["name"] for p in doc["products"]} == public
    failed = {p["id"] for p in pg_night.summary()["products"] if p["status"] != "passed"}
    assert failed  # the faults are found on PostgreSQL
    for product in doc["products"]:
        for name, sli in product["slis"].items():
            assert sli["status"] != "unknown", (product["id"], name, sli["reason"])
            if name == "validity":
                assert (sli["status"] == "breached") == (product["id"] in failed), product["id"]
            else:  # the volume drop leaves the telemetry sparse: its freshness may be at risk
                assert sli["status"] in ("met", "at_risk"), (product["id"], name, sli["reason"])
    assert {p["id"] for p in doc["products"] if p["status"] == "breached"} == failed
    # the warehouse is named without its password; no file the runner wrote holds it
    assert doc["inputs"]["warehouse"].startswith("postgresql://")
    assert doc["inputs"]["warehouse"].endswith(f"/{pg_night.database}")
    for folder in ("reports", "runs"):
        for path in (pg_night.tmp / folder).rglob("*"):
            if path.is_file():
                assert pg_night.password.encode() not in path.read_bytes(), path
    run = json.loads((pg_night.record / "run.json").read_text(encoding="utf-8"))
    assert run["origin"] == "nightly" and run["as_of"] == AS_OF.isoformat()
    assert pg_night.summary()["engine"] == "auto"  # compiled PostgreSQL SQL, GX for what does not compile


def _outcomes(summary: dict[str, Any]) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """Per product: its status and, per expectation, what it checked and what it found."""
    return {
        p["id"]: (
            p["status"],
            sorted(
                (
                    e["type"],
                    e["column"],
                    json.dumps(e["kwargs"], sort_keys=True),
                    e["status"],
                    e["element_count"],
                    e["unexpected_count"],
                )
                for e in p["expectations"]
            ),
        )
        for p in summary["products"]
    }


def test_validation_outcomes_equal_the_duckdb_ones_on_the_same_data(
    pg_night: PgNight, built_faulty: BuiltProject, tmp_path: Path
) -> None:
    assert built_faulty.faults == FAULTS
    duckdb_run = run_validation(
        built_faulty.config, scratch_record(built_faulty.config, tmp_path), data_docs=False
    )
    on_duckdb = _outcomes(duckdb_run.summary())
    on_postgres = _outcomes(pg_night.summary())
    assert sorted(on_postgres) == sorted(on_duckdb)
    for product, outcome in on_duckdb.items():
        assert on_postgres[product] == outcome, product
    assert any(status != "passed" for status, _ in on_duckdb.values())  # failures compared too


def test_the_next_build_is_incremental_from_the_state_kept_in_postgres(
    pg_night: PgNight, monkeypatch: pytest.MonkeyPatch
) -> None:
    # raw_meta.landing_state (loaded by dp generate) and dp_meta.landing_built (written by the nightly after
    # its build), both read from the server: the landing area continues the built one
    for name, value in pg_night.env.items():
        monkeypatch.setenv(name, value)
    cfg = load_config(REPO, target="postgres", adapters=POSTGRES_ADAPTERS, warehouse=pg_night.paths[1])
    assert cfg.db.dialect == "postgres" and cfg.db.label.endswith(f"/{pg_night.database}")
    state = read_landing_state(cfg.db)
    assert state is not None and state.as_of == AS_OF
    assert full_refresh_reason(cfg, state) is None
    ledger = read_ledger(cfg.db)
    assert [r.command for r in ledger] == ["build"] and ledger[0].finished_at is not None


def test_warehouse_errors_on_postgres_are_one_line_exit_2(
    pg_night: PgNight, postgres_server: PostgresServer
) -> None:
    cases = {
        "server not reachable": {"DP_PG_PORT": str(free_port())},
        "login refused": {"DP_PG_PASSWORD": "not-the-password"},
    }
    for expected, override in cases.items():
        result = dp(
            "validate",
            "--target",
            "postgres",
            *pg_night.paths[2:4],
            *pg_night.paths[-2:],
            env={**pg_night.env, **override},
        )
        assert result.returncode == 2, (expected, result.stdout, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        assert expected in result.stderr and "postgresql://" in result.stderr
        assert "not-the-password" not in result.stderr and pg_night.password not in result.stderr
    # a database without the products: the relation is named
    empty = f"{pg_night.database}_empty"
    postgres_server.query(f'create database "{empty}"')
    missing = dp(
        "validate",
        "--target",
        "postgres",
        "--run",
        pg_night.record.name,
        *pg_night.paths[2:4],
        *pg_night.paths[-2:],
        env={**pg_night.env, "DP_PG_DATABASE": empty},
    )
    assert missing.returncode == 2, missing.stdout + missing.stderr
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
    assert f"/{empty}: relation " in missing.stderr and "not found" in missing.stderr
    # the nightly checks the server before it runs anything
    down = dp(
        "nightly",
        "--target",
        "postgres",
        "--no-docs",
        *pg_night.paths,
        env={**pg_night.env, "DP_PG_PORT": str(free_port())},
    )
    assert down.returncode == 2 and down.stderr.count("\n") == 1, down.stdout + down.stderr
    assert "dp nightly ran nothing" in down.stderr and "server not reachable" in down.stderr
    assert "] dbt" not in down.stdout
    # a PostgreSQL run is never judged against the DuckDB file (nor the reverse)
    other = dp("report", "--run", pg_night.record.name, *pg_night.paths, env=pg_night.env)
    assert other.returncode == 2 and "was built on postgres, but target 'local' reads duckdb" in other.stderr


def test_the_compiled_engine_on_postgres_equals_gx_there(pg_night: PgNight) -> None:
    """The compiled engine writes PostgreSQL's SQL (validation/sql/dialect.py): every suite compiles (--engine
    sql refuses anything that does not), and each result equals GX's on the same server."""
    validations = {}
    for engine in ("sql", "gx"):
        run = dp(
            "validate",
            "--target",
            "postgres",
            "--engine",
            engine,
            "--no-docs",
            "--run",
            pg_night.record.name,
            *pg_night.paths[2:4],
            *pg_night.paths[-2:],
            env=pg_night.env,
        )
        assert run.returncode in (0, 1) and "Traceback" not in run.stderr, run.stdout + run.stderr
        folder = sorted((pg_night.record / "validations").iterdir())[-1]
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert summary["engine"] == engine
        validations[engine] = {
            p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in folder.glob("*.json")
            if p.stem != "summary"
        }
    assert len(validations["sql"]) == 9 and set(validations["sql"]) == set(validations["gx"])
    differences = [
        d
        for pid in sorted(validations["gx"])
        # observed means to 1e-12: the compiled mean is sum/count (PostgreSQL's avg of doubles overflows on
        # 1e300), GX's is avg(): the last bits may differ
        for d in suite_differences(validations["gx"][pid], validations["sql"][pid], rel_tol=1e-12)
    ]
    assert not differences, "\n".join(differences[:40])


def test_lineage_names_the_postgres_datasets(pg_night: PgNight) -> None:
    """The same events as on DuckDB, with the datasets in the server's namespace and database."""
    from lineage.checks import check_nightly_events

    lines = (pg_night.tmp / "openlineage.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    manifest = json.loads((pg_night.record / "dbt" / "manifest.json").read_text(encoding="utf-8"))
    namespace = f"postgres://{pg_night.env['DP_PG_HOST']}:{pg_night.env['DP_PG_PORT']}"
    by_job = check_nightly_events(events, manifest, namespace, pg_night.record.name)
    names = {o["name"] for evs in by_job.values() for o in evs[-1]["outputs"]}
    assert names and all(name.startswith(f"{pg_night.database}.") for name in names)
