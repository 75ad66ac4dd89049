"""The files port (issue 13): one real nightly at a tiny scale publishes Parquet; `dp verify` proves a run
and its copies; each role's tree is what `dp access` says; the ODCS contract's files server passes the
project's contract checks against the published Parquet."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import AS_OF, REPO, SMALL_SCALE, dp, make_config
from dataproducts.config import ProjectConfig
from dataproducts.generate import generate
from dataproducts.governance.odcs import odcs_schema, validation_errors
from dataproducts.governance.standards import types_match

pytestmark = pytest.mark.integration

# orders (2 000 rows at this scale) and order_items (5 000) are written one file per month
PARTITION_ROWS = "1000"


@dataclass(frozen=True)
class Night:
    config: ProjectConfig
    tmp: Path
    stdout: str
    stderr: str
    returncode: int

    @property
    def run_id(self) -> str:
        (record,) = [p.name for p in self.config.runs_dir.iterdir() if not p.name.startswith(".")]
        return record

    @property
    def run(self) -> Path:
        return self.config.files_dir / "runs" / self.run_id

    @property
    def manifest(self) -> dict:
        return json.loads((self.run / "manifest.json").read_text(encoding="utf-8"))

    @property
    def dbt_manifest(self) -> Path:
        return self.config.runs_dir / self.run_id / "dbt" / "manifest.json"

    def paths(self, *names: str) -> list[str]:
        flags = {
            "warehouse": self.config.warehouse,
            "target_dir": self.config.target_dir,
            "reports_dir": self.config.reports_dir,
            "history": self.config.history,
            "runs_dir": self.config.runs_dir,
            "files_dir": self.config.files_dir,
        }
        return [a for n in names for a in (f"--{n.replace('_', '-')}", str(flags[n]))]


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    tmp = tmp_path_factory.mktemp("files-port")
    cfg = make_config(tmp)
    generate(cfg.warehouse, scale=SMALL_SCALE, seed=7, as_of=AS_OF)
    names = ("warehouse", "target_dir", "reports_dir", "history", "runs_dir", "files_dir")
    partial = Night(cfg, tmp, "", "", 0)
    result = dp(
        "nightly",
        "--as-of",
        AS_OF.isoformat(),
        "--no-docs",
        *partial.paths(*names),
        env={"DBT_LOG_PATH": str(tmp / "logs"), "DP_FILES_PARTITION_ROWS": PARTITION_ROWS},
    )
    assert result.returncode in (0, 1), result.stderr
    return Night(cfg, tmp, result.stdout, result.stderr, result.returncode)


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return dp("verify", str(path), cwd=path.parent)  # no project needed


def _warehouse_count(night: Night, relation: str) -> int:
    con = duckdb.connect(str(night.config.warehouse), read_only=True)
    try:
        return int(con.execute(f"select count(*) from {relation}").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def _products(night: Night) -> list[tuple[str, int | None, str, str]]:
    """(product id, version, domain, relation) of every product version of the run's manifest."""
    from dataproducts.artifacts import load_manifest
    from dataproducts.products import load_products

    return [
        (p.id, int(v.version) if v.version else None, p.domain, v.relation)
        for p in load_products(load_manifest(night.dbt_manifest))
        for v in p.versions
    ]


# --- publishing ------------------------------------------------------------------------------------------------


def test_the_nightly_publishes_every_version_with_a_manifest(night: Night) -> None:
    steps = [line for line in night.stdout.splitlines() if "dp publish: " in line]
    assert any("[6/6] dp publish: started" in s for s in steps), night.stdout
    (done,) = [s for s in steps if "[6/6] dp publish: ok (" in s]
    assert " MB -> " in done and "rows" in done, done  # the cost, measured in the step line
    assert (night.config.files_dir / "latest").read_text().strip() == night.run_id
    manifest = night.manifest
    assert manifest["run_id"] == night.run_id and manifest["as_of"] == AS_OF.isoformat()
    assert manifest["created_at"].endswith("Z")
    data = [f for f in manifest["files"] if f["role"] is None]
    for product, version, domain, relation in _products(night):
        clear = [
            f for f in data if (f["product"], f["version"], f["audience"]) == (product, version, "clear")
        ]
        assert clear, f"{product} v{version}: no clear copy"
        alias = relation.split(".")[1]
        assert all(f["path"].startswith(f"data/clear/{domain}/{alias}/") for f in clear)
        assert sum(f["row_count"] for f in clear) == _warehouse_count(night, relation), relation
        for entry in clear:
            path = night.run / entry["path"]
            assert entry["size"] == path.stat().st_size and len(entry["sha256"]) == 64
            assert [c["name"] for c in entry["schema"]] and all(c["type"] for c in entry["schema"])
    partitioned = [f for f in data if f["product"] == "sales.order_items" and f["audience"] == "clear"]
    assert len(partitioned) > 12 and all(f["partition"] for f in partitioned if f["version"] == 2)
    assert {f["partition"] for f in data if f["product"] == "sales.products"} == {None}
    # personal data: NULL in every masked copy, present in the clear one
    masked = [f for f in data if f["audience"] == "masked"]
    assert {f["product"] for f in masked} >= {"customers.customers"}
    con = duckdb.connect()
    for entry in masked:
        assert entry["masked_columns"], entry["path"]
        for column in entry["masked_columns"]:
            sql = f"select count({column}) from read_parquet('{night.run / entry['path']}')"
            assert con.execute(sql).fetchone() == (0,), f"{entry['path']}: {column} not masked"
    clear_customers = night.run / "data/clear/customers/customers/customers.parquet"
    assert con.execute(f"select count(email) from '{clear_customers}'").fetchone()[0] > 0  # type: ignore[index]


