"""dataproducts: governed data products on dbt + DuckDB, checked by Great Expectations, judged by SLOs."""

__version__ = "0.1.0"
