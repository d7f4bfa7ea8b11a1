"""Whole figures of the analysis notebooks, assembled from the panels of ``frontier``:
notebook 06 (frontiers of each world, the scaling law, the FLOPs conventions) and notebook 07
(the joint sweep: frontier, joint search vs star sweep, iso-FLOP curves). Each returns the
figure; ``save_figure`` writes it."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from ..analysis.points import REAL
from .frontier import budget_choice_plot, fit_plot, frontier_plot, iso_flop_plot
from .style import DOMINATED_COLOR, FRONTIER_COLOR, log_x


def _no_rows(ax, text: str, **kw) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", **kw)
    ax.set_axis_off()


def frontiers(asr: pd.DataFrame, ser: pd.DataFrame, ours_asr: pd.DataFrame | None = None,
              ours_ser: pd.DataFrame | None = None, real: pd.DataFrame | None = None,
              asr_budgets: Sequence[float] = (), ser_budgets: Sequence[float] = (), guard: str = ""):
    """Notebook 06's frontiers: ASR on top, SER below; columns the paper, the embedded world
    (when either of ours is given; their cost is ``attrs["cost"]``) and real Whisper (ASR only,
    labels spread since they cluster). Iso-FLOP guide lines at the budgets."""
    have_ours = ours_asr is not None or ours_ser is not None
    n_cols = 1 + have_ours + (real is not None)
    fig, axes = plt.subplots(2, n_cols, figsize=(6.5 * n_cols, 9.5), squeeze=False)
    frontier_plot(axes[0, 0], asr, label="label", budgets=asr_budgets, error_label="WER (%)",
                  title="ASR, paper (Whisper, LibriSpeech test-other)")
    frontier_plot(axes[1, 0], ser, error="ua_pct", maximize=True, label="label", budgets=ser_budgets,
                  error_label="UA (%)", cost_label="GFLOPs per clip", title="SER, paper (wav2vec2, CREMA-D)")
    if have_ours:
        for ax, pts, metric, mx, name in ((axes[0, 1], ours_asr, "wer_pct", False, "ASR"),
                                          (axes[1, 1], ours_ser, "ua_pct", True, "SER")):
            if pts is None:
                _no_rows(ax, f"no embedded {name} rows yet")
                continue
            cost = pts.attrs["cost"]
            frontier_plot(ax, pts, cost, metric, maximize=mx, label="label",
                          error_label="WER (%)" if name == "ASR" else "UA (%)",
                          cost_label="GFLOPs per utterance" if name == "ASR" else "GFLOPs per clip",
                          title=f"{name}, ours (embedded world, {cost})", label_frontier=name == "ASR")
    if real is not None:
        cost = real.attrs["cost"]
        frontier_plot(axes[0, -1], real, cost, "wer_pct", label="label",
                      budgets=[b for b in asr_budgets if b < real[cost].max()],
                      error_label="WER (%)", title=f"ASR, {REAL} (piper joe)\ntiny.en + base, guard {guard}",
                      spread=True)
        _no_rows(axes[1, -1], "no SER rows on real weights\n(the real-Whisper rows are ASR only)", color="0.4")
    fig.tight_layout()
    return fig


def scaling_law(asr: pd.DataFrame, fits: dict, loo: pd.DataFrame, level: float = 0.95,
                band_for: str = "Pareto frontier"):
    """Notebook 06's scaling-law figure. Left: the paper's ASR rows (frontier / dominated) and
    each fit of ``scaling_law.fit_each`` (the bootstrap band for ``band_for`` only). Right: the
    leave-one-size-out residuals (``scaling_law.leave_one_group_out``)."""
    fig, ax = plt.subplots(1, 2, figsize=(13, 4.8))
    ax[0].scatter(asr.loc[asr["on_frontier"], "gflops"], asr.loc[asr["on_frontier"], "wer_pct"], s=36,
                  color=FRONTIER_COLOR, zorder=4, label="frontier rows")
    ax[0].scatter(asr.loc[~asr["on_frontier"], "gflops"], asr.loc[~asr["on_frontier"], "wer_pct"], s=44, marker="X",
                  color=DOMINATED_COLOR, zorder=4, label="dominated rows")
    colors = ["#7f8c8d", FRONTIER_COLOR, "#d35400"]
    for color, (name, (d, f, boots)) in zip(colors, fits.items()):
        fit_plot(ax[0], d["gflops"], d["wer_pct"], f, boots if name == band_for else None,
                 level=level, color=color, label=name, x_range=(15, 12000), show_points=False)
    ax[0].set_xlabel("GFLOPs per utterance (paper)")
    ax[0].set_ylabel("WER (%)")
    ax[0].set_title("error(C) = a·C^(−b) + e on the paper's ASR rows")
    ax[0].legend(fontsize=7)
    ax[1].axhline(0, color="0.5", lw=1)
    for g, sub in loo.groupby("held_out", sort=False):
        ax[1].scatter(sub["gflops"], sub["residual_pts"], s=40, label=f"{g} held out")
    log_x(ax[1])
    ax[1].set_xlabel("GFLOPs per utterance (paper)")
    ax[1].set_ylabel("actual − predicted WER (points)")
    ax[1].set_title("leave-one-size-out on the frontier")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def conventions(conv: pd.DataFrame, asr: pd.DataFrame, order: Sequence[str]):
    """Notebook 06's ASR frontier under each FLOPs convention of ``conv``
    (``frontier_report.convention_frontiers``), in ``order``, with the paper's WER."""
    convs = [c for c in order if c in set(conv["convention"])]
    fig, axes = plt.subplots(1, len(convs), figsize=(5.2 * len(convs), 4.6), sharey=True, squeeze=False)
    for ax, c in zip(axes[0], convs):
        d = conv[(conv["task"] == "asr") & (conv["convention"] == c)].merge(asr[["label", "wer_pct"]], on="label")
        frontier_plot(ax, d, "gflops", "wer_pct", label="label", error_label="WER (%)",
                      cost_label=f"GFLOPs per utterance ({c})", title=f"ASR frontier, {c} convention")
    fig.tight_layout()
    return fig


