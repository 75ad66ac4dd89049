"""Outputs are written atomically, with the modes the umask gives, and every OS error is one ``OutputError``
naming the path; real failures only (a parent that is a file, RLIMIT_FSIZE in a subprocess, a tiny tmpfs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from dataproducts.errors import ExitCode, OutputError
from dataproducts.fileio import (
    current_umask,
    ensure_dir,
    make_staging_dir,
    swap_in_dir,
    write_all_atomic,
    write_atomic,
)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(params=[0o022, 0o027], ids=["umask022", "umask027"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


@pytest.fixture()
def dead_pid() -> int:
    """The id of a process that has ended (what a killed run leaves in its temporary names)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(proc.stdout)


# --- modes follow the umask -----------------------------------------------------------------------------------


def test_current_umask(umask: int) -> None:
    assert current_umask() == umask


def test_files_and_folders_follow_the_umask(tmp_path: Path, umask: int) -> None:
    file_mode, dir_mode = 0o666 & ~umask, 0o777 & ~umask
    written = write_atomic(tmp_path / "new" / "deeper" / "catalog.html", "<p>hi</p>")
    assert written.read_text() == "<p>hi</p>"
    assert _mode(written) == file_mode
    assert _mode(tmp_path / "new") == dir_mode
    assert _mode(tmp_path / "new" / "deeper") == dir_mode

    (tmp_path / "old.md").write_text("old")
    (tmp_path / "old.md").chmod(0o600)
    assert _mode(write_atomic(tmp_path / "old.md", "new")) == file_mode  # a rewrite too

    for path in write_all_atomic([(tmp_path / "a.json", "{}"), (tmp_path / "sub" / "b.md", "b")]):
        assert _mode(path) == file_mode
    assert _mode(ensure_dir(tmp_path / "x" / "y")) == dir_mode

    staging = make_staging_dir(tmp_path / "reports", ".slo-report-")
    assert _mode(staging) == dir_mode
    assert _mode(tmp_path / "reports") == dir_mode
    write_atomic(staging / "report.json", "{}")
    swap_in_dir(staging, tmp_path / "reports" / "latest")
    assert _mode(tmp_path / "reports" / "latest") == dir_mode
    assert _mode(tmp_path / "reports" / "latest" / "report.json") == file_mode
    assert _leftovers(tmp_path / "reports") == []


def test_swap_in_dir_gives_a_mkdtemp_folder_the_umask_mode(tmp_path: Path, umask: int) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".validation-", dir=tmp_path))
    assert _mode(staging) == 0o700
    swap_in_dir(staging, tmp_path / "validation")
    assert _mode(tmp_path / "validation") == 0o777 & ~umask


# --- one-line OutputError naming the path ---------------------------------------------------------------------


def test_a_parent_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "reports").write_text("not a folder")
    target = tmp_path / "reports" / "catalog" / "catalog.html"
    with pytest.raises(OutputError) as caught:
        write_atomic(target, "x")
    message = str(caught.value)
    assert message == f"{target}: cannot write ({tmp_path / 'reports'} is a file, not a folder)"
    assert caught.value.exit_code == ExitCode.ERROR

    with pytest.raises(OutputError, match="is a file, not a folder"):
        write_atomic(tmp_path / "reports" / "changelog.md", "x")  # the parent itself (ENOTDIR)
    with pytest.raises(OutputError, match=r"reports: cannot write \(.*reports is a file, not a folder\)"):
        ensure_dir(tmp_path / "reports")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        make_staging_dir(tmp_path / "reports" / "sub", ".x-")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        write_all_atomic([(tmp_path / "ok.md", "ok"), (tmp_path / "reports" / "b.md", "b")])
    assert not (tmp_path / "ok.md").exists()  # all or nothing
    assert (tmp_path / "reports").read_text() == "not a folder"
    assert _leftovers(tmp_path) == []


def test_a_folder_in_the_way_and_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "catalog.md").mkdir()
    with pytest.raises(OutputError, match=r"catalog\.md: cannot write \(it is a folder\)"):
        write_atomic(tmp_path / "catalog.md", "x")
    (tmp_path / "latest").write_text("a file")
    staging = make_staging_dir(tmp_path, ".slo-report-")
    with pytest.raises(OutputError, match=r"latest: cannot write \(it is a file, not a folder\)"):
        swap_in_dir(staging, tmp_path / "latest")
    assert (tmp_path / "latest").read_text() == "a file"


