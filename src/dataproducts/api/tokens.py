"""Bearer tokens of the data API: each maps to one consumer role of ``roles.yml``.

A token is minted once (``dp token create --role ROLE``), printed once, and stored only as its SHA-256 hash in
the tokens file (``api_tokens`` in dataproducts.yml, ``DP_API_TOKENS``, default ``api_tokens.json`` in the
project, git-ignored, mode 0600). The server reads the file again when it changes, so a new or revoked token
takes effect on the next request. A token is ``dpt_`` followed by 43 URL-safe characters (256 random bits):
a hash without salt is enough for a secret of that size, and it lets the server find a token in one lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dataproducts.errors import ConfigError, UsageError
from dataproducts.fileio import write_atomic
from dataproducts.governance.access import Roles

TOKEN_PREFIX = "dpt_"
TOKEN_PATTERN = re.compile(r"dpt_[A-Za-z0-9_-]{43}")
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{0,62}")
FILE_VERSION = 1


class TokenEntry(BaseModel):
    """One minted token: its name, role, hash and when it was made (never the token itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN.pattern)
    role: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: str
    description: str = ""


class TokensFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = FILE_VERSION
    tokens: list[TokenEntry] = []


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def read_tokens(path: Path) -> list[TokenEntry]:
    """The tokens in ``path`` (none when the file does not exist); a one-line ``ConfigError`` naming the
    file when it is unreadable or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the API tokens file ({exc.__class__.__name__})") from exc
    try:
        data = TokensFile.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}); the API tokens file") from exc
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        raise ConfigError(f"{path}: {where}: {error['msg']}") from exc
    if data.version != FILE_VERSION:
        raise ConfigError(f"{path}: version {data.version}, this dp reads version {FILE_VERSION}")
    return data.tokens


def _write(path: Path, tokens: list[TokenEntry]) -> None:
    text = TokensFile(tokens=tokens).model_dump_json(indent=2) + "\n"
    write_atomic(path, text)
    path.chmod(0o600)  # hashes only, but nobody else needs to read them


@dataclass(frozen=True)
class Minted:
    entry: TokenEntry
    token: str  # shown once, never stored


def create_token(
    path: Path, roles: Roles, *, role: str, name: str | None = None, description: str = ""
) -> Minted:
    """Mint a token for ``role`` (declared in roles.yml), store its hash in ``path``, return it once."""
    if roles.get(role) is None:
        known = ", ".join(roles.names) or "none: the project has no roles.yml"
        raise UsageError(f"--role {role}: not a role of roles.yml (roles: {known})")
    tokens = read_tokens(path)
    taken = {t.name for t in tokens}
    if name is None:
        n = 1
        while f"{role}-{n}" in taken:
            n += 1
        name = f"{role}-{n}"
    elif not NAME_PATTERN.fullmatch(name):
        raise UsageError(f"--name {name!r}: use lower-case letters, digits, '_', '-' or '.' (at most 63)")
    elif name in taken:
        raise UsageError(f"--name {name}: a token of that name exists in {path} (revoke it first)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    entry = TokenEntry(
        name=name, role=role, sha256=token_hash(token), created_at=created, description=description
    )
    _write(path, [*tokens, entry])
    return Minted(entry, token)


def revoke_token(path: Path, name: str) -> TokenEntry:
    """Remove the token named ``name`` from ``path``."""
    tokens = read_tokens(path)
    found = next((t for t in tokens if t.name == name), None)
    if found is None:
        known = ", ".join(t.name for t in tokens) or "none"
        raise UsageError(f"{name}: no such token in {path} (tokens: {known})")
    _write(path, [t for t in tokens if t.name != name])
    return found


def render_list(tokens: list[TokenEntry]) -> str:
    if not tokens:
        return "no API tokens (mint one with dp token create --role ROLE)\n"
    header = ("name", "role", "created_at", "description")
    body = [(t.name, t.role, t.created_at, t.description) for t in tokens]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in (header, *body)
    )


class TokenStore:
    """The tokens file as the server reads it: re-read when its modification time or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._by_hash: dict[str, TokenEntry] = {}

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp and (stamp is not None or not self._by_hash):
            return
        tokens = read_tokens(self.path) if stamp is not None else []
        self._by_hash = {t.sha256: t for t in tokens}
        self._stamp = stamp

    def lookup(self, token: str) -> TokenEntry | None:
        """The entry of ``token``, or None. Compared by hash, in constant time per candidate."""
        self._refresh()
        if not TOKEN_PATTERN.fullmatch(token):
            return None
        digest = token_hash(token)
        found: TokenEntry | None = None
        for known, entry in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                found = entry
        return found

    def as_dict(self) -> dict[str, Any]:  # for tests and debugging: names and roles only
        self._refresh()
        return {t.name: t.role for t in self._by_hash.values()}
