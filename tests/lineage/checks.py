"""Checks that a nightly's OpenLineage events are valid run events and say what the lineage graph says.

Validation uses the OpenLineage project's own JSON Schemas (vendored in tests/fixtures/openlineage_spec):
each event against ``OpenLineage.json#/$defs/RunEvent``, and each facet against the schema its
``_schemaURL`` names (resolved by the schema's ``$id``, so a facet claiming a schema version the spec does
not have fails).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "openlineage_spec"
CORE_ID = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


def _registry() -> Registry:
    resources = []
    for path in [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json"))]:
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _validator(url: str) -> jsonschema.protocols.Validator:
    """A validator for the schema at ``url`` (``<$id>#/$defs/<Name>``), from the vendored spec only."""
    base, _, pointer = url.partition("#")
    if base not in REGISTRY:
        raise AssertionError(f"unknown schema {base!r}: not in the OpenLineage spec")
    schema = {"$ref": url} if pointer else {"$ref": base}
    return jsonschema.Draft202012Validator(
        schema, registry=REGISTRY, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _facets(event: Mapping[str, Any]) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
    """(where, facet name, facet) for every facet of an event."""
    yield from (("run", k, v) for k, v in (event["run"].get("facets") or {}).items())
    yield from (("job", k, v) for k, v in (event["job"].get("facets") or {}).items())
    for side in ("inputs", "outputs"):
        for ds in event.get(side) or []:
            for key in ("facets", "inputFacets", "outputFacets"):
                yield from ((f"{side}:{ds['name']}", k, v) for k, v in (ds.get(key) or {}).items())


def check_valid_run_event(event: Mapping[str, Any]) -> None:
    """Raise AssertionError naming the first problem of an OpenLineage run event."""
    errors = sorted(_validator(f"{CORE_ID}#/$defs/RunEvent").iter_errors(event), key=str)
    assert not errors, f"not a valid RunEvent: {errors[0].message} at {list(errors[0].absolute_path)}"
    assert event["eventType"] in ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
    uuid.UUID(event["run"]["runId"])
    for where, name, facet in _facets(event):
        assert facet.get("_producer"), f"{where} facet {name} has no _producer"
        assert facet.get("_schemaURL"), f"{where} facet {name} has no _schemaURL"
        errors = sorted(_validator(facet["_schemaURL"]).iter_errors(facet), key=str)
        assert not errors, f"{where} facet {name}: {errors[0].message} at {list(errors[0].absolute_path)}"


def expected_lineage(manifest: Mapping[str, Any], warehouse_ns: str) -> dict[str, tuple[set[str], set[str]]]:
    """From dbt's manifest alone: product job name -> (input dataset names, output dataset names).

    A product is a public model (its versions together); its inputs are the nearest public models and
    sources upstream, walking through private models; its outputs are its versions' relations."""
    nodes, sources, parents = manifest["nodes"], manifest["sources"], manifest["parent_map"]
    public = {
        uid: n
        for uid, n in nodes.items()
        if n["resource_type"] == "model" and (n.get("access") or n["config"].get("access")) == "public"
    }

    def rel(node: Mapping[str, Any]) -> str:
        return ".".join(
            p
            for p in (
                node.get("database"),
                node["schema"],
                node.get("alias") or node.get("identifier") or node["name"],
            )
            if p
        )

    by_name: dict[str, list[str]] = defaultdict(list)
    for uid, n in public.items():
        by_name[n["name"]].append(uid)
    out: dict[str, tuple[set[str], set[str]]] = {}
    for name, uids in by_name.items():
        group = public[uids[0]].get("group") or public[uids[0]]["config"].get("group")
        inputs: set[str] = set()
        stack = [p for u in uids for p in parents.get(u, [])]
        seen: set[str] = set()
        while stack:
            uid = stack.pop()
            if uid in seen or uid in uids:
                continue
            seen.add(uid)
            if uid in public:
                inputs.add(rel(public[uid]))
            elif uid in sources:
                inputs.add(rel(sources[uid]))
            elif uid in nodes and nodes[uid]["resource_type"] in ("seed", "snapshot"):
                inputs.add(rel(nodes[uid]))
            else:
                stack.extend(parents.get(uid, []))
        out[f"{group}.{name}"] = (inputs, {rel(public[u]) for u in uids})
    return out


def check_nightly_events(
    events: Sequence[Mapping[str, Any]], manifest: Mapping[str, Any], warehouse_ns: str, dp_run_id: str
) -> dict[str, list[Mapping[str, Any]]]:
    """Every event valid; one START and one COMPLETE/FAIL per job, one run id per product job, each
    product run's parent the nightly's run; inputs and outputs as the manifest's graph says. Returns the
    events by job name."""
    for event in events:
        check_valid_run_event(event)
    by_job: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for event in events:
        by_job[event["job"]["name"]].append(event)
    nightly = by_job.pop("nightly")
    assert [e["eventType"] for e in nightly] in (["START", "COMPLETE"], ["START", "FAIL"])
    nightly_run = nightly[0]["run"]["runId"]
    assert {e["run"]["runId"] for e in nightly} == {nightly_run}
    namespace = nightly[0]["job"]["namespace"]
    expected = expected_lineage(manifest, warehouse_ns)
    assert set(by_job) == set(expected), (sorted(by_job), sorted(expected))
    run_ids = set()
    for job, evs in by_job.items():
        assert [e["eventType"] for e in evs] in (["START", "COMPLETE"], ["START", "FAIL"]), job
        ids = {e["run"]["runId"] for e in evs}
        assert len(ids) == 1, f"{job}: one run id per product job, got {ids}"
        run_ids |= ids
        inputs, outputs = expected[job]
        for e in evs:
            assert e["job"]["namespace"] == namespace
            parent = e["run"]["facets"]["parent"]
            assert parent["run"]["runId"] == nightly_run, job
            assert (parent["job"]["namespace"], parent["job"]["name"]) == (namespace, "nightly"), job
            tags = {t["key"]: t["value"] for t in e["run"]["facets"]["tags"]["tags"]}
            assert tags["dp_run_id"] == dp_run_id
            assert {d["name"] for d in e["inputs"]} == inputs, job
            assert {d["name"] for d in e["outputs"]} == outputs, job
            assert {d["namespace"] for d in [*e["inputs"], *e["outputs"]]} == {warehouse_ns}
    assert len(run_ids) == len(by_job), "two product jobs share a run id"
    return dict(by_job)