def test_swap_in_dir_puts_the_old_folder_back_when_the_rename_fails(tmp_path: Path) -> None:
    final = tmp_path / "latest"
    final.mkdir()
    (final / "report.json").write_text("old")
    with pytest.raises(OutputError, match=r"latest: cannot write \(No such file or directory\)"):
        swap_in_dir(tmp_path / "missing-staging", final)
    assert (final / "report.json").read_text() == "old"
    assert _leftovers(tmp_path) == []


_FSIZE_SCRIPT = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    from dataproducts.errors import OutputError
    from dataproducts.fileio import write_all_atomic, write_atomic

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    folder = Path(sys.argv[1])
    try:
        if sys.argv[2] == "one":
            write_atomic(folder / "catalog.html", "x" * 100_000)
        else:
            write_all_atomic([(folder / "catalog.json", "small"), (folder / "catalog.html", "x" * 100_000)])
    except OutputError as exc:
        print(exc)
        sys.exit(2)
    """
)


@pytest.mark.parametrize("how", ["one", "all"])
def test_a_file_too_large_leaves_the_previous_output(tmp_path: Path, how: str) -> None:
    """RLIMIT_FSIZE in a subprocess: the write fails for real (EFBIG) part way through the file."""
    (tmp_path / "catalog.html").write_text("previous html")
    (tmp_path / "catalog.json").write_text("previous json")
    proc = subprocess.run(
        [sys.executable, "-c", _FSIZE_SCRIPT, str(tmp_path), how],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.strip() == f"{tmp_path / 'catalog.html'}: cannot write (File too large)"
    assert (tmp_path / "catalog.html").read_text() == "previous html"
    assert (tmp_path / "catalog.json").read_text() == "previous json"
    assert _leftovers(tmp_path) == []


@pytest.fixture()
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real full disk (ENOSPC). Needs root and a mount the container allows."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("NOT TESTED: a full disk on tmpfs needs root (the RLIMIT_FSIZE test covers EFBIG)")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"NOT TESTED: cannot mount a tmpfs here ({proc.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_is_one_line_and_leaves_no_temporary_file(tiny_disk: Path) -> None:
    write_atomic(tiny_disk / "catalog" / "catalog.md", "previous")
    with pytest.raises(OutputError) as caught:
        write_atomic(tiny_disk / "catalog" / "catalog.md", "x" * 200_000)
    assert (
        str(caught.value) == f"{tiny_disk / 'catalog' / 'catalog.md'}: cannot write (No space left on device)"
    )
    assert (tiny_disk / "catalog" / "catalog.md").read_text() == "previous"
    assert _leftovers(tiny_disk / "catalog") == []


# --- leftovers of killed runs are removed by the next writer --------------------------------------------------


def test_leftovers_of_dead_processes_are_removed(tmp_path: Path, dead_pid: int) -> None:
    live = os.getppid()  # a process that runs: its files are not touched
    stale_tmp = tmp_path / f".catalog.html.{dead_pid}.0badc0de.tmp"
    live_tmp = tmp_path / f".catalog.html.{live}.0badc0de.tmp"
    other_tmp = tmp_path / f".catalog.md.{dead_pid}.0badc0de.tmp"  # another output's: its writer cleans it
    for path in (stale_tmp, live_tmp, other_tmp):
        path.write_text("half")
    write_atomic(tmp_path / "catalog.html", "new")
    assert not stale_tmp.exists()
    assert live_tmp.exists()
    assert other_tmp.exists()

    stale_staging = tmp_path / f".slo-report-{dead_pid}-0badc0de"
    other_prefix = tmp_path / f".slo-report-dated-{dead_pid}-0badc0de"
    stale_old = tmp_path / f".latest-old-{dead_pid}"
    for path in (stale_staging, other_prefix, stale_old):
        (path / "inner").mkdir(parents=True)
    staging = make_staging_dir(tmp_path, ".slo-report-")
    assert not stale_staging.exists()
    assert other_prefix.exists()
    swap_in_dir(staging, tmp_path / "latest")
    assert not stale_old.exists()
