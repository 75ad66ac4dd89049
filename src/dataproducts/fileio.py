"""Writing outputs: atomically, with the modes the umask gives, and every OS error one line naming the path.

A reader sees the old output or the new one, never half of either: files are written to a temporary name in
the same folder and renamed over the target; folders are built in a staging folder and swapped in with
renames. Files and folders are created the way ``open`` and ``mkdir`` create them (0666 and 0777 less the
umask: 0644/0755 under the usual umask 022), never 0600/0700 as ``tempfile.mkstemp``/``mkdtemp`` would, so a
web server running as another user can publish them.

Every ``OSError`` met while writing (disk full, file too large, permission denied, a parent that is a file)
becomes an ``OutputError`` (exit 2) whose message names the output and the OS reason, e.g.
``reports/catalog/catalog.html: cannot write (No space left on device)``; the temporary file or folder is
removed and the previous output is left as it was.

Temporary names carry the writer's process id (``.<name>.<pid>.<random>.tmp``, ``<prefix><pid>-<random>``,
``.<name>-old-<pid>``), so that what a killed run left behind is recognised and removed by the next writer of
the same output: a leftover is removed only when its process no longer runs.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dataproducts.errors import ConfigError, OutputError

__all__ = [
    "current_umask",
    "ensure_dir",
    "make_staging_dir",
    "output_error",
    "remove_stale",
    "swap_in_dir",
    "write_all_atomic",
    "write_atomic",
]

_FILE_MODE = 0o666  # less the umask, applied by the kernel
_DIR_MODE = 0o777


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX separators) when it lies below it, else as given: how messages
    and reports name a file."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux: ``/proc/self/status``)."""
    try:
        with Path("/proc/self/status").open(encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but nothing here runs threads)
    os.umask(mask)
    return mask


def _reason(exc: OSError) -> str:
    if exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def _blocking_file(path: Path, *, folder: bool) -> Path | None:
    """The nearest ancestor of ``path`` (or ``path`` itself when it is to be a ``folder``) that exists and is
    not a folder: what makes writing impossible."""
    for parent in (path, *path.parents) if folder else path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
        if parent.is_symlink():  # a dangling link: mkdir would fail on it
            return parent
    return None


def output_error(path: Path, exc: OSError, *, folder: bool = False) -> OutputError:
    """The one-line error for an ``OSError`` met while writing the output ``path`` (a file, or a ``folder``)."""
    path = Path(path)
    blocker = _blocking_file(path, folder=folder)
    if blocker is not None and exc.errno in (errno.ENOTDIR, errno.EEXIST, errno.ENOENT):
        return OutputError(f"{path}: cannot write ({blocker} is a file, not a folder)")
    return OutputError(f"{path}: cannot write ({_reason(exc)})")


def ensure_dir(path: Path) -> Path:
    """Create the folder ``path`` and its missing parents (modes follow the umask); ``OutputError`` if not."""
    path = Path(path)
    try:
        path.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(path, exc, folder=True) from exc
    return path


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it runs, as another user
        return True
    return True


def remove_stale(parent: Path, pattern: str) -> list[Path]:
    """Remove the entries of ``parent`` whose whole name matches the regular expression ``pattern`` and
    whose group ``pid`` names a process that no longer runs: what killed writers left behind.

    Best effort: an entry that cannot be removed is left for the next run. Returns what was removed.
    """
    removed: list[Path] = []
    regex = re.compile(pattern)
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        match = regex.fullmatch(entry.name)
        if match is None or _pid_alive(int(match.group("pid"))):
            continue
        target = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(target)
            else:
                target.unlink()
        except OSError:
            continue
        removed.append(target)
    return removed


def _tmp_pattern(name: str) -> str:
    return rf"\.{re.escape(name)}\.(?P<pid>\d+)\.[0-9a-f]+\.tmp"


def _create_tmp(path: Path) -> tuple[int, Path]:
    """A new temporary file beside ``path``, opened for writing, mode 0666 less the umask."""
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), _FILE_MODE
            ), tmp
        except FileExistsError:
            continue


