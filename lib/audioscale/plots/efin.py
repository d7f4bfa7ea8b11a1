"""Notebook 08's figures: WER against training compute per strategy, with the fitted laws and
their bootstrap bands, one panel per mini size; and the compute each strategy needs for the
equal-WER target, beside EFIN's 49.9 %."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..efin.strategies import LABELS, STRATEGIES
from .style import log_x

COLORS = {"joint": "#7f7f7f", "encoder-first-frozen": "#1f4e79", "encoder-first-top1": "#c0392b"}
MARKERS = {"joint": "o", "encoder-first-frozen": "s", "encoder-first-top1": "^"}


def wer_vs_train_compute(rows: pd.DataFrame, fits: dict, level: float = 0.95):
    """One panel per size: each run's WER (seeds as separate points) against its training
    TFLOPs, the law a·C^(−b)+e of each strategy and its pointwise bootstrap band."""
    models = list(pd.unique(rows["model"]))
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 4.0), squeeze=False, sharey=False)
    q = [(1 - level) / 2, (1 + level) / 2]
    for ax, model in zip(axes[0], models):
        d = rows[rows["model"] == model]
        grid = np.geomspace(d["train_tflops"].min() * 0.8, d["train_tflops"].max() * 1.25, 80)
        for s in STRATEGIES:
            pts = d[d["strategy"] == s]
            ax.scatter(pts["train_tflops"], pts["wer_pct"], color=COLORS[s], marker=MARKERS[s], s=28, zorder=3,
                       label=LABELS[s])
            if (model, s) not in fits:
                continue
            _, fit, boots = fits[(model, s)]
            ax.plot(grid, fit.predict(grid), color=COLORS[s], lw=1.4)
            if len(boots):
                curves = boots["a"].to_numpy()[:, None] * grid[None, :] ** (-boots["b"].to_numpy()[:, None]) \
                    + boots["e"].to_numpy()[:, None]
                lo, hi = np.quantile(curves, q, axis=0)
                ax.fill_between(grid, lo, hi, color=COLORS[s], alpha=0.12, lw=0)
        log_x(ax)
        ax.set_xlabel("training TFLOPs (matmul-train: forward + backward)")
        ax.set_ylabel("decoder WER % (200 held-out-voice utterances)")
        ax.set_title(f"mini {model} (synthetic eSpeak world)")
        ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def compute_at_equal_wer(eq: pd.DataFrame, efin_pct: float):
    """Bars: each strategy's training compute for the size's target WER as % of joint's, with
    the bootstrap interval; a dashed line at EFIN's reported share."""
    models = list(pd.unique(eq["model"]))
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    width = 0.8 / len(STRATEGIES)
    for k, s in enumerate(STRATEGIES):
        d = eq[eq["strategy"] == s].set_index("model").reindex(models)
        x = np.arange(len(models)) + (k - 1) * width
        y = d["pct_of_joint"].to_numpy(dtype=float)
        err = np.vstack([y - d["pct_lo"].to_numpy(dtype=float), d["pct_hi"].to_numpy(dtype=float) - y])
        err = np.where(np.isfinite(err), np.clip(err, 0, None), 0.0)
        ax.bar(x, y, width, color=COLORS[s], label=LABELS[s], yerr=err if s != "joint" else None, capsize=3)
    ax.axhline(efin_pct, color="black", ls="--", lw=1, label=f"EFIN (reported): {efin_pct:g} %")
    ax.set_xticks(np.arange(len(models)))
    ax.set_xticklabels([f"{m}\n(WER {eq[eq['model'] == m]['at_wer_pct'].iloc[0]:.1f} %)" for m in models])
    ax.set_ylabel("training compute for equal WER\n(% of joint's)")
    ax.set_title("Compute to reach a fixed WER (synthetic world)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
