"""Publish a run's product versions as Parquet: the files port.

``<files>/runs/<run id>/`` is built in a hidden staging folder beside it and renamed into place only when
complete, with ``manifest.json`` written last; ``<files>/latest`` (one line: the run id) is replaced
atomically afterwards. A killed publish leaves a ``.staging-<pid>-...`` folder that the next publish removes,
never a run folder that looks complete.

Layout of one run (``<alias>`` is the relation's name, the same as on DuckDB and PostgreSQL)::

    manifest.json                                     every file below: checksum, size, rows, schema
    data/clear/<domain>/<alias>/<alias>.parquet       the product version as built
    data/masked/<domain>/<alias>/<alias>.parquet      personal-data columns NULL (products that have any)
    roles/<role>/<domain>/<alias>/<alias>.parquet     hard links: exactly what the role may read

A version with more than ``DP_FILES_PARTITION_ROWS`` rows (default 1 000 000) whose descriptor names an
event time (``refresh.event_time``) is written as one file per month of it, ``<alias>-YYYY-MM.parquet``
(``<alias>-undated.parquet`` for rows without one), so ``read_parquet('<folder>/*.parquet')`` reads either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from dataproducts.errors import ConfigError, OutputError, RunRecordError, first_line
from dataproducts.fileio import ensure_dir, make_staging_dir, write_atomic
from dataproducts.files.manifest import (
    DATA_DIR,
    LATEST_FILE,
    MANIFEST_FILE,
    ROLES_DIR,
    RUNS_DIR,
    Audience,
    ColumnType,
    FileEntry,
    FilesManifest,
)
from dataproducts.warehouse import open_read_only, quote_ident, reason, relation_sql

if TYPE_CHECKING:
    import duckdb

    from dataproducts.config import ProjectConfig
    from dataproducts.products import DataProduct, ProductVersion
    from dataproducts.runs import Record

PORT = "files"
STAGING_PREFIX = ".staging-"
TRASH_PREFIX = ".trash-"
DEFAULT_PARTITION_ROWS = 1_000_000
PARTITION_ENV = "DP_FILES_PARTITION_ROWS"
_MONTH = re.compile(r"\d{4}-\d{2}")
_PARTITION_COLUMN = "__dp_month"
_RUN_STAMP = re.compile(r"(\d{8}T\d{6}Z)")


class AccessRowLike(Protocol):
    """One row of the access matrix (``dataproducts.governance.access.AccessRow``), as far as files use it."""

    @property
    def product(self) -> str: ...
    @property
    def version(self) -> int | None: ...
    @property
    def role(self) -> str: ...
    @property
    def port(self) -> str: ...
    @property
    def relation(self) -> str: ...
    @property
    def allowed(self) -> bool: ...
    @property
    def masked_columns(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Published:
    """What one publish wrote."""

    run_id: str
    path: Path
    data_files: int
    role_files: int
    versions: int
    roles: int
    rows: int
    bytes: int
    seconds: float
    skipped: tuple[str, ...] = ()

    def summary(self) -> str:
        text = (
            f"{self.versions} product versions, {self.data_files} files + {self.role_files} role links in "
            f"{self.roles} roles, {self.rows:,} rows, {self.bytes / 1e6:.1f} MB -> {self.path}"
        )
        if self.skipped:
            text += f"; not built, not published: {', '.join(self.skipped)}"
        return text


def partition_rows() -> int:
    """Rows above which a version with an event time is written one file per month (``DP_FILES_PARTITION_ROWS``)."""
    raw = os.environ.get(PARTITION_ENV, "").strip()
    if not raw:
        return DEFAULT_PARTITION_ROWS
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{PARTITION_ENV}={raw!r}: expected a number of rows of at least 1")
    return int(raw)


def version_number(version: ProductVersion) -> int | None:
    return int(version.version) if version.version is not None and version.version.isdigit() else None


def latest_run(files_dir: Path) -> str | None:
    """The run id ``<files>/latest`` names, None when there is none (or it names no run folder)."""
    try:
        run_id = (files_dir / LATEST_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return run_id if run_id and (files_dir / RUNS_DIR / run_id / MANIFEST_FILE).is_file() else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parquet_facts(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[ColumnType], int]:
    """The schema (DuckDB types) and row count a Parquet file reads back as."""
    source = f"read_parquet({_literal(str(path))})"
    columns = [
        ColumnType(name=r[0], type=r[1]) for r in con.execute(f"describe select * from {source}").fetchall()
    ]
    count = con.execute(f"select count(*) from {source}").fetchone()
    return columns, int(count[0]) if count else 0


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- publishing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Written:
    product: DataProduct
    version: ProductVersion
    audience: Audience
    masked: tuple[str, ...]
    entries: tuple[FileEntry, ...]


class _Publisher:
    def __init__(self, con: duckdb.DuckDBPyConnection, staging: Path, threshold: int) -> None:
        self.con = con
        self.staging = staging
        self.threshold = threshold

    def columns(self, version: ProductVersion) -> list[tuple[str, str]] | None:
        rows = self.con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [version.schema or "main", version.alias],
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows] or None

    def write(
        self,
        product: DataProduct,
        version: ProductVersion,
        columns: Sequence[tuple[str, str]],
        audience: Audience,
        masked: Sequence[str],
    ) -> _Written:
        relation = relation_sql(version.schema, version.alias)
        select = ", ".join(
            f"cast(null as {kind}) as {quote_ident(name)}" if name in masked else quote_ident(name)
            for name, kind in columns
        )
        alias = version.alias or product.name
        folder = ensure_dir(self.staging / DATA_DIR / audience / product.domain / alias)
        event_time = product.descriptor.model.refresh.event_time if product.descriptor.model.refresh else None
        count = self.con.execute(f"select count(*) from {relation}").fetchone()
        rows = int(count[0]) if count else 0
        query = f"select {select} from {relation}"
        if event_time and event_time in {n for n, _ in columns} and rows > self.threshold:
            parts = self._partitioned(query, event_time, folder, alias)
        else:
            path = folder / f"{alias}.parquet"
            self.con.execute(f"copy ({query}) to {_literal(str(path))} (format parquet, compression zstd)")
            parts = [(None, path)]
        entries = []
        for partition, path in parts:
            schema, count_back = parquet_facts(self.con, path)
            entries.append(
                FileEntry(
                    path=path.relative_to(self.staging).as_posix(),
                    product=product.id,
                    version=version_number(version),
                    audience=audience,
                    masked_columns=list(masked),
                    partition=partition,
                    schema=schema,
                    row_count=count_back,
                    sha256=sha256_of(path),
                    size=path.stat().st_size,
                )
            )
        return _Written(product, version, audience, tuple(masked), tuple(entries))

    def _partitioned(
        self, query: str, event_time: str, folder: Path, alias: str
    ) -> list[tuple[str | None, Path]]:
        """One file per month of ``event_time``, written in one pass (DuckDB's PARTITION_BY on a month column
        that the files do not keep), renamed ``<alias>-YYYY-MM.parquet`` / ``<alias>-undated.parquet``."""
        scratch = folder / f".{alias}-partitions"
        month = f"strftime({quote_ident(event_time)}, '%Y-%m') as {quote_ident(_PARTITION_COLUMN)}"
        self.con.execute(
            f"copy (select *, {month} from ({query})) to {_literal(str(scratch))} "
            f"(format parquet, compression zstd, partition_by ({quote_ident(_PARTITION_COLUMN)}))"
        )
        parts: list[tuple[str | None, Path]] = []
        for directory in sorted(scratch.iterdir()):
            value = directory.name.split("=", 1)[-1]
            partition = value if _MONTH.fullmatch(value) else None
            files = sorted(directory.glob("*.parquet"))
            for index, source in enumerate(files):
                suffix = f"-{index}" if len(files) > 1 else ""
                target = folder / f"{alias}-{partition or 'undated'}{suffix}.parquet"
                source.rename(target)
                parts.append((partition, target))
        shutil.rmtree(scratch)
        return parts


def _role_folder(relation: str, role: str) -> PurePosixPath:
    """The role tree's folder a files row names (``roles/<role>/<domain>/<alias>``), checked to stay inside."""
    path = PurePosixPath(relation)
    if path.is_absolute() or ".." in path.parts or path.parts[:2] != (ROLES_DIR, role):
        raise ConfigError(
            f"access matrix: files relation {relation!r} of role {role!r} is not roles/{role}/..."
        )
    return path


