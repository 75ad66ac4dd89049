"""The compiled SQL validation engine: a whole suite in one scan of the table, with GX's exact results.

See ``docs/engine.md``. :mod:`.compiler` turns expectations into SQL checks, :mod:`.dialect` writes what
differs between DuckDB's SQL and Spark's, :mod:`.catalog` reads what the warehouse knows about each relation,
:mod:`.engine` runs the checks (``SqlEngine``, the ``sql`` engine).
Which type compiles with which builder is said in :mod:`dataproducts.validation.registry`.
"""
