"""Posting alerts: each webhook in its own thread, retried with exponential backoff within a time cap.

A webhook that fails (refused connection, timeout, HTTP 5xx, 429, or any other error) never raises: its
``Delivery`` says what went wrong in one line that shows the webhook's name and host, never the URL's path
or query (where webhook secrets live). Retried: connection errors, timeouts, HTTP 408, 429 and 5xx (a
``Retry-After`` of a 429/503 is honoured within the cap); not retried: other 4xx (the request is wrong).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from dataproducts import __version__
from dataproducts.alerts.config import AlertsConfig, Webhook
from dataproducts.alerts.messages import AlertBatch, payload
from dataproducts.errors import first_line

BACKOFF_SECONDS = 0.5  # first wait; doubled after each failed attempt
_RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Delivery:
    webhook: Webhook
    alerts: int  # products posted (0: nothing to post for this webhook)
    attempts: int
    ok: bool
    error: str | None = None

    def line(self) -> str:
        if self.ok:
            return f"alerts: {self.alerts} product(s) posted to {self.webhook.shown}"
        if not self.attempts:
            return f"alerts: webhook {self.webhook.shown} skipped: {self.error}"
        return f"alerts: webhook {self.webhook.shown} failed after {self.attempts} attempt(s): {self.error}"


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After") if exc.headers else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def post(
    webhook: Webhook,
    body: dict[str, Any],
    settings: AlertsConfig,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[int, str | None]:
    """POST ``body`` to the webhook: (attempts made, None) on success, (attempts, reason) otherwise."""
    assert webhook.url is not None
    data = json.dumps(body).encode("utf-8")
    deadline = clock() + settings.max_seconds
    wait = BACKOFF_SECONDS
    reason = "not attempted"
    attempt = 0
    while attempt < settings.max_attempts:
        attempt += 1
        remaining = deadline - clock()
        if remaining <= 0:
            return attempt - 1, f"{reason}; gave up after {settings.max_seconds:g}s"
        request = urllib.request.Request(
            webhook.url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": f"dataproducts/{__version__}"},
        )
        retry_after = None
        try:
            with urllib.request.urlopen(
                request, timeout=min(settings.timeout_seconds, remaining)
            ) as response:
                response.read()
            return attempt, None
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code} {exc.reason}".strip()
            if exc.code not in _RETRY_STATUSES:
                return attempt, reason
            retry_after = _retry_after(exc)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            reason = first_line(cause) if isinstance(cause, BaseException) else str(cause)
            if webhook.url and webhook.url in reason:  # never show the full address
                reason = reason.replace(webhook.url, webhook.shown)
        if attempt >= settings.max_attempts:
            break
        pause = max(wait, retry_after or 0.0)
        if clock() + pause >= deadline:
            return attempt, f"{reason}; gave up after {settings.max_seconds:g}s"
        sleep(pause)
        wait *= 2
    return attempt, reason


def deliver(settings: AlertsConfig, batch_for: Callable[[Webhook], AlertBatch]) -> list[Delivery]:
    """Post to every webhook at once (each in a thread: a slow one delays no other); one ``Delivery`` each,
    in the configured order. ``batch_for`` gives the alerts a webhook is to receive (its ``on`` statuses)."""

    def one(webhook: Webhook) -> Delivery:
        if webhook.problem or webhook.url is None:
            return Delivery(webhook, 0, 0, False, webhook.problem or "no url")
        batch = batch_for(webhook)
        if not batch.alerts:
            return Delivery(webhook, 0, 0, True)
        try:
            attempts, error = post(webhook, payload(webhook.format, batch), settings)
        except Exception as exc:  # a failing webhook never fails the report
            attempts, error = 1, first_line(exc)
        return Delivery(webhook, len(batch.alerts), attempts, error is None, error)

    hooks: Sequence[Webhook] = settings.webhooks
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(hooks))), thread_name_prefix="dp-alert") as pool:
        return list(pool.map(one, hooks))
