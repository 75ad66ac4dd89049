"""The SLO report document as one pydantic model: what ``dp report`` writes to ``slo_report.json``.

The model is the one place that says what a valid report is. Its JSON Schema
(``schemas/slo_report.schema.json``, published as ``docs/schemas/slo_report.schema.json``) is generated from
it by ``python -m dataproducts.schemas``; a test fails when the committed file differs. Semantics of every
value: docs/slo.md.

Our own objects forbid keys they do not declare (a misspelled key is a bug, not an extension); the free-form
parts (an SLI's ``details``, a check's ``samples``) are plain JSON. Keys added after 1.0 are optional, so an
older document still validates: ``run_id``, ``partial``, ``selection``, a trend point's ``run_id`` and
``missed`` status, ``error_budget.missed_runs``, ``inputs.run_record``.

``SloReportDocument.model_validate(doc).to_json_dict() == doc`` for every document the report builds: the
renderers keep taking that dict.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    WithJsonSchema,
)

from dataproducts.constants import Severity
from dataproducts.schemas import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    first_error,
    model_schema,
    packaged_schema,
)
from dataproducts.slo.model import Status

SCHEMA_FILE = "slo_report.schema.json"
SCHEMA_ID = "https://dataproducts.example.com/schemas/slo_report/1.0.json"
SCHEMA_TITLE = "SLO report"
SCHEMA_DESCRIPTION = (
    "What `dp report` writes to reports/latest/slo_report.json: every data product's service level "
    "indicators for one dbt invocation, its error budget over a rolling window of runs and its trend. "
    "Semantics in docs/slo.md. Generated from dataproducts.slo.document.SloReportDocument. Within "
    "schema_version 1.x new keys may be added (each optional); a consumer should ignore keys it does not know."
)

Timestamp = Annotated[AwareDatetime, Field(json_schema_extra={"pattern": DATETIME_PATTERN})]
Day = Annotated[dt.date, Field(json_schema_extra={"pattern": DATE_PATTERN})]
# An integer stays an integer (the JSON reads as it was written); the schema says "number".
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
Ratio = Annotated[float, Field(gt=0, lt=1)]


class SliName(StrEnum):
    """The five service level indicators every data product is judged on."""

    FRESHNESS = "freshness"
    AVAILABILITY = "availability"
    COMPLETENESS = "completeness"
    VALIDITY = "validity"
    SCHEMA_STABILITY = "schema_stability"


class TrendStatus(StrEnum):
    """A run's status in the trend: a status, or ``missed`` for a night without a run."""

    MET = "met"
    AT_RISK = "at_risk"
    UNKNOWN = "unknown"
    BREACHED = "breached"
    MISSED = "missed"


class SliUnit(StrEnum):
    """The unit of an SLI's value."""

    HOURS = "hours"
    RATIO = "ratio"
    COUNT = "count"


class CheckSource(StrEnum):
    """Who ran a check: a Great Expectations suite or a dbt data test."""

    GX = "gx"
    DBT = "dbt"


class CheckStatus(StrEnum):
    """Why a check is listed: it ran and failed, or it could not run (an error, never a pass)."""

    FAILED = "failed"
    ERROR = "error"


class ChangeKind(StrEnum):
    """What changed in a product's relations since the previous run."""

    COLUMN_ADDED = "column_added"
    COLUMN_REMOVED = "column_removed"
    TYPE_CHANGED = "type_changed"
    RELATION_ADDED = "relation_added"
    RELATION_REMOVED = "relation_removed"


class _Object(BaseModel):
    """One of our own objects: every key is declared."""

    model_config = ConfigDict(extra="forbid")


# --- parts ------------------------------------------------------------------------------------------------------


class StatusSummary(_Object):
    """How many products have each status."""

    met: NonNegativeInt
    at_risk: NonNegativeInt
    unknown: NonNegativeInt
    breached: NonNegativeInt


class Owner(_Object):
    """A product's owner (from its descriptor)."""

    team: str | None
    name: str | None
    email: str | None


class Person(_Object):
    """Who owns an exposure."""

    name: str | None
    email: str | None


class SliTarget(_Object):
    """Bounds the value must keep: `min` and/or `max` in the SLI's unit."""

    min: Number | None = None
    max: Number | None = None


