"""The compiled SQL validation engine: a whole suite in one scan of the table, with GX's exact results.

See ``docs/engine.md``. :mod:`.compiler` turns expectations into SQL checks; :mod:`.engine` runs them
(``SqlEngine``) and merges with Great Expectations for what is not compiled (``AutoEngine``).
"""

from dataproducts.validation.sql.compiler import SUPPORTED_TYPES, Unsupported
from dataproducts.validation.sql.engine import AutoEngine, SqlEngine

__all__ = ["SUPPORTED_TYPES", "AutoEngine", "SqlEngine", "Unsupported"]
