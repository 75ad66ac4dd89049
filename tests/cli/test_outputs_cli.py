"""Outputs that can be published safely, and OS errors that exit 2 naming the path: `dp catalog`, `dp diff`
and `dp export odcs` on the trimmed manifest fixture (no dbt), in real subprocesses.

Failures are real: a parent that is a file, RLIMIT_FSIZE (EFBIG) set in the child, a 64 KiB tmpfs (ENOSPC)."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "manifest_small.json"
FCT = "model.dataproducts.fct_orders"


def run_dp(
    *args: str, env: dict[str, str] | None = None, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataproducts", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=preexec,
    )


def _umask(mask: int) -> Callable[[], None]:
    def set_umask() -> None:
        os.umask(mask)

    return set_umask


def _file_size_limit(limit: int) -> Callable[[], None]:
    def limit_writes() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_writes


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0], proc.stderr
    return lines[0]


@pytest.fixture()
def hostile_manifest(tmp_path: Path) -> Path:
    """The fixture manifest with HTML and a javascript: URL wherever the project writes text."""
    data = json.loads(FIXTURE.read_text())
    exposure = next(iter(data["exposures"].values()))
    exposure["url"] = "javascript:alert(1)"
    exposure["owner"]["name"] = "<img src=x onerror=alert(2)>"
    second = list(data["exposures"].values())[1]
    second["url"] = "\x01javascript:alert(5)"
    node = data["nodes"][FCT]
    node["description"] = "<script>alert(3)</script> & **bold** `code` [x](javascript:alert(4))"
    first_column = next(iter(node["columns"].values()))
    first_column["description"] = "<img src=y onerror=alert(6)>"
    path = tmp_path / "hostile_manifest.json"
    path.write_text(json.dumps(data))
    return path


class Elements(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def _unescaped(markdown: str, raw: str) -> bool:
    return re.search(rf"(?<!\\){re.escape(raw)}", markdown) is not None


# --- safe to publish --------------------------------------------------------------------------------------------


def test_catalog_html_links_only_http_https_mailto(hostile_manifest: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalog"
    proc = run_dp("catalog", "--manifest", str(hostile_manifest), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    page = (out / "catalog.html").read_text()
    elements = Elements(page).elements
    assert {tag for tag, _ in elements}.isdisjoint({"script", "img", "iframe", "object", "embed"})
    for tag, attrs in elements:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "http://", "https://", "mailto:")), href
    assert "javascript:alert(1)" in page  # shown as text
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page
    assert '<a href="https://bi.example.com/dashboards/retention" rel="noopener noreferrer">' in page


def test_catalog_markdown_escapes_html(hostile_manifest: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalog"
    proc = run_dp("catalog", "--manifest", str(hostile_manifest), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    markdown = (out / "catalog.md").read_text()
    for raw in ("<script", "<img", "<javascript:", "<\x01", "](javascript:"):
        assert not _unescaped(markdown, raw), raw
    assert "\\<script\\>alert(3)\\</script\\> & **bold** `code` \\[x\\](javascript:alert(4))" in markdown
    assert "owned by \\<img src=x onerror=alert(2)\\>" in markdown
    assert "<https://bi.example.com/dashboards/retention>" in markdown  # a safe URL stays a link


@pytest.mark.parametrize("mask", [0o022, 0o027], ids=["umask022", "umask027"])
def test_outputs_follow_the_umask(tmp_path: Path, mask: int) -> None:
    file_mode, dir_mode = 0o666 & ~mask, 0o777 & ~mask
    reports = tmp_path / "reports"
    catalog = run_dp(
        "catalog", "--manifest", str(FIXTURE), env={"DP_REPORTS_DIR": str(reports)}, preexec=_umask(mask)
    )
    assert catalog.returncode == 0, catalog.stderr
    diff = run_dp(
        "diff",
        "--state",
        str(FIXTURE),
        "--manifest",
        str(FIXTURE),
        "--output",
        str(tmp_path / "new" / "folder" / "changelog.md"),
        preexec=_umask(mask),
    )
    assert diff.returncode == 0, diff.stderr
    export = run_dp(
        "export",
        "odcs",
        "--manifest",
        str(FIXTURE),
        "--output",
        str(tmp_path / "contracts"),
        preexec=_umask(mask),
    )
    assert export.returncode == 0, export.stderr
    written = [
        *(reports / "catalog").iterdir(),
        tmp_path / "new" / "folder" / "changelog.md",
        *(tmp_path / "contracts").rglob("*.yaml"),
    ]
    assert len(written) > 5
    folders = [
        reports,
        reports / "catalog",
        tmp_path / "new",
        tmp_path / "new" / "folder",
        tmp_path / "contracts",
    ]
    folders += [p for p in (tmp_path / "contracts").iterdir() if p.is_dir()]
    assert {str(p): oct(p.stat().st_mode & 0o777) for p in written} == {
        str(p): oct(file_mode) for p in written
    }
    assert {str(p): oct(p.stat().st_mode & 0o777) for p in folders} == {
        str(p): oct(dir_mode) for p in folders
    }


# --- OS errors: exit 2, one line naming the path --------------------------------------------------------------


def test_reports_dir_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file")
    proc = run_dp("catalog", "--manifest", str(FIXTURE), env={"DP_REPORTS_DIR": str(blocker)})
    line = _one_error_line(proc)
    assert (
        line == f"dp: error: {blocker}/catalog/catalog.json: cannot write ({blocker} is a file, not a folder)"
    )
    assert blocker.read_text() == "a file"


def test_diff_output_into_a_missing_folder_creates_it_and_a_file_parent_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "some" / "missing" / "dir" / "changelog.md"
    args = ("diff", "--state", str(FIXTURE), "--manifest", str(FIXTURE), "--output")
    proc = run_dp(*args, str(target))
    assert proc.returncode == 0, proc.stderr
    assert target.read_text().startswith("# Data product changelog")

    (tmp_path / "afile").write_text("x")
    proc = run_dp(*args, str(tmp_path / "afile" / "changelog.md"))
    line = _one_error_line(proc)
    assert line == (
        f"dp: error: {tmp_path / 'afile' / 'changelog.md'}: cannot write ({tmp_path / 'afile'} is a file, "
        "not a folder)"
    )
    proc = run_dp(*args, str(tmp_path / "some"))  # a folder where the changelog should go
    assert _one_error_line(proc) == f"dp: error: {tmp_path / 'some'}: cannot write (it is a folder)"


def _previous_catalog(out: Path) -> dict[str, str]:
    out.mkdir(parents=True)
    previous = {name: f"previous {name}" for name in ("catalog.json", "catalog.md", "catalog.html")}
    for name, content in previous.items():
        (out / name).write_text(content)
    return previous


def test_a_file_too_large_for_the_catalog_exits_2_and_keeps_the_previous_catalog(tmp_path: Path) -> None:
    """RLIMIT_FSIZE in the child: the first write past 8 KiB fails with EFBIG, for real."""
    out = tmp_path / "catalog"
    previous = _previous_catalog(out)
    proc = run_dp("catalog", "--manifest", str(FIXTURE), "--output", str(out), preexec=_file_size_limit(8192))
    line = _one_error_line(proc)
    assert re.fullmatch(
        rf"dp: error: {re.escape(str(out))}/catalog\.\w+: cannot write \(File too large\)", line
    )
    assert {p.name: p.read_text() for p in out.iterdir()} == previous  # all three as they were
    assert _leftovers(out) == []


def test_a_file_too_large_for_the_changelog_and_contracts_exits_2(tmp_path: Path) -> None:
    changelog = tmp_path / "changelog.md"
    changelog.write_text("previous")
    proc = run_dp(
        "diff",
        "--state",
        str(FIXTURE),
        "--manifest",
        str(FIXTURE),
        "--output",
        str(changelog),
        preexec=_file_size_limit(16),
    )
    assert _one_error_line(proc) == f"dp: error: {changelog}: cannot write (File too large)"
    assert changelog.read_text() == "previous"
    proc = run_dp(
        "export",
        "odcs",
        "--manifest",
        str(FIXTURE),
        "--output",
        str(tmp_path / "contracts"),
        preexec=_file_size_limit(512),
    )
    assert re.fullmatch(r"dp: error: .*\.odcs\.yaml: cannot write \(File too large\)", _one_error_line(proc))
    assert not list((tmp_path / "contracts").rglob("*.yaml"))
    assert _leftovers(tmp_path) == []


@pytest.fixture()
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, filled up: a real "No space left on device". Needs root and a permitted mount."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("NOT TESTED: a full disk on tmpfs needs root (RLIMIT_FSIZE tests cover EFBIG)")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"NOT TESTED: cannot mount a tmpfs here ({proc.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_exits_2_naming_the_catalog_file(full_disk: Path) -> None:
    out = full_disk / "reports" / "catalog"
    previous = _previous_catalog(out)
    filler = full_disk / "filler"
    with filler.open("wb") as handle:  # leave about 8 KiB: the new catalog needs about 30
        handle.write(b"\0" * (40 * 1024))
    proc = run_dp("catalog", "--manifest", str(FIXTURE), env={"DP_REPORTS_DIR": str(full_disk / "reports")})
    line = _one_error_line(proc)
    assert re.fullmatch(
        rf"dp: error: {re.escape(str(out))}/catalog\.\w+: cannot write \(No space left on device\)", line
    )
    assert {p.name: p.read_text() for p in out.iterdir()} == previous
    assert _leftovers(out) == []
