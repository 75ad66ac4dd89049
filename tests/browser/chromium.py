"""Headless Chromium for browser tests: find the binary, dump a page's DOM, take screenshots, collect console
errors, and drive a page through the DevTools protocol over a pipe (no websocket package needed).

Reusable by any test: ``tests/conftest.py`` puts ``tests/`` on ``sys.path`` (pytest's default import mode), so
``from browser.chromium import dump_dom`` works from every test folder. Mark such tests ``@pytest.mark.browser``.
A missing Chromium is a failure, never a skip: CI installs it (``.ci/run``).

    dump_dom(path_or_url) -> str                      the DOM after load (``--dump-dom``)
    screenshot(path_or_url, out, width, height) -> Path   a PNG of the viewport (``--screenshot``)
    console_errors(path_or_url) -> list[str]          console errors, uncaught exceptions, failed loads
    with open_page(path_or_url, width=..., height=...) as page:
        page.evaluate("js expression")                the value, JSON-serialisable
        page.screenshot(out, full_page=True)          a PNG through the protocol
        page.errors / page.console / page.dialogs     what the page reported while loading

Flags follow the machine notes: without the background-networking flags Chromium tries the (closed) network.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTALL_HINT = (
    "Chromium is required for browser tests and was not found (looked for $CHROMIUM, `chromium` on PATH and "
    "/usr/bin/chromium). Install it: `apt-get install chromium` (Debian; CI does this in .ci/run)."
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)
TIMEOUT = 60.0
DEBIAN_PATH = "/usr/bin/chromium"


def chromium_binary() -> str:
    """The Chromium executable; fails loudly (AssertionError) when there is none."""
    candidates = [os.environ.get("CHROMIUM"), shutil.which("chromium"), DEBIAN_PATH]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise AssertionError(INSTALL_HINT)


def as_url(path_or_url: str | os.PathLike[str]) -> str:
    """A ``file://`` URL for a path; URLs (anything with ``://``, ``about:``, ``data:``) pass through."""
    raw = os.fspath(path_or_url)
    if "://" in raw or raw.startswith(("about:", "data:")):
        return raw
    path = Path(raw).resolve()
    assert path.exists(), f"no such file to open in Chromium: {path}"
    return path.as_uri()


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [chromium_binary(), *FLAGS, f"--user-data-dir={profile}", *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, (
        f"chromium exited {result.returncode}: {' '.join(cmd)}\n{result.stderr[-3000:]}"
    )
    return result


def dump_dom(
    path_or_url: str | os.PathLike[str], *, width: int = 1280, height: int = 900, timeout: float = TIMEOUT
) -> str:
    """The serialized DOM after the page loaded (and ran any scripts), as Chromium's ``--dump-dom`` prints it."""
    result = _run([f"--window-size={width},{height}", "--dump-dom", as_url(path_or_url)], timeout)
    assert "<html" in result.stdout.lower(), f"--dump-dom printed no document:\n{result.stderr[-2000:]}"
    return result.stdout


def screenshot(
    path_or_url: str | os.PathLike[str],
    out: str | os.PathLike[str],
    width: int,
    height: int,
    *,
    timeout: float = TIMEOUT,
) -> Path:
    """A PNG of the first ``width`` x ``height`` pixels of the page (``--screenshot``); asserts it is one."""
    target = Path(out).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    _run([f"--window-size={width},{height}", f"--screenshot={target}", as_url(path_or_url)], timeout)
    assert_png(target)
    return target


def assert_png(path: Path) -> tuple[int, int]:
    """Asserts ``path`` is a non-empty PNG; returns its (width, height)."""
    assert path.is_file() and path.stat().st_size > 0, f"no screenshot written at {path}"
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


# ------------------------------------------------------------------------- DevTools protocol over a pipe


class CDPError(RuntimeError):
    pass


@dataclass
class Page:
    """A page opened in headless Chromium, driven over ``--remote-debugging-pipe``."""

    _proc: subprocess.Popen[bytes]
    _write_fd: int
    _read_fd: int
    session_id: str = ""
    timeout: float = TIMEOUT
    console: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    _buffer: bytes = b""
    _next_id: int = 0
    _events: list[dict[str, Any]] = field(default_factory=list)

    # -- protocol plumbing
    def _send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session_id:
            message["sessionId"] = self.session_id
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._write_fd, data) :]
        return self._next_id

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._read_fd], [], [], left)
            if ready:
                chunk = os.read(self._read_fd, 1 << 20)
                if not chunk:
                    raise CDPError(f"Chromium closed the pipe (exit {self._proc.poll()})")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        if "method" in message:
            self._on_event(message)
        return message

    def _on_event(self, event: dict[str, Any]) -> None:
        self._events.append(event)
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            texts = [str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])]
            entry = {"type": params.get("type"), "text": " ".join(texts)}
            self.console.append(entry)
            if entry["type"] in ("error", "assert"):
                self.errors.append(f"console.{entry['type']}: {entry['text']}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            description = details.get("exception", {}).get("description") or details.get("text", "")
            self.errors.append(f"uncaught exception: {description}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                where = f" ({entry['url']})" if entry.get("url") else ""
                self.errors.append(f"{entry.get('source', 'log')}: {entry.get('text', '')}{where}")
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(f"{params.get('type')}: {params.get('message')}")
            self._send("Page.handleJavaScriptDialog", {"accept": False})

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = True
    ) -> dict[str, Any]:
        """Send one protocol command and wait for its result (events seen meanwhile are recorded)."""
        wanted = self._send(method, params, session=session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def wait_for(self, method: str) -> dict[str, Any]:
        """Wait for the next event named ``method`` (or return one already received)."""
        for i, event in enumerate(self._events):
            if event["method"] == method:
                del self._events[: i + 1]
                return event
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            if message.get("method") == method:
                self._events.clear()
                return message

    def settle(self, seconds: float = 0.3) -> None:
        """Read events for a short while (late console messages, async errors)."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError):
            while True:
                self._read_message(deadline)

    # -- page API
    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        self.settle()

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (``returnByValue``)."""
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in result:
            raise CDPError(f"evaluate({expression!r}) threw: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def screenshot(self, out: str | os.PathLike[str], *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            metrics = self.call("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(data))
        assert_png(target)
        return target


def _pipe_preexec(read_end: int, write_end: int) -> Any:
    """Child set-up: Chromium reads commands on fd 3 and writes replies on fd 4."""

    def setup() -> None:
        # Move both ends above 4 first so that neither dup2 clobbers the other.
        high_read, high_write = os.dup(read_end), os.dup(write_end)
        os.dup2(high_read, 3)
        os.dup2(high_write, 4)

    return setup


@contextlib.contextmanager
def open_page(
    path_or_url: str | os.PathLike[str],
    *,
    width: int = 1280,
    height: int = 900,
    mobile: bool | None = None,
    timeout: float = TIMEOUT,
) -> Iterator[Page]:
    """Open ``path_or_url`` in a fresh headless Chromium at ``width`` x ``height`` CSS pixels, wait for the
    load event and yield the :class:`Page`. ``mobile`` (default: width < 600) emulates a phone viewport."""
    url = as_url(path_or_url)
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [
            chromium_binary(),
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=_pipe_preexec(to_chrome_r, from_chrome_w),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        page = Page(proc, to_chrome_w, from_chrome_r, timeout=timeout)
        try:
            target = page.call("Target.createTarget", {"url": "about:blank"}, session=False)
            attached = page.call(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, session=False
            )
            page.session_id = attached["sessionId"]
            for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
                page.call(domain)
            page.call(
                "Emulation.setDeviceMetricsOverride",
                {
                    "width": width,
                    "height": height,
                    "deviceScaleFactor": 1,
                    "mobile": width < 600 if mobile is None else mobile,
                },
            )
            page.goto(url)
            yield page
        finally:
            with contextlib.suppress(Exception):
                page.session_id = ""
                page._send("Browser.close", session=False)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            os.close(to_chrome_w)
            os.close(from_chrome_r)


def console_errors(path_or_url: str | os.PathLike[str], *, width: int = 1280, height: int = 900) -> list[str]:
    """Console errors, uncaught exceptions, blocked or failed loads and any alert/confirm/prompt dialog
    (reported as ``dialog: ...``) while loading the page. An empty list means a clean load."""
    with open_page(path_or_url, width=width, height=height) as page:
        return page.errors + [f"dialog: {d}" for d in page.dialogs]
