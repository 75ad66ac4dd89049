"""Service-level objectives per data product: SLIs, history, error budgets and the SLO report.

``model`` holds the vocabulary (statuses, SLI results, targets), ``slis`` and ``budgets`` are pure functions
over plain values, ``evidence`` gathers what one run produced (dbt artifacts, validation results, warehouse
facts), ``history`` is the DuckDB store of past runs, and ``report`` assembles the JSON document and writes
it with the rendered Markdown and HTML. See ``docs/slo.md``.
"""
