"""The study's figure style and how figures are saved.

Every figure is saved twice, ``figures/<notebook>_<section>.png`` and ``.svg``, with the
metadata that changes between runs (dates, matplotlib's random SVG ids) removed so a rerun
writes identical files. ``AUDIOSCALE_FIGURES`` redirects the folder (the notebook-timing
benchmark uses it so timing runs never overwrite committed figures).
"""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402
import seaborn as sns  # noqa: E402

from ..errors import AudioscaleError  # noqa: E402
from ..paths import REPO  # noqa: E402

DOMINATED_COLOR = "#c0392b"
FRONTIER_COLOR = "#1f4e79"
MAX_LABELS = 12  # beyond this many points of a kind, text labels overlap: draw markers only


def figures_dir() -> Path:
    return Path(os.environ.get("AUDIOSCALE_FIGURES", REPO / "figures"))


def apply_style() -> None:
    """Seaborn's white grid, notebook context; fixed SVG hash salt for stable files."""
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.9)
    plt.rcParams["svg.hashsalt"] = "audioscale"
    plt.rcParams["figure.dpi"] = 100


def save_figure(fig, notebook: str, section: str, dpi: int = 130, close: bool = False) -> list[str]:
    """Write ``<notebook>_<section>.png`` and ``.svg``; return their names as
    ``figures/<file>`` (never a machine path, so notebooks can print them). ``close=True``
    closes the figure once written (a notebook would otherwise also display it)."""
    if not notebook or not section or any(ch in notebook + section for ch in "/\\ "):
        raise AudioscaleError(f"notebook={notebook!r} and section={section!r} must be non-empty names "
                              "without slashes or spaces, e.g. ('06_pareto_scaling', 'asr').")
    out = figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    names = []
    # The salt fixes the SVG clip-path ids, which matplotlib otherwise draws at random; set
    # here rather than trusted to apply_style, since seaborn's set_theme may run after it.
    with plt.rc_context({"svg.hashsalt": "audioscale"}):
        for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
            name = f"{notebook}_{section}.{ext}"
            fig.savefig(out / name, format=ext, dpi=dpi, bbox_inches="tight", metadata=meta)
            names.append(f"figures/{name}")
    if close:
        plt.close(fig)
    return names


def log_x(ax) -> None:
    """Log x axis with plain tick labels (30, 100, 1000) instead of 3×10^1."""
    ax.set_xscale("log")
    plain = ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:.2g}")
    ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
