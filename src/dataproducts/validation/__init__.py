"""Validate data products with their Great Expectations suites (``dp validate``).

``suites`` reads and checks suite files; ``registry`` is the one table of compiled expectation types (each
with its compiler builder and native spec) and of engine names; ``engine`` holds the ``Engine`` protocol and
the factory ``open_engine``; one module per engine: ``gx_engine`` (GX on DuckDB, through ``gx_duckdb``, the
one place for that workaround), ``sql.engine`` (compiled SQL, results by ``native``) and ``auto_engine``
(compiled where supported, GX for the rest); ``runner`` handles selection, results, the summary
(``results``), Data Docs and the exit status.
"""
