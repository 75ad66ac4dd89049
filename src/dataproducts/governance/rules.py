"""The rule catalogue of ``dp check``: stable ids, names, what each rule asks and how to fix a violation.

Ids never change meaning and are never reused; ``docs/governance.md`` documents each one (a unit test keeps
the two in step). A violation names the product (``<domain>.<product>``; ``exposure.<name>`` for an
exposure; ``<group>.<model>`` for a model that is not a product), the rule, what is wrong and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    summary: str
    fix: str


RULES: tuple[Rule, ...] = (
    Rule(
        "DP001",
        "product-has-owner",
        "Every public product belongs to a dbt group whose owner has a name and an email.",
        "put the model in its domain's group (models/_groups.yml, +group in dbt_project.yml) and give the "
        "group an owner with name and email",
    ),
    Rule(
        "DP002",
        "product-is-documented",
        "The product and every column of every version have a description.",
        "describe the model (state its grain) and each column in the domain's _<domain>__models.yml; reuse "
        "the shared doc blocks for conformed columns",
    ),
    Rule(
        "DP003",
        "contract-enforced",
        "Every version has an enforced contract and every column a data_type.",
        "set config.contract.enforced: true and give every column a data_type",
    ),
    Rule(
        "DP004",
        "primary-key",
        "Every version declares a primary_key constraint, and the key holds: its table enforces it (a table "
        "or incremental model with an enforced contract), or it is a view that only selects * from the "
        "latest version whose table does, or a uniqueness test checks it.",
        "add a primary_key constraint (column or model level); where the version cannot enforce it (a view, "
        "an ephemeral model, a contract not enforced) add a unique / unique_combination_of_columns test on "
        "those columns",
    ),
    Rule(
        "DP005",
        "descriptor-complete",
        "config.meta.data_product is valid (strict types, known keys, values in range) and holds domain "
        "(= the group), owner, refresh, classification, personal_data, interfaces, suite and slo "
        "(see docs/descriptor.md).",
        "correct or complete the descriptor (config.meta.data_product, or data_product in its products/*.yml "
        "declaration) as documented in docs/descriptor.md",
    ),
    Rule(
        "DP006",
        "quality-suite",
        "The product's Great Expectations suite passes the checks dp validate applies (known expectation "
        "types, a severity each, known parameters) and names only columns the product has.",
        "write expectations/<domain>/<product>.json (or point descriptor.suite at it) and keep its columns "
        "in step with the model",
    ),
    Rule(
        "DP007",
        "has-consumer",
        "At least one exposure consumes the product.",
        "declare the consumers in _<domain>__exposures.yml, or retire the product",
    ),
    Rule(
        "DP008",
        "source-freshness",
        "Every source upstream of the product has a freshness rule and a loaded_at_field (or query).",
        "add config.freshness (warn_after/error_after) and loaded_at_field to the source in "
        "_<source>__sources.yml",
    ),
    Rule(
        "DP009",
        "exposure-on-public-only",
        "Exposures depend only on public products.",
        "point the exposure at a public product (or promote the model to a product with access: public)",
    ),
    Rule(
        "DP010",
        "private-model-isolation",
        "Nothing outside a group references the group's private models.",
        "reference the owning domain's public product instead, or ask the owner to publish the model",
    ),
    Rule(
        "DP011",
        "conformed-column-type",
        "A column named like a conformed column (standards/conformed_columns.yml) has the standard's type.",
        "cast the column to the conformed type and declare that data_type",
    ),
    Rule(
        "DP012",
        "conformed-column-name",
        "A column whose name differs from a conformed column only by case, underscores or a known alias "
        "uses the conformed name.",
        "rename the column to the conformed name (and reuse its doc block)",
    ),
    Rule(
        "DP013",
        "no-pass-through",
        "A product adds value: it does not merely pass another product through (same columns and the "
        "same rows, or a bare select *).",
        "consume the upstream product directly, or make the transformation that justifies a new product",
    ),
    Rule(
        "DP014",
        "personal-data-classification",
        "Personal data columns (column meta personal_data, upstream or in the standard) appear unmasked "
        "only in products classified confidential or stricter, and the descriptor's personal_data says so.",
        "drop or mask the column (column meta masked: true after hashing/redacting it), or classify the "
        "product confidential/restricted with personal_data: true",
    ),
    Rule(
        "DP015",
        "deprecated-version-has-date",
        "Every version of a versioned product but the latest has a deprecation_date.",
        "set deprecation_date on the older versions so consumers know when to migrate",
    ),
    Rule(
        "DP016",
        "checks-agree",
        "Where a rule about a column is stated twice (check or not_null constraint, dbt test, suite "
        "expectation), the statements agree: allowed values, minimum, maximum, nullability.",
        "keep the rule in one place (docs/checks.md), or make the copies say the same",
    ),
    Rule(
        "DP017",
        "refresh-declared",
        "The descriptor's refresh.method says how the model is built: `incremental` exactly when the model "
        "is materialized incrementally, with the model's event_time and lookback as refresh.event_time and "
        "refresh.lookback_days.",
        "make refresh.method, event_time and lookback_days say what the model's config does "
        "(docs/incremental.md)",
    ),
    Rule(
        "DP018",
        "no-dead-checks",
        "No dbt test or suite expectation restates a constraint the product's table enforces (uniqueness of "
        "the primary key, not null on a not_null or key column, the same allowed values or bounds as a check "
        "constraint): DuckDB rejects every row that breaks it, so the copy can never fail and only costs a "
        "scan.",
        "remove the copy (docs/checks.md); keep a test or expectation only where it says more than the "
        "constraint (a mostly, another set or bound, a rule across columns or tables)",
    ),
    Rule(
        "DP019",
        "access-roles-declared",
        "Every role an access policy names (access.readers, access.unmasked) is declared in roles.yml.",
        "declare the role in roles.yml (name, kind, description), or correct the name in the policy",
    ),
    Rule(
        "DP020",
        "personal-columns-covered",
        "The access policy lists every personal-data column of the version (column meta personal_data: true) "
        "in access.personal_columns, and only columns the version has; a product with personal_data: true "
        "has a policy that lists them.",
        "list each personal column in access.personal_columns (and only existing ones), so every masked "
        "reader reads it as NULL",
    ),
    Rule(
        "DP021",
        "unmasked-are-readers",
        "Every role in access.unmasked is also in access.readers.",
        "add the role to access.readers, or remove it from access.unmasked",
    ),
    Rule(
        "DP022",
        "restricted-no-broad-reader",
        "A product classified restricted has no broad reader (a roles.yml role of kind broad).",
        "grant named domain or application roles instead, or reclassify the product",
    ),
    Rule(
        "DP023",
        "product-has-access-policy",
        "Every version of every product has an access policy (config.meta.data_product.access).",
        "add access (readers, unmasked, personal_columns, request) to the descriptor (docs/descriptor.md)",
    ),
)

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]
