"""Where the nightly's OpenLineage events go: one precedence, resolved once (docs/lineage.md).

1. ``OPENLINEAGE_DISABLED=true``: no events.
2. OpenLineage's own environment (``OPENLINEAGE_CONFIG``, ``OPENLINEAGE_URL``, ``OPENLINEAGE__TRANSPORT__*``):
   the client's own configuration, as every OpenLineage integration reads it (environment beats files).
3. The ``openlineage:`` section of ``dataproducts.yml``.
4. ``openlineage.yml`` in the project directory (the client's own file format).
5. Otherwise no events (never the client's fallback of printing to the console).

In the client's files (2, 4) a file transport's relative ``log_file_path`` is resolved against the project
directory, like every other path ``dp`` reads, never against the current directory, and ``append`` is true
unless the file says otherwise: one file with one JSON event per line.

``dataproducts.yml``::

    openlineage:
      namespace: dataproducts          # the jobs' namespace (default OPENLINEAGE_NAMESPACE, else the dbt project's name)
      transport:                       # one transport, or a list of them (each gets every event)
        type: http                     # http | file | console
        url: http://marquez:5000
        endpoint: api/v1/lineage       # default
        api_key_env: MARQUEZ_API_KEY   # the environment variable holding the API key (sent as a Bearer token)
        timeout: 5                     # seconds per request (default 5)
      # type: file -> path: lineage/openlineage.jsonl (relative to the project; one JSON event per line, appended)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataproducts.config import CONFIG_FILE, ProjectConfig
from dataproducts.errors import ConfigError

OPENLINEAGE_FILE = "openlineage.yml"
TRANSPORT_TYPES = ("http", "file", "console")
_SECTION_KEYS = {"namespace", "transport", "enabled"}
_KEYS = {
    "http": {"type", "name", "url", "endpoint", "api_key_env", "timeout"},
    "file": {"type", "name", "path", "log_file_path"},
    "console": {"type", "name"},
}
# a lineage server that is down must not hold the nightly up: 3 tries, 0.5 s then 1 s apart
HTTP_RETRY = {"total": 2, "connect": 2, "read": 2, "backoff_factor": 0.5}


@dataclass(frozen=True)
class TransportSpec:
    """One transport of the ``openlineage:`` section, checked (the secret stays in the environment)."""

    type: str
    name: str
    url: str | None = None
    endpoint: str = "api/v1/lineage"
    api_key_env: str | None = None
    timeout: float = 5.0
    path: Path | None = None


@dataclass(frozen=True)
class LineageSettings:
    """Where events go: ``transports`` (dataproducts.yml) or ``client_config`` (the client's own), or off."""

    origin: str  # what chose it, for messages: "dataproducts.yml", "OPENLINEAGE_CONFIG", ...
    namespace: str | None = None
    transports: tuple[TransportSpec, ...] = ()
    client_config: Mapping[str, Any] | None = field(default=None)
    enabled: bool = True


def _env_configured(environ: Mapping[str, str]) -> str | None:
    for name in ("OPENLINEAGE_CONFIG", "OPENLINEAGE_URL"):
        if environ.get(name):
            return name
    if any(k.startswith("OPENLINEAGE__TRANSPORT") for k in environ):
        return "OPENLINEAGE__TRANSPORT__*"
    return None


def _anchor_files(transport: Any, root: Path) -> Any:
    """The client's transport config with relative file paths made absolute under ``root``."""
    if not isinstance(transport, dict):
        return transport
    out = dict(transport)
    if out.get("type") == "file" and isinstance(out.get("log_file_path"), str):
        path = Path(out["log_file_path"]).expanduser()
        if "://" not in out["log_file_path"] and not path.is_absolute():
            out["log_file_path"] = str(root / path)
        out.setdefault(
            "append", True
        )  # one file, one JSON event per line (the client's default: a file each)
    if out.get("type") == "composite":
        inner = out.get("transports")
        if isinstance(inner, list):
            out["transports"] = [_anchor_files(t, root) for t in inner]
        elif isinstance(inner, dict):
            out["transports"] = {k: _anchor_files(t, root) for k, t in inner.items()}
    return out


def _client_file(path: Path, shown: str, root: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the OpenLineage configuration ({shown}): {exc.strerror}"
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping (transport: ...)")
    transport = data.get("transport")
    if not isinstance(transport, dict) or not transport.get("type"):
        raise ConfigError(f"{path}: transport: expected a mapping with a type (http, file, composite, ...)")
    return {**data, "transport": _anchor_files(transport, root)}


def _spec(raw: Any, index: int, where: str, root: Path) -> TransportSpec:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping with a type ({', '.join(TRANSPORT_TYPES)})")
    kind = raw.get("type")
    if kind not in TRANSPORT_TYPES:
        raise ConfigError(f"{where}.type: expected one of {', '.join(TRANSPORT_TYPES)}, got {kind!r}")
    unknown = sorted(set(raw) - _KEYS[kind])
    if unknown:
        hint = " (keep secrets out of the file: api_key_env)" if "api_key" in unknown else ""
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} for type {kind}{hint}")
    name = raw.get("name", f"{kind} {index + 1}")
    if kind == "file":
        if "path" in raw and "log_file_path" in raw:
            raise ConfigError(f"{where}: give path or log_file_path (the same setting), not both")
        value = raw.get("path", raw.get("log_file_path"))
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}.path: expected a file path (relative to the project)")
        path = Path(value).expanduser()
        return TransportSpec(type=kind, name=str(name), path=path if path.is_absolute() else root / path)
    if kind == "console":
        return TransportSpec(type=kind, name=str(name))
    url = raw.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.url: expected an http(s) URL, got {url!r}")
    endpoint = raw.get("endpoint", "api/v1/lineage")
    if not isinstance(endpoint, str):
        raise ConfigError(f"{where}.endpoint: expected a path, got {endpoint!r}")
    env = raw.get("api_key_env")
    if env is not None and (not isinstance(env, str) or not env.strip()):
        raise ConfigError(f"{where}.api_key_env: expected an environment variable name, got {env!r}")
    timeout = raw.get("timeout", 5)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"{where}.timeout: expected a positive number of seconds, got {timeout!r}")
    return TransportSpec(
        type=kind, name=str(name), url=url, endpoint=endpoint, api_key_env=env, timeout=float(timeout)
    )


