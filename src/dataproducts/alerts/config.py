"""The ``alerts:`` section of ``dataproducts.yml``, checked once into typed settings (docs/alerts.md).

```yaml
alerts:
  portal_url: https://dataproducts.example.com   # optional: links to <portal_url>/products/<name>/
  timeout_seconds: 10        # one attempt (default 10)
  max_attempts: 4            # per webhook, with exponential backoff (default 4)
  max_seconds: 30            # per webhook, all attempts and waits together (default 30)
  webhooks:
    - name: data-platform    # shown in messages (default: webhook 1, 2, ...)
      format: slack          # slack | teams | json
      url_env: DP_SLACK_WEBHOOK_URL   # or url: https://... (keep secrets out of git: url_env)
      on: [breached, at_risk]         # statuses that alert (default: both)
```

A wrong key or value is a ``ConfigError`` naming the file and the key. A ``url_env`` naming a variable that
is not set is not an error here: the webhook carries the problem, ``dp report --notify`` refuses it before
the report is written (exit 2) and the nightly warns and posts to the other webhooks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from dataproducts.config import CONFIG_FILE, ProjectConfig
from dataproducts.errors import ConfigError

Format = Literal["slack", "teams", "json"]
FORMATS: tuple[Format, ...] = ("slack", "teams", "json")
ALERT_STATUSES = ("breached", "at_risk", "unknown")
DEFAULT_ON = ("breached", "at_risk")
_SECTION_KEYS = {"portal_url", "timeout_seconds", "max_attempts", "max_seconds", "webhooks"}
_WEBHOOK_KEYS = {"name", "format", "url", "url_env", "on"}


@dataclass(frozen=True)
class Webhook:
    name: str
    format: Format
    url: str | None  # None when url_env names a variable that is not set (see ``problem``)
    on: tuple[str, ...]
    problem: str | None = None

    @property
    def shown(self) -> str:
        """The webhook for messages: its name and where it posts, never the URL's secret parts."""
        return f"{self.name} ({redact(self.url)})" if self.url else self.name


@dataclass(frozen=True)
class AlertsConfig:
    webhooks: tuple[Webhook, ...]
    portal_url: str | None = None
    timeout_seconds: float = 10.0
    max_attempts: int = 4
    max_seconds: float = 30.0

    @property
    def problems(self) -> list[str]:
        return [f"alerts webhook {w.name!r}: {w.problem}" for w in self.webhooks if w.problem]


def redact(url: str | None) -> str:
    """``https://hooks.slack.com/…``: scheme and host only (webhook paths and queries carry the secret)."""
    if not url:
        return "no url"
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    rest = "/…" if (parts.path.strip("/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def _number(value: Any, where: str, *, integer: bool = False, minimum: float = 0) -> Any:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
    ):
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{where}: expected {kind}, got {value!r}")
    if value < minimum or (not integer and value <= 0):
        raise ConfigError(f"{where}: expected a positive value, got {value!r}")
    return value


def _url(value: Any, where: str) -> str:
    if (
        not isinstance(value, str)
        or urlsplit(value).scheme not in ("http", "https")
        or not urlsplit(value).netloc
    ):
        shown = redact(value) if isinstance(value, str) else repr(value)
        raise ConfigError(f"{where}: expected an http(s) URL, got {shown}")
    return value


def _webhook(raw: Any, index: int, where: str, environ: Mapping[str, str]) -> Webhook:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping (format, url or url_env, on)")
    unknown = sorted(set(raw) - _WEBHOOK_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_WEBHOOK_KEYS))})")
    name = raw.get("name", f"webhook {index + 1}")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}.name: expected a name, got {name!r}")
    fmt = raw.get("format")
    if fmt not in FORMATS:
        raise ConfigError(f"{where}.format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    on = raw.get("on", list(DEFAULT_ON))
    if isinstance(on, str):
        on = [on]
    if not isinstance(on, list) or not on or any(s not in ALERT_STATUSES for s in on):
        raise ConfigError(f"{where}.on: expected a list of {', '.join(ALERT_STATUSES)}, got {on!r}")
    if ("url" in raw) == ("url_env" in raw):
        raise ConfigError(f"{where}: give url or url_env (the name of an environment variable), not both")
    problem = None
    if "url" in raw:
        url: str | None = _url(raw["url"], f"{where}.url")
    else:
        env = raw["url_env"]
        if not isinstance(env, str) or not env.strip():
            raise ConfigError(f"{where}.url_env: expected an environment variable name, got {env!r}")
        url = environ.get(env) or None
        if url is None:
            problem = f"environment variable {env} (url_env) is not set"
        else:
            url = _url(url, f"{env} (url_env of {where})")
    return Webhook(name=name, format=fmt, url=url, on=tuple(dict.fromkeys(on)), problem=problem)


def load_alerts(cfg: ProjectConfig, environ: Mapping[str, str] | None = None) -> AlertsConfig | None:
    """The project's alert settings, or None when ``dataproducts.yml`` has no ``alerts:`` section."""
    raw = cfg.settings.get("alerts")
    if raw is None:
        return None
    where = f"{cfg.project_dir / CONFIG_FILE}: alerts"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping with webhooks")
    unknown = sorted(set(raw) - _SECTION_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_SECTION_KEYS))})")
    hooks = raw.get("webhooks")
    if not isinstance(hooks, list) or not hooks:
        raise ConfigError(f"{where}.webhooks: expected a list of webhooks")
    env = os.environ if environ is None else environ
    webhooks = tuple(_webhook(h, i, f"{where}.webhooks[{i}]", env) for i, h in enumerate(hooks))
    names = [w.name for w in webhooks]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ConfigError(f"{where}.webhooks: two webhooks are named {duplicate!r}")
    portal = raw.get("portal_url")
    return AlertsConfig(
        webhooks=webhooks,
        portal_url=_url(portal, f"{where}.portal_url").rstrip("/") if portal is not None else None,
        timeout_seconds=float(_number(raw.get("timeout_seconds", 10), f"{where}.timeout_seconds")),
        max_attempts=int(
            _number(raw.get("max_attempts", 4), f"{where}.max_attempts", integer=True, minimum=1)
        ),
        max_seconds=float(_number(raw.get("max_seconds", 30), f"{where}.max_seconds")),
    )
