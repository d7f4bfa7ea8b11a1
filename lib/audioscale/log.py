"""Messages of the command line: warnings and diagnostics go to stderr through ``logging``;
results stay on stdout (``print``). ``setup`` is the one place that decides what is shown.

Library modules log with ``logging.getLogger(__name__)`` and never configure logging: in a
notebook or an importing program the host's configuration applies.
"""
from __future__ import annotations

import logging
import sys

# -q, (none), -v, -vv
LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the message (a test's capture, a
    redirect), not the stream that was current when the handler was made."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class _Formatter(logging.Formatter):
    """Plain text, as a released tool prints it: ``warning: ...``; errors arrive already
    prefixed the way argparse prefixes its own (``audioscale asr: error: ...``)."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno == logging.WARNING:
            return f"warning: {text}"
        if record.levelno == logging.DEBUG:
            return f"debug: {record.name}: {text}"
        return text


def verbosity(verbose: int = 0, quiet: bool = False) -> int:
    """-1 (quiet), 0, 1 (-v), 2 (-vv and more)."""
    return -1 if quiet else min(int(verbose or 0), 2)


def setup(level: int = 0) -> logging.Logger:
    """Route every logger (and Python warnings) to stderr at ``level`` (see ``verbosity``):
    errors always, warnings unless quiet, info with -v, debug with -vv. Idempotent: a second
    call replaces the handler the first one installed."""
    root = logging.getLogger()
    for h in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(h)
    handler = _Stderr()
    handler.setFormatter(_Formatter())
    root.addHandler(handler)
    root.setLevel(LEVELS[max(-1, min(level, 2))])
    logging.captureWarnings(True)
    return logging.getLogger("audioscale")