def load_lineage(cfg: ProjectConfig, environ: Mapping[str, str] | None = None) -> LineageSettings:
    """The lineage settings by the precedence in the module docstring; ``ConfigError`` on a wrong value."""
    env = os.environ if environ is None else environ
    root = cfg.project_dir
    section = cfg.settings.get("openlineage")
    where = f"{root / CONFIG_FILE}: openlineage"
    namespace = env.get("OPENLINEAGE_NAMESPACE") or None
    if section is not None:
        if not isinstance(section, Mapping):
            raise ConfigError(f"{where}: expected a mapping (namespace, transport)")
        unknown = sorted(set(section) - _SECTION_KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_SECTION_KEYS))})"
            )
        ns = section.get("namespace")
        if ns is not None and (not isinstance(ns, str) or not ns.strip()):
            raise ConfigError(f"{where}.namespace: expected a name, got {ns!r}")
        namespace = namespace or ns
        if section.get("enabled", True) is False:
            return LineageSettings(origin=f"{CONFIG_FILE} (enabled: false)", enabled=False)
    if env.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return LineageSettings(origin="OPENLINEAGE_DISABLED", enabled=False)
    chosen = _env_configured(env)
    if chosen == "OPENLINEAGE_CONFIG":
        path = Path(env["OPENLINEAGE_CONFIG"]).expanduser()
        return LineageSettings(
            origin=f"OPENLINEAGE_CONFIG ({path})",
            namespace=namespace,
            client_config=_client_file(path, "OPENLINEAGE_CONFIG", root),
        )
    if chosen:
        return LineageSettings(origin=chosen, namespace=namespace, client_config={})
    if section is not None and section.get("transport") is not None:
        raw = section["transport"]
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            raise ConfigError(f"{where}.transport: expected a transport or a list of them")
        specs = tuple(
            _spec(t, i, f"{where}.transport" + (f"[{i}]" if isinstance(raw, list) else ""), root)
            for i, t in enumerate(items)
        )
        return LineageSettings(origin=CONFIG_FILE, namespace=namespace, transports=specs)
    if section is not None:
        raise ConfigError(f"{where}.transport: expected a transport (type: http, file or console)")
    own = root / OPENLINEAGE_FILE
    if own.is_file():
        return LineageSettings(
            origin=str(own), namespace=namespace, client_config=_client_file(own, OPENLINEAGE_FILE, root)
        )
    return LineageSettings(origin="not configured", enabled=False)
