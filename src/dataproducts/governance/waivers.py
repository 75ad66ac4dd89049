"""Rule waivers recorded in the repository (``waivers.yml``), each with its reason.

```yaml
waivers:
  - product: sales.orders
    rule: DP007
    reason: "Consumers are being onboarded; exposure lands with the Q1 dashboard."
    expires: 2027-03-31      # optional; an expired waiver no longer applies
```

A waiver without a product, a known rule or a reason is a configuration error (exit 2): an unexplained
exception is how governance erodes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dataproducts.errors import ConfigError
from dataproducts.governance.rules import RULES_BY_ID

DEFAULT_WAIVERS = Path("waivers.yml")


@dataclass(frozen=True)
class Waiver:
    product: str
    rule: str
    reason: str
    expires: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        return self.expires is None or today <= self.expires


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: expires {value!r} is not a date (YYYY-MM-DD)") from None


def parse_waivers(data: Any, source: str = "waivers.yml") -> tuple[Waiver, ...]:
    if data is None:
        return ()
    if isinstance(data, Mapping):
        data = data.get("waivers") or []
    if not isinstance(data, list):
        raise ConfigError(f"{source}: expected a list of waivers under 'waivers:'")
    waivers: list[Waiver] = []
    for index, raw in enumerate(data, start=1):
        where = f"{source}: waiver {index}"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where}: expected a mapping with product, rule and reason")
        product = str(raw.get("product") or "").strip()
        rule_id = str(raw.get("rule") or "").strip().upper()
        reason = str(raw.get("reason") or "").strip()
        if not product:
            raise ConfigError(f"{where}: no product")
        if rule_id not in RULES_BY_ID:
            raise ConfigError(f"{where} ({product}): unknown rule {raw.get('rule')!r} (rules DP001-DP0xx)")
        if not reason:
            raise ConfigError(f"{where} ({product} {rule_id}): a waiver needs a reason")
        waivers.append(Waiver(product, rule_id, reason, _date(raw.get("expires"), where)))
    return tuple(waivers)


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """The waivers in ``path``; no file means no waivers."""
    path = Path(path)
    if not path.is_file():
        return ()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
    return parse_waivers(data, str(path.name))