def asr_sweeps(sweeps):
    """Notebook 07's ASR figure, one row per sweep (``analysis.sweep_report.Sweep``, after
    ``report_joint_vs_star`` and ``report_iso_flop``): its frontier with the budgets, joint
    search vs star sweep, iso-FLOP curves over model size."""
    fig, axes = plt.subplots(len(sweeps), 3, figsize=(17, 4.8 * len(sweeps)), squeeze=False)
    for ax, s in zip(axes, sweeps):
        frontier_plot(ax[0], s.pts, s.cost, "wer_pct", label="label", budgets=s.budgets,
                      error_label="WER (%)", title=f"ASR joint sweep ({s.source})", spread=s.spread)
        budget_choice_plot(ax[1], s.vs, "wer_pct", error_label="best WER within budget (%)")
        ax[1].set_title(f"joint search vs star sweep ({s.source})")
        iso_flop_plot(ax[2], s.curves, s.size, "wer_pct", size_label="parameters (M)", error_label="WER (%)")
        ax[2].set_title("iso-FLOP curves (interpolated in log-compute)")
    fig.tight_layout()
    return fig


def ser_sweep(s):
    """Notebook 07's SER figure (UA maximised) of one ``Sweep``: its frontier with the budgets,
    joint search vs star sweep, iso-FLOP curves over its size."""
    fig, ax = plt.subplots(1, 3, figsize=(17, 4.8))
    frontier_plot(ax[0], s.pts, s.cost, "ua_pct", maximize=True, label="label", budgets=s.budgets,
                  error_label="UA (%)", cost_label="GFLOPs per clip", title=f"SER joint sweep ({s.source})",
                  label_frontier=True)
    budget_choice_plot(ax[1], s.vs, "ua_pct", error_label="best UA within budget (%)")
    ax[1].set_title("joint search vs star sweep")
    iso_flop_plot(ax[2], s.curves, s.size, "ua_pct", maximize=True, error_label="UA (%)",
                  size_label="parameters (M)" if s.size == "params_m" else s.size)
    ax[2].set_title("iso-FLOP curves (interpolated in log-compute)")
    fig.tight_layout()
    return fig
