"""Terminal output: colour where a person reads it, and a live progress line for long steps.

Colour (``color_enabled``) follows the common conventions, first match wins:

1. ``--color never`` / ``--color always`` on the command line;
2. ``NO_COLOR`` set to anything but the empty string: no colour (https://no-color.org);
3. ``FORCE_COLOR`` or ``CLICOLOR_FORCE`` set to anything but empty or ``0``: colour even when piped;
4. ``FORCE_COLOR=0``, ``CLICOLOR=0`` or ``TERM=dumb``: no colour;
5. otherwise colour only when the stream is a terminal (``isatty``).

Nothing here decides *what* is printed: ``Style`` only wraps text the commands already render in ANSI
SGR codes, so the words are the same with and without colour (strip the codes and the text is identical).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping
from typing import TextIO

COLOR_MODES = ("auto", "always", "never")

RESET = "\x1b[0m"
_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "magenta": "35", "cyan": "36"}

# What each status word means, across commands: SLOs (met, at_risk, breached, unknown), checks and
# expectations (passed, failed, error), nightly steps (ok, failed, skipped), verify (verified).
GOOD = frozenset({"ok", "met", "pass", "passed", "success", "verified", "clean"})
WARN = frozenset({"at_risk", "at risk", "warn", "warning", "skipped", "waived", "partial"})
BAD = frozenset({"breached", "failed", "fail", "error", "not verified"})
UNSURE = frozenset({"unknown"})

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Status words as the text renderers print them: upper case anywhere (``BREACHED  sales.orders``, ``dp check
# FAILED``), lower case only where a line starts with one (validate's ``    failed [critical] ...``).
_UPPER_STATUS = re.compile(r"\b(AT[ _]RISK|BREACHED|UNKNOWN|MET|PASSED|FAILED|ERROR|OK|NOT verified)\b")
_LEADING_STATUS = re.compile(r"^(\s+)(passed|failed|error)\b", re.M)


_mode = "auto"


def set_color_mode(mode: str) -> None:
    """The process's ``--color`` choice (``auto``, ``always``, ``never``): the default of ``color_enabled``."""
    global _mode
    if mode not in COLOR_MODES:
        raise ValueError(f"color mode {mode!r} is not one of {', '.join(COLOR_MODES)}")
    _mode = mode


def color_enabled(stream: TextIO, mode: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Whether to colour what goes to ``stream`` (see the module docstring for the order of the rules)."""
    mode = mode or _mode
    if mode == "never":
        return False
    if mode == "always":
        return True
    env = os.environ if env is None else env
    if env.get("NO_COLOR", ""):
        return False
    for name in ("FORCE_COLOR", "CLICOLOR_FORCE"):
        value = env.get(name, "")
        if value and value != "0":
            return True
    if env.get("FORCE_COLOR") == "0" or env.get("CLICOLOR") == "0" or env.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def can_redraw(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Whether a line on ``stream`` can be redrawn in place (a terminal that understands ``ESC [ K``)."""
    env = os.environ if env is None else env
    return is_terminal(stream) and env.get("TERM") != "dumb"


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class Style:
    """Wraps text in colour codes when ``enabled``; returns it unchanged otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: TextIO, mode: str | None = None) -> Style:
        return cls(color_enabled(stream, mode))

    def paint(self, text: str, *styles: str) -> str:
        if not self.enabled or not text or not styles:
            return text
        return f"\x1b[{';'.join(_CODES[s] for s in styles)}m{text}{RESET}"

    def bold(self, text: str) -> str:
        return self.paint(text, "bold")

    def dim(self, text: str) -> str:
        return self.paint(text, "dim")

    def status(self, word: str) -> str:
        """A status word in the colour of what it means (green good, yellow at risk, red bad)."""
        key = word.strip().lower().replace("-", "_")
        if key in GOOD:
            return self.paint(word, "green")
        if key in WARN or key.replace("_", " ") in WARN:
            return self.paint(word, "yellow")
        if key in BAD:
            return self.paint(word, "red", "bold")
        if key in UNSURE:
            return self.paint(word, "magenta")
        return word

    def statuses(self, text: str) -> str:
        """``text`` (a command's rendered report) with its status words coloured."""
        if not self.enabled:
            return text
        text = _UPPER_STATUS.sub(lambda m: self.status(m.group(1)), text)
        return _LEADING_STATUS.sub(lambda m: m.group(1) + self.status(m.group(2)), text)


class StepLine:
    """One step's line on a terminal, redrawn in place while the step runs: ``[3/7] dbt build ... 12s``;
    the final text replaces it when the step ends. On a terminal that cannot redraw (``TERM=dumb``) the
    label is written once and the outcome appended to it."""

    TICK = 0.5

    def __init__(self, stream: TextIO, style: Style, redraw: bool) -> None:
        self.stream = stream
        self.style = style
        self.redraw = redraw
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._label = ""
        self._began = 0.0

    def start(self, label: str) -> None:
        self.finish_quietly()
        self._label = label
        self._began = time.monotonic()
        if not self.redraw:
            self._write(f"{label} ... ")
            return
        self._draw()
        self._stop.clear()
        self._thread = threading.Thread(target=self._tick, name="dp-progress", daemon=True)
        self._thread.start()

    def done(self, text: str) -> None:
        self._join()
        if self.redraw:
            self._write(f"\r\x1b[K{self._label} {text}\n")
        else:
            self._write(f"{text}\n")
        self._label = ""

    def finish_quietly(self) -> None:
        """End a step that never reported an outcome (its label stays, on a line of its own)."""
        if self._label:
            self._join()
            self._write("\n")
            self._label = ""

    def _tick(self) -> None:
        while not self._stop.wait(self.TICK):
            self._draw()

    def _draw(self) -> None:
        elapsed = time.monotonic() - self._began
        self._write(f"\r\x1b[K{self._label} ... {self.style.dim(f'{elapsed:.0f}s')}")

    def _join(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _write(self, text: str) -> None:
        with self._lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):  # the terminal went away: progress is not worth failing for
                pass
