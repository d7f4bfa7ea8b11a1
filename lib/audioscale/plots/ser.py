"""Figures of the SER notebooks (04: clip duration, 05: adaptation depth): the paper's panel
on the left, ours on the right, UA in percent with the seed spread as error bars.

Inputs are the tables of ``audioscale.ser.report`` (``seed_summary`` frames and the paper's
rows); the axes' values (durations, ranks) are passed in, so this module needs no torch.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from .style import DOMINATED_COLOR, FRONTIER_COLOR

CHANCE_PCT = 100 / 6  # six emotion classes, balanced
POOLING_COLORS = (("masked", FRONTIER_COLOR), ("all", DOMINATED_COLOR))
PAPER_MODEL = "wav2vec2-large-robust"


def _chance(ax) -> None:
    ax.axhline(CHANCE_PCT, color="grey", lw=0.8, ls=":", label="chance")


def ua_vs_duration(paper_ua: pd.Series, summary: pd.DataFrame, durations_s: Sequence[float],
                   baseline: pd.DataFrame | None = None, scale: str = "embedded", n_seeds: int = 3):
    """Notebook 04's figure. Left: the paper's UA per clip duration (``paper_ua``: UA % indexed
    by duration_s). Right: ours per pooling (``summary``: ``report.seed_summary``), with the
    prosodic baseline (``duration_s``, ``ua`` as a fraction) when given, and chance."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax = axes[0]
    ax.plot(paper_ua.index, paper_ua.values, "o-", color="black", label="paper (CREMA-D, large-robust)")
    ax.set_title("paper: UA vs clip duration")
    ax.set_xlabel("clip duration (s)"); ax.set_ylabel("UA (%)"); ax.set_xticks(list(durations_s))
    ax.legend(loc="lower right", fontsize=8)
    ax = axes[1]
    for pool, color in POOLING_COLORS:
        s = summary[summary.pooling == pool].sort_values("duration_s")
        ax.errorbar(s.duration_s, s.ua_mean_pct, yerr=s.ua_std_pct, fmt="o-", capsize=3, color=color,
                    label=f"ours, pooling={pool}")
    if baseline is not None:
        ax.plot(baseline.duration_s, 100 * baseline.ua, "s--", color="grey", label="prosodic baseline")
    _chance(ax)
    ax.set_title(f"ours ({scale}): UA vs clip duration (mean ± std, {n_seeds} seeds)")
    ax.set_xlabel("clip duration (s)"); ax.set_ylabel("UA (%)"); ax.set_xticks(list(durations_s))
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def _paper_ladder(ax, paper: pd.DataFrame) -> None:
    """The paper's adaptation rows (large-robust) against LoRA rank; full fine-tuning at 64."""
    pa = paper[(paper.experiment == "adaptation") & (paper.model == PAPER_MODEL)]
    lad = pa[(pa.recipe == "lora+top-k") & (pa.top_k == 4)].sort_values("rank")
    ax.plot(lad["rank"], lad.ua_pct, "o-", color="black", label="LoRA + top-4")
    for lbl, sel, mk in (("LoRA + top-8", (pa.top_k == 8), "^"), ("LoRA alone", (pa.recipe == "lora"), "v"),
                         ("full fine-tune", (pa.recipe == "full"), "*")):
        ax.plot(pa[sel]["rank"].fillna(64), pa[sel].ua_pct, mk, ms=9, color="black", mfc="white", label=lbl)
    ax.set_xscale("log", base=2); ax.set_xticks([8, 16, 32, 64]); ax.set_xticklabels(["8", "16", "32", "64"])
    ax.set_title("paper (CREMA-D, large-robust): UA vs LoRA rank"); ax.set_xlabel("LoRA rank (full: drawn at 64)")
    ax.set_ylabel("UA (%)"); ax.legend(fontsize=8, loc="upper left")