def _link(source: Path, target: Path) -> None:
    ensure_dir(target.parent)
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links: a copy, the same bytes
        shutil.copyfile(source, target)


def publish_run(
    cfg: ProjectConfig,
    record: Record,
    products: Sequence[DataProduct],
    access_rows: Iterable[AccessRowLike],
    *,
    built: set[str] | None = None,
) -> Published:
    """Publish the versions of ``products`` the run built (``built``: unique ids; None: all) as a files run."""
    started = time.perf_counter()
    runs = cfg.files_dir / RUNS_DIR
    final = runs / record.run_id
    if final.exists():
        raise RunRecordError(f"{final}: run {record.run_id} is already published (dp verify {final})")
    threshold = partition_rows()
    rows = [r for r in access_rows if r.port == PORT and r.allowed]
    staging = make_staging_dir(runs, STAGING_PREFIX)
    try:
        con = open_read_only(cfg.warehouse)
        con.execute("set enable_progress_bar = false")  # DuckDB draws one on a terminal otherwise
        try:
            masked: dict[tuple[str, int | None], set[str]] = {}
            for row in rows:
                masked.setdefault((row.product, row.version), set()).update(row.masked_columns)
            written, skipped = _write_data(_Publisher(con, staging, threshold), products, built, masked)
        except Exception as exc:
            import duckdb

            if isinstance(exc, duckdb.Error):
                raise OutputError(f"{staging}: cannot publish the files run: {reason(exc)}") from exc
            raise
        finally:
            con.close()
        role_entries = _link_roles(staging, written, rows)
        data_entries = [e for w in written for e in w.entries]
        manifest = FilesManifest(
            run_id=record.run_id,
            as_of=record.meta.as_of.isoformat() if record.meta.as_of else None,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            files=sorted([*data_entries, *role_entries], key=lambda e: e.path),
        )
        (staging / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")  # last: complete now
        staging.rename(final)
    except OSError as exc:  # a full disk, a file where a folder should be: no run folder is left
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"{final}: cannot write ({exc.strerror or first_line(exc)})") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not record.partial:  # a --select run publishes its versions; latest names complete runs only
        write_atomic(cfg.files_dir / LATEST_FILE, record.run_id + "\n")
    prune_files(cfg, keep=latest_run(cfg.files_dir) or record.run_id)
    return Published(
        run_id=record.run_id,
        path=final,
        data_files=len(data_entries),
        role_files=len(role_entries),
        versions=len({(w.product.id, w.version.version) for w in written}),
        roles=len({e.role for e in role_entries}),
        rows=sum(e.row_count for e in data_entries if e.audience == "clear"),
        bytes=sum(e.size for e in data_entries),
        seconds=time.perf_counter() - started,
        skipped=tuple(skipped),
    )


