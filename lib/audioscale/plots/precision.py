"""Figures of the precision section (notebook 09): WER against GFLOPs, measured time and model
bytes, colour = precision, marker = model, the Pareto frontier of each cost as a staircase."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis.pareto import dominated_mask
from .style import FRONTIER_COLOR, apply_style, log_x

PRECISION_COLORS = {"fp32": "#1f77b4", "bf16": "#2ca02c", "int8": "#d62728"}
MODEL_MARKERS = {"tiny.en": "o", "base": "s"}
FRAMES_FILL = {1500: True, 750: False}  # hollow markers: the half window
COST_LABELS = {"gflops": "GFLOPs per utterance (exact, KV-cached; precision-blind)",
               "s_per_audio_s": "measured seconds per audio second (1 / RTFx)",
               "model_mb": "model size, MB (serialized state dict)"}


def precision_frontier_plot(ax, table: pd.DataFrame, cost: str, title: str = "") -> None:
    """All points of ``table`` (``report.precision_table``) against ``cost``; frontier points are
    ringed and joined by the staircase of the best WER reachable at each cost, and labelled."""
    dom = dominated_mask(table, cost, "wer_pct").to_numpy()
    front = table[~dom].sort_values(cost, kind="stable")
    xs, ys = front[cost].to_numpy(float), front["wer_pct"].to_numpy(float)
    ax.step(np.append(xs, table[cost].max() * 1.4), np.append(ys, ys[-1]), where="post", color=FRONTIER_COLOR,
            lw=1.3, alpha=0.7, zorder=2, label="Pareto frontier")
    for (model, precision, frames), g in table.groupby(["model", "precision", "encoder_frames"], sort=False):
        color = PRECISION_COLORS[precision]
        ax.scatter(g[cost], g["wer_pct"], s=46, marker=MODEL_MARKERS[model], zorder=3,
                   facecolors=color if FRAMES_FILL[frames] else "white", edgecolors=color, linewidths=1.4)
    ax.scatter(xs, ys, s=150, facecolors="none", edgecolors=FRONTIER_COLOR, linewidths=1.0, zorder=4)
    for _, r in front.iterrows():
        ax.annotate(r["label"], (r[cost], r["wer_pct"]), xytext=(5, 5), textcoords="offset points", fontsize=7,
                    color="0.25")
    log_x(ax)
    ax.set_xlabel(COST_LABELS[cost])
    ax.set_ylabel("WER (%), read test-other subset")
    ax.set_title(title, fontsize=9)


def _legend(fig) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls="", marker="o", color=c, label=p) for p, c in PRECISION_COLORS.items()]
    handles += [Line2D([], [], ls="", marker=m, color="0.4", label=k) for k, m in MODEL_MARKERS.items()]
    handles += [Line2D([], [], ls="", marker="o", color="0.4", label="1500 frames"),
                Line2D([], [], ls="", marker="o", markerfacecolor="white", color="0.4", label="750 frames"),
                Line2D([], [], color=FRONTIER_COLOR, label="Pareto frontier (ringed)")]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7, frameon=False,
               bbox_to_anchor=(0.5, -0.04))


def wer_vs_time_figure(table: pd.DataFrame, subtitle: str):
    """Two panels, same points: WER against GFLOPs (precision moves nothing) and against
    measured time."""
    apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    precision_frontier_plot(axes[0], table, "gflops", "cost = FLOPs: fp32, bf16 and int8 stack on one x")
    precision_frontier_plot(axes[1], table, "s_per_audio_s", "cost = measured time (" + subtitle + ")")
    _legend(fig)
    fig.tight_layout()
    return fig


def wer_vs_bytes_figure(table: pd.DataFrame, subtitle: str):
    """WER against model bytes in each precision."""
    apply_style()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    precision_frontier_plot(ax, table, "model_mb", "cost = model bytes (" + subtitle + ")")
    _legend(fig)
    fig.tight_layout()
    return fig
