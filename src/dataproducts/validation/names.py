"""The names of the validation engines, defined once (importing this module imports nothing else).

The registry (:mod:`dataproducts.validation.registry`) re-exports them; the CLI's ``--engine`` choices read
them from here so that parsing the command line does not import the compiler.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Engine(StrEnum):
    """The engine that evaluated the suites (``auto``: compiled SQL, GX where it is unsure)."""

    AUTO = "auto"
    GX = "gx"
    SQL = "sql"


ENGINE_NAMES: Final[tuple[str, ...]] = tuple(e.value for e in Engine)
DEFAULT_ENGINE: Final[Engine] = Engine.AUTO
