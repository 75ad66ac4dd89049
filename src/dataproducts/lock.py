"""One writer at a time: the project lock, and whether dbt is writing the warehouse right now.

The lock is a file (``<runs>/.lock``) held with ``flock``: the kernel releases it when its holder exits,
however it exits, so a lock left by a killed process is simply taken over by the next command. The file
also says who holds it (pid, command, start time), so a second writer can name the holder in one line.

dbt run by hand takes no lock of ours. ``dbt_writers`` finds dbt processes writing this project's warehouse
(Linux ``/proc``: a ``dbt build|run|seed|snapshot|test`` whose project and warehouse are ours), so that
``dp validate`` and ``dp report`` never read a warehouse while dbt rebuilds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dataproducts.errors import LockError, OutputError

LOCK_FILE = ".lock"
POLL_SECONDS = 0.5
HOLDER_WAIT = 1.0  # how long a refused command waits for the holder to describe itself
DBT_WRITE_COMMANDS = frozenset({"build", "run", "seed", "snapshot", "test", "run-operation", "retry"})
_DBT_COMMANDS = DBT_WRITE_COMMANDS | {
    "parse",
    "compile",
    "docs",
    "source",
    "ls",
    "list",
    "show",
    "debug",
    "clean",
}


@dataclass(frozen=True)
class Holder:
    pid: int | None
    command: str
    started_at: str

    def describe(self) -> str:
        pid = f"pid {self.pid}" if self.pid else "an unknown process"
        return f"{pid} ({self.command}, started {self.started_at})"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _alive(pid: int) -> bool:
    """Whether a process with this pid runs (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    return True


def _read_holder(path: Path) -> Holder:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    pid = data.get("pid")
    return Holder(
        pid if isinstance(pid, int) else None,
        str(data.get("command") or "unknown command"),
        str(data.get("started_at") or "unknown time"),
    )


class ProjectLock:
    """The project's write lock; use ``acquire_lock`` (a context manager)."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create the project lock ({exc.strerror})") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise OutputError(f"{self.path}: cannot lock ({exc.strerror})") from exc
        # ours: say who holds it (a holder killed earlier left its own text here; it is replaced)
        record = json.dumps({"pid": os.getpid(), "command": self.command, "started_at": _now()})
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, record.encode() + b"\n", 0)
        except OSError:
            pass  # the lock holds even when its description cannot be written (disk full)
        self._fd = fd
        return True

    def holder(self) -> Holder:
        """Who holds the lock. The holder describes itself just after ``flock``: a description not yet
        written (or just cleared), or one a killed holder left behind (its pid no longer runs, and the new
        holder has not replaced it yet), is read again for up to ``HOLDER_WAIT`` seconds."""
        deadline = time.monotonic() + HOLDER_WAIT
        holder = _read_holder(self.path)
        while (holder.pid is None or not _alive(holder.pid)) and time.monotonic() < deadline:
            time.sleep(0.02)
            holder = _read_holder(self.path)
        return holder

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def wait_for(
    what: Callable[[], bool], wait: float | None, describe: Callable[[], str], *, poll: float = POLL_SECONDS
) -> None:
    """Call ``what`` until it is true; raise ``LockError(describe())`` at once (``wait`` None or 0) or after
    ``wait`` seconds (``wait`` < 0: forever)."""
    deadline = None if wait is None or wait < 0 else time.monotonic() + wait
    while not what():
        if wait is None or wait == 0 or (deadline is not None and time.monotonic() >= deadline):
            raise LockError(describe())
        time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))


@contextlib.contextmanager
def acquire_lock(runs_dir: Path, command: str, *, wait: float | None = None) -> Iterator[ProjectLock]:
    """Hold the project lock for ``command`` (``dp nightly``): exit 2 naming the holder, or wait ``wait``
    seconds for it (``--wait``)."""
    lock = ProjectLock(runs_dir / LOCK_FILE, command)

    def busy() -> str:
        holder = lock.holder()
        waited = f" after waiting {wait:g}s" if wait else ""
        return (
            f"{lock.path}: the project is locked by {holder.describe()}{waited}; "
            "retry when it has finished, or use --wait [SECONDS]"
        )

    wait_for(lock.try_acquire, wait, busy)
    try:
        yield lock
    finally:
        lock.release()


# --- dbt writing the warehouse ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DbtProcess:
    pid: int
    command: str
    started_at: str

    def describe(self) -> str:
        return f"dbt {self.command} (pid {self.pid}, started {self.started_at})"


def _proc_started(pid: int) -> str:
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        started = time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
        return dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    except (OSError, ValueError, IndexError):
        return "unknown time"


def _dbt_command(argv: list[str]) -> str | None:
    """The dbt subcommand of a command line, when it is dbt's (``.../bin/dbt build ...``)."""
    for index, arg in enumerate(argv[:3]):
        if Path(arg).name == "dbt":
            rest = [a for a in argv[index + 1 :] if a and not a.startswith("-")]
            return next((a for a in rest if a in _DBT_COMMANDS), rest[0] if rest else "")
    return None


def _option(argv: list[str], name: str) -> str | None:
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def dbt_writers(project_dir: Path, warehouse: Path, default_warehouse: str) -> list[DbtProcess]:
    """Live dbt processes that write ``warehouse`` of the project in ``project_dir`` (Linux ``/proc``)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    found = []
    me = os.getpid()
    project = project_dir.resolve()
    target = warehouse.resolve()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            command = _dbt_command(argv)
            if command not in DBT_WRITE_COMMANDS:
                continue
            cwd = (entry / "cwd").readlink()
            raw_project = _option(argv, "--project-dir")
            their_project = (cwd / raw_project).resolve() if raw_project else cwd.resolve()
            if their_project != project:
                continue
            env = dict(
                item.split("=", 1)
                for item in (entry / "environ").read_bytes().decode(errors="replace").split("\0")
                if "=" in item
            )
        except (OSError, ValueError):
            continue  # gone, or not ours to read
        raw_wh = env.get("DP_WAREHOUSE") or default_warehouse
        their_wh = Path(raw_wh) if Path(raw_wh).is_absolute() else their_project / raw_wh
        if their_wh.resolve() != target:
            continue
        found.append(DbtProcess(int(entry.name), command, _proc_started(int(entry.name))))
    return sorted(found, key=lambda p: p.pid)
