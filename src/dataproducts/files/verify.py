"""``dp verify PATH``: prove a published files run, or a copy of one, complete and untampered.

PATH is a run folder (``<files>/runs/<run id>``, or a copy of it anywhere) or a files folder whose ``latest``
names a run. Every file the manifest lists must be there with its size and SHA-256, its Parquet must read
back with the listed row count and schema, and no file may be there that the manifest does not list. One
line per problem; exit 0 verified, 1 not, 2 when PATH holds no readable manifest. Needs no dbt project.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from dataproducts.errors import ExitCode, UsageError
from dataproducts.files.manifest import LATEST_FILE, MANIFEST_FILE, RUNS_DIR, FileEntry, FilesManifest
from dataproducts.files.publish import parquet_facts, sha256_of


class ManifestError(UsageError):
    """PATH holds no manifest, or one that cannot be read: nothing to verify against (exit 2)."""


@dataclass(frozen=True)
class Verification:
    folder: Path
    manifest: FilesManifest
    problems: tuple[str, ...]

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FAILED if self.problems else ExitCode.OK

    def render_text(self) -> str:
        files = len(self.manifest.files)
        if self.problems:
            return "\n".join(
                [
                    *self.problems,
                    f"dp verify: {self.folder}: NOT verified, {len(self.problems)} problem(s) "
                    f"in run {self.manifest.run_id} ({files} files listed)",
                ]
            )
        rows = sum(f.row_count for f in self.manifest.files if f.role is None and f.audience == "clear")
        return (
            f"dp verify: {self.folder}: verified run {self.manifest.run_id} (as of {self.manifest.as_of}): "
            f"{files} files, sizes, SHA-256, row counts ({rows:,} rows) and schemas match, no extra files"
        )


def run_folder(path: Path) -> Path:
    """The run folder PATH names: itself when it holds a manifest, else the run its ``latest`` names."""
    if not path.exists():
        raise ManifestError(f"{path}: no such folder")
    if not path.is_dir():
        raise ManifestError(f"{path}: not a folder (give a run folder: <files>/runs/<run id>)")
    if (path / MANIFEST_FILE).exists():
        return path
    latest = path / LATEST_FILE
    if latest.is_file():
        run_id = latest.read_text(encoding="utf-8", errors="replace").strip()
        if run_id and "/" not in run_id and (path / RUNS_DIR / run_id).is_dir():
            return path / RUNS_DIR / run_id
    raise ManifestError(f"{path}: no {MANIFEST_FILE} (not a published files run, or not complete)")


def read_manifest(folder: Path) -> FilesManifest:
    path = folder / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read ({exc.__class__.__name__})") from exc
    except ValueError as exc:
        raise ManifestError(f"{path}: not valid JSON ({exc})") from exc
    try:
        return FilesManifest.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = "/".join(str(p) for p in error["loc"]) or "(root)"
        raise ManifestError(f"{path}: not a files manifest: {where}: {error['msg']}") from exc


def _safe(entry_path: str) -> bool:
    path = PurePosixPath(entry_path)
    return (
        bool(path.parts) and not path.is_absolute() and ".." not in path.parts and path.name != MANIFEST_FILE
    )


def _present(folder: Path) -> set[str]:
    found: set[str] = set()
    for root, _dirs, files in os.walk(folder):
        for name in files:
            found.add((Path(root) / name).relative_to(folder).as_posix())
    found.discard(MANIFEST_FILE)
    return found


def _check(con: object, folder: Path, entry: FileEntry, hashes: dict[tuple[int, int], str]) -> list[str]:
    path = folder / entry.path
    if not path.is_file() or path.is_symlink():
        return [f"{entry.path}: missing"]
    problems = []
    stat = path.stat()
    if stat.st_size != entry.size:
        problems.append(f"{entry.path}: size {stat.st_size}, the manifest says {entry.size}")
    key = (stat.st_dev, stat.st_ino)  # a hard link is hashed once
    digest = hashes.get(key) or hashes.setdefault(key, sha256_of(path))
    if digest != entry.sha256:
        problems.append(f"{entry.path}: SHA-256 {digest[:12]}..., the manifest says {entry.sha256[:12]}...")
    try:
        columns, rows = parquet_facts(con, path)  # type: ignore[arg-type]
    except Exception as exc:  # duckdb.Error: not Parquet any more
        return [*problems, f"{entry.path}: cannot read as Parquet ({str(exc).splitlines()[0][:200]})"]
    if rows != entry.row_count:
        problems.append(f"{entry.path}: {rows} rows, the manifest says {entry.row_count}")
    got = [(c.name, c.type) for c in columns]
    want = [(c.name, c.type) for c in entry.columns]
    if got != want:
        changed = sorted(set(want) ^ set(got))
        shown = ", ".join(f"{n} {t}" for n, t in changed) if changed else "column order"
        problems.append(f"{entry.path}: schema differs from the manifest's: {shown[:300]}")
    return problems


def verify(path: Path) -> Verification:
    """Check the run folder ``path`` (or the latest run of a files folder) against its manifest."""
    import duckdb

    folder = run_folder(Path(path))
    manifest = read_manifest(folder)
    problems: list[str] = []
    listed: set[str] = set()
    con = duckdb.connect(":memory:")
    con.execute("set enable_progress_bar = false")
    try:
        hashes: dict[tuple[int, int], str] = {}
        for entry in manifest.files:
            if not _safe(entry.path):
                problems.append(f"{entry.path}: the manifest lists a path outside the run folder")
                continue
            if entry.path in listed:
                problems.append(f"{entry.path}: listed twice in the manifest")
                continue
            listed.add(entry.path)
            problems += _check(con, folder, entry, hashes)
    finally:
        con.close()
    problems += [f"{extra}: extra file, not in the manifest" for extra in sorted(_present(folder) - listed)]
    return Verification(folder, manifest, tuple(problems))
