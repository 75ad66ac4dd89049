"""File helpers of the governance writers (shared with the rest of the runner, see ``dataproducts.fileio``)."""

from __future__ import annotations

from dataproducts.fileio import write_all_atomic, write_atomic

__all__ = ["write_all_atomic", "write_atomic"]
