"""The OpenLineage run events of one nightly run, built from its record (docs/lineage.md).

Jobs (namespace: the configured one, else the dbt project's name):

- ``nightly``: the nightly run itself; its run id is derived from the dp run id (``runs.py``), so the same
  record always gives the same OpenLineage run id.
- ``<domain>.<product>``: one job per data product; one run per product per nightly, whose ``parent`` (and
  ``root``) facet points at the nightly's run. It reads its *inputs*, the nearest upstream data products and
  sources in the dbt graph (private models in between are the product's own implementation), and writes its
  *outputs*, the relations of every version of the product.

Datasets are named as the warehouse names them: namespace ``duckdb://<warehouse file>`` or
``postgres://<host>:<port>``, name ``<database>.<schema>.<relation>`` (OpenLineage's naming convention).

Each product run has a START event at the time dbt started building its model and a COMPLETE (or FAIL, when
its model did not build) once the nightly has validated and judged it. The output's facets: ``schema`` (the
contract's columns), ``ownership`` and ``dataQualityAssertions`` (every expectation of the product's suite from
``dp validate``, and every dbt test on the model); the job's: ``jobType``, ``ownership``, ``documentation``;
the run's: ``parent``, ``processing_engine`` (dbt), ``tags`` (dp run id, as-of day, SLO status) and
``errorMessage`` on a FAIL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    datasource_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    ownership_dataset,
    ownership_job,
    parent_run,
    processing_engine_run,
    schema_dataset,
    tags_run,
)
from openlineage.client.uuid import generate_static_uuid

from dataproducts import __version__
from dataproducts.artifacts import Manifest, RunResults
from dataproducts.products import DataProduct, Owner, ProductVersion
from dataproducts.validation.results import ValidationSummaryModel

PRODUCER = f"https://dataproducts.example.com/dp/{__version__}"
NIGHTLY_JOB = "nightly"
INTEGRATION = "DBT"


@dataclass(frozen=True)
class DatasetRef:
    namespace: str
    name: str


@dataclass(frozen=True)
class NightlyFacts:
    """What the events describe: one nightly run, read from its record and the steps that judged it."""

    dp_run_id: str
    as_of: dt.date
    started_at: dt.datetime  # the nightly's start
    built_at: dt.datetime  # the build's end (the record's built_at)
    finished_at: dt.datetime  # when the report judged it
    namespace: str  # the jobs' namespace
    warehouse_namespace: str  # the datasets' namespace
    manifest: Manifest
    run_results: RunResults
    products: Sequence[DataProduct]
    validation: ValidationSummaryModel | None
    statuses: Mapping[str, str]  # product id -> SLO status from the report


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_uuid(facts: NightlyFacts, job: str) -> str:
    """A job's run id in this nightly: a UUIDv7 at the build's time, derived from the dp run id and the job
    name (the same record always gives the same ids; two nightlies never share one)."""
    return str(generate_static_uuid(facts.built_at, f"{facts.dp_run_id}/{facts.namespace}/{job}".encode()))


def _relation(database: str | None, schema: str | None, name: str | None) -> str:
    return ".".join(p for p in (database, schema, name) if p)


def version_dataset(facts: NightlyFacts, version: ProductVersion) -> DatasetRef:
    return DatasetRef(facts.warehouse_namespace, _relation(version.database, version.schema, version.alias))


def input_datasets(facts: NightlyFacts, product: DataProduct) -> list[DatasetRef]:
    """The nearest upstream products and sources of ``product`` in the dbt graph, through its private models."""
    manifest = facts.manifest
    version_of = {v.unique_id: v for p in facts.products for v in p.versions}
    own = set(product.unique_ids)
    seen: set[str] = set()
    found: dict[str, DatasetRef] = {}
    stack = [p for uid in own for p in manifest.parent_map.get(uid, [])]
    while stack:
        uid = stack.pop()
        if uid in seen or uid in own:
            continue
        seen.add(uid)
        if uid in version_of:
            ref = version_dataset(facts, version_of[uid])
        elif uid in manifest.sources:
            s = manifest.sources[uid]
            ref = DatasetRef(
                facts.warehouse_namespace, _relation(s.database, s.schema_, s.identifier or s.name)
            )
        elif uid in manifest.nodes and manifest.nodes[uid].resource_type in ("seed", "snapshot"):
            n = manifest.nodes[uid]
            ref = DatasetRef(facts.warehouse_namespace, _relation(n.database, n.schema_, n.alias or n.name))
        else:
            stack.extend(manifest.parent_map.get(uid, []))
            continue
        found[ref.name] = ref
    return [found[name] for name in sorted(found)]


def _owners(owner: Owner) -> list[tuple[str, str]]:
    """(name, type) pairs: the team as ``team:<name>``, the person or list as ``mailto:<email>``."""
    owners = []
    if owner.team or owner.name:
        owners.append((f"team:{owner.team or owner.name}", "MAINTAINER"))
    if owner.email:
        owners.append((f"mailto:{owner.email}", "MAINTAINER"))
    return owners


def _assertions(facts: NightlyFacts, product: DataProduct) -> list[data_quality_assertions_dataset.Assertion]:
    Assertion = data_quality_assertions_dataset.Assertion
    out: list[data_quality_assertions_dataset.Assertion] = []
    validated = facts.validation.product(product.id) if facts.validation else None
    for e in validated.expectations if validated else ():
        out.append(
            Assertion(
                assertion=e.type,
                success=e.status == "passed",
                column=e.column,
                severity=e.severity,
                name=f"gx: {e.type}" + (f"({e.column})" if e.column else ""),
                actual=None if e.observed_value is None else str(e.observed_value),
                params={"source": "gx", "status": e.status, "unexpected_count": e.unexpected_count},
            )
        )
    results = facts.run_results.by_id()
    for test in sorted(facts.manifest.tests(), key=lambda n: n.unique_id):
        if test.attached_node != product.unique_id or test.unique_id not in results:
            continue
        status = results[test.unique_id].status
        out.append(
            Assertion(
                assertion=test.test_metadata.name if test.test_metadata else test.name,
                success=status == "pass",
                column=test.column_name,
                severity=(test.config.severity or "error").lower(),
                name=f"dbt: {test.name}",
                params={"source": "dbt", "status": status, "failures": results[test.unique_id].failures},
            )
        )
    return out


def _timing(results: RunResults, unique_id: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    result = results.by_id().get(unique_id)
    extra = (result.model_extra or {}) if result else {}
    for step in extra.get("timing") or []:
        if isinstance(step, Mapping) and step.get("name") == "execute":
            try:
                start = dt.datetime.fromisoformat(str(step["started_at"]).replace("Z", "+00:00"))
                end = dt.datetime.fromisoformat(str(step["completed_at"]).replace("Z", "+00:00"))
            except (KeyError, ValueError):
                return None, None
            return (start if start.tzinfo else start.replace(tzinfo=dt.UTC)), (
                end if end.tzinfo else end.replace(tzinfo=dt.UTC)
            )
    return None, None


def _tags(facts: NightlyFacts, status: str | None) -> tags_run.TagsRunFacet:
    pairs = [("dp_run_id", facts.dp_run_id), ("as_of", facts.as_of.isoformat())]
    if status:
        pairs.append(("slo_status", status))
    return tags_run.TagsRunFacet(
        tags=[tags_run.TagsRunFacetFields(key=k, value=v, source="DATAPRODUCTS") for k, v in pairs],
        producer=PRODUCER,
    )


def _engine(facts: NightlyFacts) -> processing_engine_run.ProcessingEngineRunFacet:
    from openlineage.client import __version__ as client_version

    return processing_engine_run.ProcessingEngineRunFacet(
        version=facts.manifest.metadata.dbt_version or "unknown",
        name="dbt",
        openlineageAdapterVersion=client_version,
        producer=PRODUCER,
    )


def _parent(facts: NightlyFacts) -> parent_run.ParentRunFacet:
    run_id = run_uuid(facts, NIGHTLY_JOB)
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=run_id),
        job=parent_run.Job(namespace=facts.namespace, name=NIGHTLY_JOB),
        root=parent_run.Root(
            run=parent_run.RootRun(runId=run_id),
            job=parent_run.RootJob(namespace=facts.namespace, name=NIGHTLY_JOB),
        ),
        producer=PRODUCER,
    )


def _build_failure(facts: NightlyFacts, product: DataProduct) -> str | None:
    """Why the product's model did not build in this run, or None when it did."""
    result = facts.run_results.by_id().get(product.unique_id)
    if result is None:
        return f"{product.unique_id} was not built by this run"
    if result.status != "success":
        return f"dbt build {result.status}: {result.message or 'no message'}"
    return None


