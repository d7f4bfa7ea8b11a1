"""One progress bar for long loops: tqdm on a terminal, nothing elsewhere.

``progress(items, desc="...")`` wraps an iterable (or counts ``total`` updates) and shows a bar
only where a person is watching a terminal: off when stderr is not a TTY (a log file, CI, a
pipe) and off in a notebook, where a bar is run noise in the committed outputs
(``notebooks.clean`` strips the widgets tqdm leaves there). ``enabled=True`` asks for one
anyway, ``enabled=False`` never shows one; the loop runs the same either way.
"""
from __future__ import annotations

import sys
from typing import Iterable, TypeVar

T = TypeVar("T")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (papermill and nbval run one)."""
    ipython = sys.modules.get("IPython")
    try:
        shell = ipython.get_ipython() if ipython is not None else None
    except Exception:  # noqa: BLE001 - an IPython without a shell is no notebook
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def wanted(enabled: bool | None = None) -> bool:
    """Whether to draw a bar: ``enabled`` when given, else a terminal that is not a notebook."""
    if enabled is not None:
        return bool(enabled)
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty()) and not in_notebook()


class _Silent:
    """What ``progress`` returns when no bar is wanted: the same interface, drawing nothing."""

    def __init__(self, iterable=None, total=None):
        self.iterable, self.total, self.n = iterable, total, 0

    def __iter__(self):
        for item in self.iterable or ():
            self.n += 1
            yield item

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(iterable: Iterable[T] | None = None, *, total: int | None = None, desc: str | None = None,
             unit: str = "it", enabled: bool | None = None, leave: bool = False):
    """A bar over ``iterable`` (or ``total`` manual ``update`` calls), to stderr; see the module
    docstring for when it shows. Use as an iterable or as a context manager."""
    if not wanted(enabled):
        return _Silent(iterable, total)
    from tqdm import tqdm  # the terminal bar, never the notebook widget

    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)
    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=leave, file=sys.stderr, dynamic_ncols=True)