class SliResult(_Object):
    """One SLI of one product in this run."""

    status: Status
    value: Number | None = Field(
        description="The measured value in `unit`; null when it could not be measured."
    )
    unit: SliUnit
    target: SliTarget = Field(description="Bounds the value must keep: `min` and/or `max` in the SLI's unit.")
    reason: str = Field(min_length=1, description="Why the SLI has its status, in one sentence.")
    details: dict[str, Any] = Field(description="What the SLI was computed from (free-form, per SLI).")


class ProductSlis(_Object):
    """The product's five SLIs in this run."""

    freshness: SliResult
    availability: SliResult
    completeness: SliResult
    validity: SliResult
    schema_stability: SliResult


class SliBudget(_Object):
    """One SLI's error budget over the window."""

    objective: Ratio = Field(description="Share of good runs promised over the window.")
    runs: NonNegativeInt = Field(
        description="Runs in the window where the SLI was met, at risk or breached (unknown excluded)."
    )
    bad_runs: NonNegativeInt
    attainment: float | None = Field(description="Good runs / runs.")
    remaining: float | None = Field(
        description="Share of the error budget left: 1 - burn_rate; negative when overspent."
    )
    burn_rate: Annotated[float, Field(ge=0)] | None = Field(
        description="(bad runs / runs) / (1 - objective)."
    )


class ErrorBudget(_Object):
    """The product's error budget over the window (a run is bad when any SLI is breached), and each SLI's."""

    window_days: PositiveInt
    objective: Ratio = Field(description="Share of good runs promised over the window.")
    runs: NonNegativeInt = Field(description="Runs in the window that were judged (unknown excluded).")
    good_runs: NonNegativeInt
    bad_runs: NonNegativeInt
    attainment: float | None = Field(description="Good runs / runs.")
    remaining: float | None = Field(
        description="Share of the error budget left: 1 - burn_rate; negative when overspent."
    )
    burn_rate: Annotated[float, Field(ge=0)] | None = Field(
        description="(bad runs / runs) / (1 - objective)."
    )
    per_sli: dict[SliName, SliBudget]
    missed_runs: NonNegativeInt | None = Field(
        default=None, description="Nights in the window without a run (absent in reports before run records)."
    )


class TrendPoint(_Object):
    """One run of the product in the window."""

    date: Day = Field(description="The run's as-of day.")
    invocation_id: str | None = Field(
        default=None, description="The dbt invocation of the run; null for a missed run."
    )
    run_id: str | None = Field(default=None, description="The run record's id, when the run has one.")
    status: TrendStatus
    slis: dict[SliName, Status] = Field(
        default_factory=dict, description="Each SLI's status in that run (empty for a missed run)."
    )


class FailingCheck(_Object):
    """A check of the product that failed or could not run in this run."""

    source: CheckSource
    name: str
    column: str | None
    severity: Severity
    status: CheckStatus
    unexpected_count: int | None
    element_count: int | None
    samples: list[Any] = Field(description="Raw unexpected values, not escaped: a renderer must escape them.")
    message: str | None


class ProductLinks(_Object):
    """Where to read more about the product."""

    dbt_docs: str | None = Field(
        description="Relative link from the report's directory into the dbt docs site."
    )
    data_docs: str | None = Field(description="Relative link from the report's directory into GX Data Docs.")


class SchemaChange(_Object):
    """A change to one of the product's relations since the previous run."""

    product: str
    relation: str | None = None
    change: ChangeKind
    column: str | None
    before: str | None = Field(description="The column's type before (null when it was added).")
    after: str | None = Field(description="The column's type after (null when it was removed).")


class Exposure(_Object):
    """A consumer of the product (a dbt exposure)."""

    name: str
    type: str | None = None
    owner: Person
    url: str | None


class ProductVersion(_Object):
    """One version of the product (a dbt model version)."""

    version: str | None
    relation: str
    is_latest: bool
    deprecation_date: Day | None = None


class Deprecation(_Object):
    """A product version whose deprecation date is near or past, and who still consumes it."""

    product: str
    version: str | None
    relation: str | None = None
    deprecation_date: Day
    days_left: int = Field(description="Negative once the date has passed.")
    exposures: list[Exposure]