def _product_events(facts: NightlyFacts, product: DataProduct) -> list[RunEvent]:
    job_name = product.id
    owners = _owners(product.owner)
    job = Job(
        namespace=facts.namespace,
        name=job_name,
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration=INTEGRATION, jobType="MODEL", producer=PRODUCER
            ),
            "ownership": ownership_job.OwnershipJobFacet(
                owners=[ownership_job.Owner(name=n, type=t) for n, t in owners], producer=PRODUCER
            ),
            **(
                {
                    "documentation": documentation_job.DocumentationJobFacet(
                        description=product.description, contentType="text/markdown", producer=PRODUCER
                    )
                }
                if product.description
                else {}
            ),
        },
    )
    inputs = [InputDataset(namespace=d.namespace, name=d.name) for d in input_datasets(facts, product)]
    failure = _build_failure(facts, product)
    assertions = _assertions(facts, product)
    datasource = datasource_dataset.DatasourceDatasetFacet(
        name=facts.warehouse_namespace, uri=facts.warehouse_namespace, producer=PRODUCER
    )

    def output(version: ProductVersion) -> OutputDataset:
        ref = version_dataset(facts, version)
        facets: dict[str, Any] = {
            "dataSource": datasource,
            "schema": schema_dataset.SchemaDatasetFacet(
                fields=[
                    schema_dataset.SchemaDatasetFacetFields(
                        name=c.name, type=c.data_type, description=c.description or None, ordinal_position=i
                    )
                    for i, c in enumerate(version.columns, 1)
                ],
                producer=PRODUCER,
            ),
            "ownership": ownership_dataset.OwnershipDatasetFacet(
                owners=[ownership_dataset.Owner(name=n, type=t) for n, t in owners], producer=PRODUCER
            ),
        }
        if version.unique_id == product.unique_id and assertions:
            facets["dataQualityAssertions"] = (
                data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                    assertions=assertions, producer=PRODUCER
                )
            )
        return OutputDataset(namespace=ref.namespace, name=ref.name, facets=facets)

    outputs = [output(v) for v in product.versions]
    run_id = run_uuid(facts, job_name)
    started, _ended = _timing(facts.run_results, product.unique_id)
    start_facets: dict[str, Any] = {
        "parent": _parent(facts),
        "processing_engine": _engine(facts),
        "tags": _tags(facts, None),
    }
    start = RunEvent(
        eventType=RunState.START,
        eventTime=_iso(started or facts.started_at),
        run=Run(runId=run_id, facets=start_facets),
        job=job,
        inputs=inputs,
        outputs=[OutputDataset(namespace=o.namespace, name=o.name) for o in outputs],
        producer=PRODUCER,
    )
    end_facets: dict[str, Any] = {
        "parent": _parent(facts),
        "processing_engine": _engine(facts),
        "tags": _tags(facts, facts.statuses.get(product.id)),
    }
    if failure:
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=failure, programmingLanguage="SQL", producer=PRODUCER
        )
    end = RunEvent(
        eventType=RunState.FAIL if failure else RunState.COMPLETE,
        eventTime=_iso(max(facts.finished_at, started or facts.finished_at)),
        run=Run(runId=run_id, facets=end_facets),
        job=job,
        inputs=inputs,
        outputs=outputs,
        producer=PRODUCER,
    )
    return [start, end]


