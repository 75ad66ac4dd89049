"""Atomic file and directory writes: a reader sees the old output or the new one, never half of either."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same directory and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def swap_in_dir(staging: Path, final: Path) -> None:
    """Replace the directory ``final`` by ``staging`` (same parent) with renames only.

    If the second rename fails, the previous ``final`` is put back.
    """
    old: Path | None = None
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
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
