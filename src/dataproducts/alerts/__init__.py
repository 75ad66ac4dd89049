"""Alerts: breached and at-risk data products posted to webhooks after a report (docs/alerts.md).

``dp report --notify`` and the nightly job (whenever ``alerts:`` is configured) call ``notify`` once the
report is written. Alerts never change the report or its exit code: a webhook that fails is one line on
stderr (its name and host, never the URL's secret parts).
"""

from __future__ import annotations

from dataclasses import dataclass

from dataproducts.alerts.config import AlertsConfig, Webhook, load_alerts, redact
from dataproducts.alerts.messages import Alert, AlertBatch, build_alerts, payload
from dataproducts.alerts.send import Delivery, deliver
from dataproducts.slo.report import WrittenReport

__all__ = [
    "Alert",
    "AlertBatch",
    "AlertsConfig",
    "Delivery",
    "NotifyResult",
    "Webhook",
    "build_alerts",
    "load_alerts",
    "notify",
    "payload",
    "redact",
]


@dataclass(frozen=True)
class NotifyResult:
    deliveries: tuple[Delivery, ...]

    @property
    def failures(self) -> list[str]:
        """One line per webhook that could not be posted to."""
        return [d.line() for d in self.deliveries if not d.ok]

    @property
    def posted(self) -> list[str]:
        """One line per webhook that received alerts."""
        return [d.line() for d in self.deliveries if d.ok and d.alerts]


def report_file(written: WrittenReport) -> str:
    """The report the alerts link to: the dated copy (``latest`` is replaced by the next report)."""
    for name in ("slo_report.html", "slo_report.json"):
        if name in written.files:
            return str(written.dated_dir / name)
    return str(written.dated_dir)


def notify(settings: AlertsConfig, written: WrittenReport) -> NotifyResult:
    """Post the report's breached and at-risk products (as each webhook's ``on`` says) to every webhook."""
    from pathlib import Path

    document = written.report.document
    html = Path(report_file(written))

    def batch_for(webhook: Webhook) -> AlertBatch:
        return build_alerts(document, html, webhook.on, settings.portal_url)

    return NotifyResult(tuple(deliver(settings, batch_for)))
