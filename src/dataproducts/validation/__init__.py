"""Validate data products with their Great Expectations suites (``dp validate``).

``gx_duckdb`` makes GX 1.24 work on DuckDB (the one place for that workaround), ``suites`` reads and checks
suite files, ``engine`` validates one product with one suite, ``runner`` handles selection, results, the
summary, Data Docs and the exit status.
"""
