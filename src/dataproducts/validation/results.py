"""The validation results of one ``dp validate`` run as one pydantic model: what ``summary.json`` holds.

The model is the one place that says what a valid summary is. Its JSON Schema
(``schemas/validation_summary.schema.json``, published as ``docs/schemas/validation_summary.schema.json``)
is generated from it by ``python -m dataproducts.schemas``. ``load_summary`` reads a summary for the SLO
report: a wrong type or value is an ``ArtifactError`` naming the file and the key, never a silent default.

Our own objects forbid keys they do not declare; an expectation's ``kwargs`` and ``observed_value`` are GX's
and stay free-form JSON. ``run_id`` and ``selection`` came with run records and are optional.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    ValidationError,
    WithJsonSchema,
)

from dataproducts.constants import Severity
from dataproducts.errors import ArtifactError
from dataproducts.schemas import DATE_PATTERN, DATETIME_PATTERN, first_error, model_schema, packaged_schema
from dataproducts.validation.names import Engine

SUMMARY_VERSION = 1
SCHEMA_FILE = "validation_summary.schema.json"
SCHEMA_ID = "https://dataproducts.example.com/schemas/validation_summary/1.json"
SCHEMA_TITLE = "Validation summary"
SCHEMA_DESCRIPTION = (
    "What `dp validate` writes to <target>/validation/summary.json: each validated data product's Great "
    "Expectations suite result, rolled up per expectation and per product. The SLO report reads it for the "
    "validity SLI. Generated from dataproducts.validation.results.ValidationSummaryModel."
)

Timestamp = Annotated[AwareDatetime, Field(json_schema_extra={"pattern": DATETIME_PATTERN})]
Day = Annotated[dt.date, Field(json_schema_extra={"pattern": DATE_PATTERN})]
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]


class OutcomeStatus(StrEnum):
    """An expectation's or a product's outcome: an expectation that could not run is an error, never a pass."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


class _Object(BaseModel):
    """One of our own objects: every key is declared."""

    model_config = ConfigDict(extra="forbid")


class ExpectationResult(_Object):
    """One expectation of a product's suite in this run."""

    type: str = Field(min_length=1, description="The GX expectation type.")
    column: str | None = Field(description="The column checked, when the expectation has one.")
    kwargs: dict[str, Any] = Field(description="The expectation's parameters as evaluated (GX's kwargs).")
    severity: Severity
    status: OutcomeStatus
    element_count: NonNegativeInt | None
    unexpected_count: NonNegativeInt | None
    unexpected_percent: Number | None
    missing_count: NonNegativeInt | None
    observed_value: Any = Field(
        description="GX's observed value (any JSON value), for aggregate expectations."
    )
    partial_unexpected_list: list[Any] = Field(
        description="A sample of unexpected values, raw (not escaped)."
    )
    exception: str | None = Field(description="Why the expectation could not be evaluated (status error).")


class ValidationStatistics(_Object):
    """Counts over the product's expectations, and GX's own verdict."""

    evaluated_expectations: NonNegativeInt
    passed: NonNegativeInt
    failed: NonNegativeInt
    errors: NonNegativeInt
    failed_critical: NonNegativeInt
    failed_warning: NonNegativeInt
    failed_info: NonNegativeInt
    gx_success: bool
    gx_success_percent: Number | None


class ProductValidation(_Object):
    """One data product's suite result."""

    id: str = Field(pattern=r"^[^.]+\.[^.]+$", description="<domain>.<product>")
    unique_id: str = Field(description="The dbt node validated (the product's latest version).")
    relation: str
    suite: str = Field(description="The suite file, relative to the project.")
    result_file: str = Field(description="GX's full result, relative to the summary's folder.")
    success: bool = Field(description="True when status is passed.")
    status: OutcomeStatus = Field(
        description="error when any expectation could not run, failed when a critical one failed, else passed."
    )
    statistics: ValidationStatistics
    expectations: list[ExpectationResult]


class ValidationSummaryModel(_Object):
    """The summary of one ``dp validate`` run."""

    model_config = ConfigDict(title=SCHEMA_TITLE)

    schema_version: Literal[1] = Field(description="1: the only version this dp reads and writes.")
    invocation_id: str | None = Field(description="The dbt invocation whose manifest was validated.")
    run_id: str | None = Field(default=None, description="The run record the results belong to.")
    generated_at: Timestamp = Field(description="When the validation ran (UTC).")
    as_of: Day = Field(description="The as-of day the suites were evaluated for.")
    engine: Engine
    selection: list[str] | None = Field(
        default=None, description="The selectors of a partial run (--select); absent or null: every product."
    )
    products: list[ProductValidation]

    def product(self, product_id: str) -> ProductValidation | None:
        """The product's result, or None when it was not validated in this run."""
        return next((p for p in self.products if p.id == product_id), None)

    def to_json_dict(self) -> dict[str, Any]:
        """The summary as JSON values, with exactly the keys it was built or read with."""
        return self.model_dump(mode="json", exclude_unset=True)


# --- schema and loading ---------------------------------------------------------------------------------------


def generate_schema() -> dict[str, Any]:
    """The JSON Schema generated from ``ValidationSummaryModel`` (what ``schemas/`` should hold)."""
    return model_schema(
        ValidationSummaryModel, schema_id=SCHEMA_ID, title=SCHEMA_TITLE, description=SCHEMA_DESCRIPTION
    )


def summary_schema() -> dict[str, Any]:
    """The published JSON Schema of the summary (the committed, generated file)."""
    return packaged_schema(SCHEMA_FILE)


def parse_summary(text: str | bytes, source: str = "validation summary") -> ValidationSummaryModel:
    """A summary from its JSON text; ``ArtifactError`` naming ``source`` and the first wrong key.

    Types are strict, as in the JSON Schema: ``"3"`` is no count and ``1`` no boolean.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArtifactError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}); truncated validation summary?"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ArtifactError(f"{source}: not UTF-8 text ({exc.reason})") from exc
    if not isinstance(data, dict):
        raise ArtifactError(f"{source}: a validation summary is a JSON object, found {type(data).__name__}")
    version = data.get("schema_version")
    if version != SUMMARY_VERSION or isinstance(version, bool):
        raise ArtifactError(
            f"{source}: unsupported validation summary (schema_version {version!r}, this dp reads "
            f"{SUMMARY_VERSION})"
        )
    try:
        return ValidationSummaryModel.model_validate_json(text, strict=True)
    except ValidationError as exc:
        where, message = first_error(exc, data)
        raise ArtifactError(f"{source}: invalid validation summary at {where}: {message}") from exc


def load_summary(path: Path) -> ValidationSummaryModel:
    """The ``dp validate`` summary at ``path``; ``ArtifactError`` naming the file (and the key) otherwise."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ArtifactError(f"{path}: validation summary not found (has dp validate run?)") from exc
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot read the validation summary ({exc.strerror or exc})") from exc
    return parse_summary(raw, str(path))