def ua_vs_rank(paper: pd.DataFrame, summary: pd.DataFrame, ranks: Sequence[int], scale: str = "embedded",
               n_seeds: int = 3):
    """Notebook 05's ladder. Left: the paper's UA per LoRA rank (``paper``: ``report.paper_ser``).
    Right: ours (``summary``: ``report.adaptation_summary``), one line per top-k, the recipes
    without a rank (LoRA alone at its rank; full, head only drawn at 16) as open markers and
    the random-init control in grey."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    _paper_ladder(axes[0], paper)
    ax = axes[1]
    pre = summary[summary.init == "pretrained"]
    for k, color in ((1, FRONTIER_COLOR), (2, DOMINATED_COLOR)):
        s = pre[(pre.recipe == "lora+top-k") & (pre.top_k == k)].sort_values("rank")
        ax.errorbar(s["rank"], s.ua_mean_pct, yerr=s.ua_std_pct, fmt="o-" if len(s) > 1 else "^", ms=7, capsize=3,
                    color=color, label=f"LoRA + top-{k}")
    for lbl, sel, mk in (("LoRA alone", pre.recipe == "lora", "v"), ("full fine-tune", pre.recipe == "full", "*"),
                         ("head only", pre.recipe == "head-only", "D")):
        s = pre[sel]
        ax.errorbar(s["rank"].fillna(16), s.ua_mean_pct, yerr=s.ua_std_pct, fmt=mk, ms=9, capsize=3, color="black",
                    mfc="white", label=lbl)
    rnd = summary[summary.init == "random"]
    ax.errorbar(rnd["rank"], rnd.ua_mean_pct, yerr=rnd.ua_std_pct, fmt="x", ms=9, capsize=3, color="grey",
                label="LoRA + top-1, random-init backbone")
    _chance(ax)
    ax.set_xscale("log", base=2); ax.set_xticks(list(ranks)); ax.set_xticklabels([str(r) for r in ranks])
    ax.set_title(f"ours ({scale}): UA vs LoRA rank (mean ± std, {n_seeds} seeds)")
    ax.set_xlabel("LoRA rank (full / head only: drawn at 16)"); ax.set_ylabel("UA (%)"); ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def recipe_tag(r) -> str:
    """``lora+top-k r4 k1``: a configuration's recipe, rank and top-k (blank ones left out)."""
    return r.recipe + ("" if pd.isna(r.rank) else f" r{int(r.rank)}") + ("" if pd.isna(r.top_k) else f" k{int(r.top_k)}")


def ua_vs_cost(every: pd.DataFrame, summary: pd.DataFrame):
    """Notebook 05's cost figure. Left: UA against inference GFLOPs (paper convention) for every
    SER configuration (``every``: both studies' ``seed_summary``), one marker per pooling.
    Right: UA against trainable parameters (log) for the adaptation ablation, labelled."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax = axes[0]
    for pool, mk in (("masked", "o"), ("all", "s")):
        s = every[(every.pooling == pool) & (every.init == "pretrained")]
        ax.errorbar(s.gflops_paper, s.ua_mean_pct, yerr=s.ua_std_pct, fmt=mk, capsize=3, alpha=0.8,
                    label=f"pooling={pool}")
    ax.set_xlabel("GFLOPs per clip (paper convention, 2·N·50·duration)"); ax.set_ylabel("UA (%)")
    ax.set_title("UA vs inference GFLOPs (all SER configurations)"); ax.legend(fontsize=8)
    ax = axes[1]
    for init, color in (("pretrained", FRONTIER_COLOR), ("random", "grey")):
        s = summary[summary.init == init]
        ax.errorbar(s.trainable_params, s.ua_mean_pct, yerr=s.ua_std_pct, fmt="o", capsize=3, color=color,
                    label=f"{init} backbone")
        for r in s.itertuples():
            ax.annotate(recipe_tag(r), (r.trainable_params, r.ua_mean_pct), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_xscale("log"); ax.set_xlabel("trainable parameters"); ax.set_ylabel("UA (%)")
    ax.set_title("UA vs trainable parameters (adaptation ablation)"); ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
