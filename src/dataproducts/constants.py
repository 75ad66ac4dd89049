"""Values the whole runner agrees on, each defined once.

Import from here rather than restating a value: the SLI names, the daily as-of time and the size limit on
distinct values are part of the documented behaviour (docs/slo.md, docs/engine.md) and must not drift.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

# The service level indicators, in report order (docs/slo.md).
SLI_NAMES: Final[tuple[str, ...]] = (
    "freshness",
    "availability",
    "completeness",
    "validity",
    "schema_stability",
)

# The SLIs a descriptor sets an objective for; schema stability is judged against the contract instead.
OBJECTIVE_SLIS: Final[tuple[str, ...]] = SLI_NAMES[:4]

# A run for as-of day D is judged at D 06:00 UTC: the nightly's deadline for D's data.
AS_OF_HOUR: Final[int] = 6
AS_OF_TIME: Final[dt.time] = dt.time(AS_OF_HOUR)


def as_of_datetime(day: dt.date) -> dt.datetime:
    """The as-of time of ``day``: D 06:00 UTC."""
    return dt.datetime.combine(day, AS_OF_TIME, tzinfo=dt.UTC)


def as_of_sql_literal(day: dt.date) -> str:
    """The as-of time of ``day`` as the ``YYYY-MM-DD HH:MM:SS`` text dbt variables and SQL take."""
    return f"{day.isoformat()} {AS_OF_TIME.isoformat()}"


# Distinct-value expectations (``expect_column_distinct_values_*``) compare at most this many values; a
# column with more is reported as such rather than loaded into memory.
MAX_DISTINCT_VALUES: Final[int] = 20


class Severity(StrEnum):
    """How much a failing check (GX expectation or dbt test) counts: only critical ones fail on their own."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"