class ProductReport(_Object):
    """One data product's entry in the report."""

    id: str = Field(pattern=r"^[^.]+\.[^.]+$", description="<domain>.<product>")
    name: str
    domain: str
    owner: Owner
    description: str
    relation: str
    unique_id: str | None = None
    versions: list[ProductVersion] | None = None
    status: Status = Field(
        description=(
            "The worst SLI of this run; at_risk when the run is fine but the error budget burns faster than 1."
        )
    )
    run_status: Status | None = Field(
        default=None, description="The worst SLI of this run (what the history records)."
    )
    status_reason: str
    row_count: NonNegativeInt | None = None
    slis: ProductSlis
    error_budget: ErrorBudget
    trend: list[TrendPoint] = Field(description="Runs in the window, oldest first, including this one.")
    failing_checks: list[FailingCheck]
    links: ProductLinks
    schema_changes: list[SchemaChange]
    exposures: list[Exposure]


class InputFile(_Object):
    """One file the report was computed from."""

    path: str
    invocation_id: str | None
    generated_at: str | None = Field(default=None, description="As the file's producer wrote it.")
    used: bool = Field(default=True, description="False when the file was missing or stale and not read.")
    note: str | None = Field(default=None, description="Why the file was not used.")


class HistoryInput(_Object):
    """The SLO history the budgets and trends were computed from."""

    path: str
    runs_before: NonNegativeInt | None = Field(
        default=None, description="Runs in the history before this one."
    )


class ReportInputs(_Object):
    """The files and invocations the report was computed from."""

    project_dir: str | None = None
    as_of_origin: str | None = Field(default=None, description="Where the as-of day came from.")
    run_record: str | None = Field(default=None, description="The folder of the run record judged.")
    manifest: InputFile
    run_results: InputFile
    sources: InputFile
    validation: InputFile
    warehouse: str | None = None
    history: HistoryInput
    dbt_docs: str | None = None


class SloReportDocument(_Object):
    """The SLO report: every data product's SLIs for one run, error budgets and trends."""

    model_config = ConfigDict(title=SCHEMA_TITLE)

    schema_version: str = Field(pattern=r"^1\.[0-9]+$")
    generated_at: Timestamp = Field(description="When the report was computed (UTC).")
    as_of: Timestamp = Field(description="The as-of time the run is judged at: the as-of day 06:00 UTC.")
    as_of_date: Day = Field(description="The as-of day D (the data covers the days before D).")
    invocation_id: str = Field(
        min_length=1, description="The dbt invocation (of `dbt build`) the report judges."
    )
    run_id: str | None = Field(default=None, description="The run record judged (absent before run records).")
    partial: bool = Field(
        default=False, description="True when the run judged only some products (--select)."
    )
    selection: list[str] | None = Field(default=None, description="The selectors of a partial run.")
    project: str | None
    window_days: PositiveInt = Field(
        description="The rolling window of the error budgets (the longest when products differ)."
    )
    overall_status: Status
    summary: StatusSummary
    products: list[ProductReport] = Field(description="Worst status first.")
    deprecations: list[Deprecation]
    schema_changes: list[SchemaChange]
    inputs: ReportInputs

    def to_json_dict(self) -> dict[str, Any]:
        """The document as JSON values, with exactly the keys it was built or read with."""
        return self.model_dump(mode="json", exclude_unset=True)


# --- schema and validation ------------------------------------------------------------------------------------


def generate_schema() -> dict[str, Any]:
    """The JSON Schema generated from ``SloReportDocument`` (what ``schemas/`` should hold)."""
    return model_schema(
        SloReportDocument, schema_id=SCHEMA_ID, title=SCHEMA_TITLE, description=SCHEMA_DESCRIPTION
    )


def report_schema() -> dict[str, Any]:
    """The published JSON Schema of the report (the committed, generated file)."""
    return packaged_schema(SCHEMA_FILE)


def validate_document(document: Mapping[str, Any]) -> SloReportDocument:
    """The document as its model; ``RuntimeError`` naming the first wrong key when it does not match.

    A mismatch is a bug in the code that built the document, not an input error. Types are checked strictly
    (as the JSON Schema does): ``"1"`` is no integer and ``true`` no number.
    """
    try:
        text = json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise RuntimeError(f"SLO report is not JSON: {exc}") from exc
    try:
        return SloReportDocument.model_validate_json(text, strict=True)
    except ValidationError as exc:
        where, message = first_error(exc, json.loads(text))
        raise RuntimeError(f"SLO report does not match its schema at {where}: {message}") from exc
