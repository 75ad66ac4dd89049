"""The SLO report model (slo/document.py): it accepts every document the report builds, names the first wrong
key, and is the source of the published JSON Schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dataproducts.schemas import __main__ as schemas_cli
from dataproducts.slo import document
from dataproducts.slo.document import SliName, SloReportDocument, TrendStatus, validate_document
from dataproducts.slo.model import SLI_NAMES, Status

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
SAMPLE = FIXTURES / "slo_report_sample.json"  # hand-made: every status, deprecations, schema changes
BUILT = FIXTURES / "slo_report_built.json"  # written by `dp report` on faulty generated data


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _with_run_records(doc: dict[str, Any]) -> dict[str, Any]:
    """The keys the run-record work adds: all optional, a missed night in the trend."""
    doc = copy.deepcopy(doc)
    doc.update(run_id="2026-11-20T06-00-00Z-ab12", partial=True, selection=["fct_orders"])
    product = doc["products"][0]
    product["error_budget"]["missed_runs"] = 1
    product["trend"][0]["run_id"] = "2026-10-24T06-00-00Z-0001"
    product["trend"].insert(
        1, {"date": "2026-10-25", "invocation_id": None, "run_id": None, "status": "missed", "slis": {}}
    )
    doc["inputs"]["run_record"] = "runs/2026-11-20T06-00-00Z-ab12"
    return doc


DOCUMENTS = {
    "sample": lambda: _load(SAMPLE),
    "built": lambda: _load(BUILT),
    "run_records": lambda: _with_run_records(_load(SAMPLE)),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_documents_validate_and_round_trip(name: str) -> None:
    doc = DOCUMENTS[name]()
    model = validate_document(doc)
    assert isinstance(model, SloReportDocument)
    assert model.to_json_dict() == doc
    # the same JSON text: integers stay integers, timestamps keep their form
    assert json.dumps(model.to_json_dict(), sort_keys=True) == json.dumps(doc, sort_keys=True)
    again = SloReportDocument.model_validate(model.to_json_dict())
    assert again == model


def test_typed_values() -> None:
    model = validate_document(_with_run_records(_load(SAMPLE)))
    assert model.overall_status is Status.BREACHED
    assert model.products[0].slis.validity.status in set(Status)
    assert model.products[0].trend[1].status is TrendStatus.MISSED
    assert model.products[0].trend[1].invocation_id is None
    assert model.partial is True and model.selection == ["fct_orders"]
    assert str(model.as_of_date) == _load(SAMPLE)["as_of_date"]


def test_old_documents_get_defaults_for_new_keys() -> None:
    model = validate_document(_load(SAMPLE))
    assert (model.run_id, model.partial, model.selection) == (None, False, None)
    assert model.inputs.run_record is None
    assert model.products[0].error_budget.missed_runs is None


def test_sli_names_are_the_vocabulary() -> None:
    assert tuple(SliName) == SLI_NAMES


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    node: Any = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


_DELETE = object()

WRONG = [
    ("products/1/slis/validity/value", "0.98"),
    ("products/1/slis/validity/status", "fine"),
    ("products/2/error_budget/per_sli/freshness/runs", True),
    ("products/2/error_budget/per_sli/freshness/objective", 1.5),
    ("products/0/trend/3/slis/validity", "missed"),
    ("products/0/trend/3/date", "20 Nov 2026"),
    ("products/0/failing_checks", [{"source": "gx"}]),
    ("products/0/owner/email", 42),
    ("products/0/id", "no_domain"),
    ("products/0/links/dbt_docs", _DELETE),
    ("products/0/status", "missed"),
    ("deprecations/0/days_left", "soon"),
    ("schema_changes/0/change", "renamed"),
    ("inputs/history/runs_before", -1),
    ("generated_at", "2026-11-20T06:00:00"),
    ("schema_version", "2.0"),
    ("partial", "yes"),
    ("summary/met", None),
]


@pytest.mark.parametrize(("path", "value"), WRONG)
def test_a_wrong_value_names_its_key(path: str, value: Any) -> None:
    doc = _load(SAMPLE)
    _set(doc, path, value)
    with pytest.raises(RuntimeError, match="^SLO report does not match its schema at ") as info:
        validate_document(doc)
    where = str(info.value).split(" at ", 1)[1].split(": ", 1)[0]
    assert where == path or where.startswith(path + "/"), str(info.value)
    # the published schema says the same
    assert list(jsonschema.Draft202012Validator(document.report_schema()).iter_errors(doc))


def test_unknown_keys_are_refused_in_our_objects() -> None:
    doc = _load(SAMPLE)
    doc["products"][0]["error_budget"]["per_sli"]["validity"]["spent"] = 0.1
    with pytest.raises(RuntimeError, match="per_sli/validity/spent: unknown key"):
        validate_document(doc)


def test_free_form_parts_stay_free() -> None:
    doc = _load(SAMPLE)
    doc["products"][0]["slis"]["validity"]["details"]["anything"] = {"nested": [1, "two", None]}
    doc["products"][0]["failing_checks"] = [
        {
            "source": "dbt",
            "name": "accepted_values",
            "column": "status",
            "severity": "warning",
            "status": "failed",
            "unexpected_count": 1,
            "element_count": None,
            "samples": [{"a": 1}, 2.5, None],
            "message": None,
        }
    ]
    assert validate_document(doc).to_json_dict() == doc


def test_not_json_is_a_bug_named_as_such() -> None:
    doc = _load(SAMPLE)
    doc["generated_at"] = object()
    with pytest.raises(RuntimeError, match="not JSON"):
        validate_document(doc)


def test_the_committed_schemas_are_generated_from_the_models() -> None:
    stale = schemas_cli.stale_files(REPO)
    assert not stale, f"run `make schemas` (python -m dataproducts.schemas): {stale}"
    assert document.report_schema() == document.generate_schema()


def test_schema_keeps_its_identity() -> None:
    schema = document.generate_schema()
    assert list(schema)[:4] == ["$schema", "$id", "title", "description"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://dataproducts.example.com/schemas/slo_report/1.0.json"
    assert schema["title"] == "SLO report"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_generated_schema_accepts_the_documents(name: str) -> None:
    jsonschema.Draft202012Validator(document.generate_schema()).validate(DOCUMENTS[name]())


def test_report_module_delegates_to_the_model() -> None:
    from dataproducts.slo import report

    assert report.report_schema() == document.generate_schema()
    assert isinstance(report.validate_document(_load(SAMPLE)), SloReportDocument)
    doc = _load(SAMPLE)
    doc["overall_status"] = "green"
    with pytest.raises(RuntimeError, match="at overall_status: "):
        report.validate_document(doc)
