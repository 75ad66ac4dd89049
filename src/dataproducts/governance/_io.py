"""File helpers of the governance writers (shared with the rest of the runner)."""

from __future__ import annotations

from dataproducts.fileio import write_atomic

__all__ = ["write_atomic"]