def nightly_events(facts: NightlyFacts) -> list[RunEvent]:
    """Every event of the nightly, in order: the nightly's START, each product's START and COMPLETE/FAIL,
    the nightly's COMPLETE (or FAIL when a product's model did not build)."""
    job = Job(
        namespace=facts.namespace,
        name=NIGHTLY_JOB,
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration=INTEGRATION, jobType="JOB", producer=PRODUCER
            ),
        },
    )
    run_id = run_uuid(facts, NIGHTLY_JOB)
    products = list(facts.products)
    events: list[RunEvent] = [
        RunEvent(
            eventType=RunState.START,
            eventTime=_iso(facts.started_at),
            run=Run(runId=run_id, facets={"processing_engine": _engine(facts), "tags": _tags(facts, None)}),
            job=job,
            producer=PRODUCER,
        )
    ]
    failed: list[str] = []
    for product in products:
        pair = _product_events(facts, product)
        events.extend(pair)
        if pair[-1].eventType == RunState.FAIL:
            failed.append(product.id)
    end_facets: dict[str, Any] = {"processing_engine": _engine(facts), "tags": _tags(facts, None)}
    if failed:
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=f"{len(failed)} product(s) not built: {', '.join(failed)}",
            programmingLanguage="SQL",
            producer=PRODUCER,
        )
    events.append(
        RunEvent(
            eventType=RunState.FAIL if failed else RunState.COMPLETE,
            eventTime=_iso(facts.finished_at),
            run=Run(runId=run_id, facets=end_facets),
            job=job,
            producer=PRODUCER,
        )
    )
    return events


def product_ids(events: Iterable[RunEvent]) -> list[str]:
    return sorted({e.job.name for e in events if e.job.name != NIGHTLY_JOB})
