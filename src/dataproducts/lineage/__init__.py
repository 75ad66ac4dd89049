"""OpenLineage run events of the nightly job, sent through openlineage-python's transports (docs/lineage.md).

``emit_nightly`` builds the events of one nightly run from its record (``events.py``) and sends them where
``load_lineage`` says (``config.py``). Lineage never fails the nightly: a transport that cannot send is one
warning line, and the remaining events still go to the other transports.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from dataproducts.config import ProjectConfig
from dataproducts.errors import first_line
from dataproducts.lineage.config import LineageSettings, TransportSpec, load_lineage
from dataproducts.lineage.events import NightlyFacts, nightly_events

__all__ = [
    "EmitResult",
    "LineageSettings",
    "emit_nightly",
    "load_lineage",
    "nightly_facts",
    "warehouse_namespace",
]


@dataclass(frozen=True)
class EmitResult:
    origin: str
    events: int = 0  # events built
    sent: dict[str, int] = field(default_factory=dict)  # transport -> events it took
    problems: tuple[str, ...] = ()

    def line(self) -> str:
        where = ", ".join(f"{name} {n}" for name, n in self.sent.items()) or "nowhere"
        return f"openlineage: {self.events} events ({self.origin}): sent to {where}"


class _StreamTransport:
    """``type: console``: one JSON event per line on stderr (stdout carries the nightly's progress)."""

    kind = "console"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def emit(self, event: Any) -> None:
        from openlineage.client.serde import Serde

        self.stream.write(Serde.to_json(event) + "\n")
        self.stream.flush()

    def close(self, timeout: float = -1) -> bool:
        return True


def _redacted(url: str | None) -> str:
    from urllib.parse import urlsplit

    if not url:
        return "?"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _transport(spec: TransportSpec, environ: Any) -> tuple[str, Any]:
    """(label for messages, an openlineage-python transport) of one ``dataproducts.yml`` transport."""
    if spec.type == "file":
        from openlineage.client.transport.file import FileConfig, FileTransport

        assert spec.path is not None
        spec.path.parent.mkdir(parents=True, exist_ok=True)
        return f"file {spec.path}", FileTransport(FileConfig(log_file_path=str(spec.path), append=True))
    if spec.type == "console":
        return "console", _StreamTransport(sys.stderr)
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    from dataproducts.lineage.config import HTTP_RETRY

    params: dict[str, Any] = {
        "url": spec.url,
        "endpoint": spec.endpoint,
        "timeout": spec.timeout,
        "retry": HTTP_RETRY,
    }
    if spec.api_key_env:
        key = environ.get(spec.api_key_env)
        if not key:
            raise ValueError(f"environment variable {spec.api_key_env} (api_key_env) is not set")
        params["auth"] = {"type": "api_key", "apiKey": key}
    return f"http {_redacted(spec.url)}", HttpTransport(HttpConfig.from_dict(params))


def _transports(settings: LineageSettings, environ: Any) -> tuple[list[tuple[str, Any]], list[str]]:
    """The transports to send to, and one problem line for each that could not be set up."""
    if settings.transports:
        made, problems = [], []
        for spec in settings.transports:
            try:
                made.append(_transport(spec, environ))
            except Exception as exc:  # lineage never fails the nightly
                problems.append(f"openlineage: transport {spec.name!r} not set up: {first_line(exc)}")
        return made, problems
    from openlineage.client import OpenLineageClient

    try:
        client = OpenLineageClient(config=dict(settings.client_config or {}))
    except Exception as exc:
        return [], [f"openlineage: the client's configuration ({settings.origin}) failed: {first_line(exc)}"]
    from openlineage.client.transport.composite import CompositeTransport

    transport = client.transport
    if not isinstance(transport, CompositeTransport):
        return [(_label(transport), client)], []
    try:
        children = list(transport.transports)
    except Exception as exc:
        return [], [f"openlineage: a transport of {settings.origin} failed: {first_line(exc)}"]
    # each of a composite's transports on its own, through the client (its facets, filters and tags), so
    # that one that fails is reported, not only logged by the client while the others go on
    return [(_label(child), _Through(client, child)) for child in children], []


def _label(transport: Any) -> str:
    kind = transport.kind or "transport"
    if kind == "http":
        return f"http {_redacted(getattr(transport, 'url', None))}"
    if kind == "file":
        return f"file {getattr(getattr(transport, 'config', None), 'log_file_path', '?')}"
    return str(kind)


class _Through:
    """One transport of a composite, sent to through the client that made it."""

    def __init__(self, client: Any, transport: Any) -> None:
        self.client = client
        self.transport = transport

    def emit(self, event: Any) -> None:
        self.client.transport = self.transport
        self.client.emit(event)

    def close(self, timeout: float = -1) -> bool:
        return bool(self.transport.close(timeout))


def warehouse_namespace(cfg: ProjectConfig) -> str:
    """The datasets' namespace by OpenLineage's naming: ``postgres://host:port`` or ``duckdb://<file>``."""
    if cfg.profile is not None and cfg.profile.adapter == "postgres":
        target = cfg.profile.postgres_target()
        return f"postgres://{target.host}:{target.port}"
    return f"duckdb://{cfg.warehouse.resolve()}"


def nightly_facts(
    cfg: ProjectConfig,
    record: Any,
    settings: LineageSettings,
    *,
    started_at: dt.datetime,
    statuses: dict[str, str],
    select: Sequence[str] | None = None,
) -> NightlyFacts:
    """The facts of one nightly from its run record (artifacts, the newest validation) and the report."""
    from dataproducts.artifacts import load_manifest, load_run_results
    from dataproducts.products import load_products, select_products
    from dataproducts.runs import VALIDATIONS, parse_ts
    from dataproducts.validation.results import load_summary
    from dataproducts.validation.runner import SUMMARY_FILE

    manifest = load_manifest(record.manifest_path)
    validations = record.parts(VALIDATIONS)
    summary_path: Path | None = validations[-1] / SUMMARY_FILE if validations else None
    validation = load_summary(summary_path) if summary_path and summary_path.is_file() else None
    products = select_products(load_products(manifest), select)
    now = dt.datetime.now(dt.UTC)
    return NightlyFacts(
        dp_run_id=record.run_id,
        as_of=record.meta.as_of,
        started_at=started_at,
        built_at=parse_ts(record.meta.built_at) or now,
        finished_at=now,
        namespace=settings.namespace or manifest.metadata.project_name or "dataproducts",
        warehouse_namespace=warehouse_namespace(cfg),
        manifest=manifest,
        run_results=load_run_results(record.run_results_path),
        products=products,
        validation=validation,
        statuses=statuses,
    )


def emit_nightly(
    cfg: ProjectConfig,
    record: Any,
    *,
    started_at: dt.datetime,
    statuses: dict[str, str],
    select: Sequence[str] | None = None,
    settings: LineageSettings | None = None,
    environ: Any = None,
) -> EmitResult | None:
    """Send the nightly's events; None when lineage is not configured. Never raises for a transport: a
    transport that fails once is given up for this run (its problem is one line) and the others go on."""
    import os

    settings = settings or load_lineage(cfg)
    if not settings.enabled:
        return None
    try:
        events = nightly_events(
            nightly_facts(cfg, record, settings, started_at=started_at, statuses=statuses, select=select)
        )
    except Exception as exc:  # lineage never fails the nightly
        return EmitResult(settings.origin, problems=(f"openlineage: events not built: {first_line(exc)}",))
    transports, problems = _transports(settings, os.environ if environ is None else environ)
    sent: dict[str, int] = {}
    quiet = logging.getLogger("openlineage")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the client's own retries and warnings: we report one line per transport
    try:
        for label, transport in transports:
            sent[label] = 0
            for event in events:
                try:
                    transport.emit(event)
                except Exception as exc:
                    problems.append(
                        f"openlineage: {label} failed after {sent[label]} of {len(events)} events: "
                        f"{_reason(exc)}"
                    )
                    break
                sent[label] += 1
            with contextlib.suppress(Exception):  # nothing left to send
                transport.close()
    finally:
        quiet.setLevel(level)
    return EmitResult(settings.origin, len(events), sent, tuple(problems))


def _reason(exc: BaseException) -> str:
    """One line without URLs' paths (a requests error repeats the full address, query included)."""
    import re

    text = first_line(exc)
    text = re.sub(r"(https?://[^/\s'\"]+)[^\s'\"]*", r"\1", text)
    text = re.sub(r"with url: \S+", "with url: …", text)  # requests' wording: the endpoint, query and all
    return text[:300]