def _write_data(
    publisher: _Publisher,
    products: Sequence[DataProduct],
    built: set[str] | None,
    masked: Mapping[tuple[str, int | None], set[str]],
) -> tuple[list[_Written], list[str]]:
    """Each built version's clear copy, and a masked copy where it has personal-data columns (marked in its
    YAML or descriptor, or masked for some reader by the access matrix)."""
    written: list[_Written] = []
    skipped: list[str] = []
    for product in products:
        for version in product.versions:
            label = product.id + (f" v{version.version}" if version.version else "")
            columns = publisher.columns(version)
            if (built is not None and version.unique_id not in built) or columns is None:
                skipped.append(label)
                continue
            written.append(publisher.write(product, version, columns, "clear", ()))
            wanted = masked.get((product.id, version_number(version)), set())
            wanted |= {c.name for c in version.columns if c.personal_data}
            personal = tuple(n for n, _ in columns if n in wanted)
            if personal:
                written.append(publisher.write(product, version, columns, "masked", personal))
    return written, skipped


def _link_roles(staging: Path, written: Sequence[_Written], rows: Sequence[AccessRowLike]) -> list[FileEntry]:
    """Each allowed files row's tree: hard links to the version's clear copy, or its masked copy."""
    by_key = {(w.product.id, version_number(w.version), w.audience): w for w in written}
    entries: list[FileEntry] = []
    for row in rows:
        audience: Audience = "masked" if row.masked_columns else "clear"
        source = by_key.get((row.product, row.version, audience))
        if source is None:
            continue  # not built in this run (or no masked copy: the matrix and the columns disagree)
        folder = _role_folder(row.relation, row.role)
        for entry in source.entries:
            name = PurePosixPath(entry.path).name
            target = folder / name
            _link(staging / entry.path, staging / target)
            entries.append(entry.model_copy(update={"path": target.as_posix(), "role": row.role}))
    return entries


def prune_files(cfg: ProjectConfig, *, keep: str) -> list[str]:
    """Remove published runs built more than ``retention_days`` ago (by the run id's stamp), never ``keep``.
    Call while holding the project lock."""
    runs = cfg.files_dir / RUNS_DIR
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=cfg.retention_days)
    removed: list[str] = []
    for folder in sorted(runs.iterdir()) if runs.is_dir() else []:
        if folder.name.startswith(TRASH_PREFIX):  # a prune that was killed: gone for readers already
            shutil.rmtree(folder, ignore_errors=True)
            continue
        match = _RUN_STAMP.match(folder.name)
        if folder.name == keep or not match or not folder.is_dir():
            continue
        built = dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        if built >= cutoff:
            continue
        trash = runs / f"{TRASH_PREFIX}{folder.name}"
        try:
            folder.rename(trash)  # gone at once for readers
        except OSError:
            continue
        shutil.rmtree(trash, ignore_errors=True)
        removed.append(folder.name)
    return removed
