"""The project's own dbt profile decides the warehouse; declaration files make models products."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataproducts.artifacts import load_manifest
from dataproducts.config import load_config
from dataproducts.declarations import SNAPSHOT_FILE, read_declarations, write_snapshot
from dataproducts.errors import ConfigError
from dataproducts.products import load_products
from dataproducts.profile import POSTGRES_ADAPTERS, read_profile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _project(tmp_path: Path, profile: str | None, name: str = "shop") -> Path:
    (tmp_path / "dbt_project.yml").write_text(f"name: {name}\nprofile: {name}\n")
    if profile is not None:
        (tmp_path / "profiles.yml").write_text(profile)
    return tmp_path


@pytest.fixture(autouse=True)
def _no_dp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DP_WAREHOUSE", "DBT_PROFILES_DIR", "DBT_TARGET", "DBT_PROFILE", "DP_PROJECT_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_a_fixed_duckdb_path_in_the_projects_profile_is_the_warehouse(tmp_path: Path) -> None:
    root = _project(
        tmp_path, "shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: data/shop.duckdb}\n"
    )
    cfg = load_config(root)
    assert cfg.warehouse == root / "data" / "shop.duckdb"
    assert cfg.profiles_dir == root
    assert cfg.default_warehouse == "data/shop.duckdb"


def test_env_var_paths_render_with_their_default_and_dbt_target_picks_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(
        tmp_path,
        "shop:\n  target: dev\n  outputs:\n"
        "    dev: {type: duckdb, path: \"{{ env_var('SHOP_DB', 'dev.duckdb') }}\"}\n"
        "    ci: {type: duckdb, path: /tmp/ci-shop.duckdb}\n",
    )
    assert load_config(root).warehouse == root / "dev.duckdb"
    monkeypatch.setenv("SHOP_DB", "other.duckdb")
    assert load_config(root).warehouse == root / "other.duckdb"
    monkeypatch.setenv("DBT_TARGET", "ci")
    assert load_config(root).warehouse == Path("/tmp/ci-shop.duckdb")


def test_a_warehouse_flag_the_profile_would_not_follow_is_refused(tmp_path: Path) -> None:
    root = _project(
        tmp_path, "shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: shop.duckdb}\n"
    )
    with pytest.raises(ConfigError, match=r"--warehouse .*other\.duckdb: dbt writes shop\.duckdb"):
        load_config(root, warehouse=str(tmp_path / "other.duckdb"))
    # the same file, said explicitly, is fine
    assert load_config(root, warehouse=str(root / "shop.duckdb")).warehouse == root / "shop.duckdb"


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("{type: postgres, host: localhost}", "type 'postgres': dp reads DuckDB warehouses only"),
        ("{type: duckdb, path: ':memory:'}", "dp needs a DuckDB file"),
        ("{type: duckdb}", "dp needs a DuckDB file"),
    ],
)
def test_profiles_dp_cannot_read_are_one_line_errors(tmp_path: Path, output: str, message: str) -> None:
    root = _project(tmp_path, f"shop:\n  target: dev\n  outputs:\n    dev: {output}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(root)


def test_a_postgres_target_is_the_warehouse_chosen_by_target_flag_or_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(
        tmp_path,
        "shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: shop.duckdb}\n"
        "    pg:\n      type: postgres\n      host: \"{{ env_var('SHOP_PG_HOST', '127.0.0.1') }}\"\n"
        "      port: \"{{ env_var('SHOP_PG_PORT', '5432') | as_number }}\"\n      user: dp\n"
        "      password: \"{{ env_var('SHOP_PG_PASSWORD') }}\"\n      dbname: shop\n      schema: main\n",
    )
    monkeypatch.setenv("SHOP_PG_PASSWORD", "s3cret")
    monkeypatch.setenv("SHOP_PG_PORT", "5544")
    cfg = load_config(root, adapters=POSTGRES_ADAPTERS)
    assert cfg.db.dialect == "duckdb" and cfg.on_duckdb and "DBT_TARGET" not in cfg.dbt_env()
    cfg = load_config(root, target="pg", adapters=POSTGRES_ADAPTERS)
    assert cfg.db.dialect == "postgres" and not cfg.on_duckdb
    assert cfg.db.label == "postgresql://dp@127.0.0.1:5544/shop" and cfg.db.default_schema == "main"
    assert "s3cret" not in repr(cfg.db) and cfg.dbt_env()["DBT_TARGET"] == "pg"
    monkeypatch.setenv("DBT_TARGET", "pg")
    assert load_config(root, adapters=POSTGRES_ADAPTERS).db.label == "postgresql://dp@127.0.0.1:5544/shop"
    with pytest.raises(ConfigError, match="dp reads DuckDB warehouses only"):
        load_config(root)  # a command that works on DuckDB only
    with pytest.raises(ConfigError, match="no output named 'nope'"):
        load_config(root, target="nope", adapters=POSTGRES_ADAPTERS)


def test_no_profile_falls_back_to_the_default_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = _project(tmp_path, None)
    profile = read_profile(root)
    assert profile.file is None and profile.profiles_dir == tmp_path / "home" / ".dbt"
    assert load_config(root).warehouse == root / "warehouse" / "dataproducts.duckdb"


def test_dbt_profiles_dir_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "profiles"
    elsewhere.mkdir()
    (elsewhere / "profiles.yml").write_text(
        "shop:\n  outputs:\n    default: {type: duckdb, path: /tmp/p.duckdb}\n"
    )
    (tmp_path / "p").mkdir()
    root = _project(tmp_path / "p", None)
    monkeypatch.setenv("DBT_PROFILES_DIR", str(elsewhere))
    cfg = load_config(root)
    assert cfg.profiles_dir == elsewhere
    assert cfg.warehouse == Path("/tmp/p.duckdb")


def test_unset_env_var_without_default_names_the_variable(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: \"{{ env_var('NOPE_DB') }}\"}\n",
    )
    with pytest.raises(ConfigError, match="env var NOPE_DB is not set"):
        load_config(root)


# --- declarations -------------------------------------------------------------------------------------------


def _declare(root: Path, rel: str, text: str) -> None:
    path = root / "products" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_declarations_are_read_sorted_and_checked(tmp_path: Path) -> None:
    assert read_declarations(tmp_path) == ()
    _declare(tmp_path, "b/two.yml", "model: two\ndata_product: {domain: b}\n")
    _declare(tmp_path, "a/one.yml", "model: one\n")
    found = read_declarations(tmp_path)
    assert [(d.file, d.model, dict(d.descriptor)) for d in found] == [
        ("products/a/one.yml", "one", {}),
        ("products/b/two.yml", "two", {"domain": "b"}),
    ]
    _declare(tmp_path, "c/again.yml", "model: one\n")
    with pytest.raises(
        ConfigError, match=r"products/c/again.yml: model 'one' is already declared in products/a/one.yml"
    ):
        read_declarations(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list\n", "expected a mapping"),
        ("model: x\nowner: me\n", "unknown key 'owner'"),
        ("data_product: {}\n", "model: expected the name of a dbt model"),
        ("model: x\ndata_product: [1]\n", "data_product: expected a mapping"),
        ("model: [x\n", "not valid YAML"),
    ],
)
def test_a_bad_declaration_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    _declare(tmp_path, "d/bad.yml", text)
    with pytest.raises(ConfigError, match=rf"products/d/bad.yml: .*{message}"):
        read_declarations(tmp_path)


def test_a_declared_model_becomes_a_product_and_its_problems_name_the_file(tmp_path: Path) -> None:
    manifest = load_manifest(FIXTURES / "manifest_small.json")
    public = {p.name for p in load_products(manifest)}
    private = next(n.name for n in manifest.models() if n.name not in public and n.config.enabled)
    _declare(tmp_path, "x/p.yml", f"model: {private}\ndata_product: {{domain: x, classification: secret}}\n")
    manifest.declare(read_declarations(tmp_path))
    with pytest.raises(
        ConfigError, match=r"products/x/p.yml: .*data_product.classification: expected one of"
    ):
        load_products(manifest)
    products = {p.name: p for p in load_products(manifest, strict=False)}
    assert products[private].id == f"x.{private}"
    assert public < set(products)

    _declare(tmp_path, "x/p.yml", "model: no_such_model\n")
    manifest.declare(read_declarations(tmp_path))
    with pytest.raises(ConfigError, match="model 'no_such_model' is not an enabled model"):
        load_products(manifest)


def test_declaring_a_product_twice_is_a_problem(tmp_path: Path) -> None:
    manifest = load_manifest(FIXTURES / "manifest_small.json")
    product = next(p for p in load_products(manifest) if p.descriptor.raw)
    _declare(tmp_path, "x/p.yml", f"model: {product.name}\ndata_product: {{domain: x}}\n")
    manifest.declare(read_declarations(tmp_path))
    with pytest.raises(ConfigError, match="also declared in .*keep one of the two"):
        load_products(manifest)


def test_a_manifest_keeps_the_snapshot_beside_it(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_bytes((FIXTURES / "manifest_small.json").read_bytes())
    _declare(tmp_path, "x/p.yml", "model: m\ndata_product: {domain: x}\n")
    write_snapshot(tmp_path, read_declarations(tmp_path))
    assert (tmp_path / SNAPSHOT_FILE).is_file()
    assert [d.model for d in load_manifest(tmp_path / "manifest.json").declarations] == ["m"]
