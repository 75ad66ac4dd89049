"""The tokens file: minted tokens are stored as hashes only, names are unique, a damaged file is one line
naming it, and the server's store sees a change without a restart."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from conftest import REPO, dp
from dataproducts.api.tokens import TokenStore, create_token, read_tokens, revoke_token
from dataproducts.errors import ConfigError, UsageError
from dataproducts.governance.access import load_roles

ROLES = load_roles(REPO)


def test_a_token_is_stored_as_its_hash_and_found_by_it(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "tokens.json"
    minted = create_token(path, ROLES, role="analysts", description="BI")
    again = create_token(path, ROLES, role="analysts")
    assert (minted.entry.name, again.entry.name) == ("analysts-1", "analysts-2")
    assert minted.token != again.token and minted.token.startswith("dpt_") and len(minted.token) == 47
    text = path.read_text()
    assert minted.token not in text and hashlib.sha256(minted.token.encode()).hexdigest() in text
    assert path.stat().st_mode & 0o777 == 0o600
    store = TokenStore(path)
    found = store.lookup(minted.token)
    assert found is not None and (found.name, found.role) == ("analysts-1", "analysts")
    assert store.lookup(minted.token[:-1] + ("A" if minted.token[-1] != "A" else "B")) is None
    assert store.lookup("") is None and store.lookup(minted.entry.sha256) is None  # the hash is no token
    revoke_token(path, "analysts-1")
    assert store.lookup(minted.token) is None  # seen at once: the file changed
    assert store.lookup(again.token) is not None


def test_wrong_roles_names_and_revocations_are_usage_errors(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    with pytest.raises(UsageError, match="--role nobody: not a role of roles.yml"):
        create_token(path, ROLES, role="nobody")
    create_token(path, ROLES, role="analysts", name="bi")
    with pytest.raises(UsageError, match="--name bi: a token of that name exists"):
        create_token(path, ROLES, role="domain_sales", name="bi")
    with pytest.raises(UsageError, match="--name 'Bad Name'"):
        create_token(path, ROLES, role="analysts", name="Bad Name")
    with pytest.raises(UsageError, match="nope: no such token"):
        revoke_token(path, "nope")
    assert [t.name for t in read_tokens(path)] == ["bi"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON (line 1)"),
        ('{"version": 1, "tokens": [{"name": "x"}]}', "tokens.0.role: Field required"),
        ('{"version": 2, "tokens": []}', "version 2, this dp reads version 1"),
        ('{"version": 1, "tokens": [], "extra": 1}', "extra: Extra inputs are not permitted"),
    ],
)
def test_a_damaged_tokens_file_is_one_line_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        read_tokens(path)
    assert str(raised.value).startswith(str(path)) and "\n" not in str(raised.value)


def test_dp_token_list_on_a_damaged_file_exits_2_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"version": 1, "tokens": "no"}))
    result = dp("token", "list", "--tokens-file", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"dp: error: {path}: tokens:") and len(result.stderr.splitlines()) == 1
    empty = dp("token", "list", "--tokens-file", str(tmp_path / "none.json"))
    assert empty.returncode == 0 and empty.stdout.startswith("no API tokens")


def test_dp_token_json_documents(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    created = dp(
        "token", "create", "--role", "app_kpi_alerting", "--tokens-file", str(path), "--format", "json"
    )
    assert created.returncode == 0, created.stderr
    doc = json.loads(created.stdout)
    assert (doc["status"], doc["exit_code"], doc["name"], doc["role"]) == (
        "ok",
        0,
        "app_kpi_alerting-1",
        "app_kpi_alerting",
    )
    assert TokenStore(path).lookup(doc["token"]) is not None
    listed = json.loads(dp("token", "list", "--tokens-file", str(path), "--format", "json").stdout)
    assert [set(t) for t in listed["tokens"]] == [{"name", "role", "created_at", "description"}]
    assert doc["token"] not in json.dumps(listed)
    revoked = json.loads(
        dp("token", "revoke", "app_kpi_alerting-1", "--tokens-file", str(path), "--format", "json").stdout
    )
    assert revoked["revoked"] == {"name": "app_kpi_alerting-1", "role": "app_kpi_alerting"}
    assert read_tokens(path) == []