def test_dp_verify_passes_on_the_run_a_copy_and_the_files_folder(night: Night, tmp_path: Path) -> None:
    result = _verify(night.run)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"dp verify: {night.run}: verified run {night.run_id}")
    copy = tmp_path / "copy"
    shutil.copytree(night.run, copy)  # a plain copy: the role trees' hard links become files
    result = _verify(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    result = _verify(night.config.files_dir)  # the files folder stands for its latest run
    assert result.returncode == 0 and night.run_id in result.stdout, result.stdout + result.stderr


def test_dp_verify_fails_on_a_modified_missing_or_extra_file(night: Night, tmp_path: Path) -> None:
    files = [f for f in night.manifest["files"] if f["role"] is None]
    victim, gone = files[0]["path"], files[1]["path"]
    copy = tmp_path / "copy"
    shutil.copytree(night.run, copy)
    with (copy / victim).open("r+b") as handle:  # one byte changed, the size kept
        handle.seek(10)
        byte = handle.read(1)
        handle.seek(10)
        handle.write(bytes([byte[0] ^ 0xFF]))
    (copy / gone).unlink()
    (copy / "data" / "stray.parquet").write_bytes(b"PAR1")
    result = _verify(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert f"{gone}: missing" in lines
    assert any(line.startswith(f"{victim}: SHA-256 ") for line in lines), lines
    assert "data/stray.parquet: extra file, not in the manifest" in lines
    assert lines[-1].startswith(f"dp verify: {copy}: NOT verified, ")
    assert not result.stderr

    # a file rewritten with other rows and the manifest's size and checksum edited to match: the rows differ
    entry = next(f for f in files if f["product"] == "sales.products" and f["audience"] == "clear")
    other = tmp_path / "other"
    shutil.copytree(night.run, other)
    target = other / entry["path"]
    duckdb.execute(
        f"copy (select * from '{night.run / entry['path']}' limit 3) to '{target}' (format parquet)"
    )
    manifest = json.loads((other / "manifest.json").read_text())
    for item in manifest["files"]:
        if item["path"] == entry["path"]:
            from dataproducts.files.publish import sha256_of

            item.update(size=target.stat().st_size, sha256=sha256_of(target))
    (other / "manifest.json").write_text(json.dumps(manifest))
    result = _verify(other)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{entry['path']}: 3 rows, the manifest says {entry['row_count']}" in result.stdout.splitlines()


def test_dp_verify_exits_2_without_a_readable_manifest(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _verify(empty)
    assert result.returncode == 2 and not result.stdout, result.stdout
    assert (
        result.stderr.strip()
        == f"dp: error: {empty}: no manifest.json (not a published files run, or not complete)"
    )
    (empty / "manifest.json").write_text("{ not json")
    result = _verify(empty)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "manifest.json: not valid JSON" in result.stderr and "Traceback" not in result.stderr
    (empty / "manifest.json").write_text('{"run_id": "x"}')
    result = _verify(empty)
    assert result.returncode == 2 and "not a files manifest" in result.stderr, result.stderr


def test_every_role_tree_is_what_dp_access_says(night: Night) -> None:
    pytest.importorskip(
        "dataproducts.governance.access", reason="the access policy (issue 13) has not landed"
    )
    result = dp("access", "--format", "json", "--manifest", str(night.dbt_manifest), cwd=REPO)
    assert result.returncode == 0, result.stderr
    rows = [r for r in json.loads(result.stdout) if r["port"] == "files"]
    assert rows and any(r["allowed"] for r in rows) and any(not r["allowed"] for r in rows)
    assert any(r["masked_columns"] for r in rows if r["allowed"]), "no masked reader on the files port"
    allowed_folders = set()
    con = duckdb.connect()
    for row in rows:
        folder = night.run / row["relation"]
        assert row["relation"].startswith(f"roles/{row['role']}/"), row
        if not row["allowed"]:
            assert not folder.exists(), (
                f"{row['role']} may not read {row['product']} v{row['version']}: {folder}"
            )
            continue
        allowed_folders.add(folder)
        audience = "masked" if row["masked_columns"] else "clear"
        data = night.run / "data" / audience / Path(row["relation"]).relative_to(f"roles/{row['role']}")
        assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in data.iterdir()), folder
        for file in folder.iterdir():
            assert file.stat().st_ino == (data / file.name).stat().st_ino, f"{file}: not a hard link"
            columns = {r[0] for r in con.execute(f"describe select * from '{file}'").fetchall()}
            for column in row["masked_columns"]:
                assert column in columns
                assert con.execute(f"select count({column}) from '{file}'").fetchone() == (0,), file
    # nothing else in the role trees: exactly what each role may read
    present = {p for p in (night.run / "roles").glob("*/*/*") if p.is_dir()}
    assert present == allowed_folders, present ^ allowed_folders


# --- the ODCS contract of the files port -------------------------------------------------------------------------


def test_the_exported_contract_passes_against_the_published_parquet(night: Night) -> None:
    output = night.tmp / "contracts"
    result = dp(
        "export",
        "odcs",
        "--manifest",
        str(night.dbt_manifest),
        "--output",
        str(output),
        *night.paths("warehouse", "target_dir", "reports_dir", "files_dir"),
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    schema = odcs_schema()
    con = duckdb.connect()
    contracts = sorted(output.glob("*/*.odcs.yaml"))
    assert len(contracts) == len({p for p, *_ in _products(night)})
    for path in contracts:
        contract = yaml.safe_load(path.read_text())
        assert validation_errors(contract, schema) == [], path
        servers = {s["type"]: s for s in contract["servers"]}
        assert {"duckdb", "local"} <= set(servers), path
        profile = yaml.safe_load((REPO / "profiles.yml").read_text())
        if "postgres" in profile["dataproducts"]["outputs"]:
            pg = servers["postgres"]
            assert pg["host"] and pg["port"] and pg["database"] and pg["schema"], pg
            assert "password" not in json.dumps(contract["servers"]).lower()
        files = servers["local"]
        assert files["format"] == "parquet" and night.run_id in files["path"], files
        for obj in contract["schema"]:
            # the project's contract checks (names, types as `dp check` compares them, required, rows) on the
            # files the server's path names for this schema object
            pattern = str(REPO / files["path"].replace("{model}", obj["name"]))  # relative: to the project
            source = f"read_parquet('{pattern}')"
            described = {r[0]: r[1] for r in con.execute(f"describe select * from {source}").fetchall()}
            total = con.execute(f"select count(*) from {source}").fetchone()[0]  # type: ignore[index]
            assert total > 0, f"{path}: {obj['name']}: no rows in {pattern}"
            for prop in obj["properties"]:
                name = prop["physicalName"]
                assert name in described, f"{path}: {obj['name']}.{name} missing from {pattern}"
                assert types_match(prop["physicalType"], described[name]), (
                    f"{path}: {obj['name']}.{name}: contract {prop['physicalType']}, file {described[name]}"
                )
                if prop.get("required"):
                    nulls = con.execute(f'select count(*) - count("{name}") from {source}').fetchone()
                    assert nulls == (0,), f"{path}: {obj['name']}.{name} is required, NULL in the files"


# --- atomicity ------------------------------------------------------------------------------------------------


def test_a_killed_publish_leaves_no_run_that_looks_complete(night: Night) -> None:
    files = night.tmp / "files-killed"
    runs = files / "runs"
    command = [
        sys.executable,
        "-m",
        "dataproducts",
        "publish",
        *night.paths("warehouse", "target_dir", "runs_dir"),
    ]
    command += ["--files-dir", str(files)]
    proc = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.is_dir() and any(p.name.startswith(".staging-") for p in runs.iterdir()):
            time.sleep(0.05)
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if runs.is_dir():
        for run in runs.iterdir():
            if not run.name.startswith("."):  # only a complete run may be visible
                assert _verify(run).returncode == 0, run
    latest = files / "latest"
    assert not latest.exists() or (runs / latest.read_text().strip() / "manifest.json").is_file()
    # the next publish removes the killed one's staging folder and publishes the run
    again = dp(*command[3:], cwd=REPO)
    if proc.returncode == 0:  # it had finished before the kill: published once only
        assert again.returncode == 2 and "already published" in again.stderr, again.stderr
    else:
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith(f"dp publish: run {night.run_id}: "), again.stdout
    assert not [p for p in runs.iterdir() if p.name.startswith(".")], list(runs.iterdir())
    assert _verify(files).returncode == 0
