"""Figures of the analysis notebooks: Pareto frontiers, scaling-law fits, iso-FLOP curves.

Plotting lives here so ``analysis.pareto``, ``analysis.scaling_law`` and ``analysis.iso_flop``
stay pure analysis.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns

from ..analysis.pareto import dominated_mask, dominators
from .style import DOMINATED_COLOR, FRONTIER_COLOR, MAX_LABELS, log_x


def _fmt_budget(b: float) -> str:
    return f"{b:,.0f}" if b >= 10 else f"{b:.3g}"


def frontier_plot(ax, df: pd.DataFrame, cost: str = "gflops", error: str = "wer_pct", label: str = "label",
                  maximize: bool = False, budgets: Sequence[float] = (), title: str | None = None,
                  cost_label: str = "GFLOPs per utterance", error_label: str | None = None,
                  label_frontier: bool = True, spread: bool = False) -> None:
    """Scatter of all configurations on a log-cost axis; the frontier as the staircase of the
    best error reachable at each cost; dominated points in red with an arrow to their cheapest
    dominator; vertical dotted iso-FLOP guide lines at ``budgets``. Text labels are drawn for a
    kind of point (frontier / dominated) only while there are at most ``MAX_LABELS`` of them.
    ``spread=True`` moves labels that would overlap upwards (``spread_offsets``), with a thin
    leader line to their point: for clusters of nearly equal cost and error."""
    if df.empty:
        ax.text(0.5, 0.5, "no rows", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title or "")
        return
    dom = dominated_mask(df, cost, error, maximize).to_numpy()
    front = df[~dom].sort_values(cost, kind="stable")
    # Staircase: from each frontier point the best reachable error holds until the next one.
    xs = front[cost].to_numpy(dtype=float)
    ys = front[error].to_numpy(dtype=float)
    x_end = df[cost].max() * 1.6
    ax.step(np.append(xs, x_end), np.append(ys, ys[-1]), where="post", color=FRONTIER_COLOR,
            lw=1.4, alpha=0.7, label="Pareto frontier", zorder=2)
    ax.scatter(front[cost], front[error], s=40, color=FRONTIER_COLOR, zorder=3, label="on frontier")
    if dom.any():
        ax.scatter(df.loc[dom, cost], df.loc[dom, error], s=55, marker="X", color=DOMINATED_COLOR,
                   zorder=4, label="dominated")
    texts = []  # under spread: (x, y, text, offset in points, style), placed once the axes are final

    def place(x, y, text, offset, style):
        if spread:
            texts.append((x, y, text, offset, style))
        else:
            ax.annotate(text, (x, y), xytext=offset, textcoords="offset points", **style)

    label_frontier = label_frontier and len(front) <= MAX_LABELS
    if label_frontier and label in df:
        for _, r in front.iterrows():
            place(r[cost], r[error], str(r[label]), (4, 4 if not maximize else -10), dict(fontsize=7, color="0.25"))
    if label in df:
        dom_rows = dominators(df, cost, error, maximize, rule="cheapest", label=label)
        few = len(dom_rows) <= 3  # name the dominator in the label only while that stays readable
        name_them = len(dom_rows) <= MAX_LABELS
        for _, r in dom_rows.iterrows() if name_them else ():
            ax.annotate("", xy=(r[f"dominator_{cost}"], r[f"dominator_{error}"]), xytext=(r[cost], r[error]),
                        arrowprops=dict(arrowstyle="->", color=DOMINATED_COLOR, lw=1.0, alpha=0.8 if few else 0.3))
            text = f"{r[label]}\n(beaten by {r[f'dominator_{label}']})" if few else str(r[label])
            place(r[cost], r[error], text, (7, 3), dict(fontsize=7, color=DOMINATED_COLOR, fontweight="bold",
                                                        va="bottom" if few else "center"))
    log_x(ax)
    lo, hi = ax.get_ylim()
    for b in budgets:
        ax.axvline(b, color="0.5", ls=":", lw=1, zorder=1)
        ax.text(b, hi, f" {_fmt_budget(b)}", rotation=90, va="top", ha="right", fontsize=7, color="0.4")
    ax.set_xlim(df[cost].min() / 1.5, x_end)
    if texts:
        px_per_pt = ax.figure.dpi / 72.0
        anchors = ax.transData.transform([(t[0], t[1]) for t in texts]) / px_per_pt
        # Box of each label in points: ~0.65 em per character, 1.25 em per line (DejaVu Sans);
        # a "center"-aligned label starts half a box lower than a "bottom"-aligned one.
        lines = [t[2].split("\n") for t in texts]
        sizes = np.array([(0.65 * t[4]["fontsize"] * max(map(len, ls)), 1.25 * t[4]["fontsize"] * len(ls))
                          for t, ls in zip(texts, lines)])
        base = np.array([(t[3][0], t[3][1] - (h / 2 if t[4].get("va") == "center" else 0.0))
                         for t, (_, h) in zip(texts, sizes)])
        marks = ax.transData.transform(df[[cost, error]].to_numpy(float)) / px_per_pt - 4.0
        moved = spread_offsets(anchors + base, sizes, fixed=[(x, y, 8.0, 8.0) for x, y in marks])
        offsets = [(b[0], b[1] + m[1] + (h / 2 if t[4].get("va") == "center" else 0.0))
                   for b, m, t, (_, h) in zip(base, moved, texts, sizes)]
        for (x, y, text, off0, style), off in zip(texts, offsets):
            leader = abs(off[1] - off0[1]) > 1.0
            ax.annotate(text, (x, y), xytext=off, textcoords="offset points", **style,
                        arrowprops=dict(arrowstyle="-", color="0.6", lw=0.5, shrinkA=0, shrinkB=3) if leader else None)
    ax.set_xlabel(cost_label)
    ax.set_ylabel(error_label or error)
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right" if not maximize else "upper left", fontsize=7)


def spread_offsets(boxes: np.ndarray, sizes: np.ndarray, pad: float = 1.0,
                   fixed: Sequence[tuple[float, float, float, float]] = ()) -> np.ndarray:
    """Greedy vertical de-overlap of label boxes (all in points): ``boxes`` (n, 2) are the boxes'
    lower-left corners, ``sizes`` (n, 2) their (width, height); ``fixed`` boxes (x, y, w, h; the
    markers) never move. Labels are placed from the lowest up; one that overlaps a fixed or an
    already placed box (within ``pad``) moves just above it, until it overlaps none. Returns
    (n, 2) shifts (0, dy >= 0); a label that overlaps nothing stays put."""
    boxes, sizes = np.asarray(boxes, float), np.asarray(sizes, float)
    out = np.zeros_like(boxes)
    placed: list[tuple[float, float, float, float]] = [tuple(map(float, f)) for f in fixed]
    for i in np.argsort(boxes[:, 1], kind="stable"):
        (x0, y0), (w, h) = boxes[i], sizes[i]
        y = y0
        clash = True
        while clash:
            clash = False
            for px, py, pw, ph in placed:
                if x0 < px + pw and px < x0 + w and y < py + ph + pad and py < y + h + pad:
                    y, clash = py + ph + pad, True
        placed.append((x0, y, w, h))
        out[i] = (0.0, y - y0)
    return out


def fit_plot(ax, cost, error, fit, boots: pd.DataFrame | None = None, level: float = 0.95,
             color: str = FRONTIER_COLOR, label: str = "fit", points_label: str = "configurations",
             x_range: tuple[float, float] | None = None, show_points: bool = True) -> None:
    """Points, the fitted a·C^(−b)+e curve and (given bootstrap refits) its pointwise band."""
    cost, error = np.asarray(cost, float), np.asarray(error, float)
    lo_x, hi_x = x_range or (cost.min() / 1.5, cost.max() * 1.5)
    grid = np.geomspace(lo_x, hi_x, 200)
    if show_points:
        ax.scatter(cost, error, s=30, color=color, zorder=3, label=points_label)
    ax.plot(grid, fit.predict(grid), color=color, lw=1.5,
            label=f"{label}: {fit.a:.3g}·C^(−{fit.b:.2f}) + {fit.e:.2f}")
    if boots is not None and len(boots):
        preds = boots["a"].to_numpy()[:, None] * grid[None, :] ** (-boots["b"].to_numpy()[:, None]) \
            + boots["e"].to_numpy()[:, None]
        q = [(1 - level) / 2, (1 + level) / 2]
        band = np.quantile(preds, q, axis=0)
        ax.fill_between(grid, band[0], band[1], color=color, alpha=0.15, lw=0,
                        label=f"{level:.0%} bootstrap band")
    log_x(ax)


def iso_flop_plot(ax, curves: pd.DataFrame, size: str, error: str = "wer_pct", maximize: bool = False,
                  size_label: str | None = None, error_label: str | None = None) -> None:
    """One line per budget: interpolated error vs size; the best size per budget starred."""
    budgets = sorted(curves["budget"].unique())
    palette = sns.color_palette("viridis", len(budgets))
    drawn = 0
    for color, b in zip(palette, budgets):
        g = curves[(curves["budget"] == b)].dropna(subset=[error]).sort_values(size)
        if g.empty:
            continue
        drawn += 1
        ax.plot(g[size], g[error], "-o", color=color, ms=4, lw=1.3, label=f"{_fmt_budget(b)} GFLOPs")
        best = g.loc[g[error].idxmax() if maximize else g[error].idxmin()]
        ax.scatter([best[size]], [best[error]], marker="*", s=140, color=color, edgecolor="k", zorder=4)
    if not drawn:
        ax.text(0.5, 0.5, "no size has a frontier point\nnear any budget", ha="center", va="center",
                transform=ax.transAxes)
    if pd.api.types.is_numeric_dtype(curves[size]) and (curves[size] > 0).all():
        log_x(ax)
    ax.set_xlabel(size_label or size)
    ax.set_ylabel(error_label or error)
    if drawn:
        ax.legend(fontsize=7, title="budget", title_fontsize=7)


def budget_choice_plot(ax, table: pd.DataFrame, error: str = "wer_pct", error_label: str | None = None) -> None:
    """Joint-search vs star-sweep error per budget (from ``iso_flop.joint_vs_star``)."""
    x = table["budget"].to_numpy(float)
    for who, style, color in (("joint", "-o", FRONTIER_COLOR), ("star", "--s", DOMINATED_COLOR)):
        y = pd.to_numeric(table[f"{who}_{error}"], errors="coerce").to_numpy(float)
        ax.plot(x, y, style, color=color, ms=5, lw=1.3,
                label="joint search" if who == "joint" else "star sweep (one axis from base)")
    log_x(ax)
    ax.set_xlabel("compute budget (GFLOPs)")
    ax.set_ylabel(error_label or error)
    ax.legend(fontsize=7)
