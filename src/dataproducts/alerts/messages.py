"""What an alert says, and the three shapes it is posted in (docs/alerts.md).

``build_alerts`` turns a finished SLO report document into one ``Alert`` per product whose status a webhook
alerts on; ``payload`` renders a list of alerts for one webhook format:

- ``slack``: an incoming-webhook message, ``text`` (the notification's fallback) plus Block Kit ``blocks``
  (a header, one section per product with its owner, reasons and links, a context line).
- ``teams``: a Workflows/incoming-webhook message with one Adaptive Card (1.4) attachment
  (``application/vnd.microsoft.card.adaptive``); links as ``Action.OpenUrl`` where they are web addresses.
- ``json``: our own document (``kind: dataproducts.alerts``, ``schema_version: 1``) for any receiver.

Renderers compute nothing: every value comes from the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataproducts.alerts.config import Format

PAYLOAD_VERSION = 1
# Slack allows 50 blocks and 3000 characters a section; Teams cards have a size limit too
MAX_LISTED = 20
_SECTION_CHARS = 2900
_STATUS_WORD = {"breached": "BREACHED", "at_risk": "AT RISK", "unknown": "UNKNOWN", "met": "MET"}
_STATUS_ICON = {"breached": ":red_circle:", "at_risk": ":large_orange_circle:", "unknown": ":white_circle:"}


@dataclass(frozen=True)
class Owner:
    team: str | None
    name: str | None
    email: str | None

    def label(self) -> str:
        who = self.team or self.name or "unknown owner"
        return f"{who} <{self.email}>" if self.email else who


@dataclass(frozen=True)
class Alert:
    product: str  # <domain>.<name>
    name: str
    domain: str
    status: str  # breached | at_risk | unknown
    owner: Owner
    reasons: tuple[str, ...]
    links: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertBatch:
    """Everything one notification says: the run it is about and its alerts, worst first."""

    project: str | None
    run_id: str | None
    as_of: str | None
    overall_status: str
    report: str  # the HTML report's path or URL
    alerts: tuple[Alert, ...]


def _reasons(product: Mapping[str, Any]) -> tuple[str, ...]:
    reasons: list[str] = []
    for name, sli in (product.get("slis") or {}).items():
        if sli.get("status") in ("breached", "at_risk", "unknown"):
            reasons.append(
                f"{name} {sli['status'].replace('_', ' ')}: {sli.get('reason') or 'no reason given'}"
            )
    budget = product.get("error_budget") or {}
    if product.get("status") == "at_risk" and not any(
        r.split(" ", 1)[1].startswith("at risk") for r in reasons
    ):
        remaining = budget.get("remaining")
        if isinstance(remaining, int | float):
            reasons.append(f"error budget: {remaining:.0%} left over {budget.get('window_days', '?')} days")
    if not reasons and product.get("status_reason"):
        reasons.append(str(product["status_reason"]))
    return tuple(reasons)


def build_alerts(
    document: Mapping[str, Any], report_html: Path, statuses: Sequence[str], portal_url: str | None = None
) -> AlertBatch:
    """The products of ``document`` whose status is one of ``statuses``, worst first as the report lists
    them, each with its owner, reasons and links (the report, the portal's product page, the dbt docs)."""
    report = report_html.resolve().as_uri()
    alerts = []
    for product in document.get("products") or []:
        if product.get("status") not in statuses:
            continue
        owner = product.get("owner") or {}
        links = {"report": report}
        if portal_url:
            links["portal"] = f"{portal_url}/products/{product['name']}/"
        alerts.append(
            Alert(
                product=product["id"],
                name=product["name"],
                domain=product.get("domain", ""),
                status=product["status"],
                owner=Owner(owner.get("team"), owner.get("name"), owner.get("email")),
                reasons=_reasons(product),
                links=links,
            )
        )
    return AlertBatch(
        project=document.get("project"),
        run_id=document.get("run_id") or document.get("invocation_id"),
        as_of=document.get("as_of_date"),
        overall_status=str(document.get("overall_status")),
        report=report,
        alerts=tuple(alerts),
    )


def _title(batch: AlertBatch) -> str:
    counts: dict[str, int] = {}
    for alert in batch.alerts:
        counts[alert.status] = counts.get(alert.status, 0) + 1
    parts = ", ".join(f"{n} {_STATUS_WORD[s].lower()}" for s, n in counts.items())
    project = f"{batch.project} " if batch.project else ""
    return f"Data products {project}{batch.as_of}: {parts}"


def _is_web(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(batch: AlertBatch) -> dict[str, Any]:
    title = _title(batch)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    for alert in batch.alerts[:MAX_LISTED]:
        links = " | ".join(
            f"<{url}|{label}>" if _is_web(url) else f"{label}: `{_slack_escape(url)}`"
            for label, url in alert.links.items()
        )
        text = (
            f"{_STATUS_ICON.get(alert.status, '')} *{_slack_escape(alert.product)}* "
            f"{_STATUS_WORD[alert.status]}\n*Owner:* {_slack_escape(alert.owner.label())}\n"
            + "\n".join(f"• {_slack_escape(r)}" for r in alert.reasons)
            + (f"\n{links}" if links else "")
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_CHARS]}})
    more = len(batch.alerts) - MAX_LISTED
    footer = f"run {batch.run_id}, overall {batch.overall_status}" + (
        f"; and {more} more" if more > 0 else ""
    )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(footer)}]})
    fallback = (
        title
        + ": "
        + "; ".join(f"{a.product} {_STATUS_WORD[a.status]} ({a.owner.label()})" for a in batch.alerts)
    )
    return {"text": fallback, "blocks": blocks}


