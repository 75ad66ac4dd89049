"""The project lock names its holder: never a killed earlier holder whose description is still in the file
while the new holder has taken the lock but not yet described itself (the race a two-nightlies trial met)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from dataproducts.lock import ProjectLock


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(proc.stdout)


def test_a_killed_holders_description_is_not_taken_for_the_new_holders(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    dead = _dead_pid()
    path.write_text(json.dumps({"pid": dead, "command": "dp nightly", "started_at": "earlier"}) + "\n")
    # the new holder: flock taken, its description written a moment later
    fd = os.open(path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def describe_later() -> None:
        time.sleep(0.3)
        os.ftruncate(fd, 0)
        record = {"pid": os.getpid(), "command": "dp nightly", "started_at": "now"}
        os.pwrite(fd, json.dumps(record).encode() + b"\n", 0)

    writer = threading.Thread(target=describe_later)
    writer.start()
    try:
        second = ProjectLock(path, "dp nightly")
        assert not second.try_acquire()
        holder = second.holder()
    finally:
        writer.join()
        os.close(fd)
    assert holder.pid == os.getpid(), f"named {holder.pid} (the dead earlier holder was {dead})"
    assert holder.started_at == "now"


def test_a_live_holder_is_named_at_once(tmp_path: Path) -> None:
    first = ProjectLock(tmp_path / ".lock", "dp nightly")
    assert first.try_acquire()
    try:
        second = ProjectLock(tmp_path / ".lock", "dp validate")
        assert not second.try_acquire()
        started = time.monotonic()
        holder = second.holder()
        assert holder.pid == os.getpid() and holder.command == "dp nightly"
        assert time.monotonic() - started < 0.5
    finally:
        first.release()