def _stage_file(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` (synced to disk); the caller renames it."""
    try:
        path.parent.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        remove_stale(path.parent, _tmp_pattern(path.name))
        fd, tmp = _create_tmp(path)
    except OSError as exc:
        raise output_error(path, exc) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise output_error(path, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _refuse_folder(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        raise OutputError(f"{path}: cannot write (it is a folder)")


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (parents created) through a temporary file and an atomic rename.

    ``OutputError`` naming ``path`` and the OS reason on any OS error; the previous file is then unchanged.
    """
    path = Path(path)
    _refuse_folder(path)
    tmp = _stage_file(path, text)
    try:
        tmp.replace(path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise output_error(path, exc) from exc
        raise
    return path


def write_all_atomic(items: Iterable[tuple[Path, str]]) -> list[Path]:
    """Write several files: all are written to temporary files first and renamed into place only when every
    one of them was written, so a full disk leaves the previous set of outputs, not a mix of old and new."""
    pending = [(Path(path), text) for path, text in items]
    staged: list[tuple[Path, Path]] = []
    try:
        for path, _ in pending:
            _refuse_folder(path)
        for path, text in pending:
            staged.append((_stage_file(path, text), path))
        while staged:
            tmp, path = staged[0]
            try:
                tmp.replace(path)
            except OSError as exc:
                raise output_error(path, exc) from exc
            staged.pop(0)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return [path for path, _ in pending]


def _staging_pattern(prefix: str) -> str:
    return rf"{re.escape(prefix)}(?P<pid>\d+)-[0-9a-f]+"


def make_staging_dir(parent: Path, prefix: str) -> Path:
    """A new, empty staging folder ``<parent>/<prefix><pid>-<random>`` (mode 0777 less the umask) to build an
    output folder in before ``swap_in_dir`` moves it into place. ``parent`` is created when missing.

    Staging folders of the same ``prefix`` left by processes that no longer run (a killed run) are removed
    first. ``OutputError`` naming ``parent`` when it cannot be created or written.
    """
    parent = Path(parent)
    ensure_dir(parent)
    remove_stale(parent, _staging_pattern(prefix))
    while True:
        staging = parent / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            staging.mkdir(mode=_DIR_MODE)
        except FileExistsError:
            continue
        except OSError as exc:
            raise output_error(parent, exc, folder=True) from exc
        return staging


def _follow_umask(folder: Path) -> None:
    """Give ``folder`` (made by ``mkdtemp``: 0700) the mode ``mkdir`` would have given it."""
    mode = _DIR_MODE & ~current_umask()
    if folder.stat().st_mode & 0o777 != mode:
        folder.chmod(mode)


def swap_in_dir(staging: Path, final: Path) -> None:
    """Replace the folder ``final`` by ``staging`` (same parent) with renames only.

    ``staging`` gets the mode a new folder would get (0755 under umask 022) even if it was made 0700. If the
    second rename fails, the previous ``final`` is put back. ``OutputError`` naming ``final`` on any OS error
    (the caller removes ``staging``). Old folders left by killed swaps (``.<name>-old-<pid>``) are removed.
    """
    staging, final = Path(staging), Path(final)
    old: Path | None = None
    try:
        if final.exists() and not final.is_dir():
            raise OutputError(f"{final}: cannot write (it is a file, not a folder)")
        _follow_umask(staging)
        remove_stale(final.parent, rf"\.{re.escape(final.name)}-old-(?P<pid>\d+)")
        if final.exists():
            old = final.with_name(f".{final.name}-old-{os.getpid()}")
            if old.exists():
                shutil.rmtree(old)
            final.rename(old)
        try:
            staging.rename(final)
        except OSError:
            if old is not None:
                old.rename(final)
                old = None
            raise
    except OSError as exc:
        raise output_error(final, exc) from exc
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_yaml(path: Path, shown: str | None = None) -> Any:
    """The YAML document in ``path``; a ``ConfigError`` naming the file (``shown``, else the path) when it
    cannot be read or parsed."""
    import yaml

    name = shown or str(path)
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: cannot read ({exc.__class__.__name__})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML ({exc.__class__.__name__})") from exc