def _teams(batch: AlertBatch) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _title(batch), "weight": "Bolder", "size": "Large", "wrap": True},
        {
            "type": "TextBlock",
            "text": f"Run {batch.run_id}, overall {batch.overall_status}",
            "isSubtle": True,
            "wrap": True,
        },
    ]
    for alert in batch.alerts[:MAX_LISTED]:
        color = "Attention" if alert.status == "breached" else "Warning"
        items: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": f"{alert.product}: {_STATUS_WORD[alert.status]}",
                "weight": "Bolder",
                "color": color,
                "wrap": True,
            },
            {"type": "FactSet", "facts": [{"title": "Owner", "value": alert.owner.label()}]},
            *(
                {"type": "TextBlock", "text": f"- {r}", "wrap": True, "spacing": "None"}
                for r in alert.reasons
            ),
        ]
        web = [
            {"type": "Action.OpenUrl", "title": label, "url": url}
            for label, url in alert.links.items()
            if _is_web(url)
        ]
        local = [f"{label}: {url}" for label, url in alert.links.items() if not _is_web(url)]
        items += [{"type": "TextBlock", "text": text, "isSubtle": True, "wrap": True} for text in local]
        if web:
            items.append({"type": "ActionSet", "actions": web})
        body.append({"type": "Container", "separator": True, "items": items})
    more = len(batch.alerts) - MAX_LISTED
    if more > 0:
        body.append({"type": "TextBlock", "text": f"and {more} more in the report", "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _json(batch: AlertBatch) -> dict[str, Any]:
    return {
        "kind": "dataproducts.alerts",
        "schema_version": PAYLOAD_VERSION,
        "project": batch.project,
        "run_id": batch.run_id,
        "as_of": batch.as_of,
        "overall_status": batch.overall_status,
        "report": batch.report,
        "alerts": [
            {
                "product": a.product,
                "name": a.name,
                "domain": a.domain,
                "status": a.status,
                "owner": {"team": a.owner.team, "name": a.owner.name, "email": a.owner.email},
                "reasons": list(a.reasons),
                "links": dict(a.links),
            }
            for a in batch.alerts
        ],
    }


def payload(fmt: Format, batch: AlertBatch) -> dict[str, Any]:
    """The JSON body posted to a webhook of format ``fmt``."""
    return {"slack": _slack, "teams": _teams, "json": _json}[fmt](batch)
