"""Figures of the ASR notebooks (01-03): WER against GFLOPs for the minis and for real Whisper,
each beside the paper's points, and stride 2's FLOPs saving against its measured time saving."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

from ..asr import real_report, report
from ..errors import AudioscaleError


def wer_vs_gflops(rows: pd.DataFrame, highlight: str, convention: str = "paper"):
    """Two panels, ours and the paper's: WER vs GFLOPs per utterance (log x), one colour per
    model size, marker = (frames, stride). ``highlight``: 'size' | 'frames' | 'stride' draws
    the lines that connect the settings being compared."""
    ours = report.side_by_side(rows)
    ours = pd.concat([ours, report.side_by_side(rows, "mean")[lambda d: d["stride"] == 2]]).drop_duplicates("config_key")
    paper = report.paper_rows()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = dict(zip(report.PAPER_SIZES, plt.get_cmap("viridis")(np.linspace(0.05, 0.85, 4))))
    markers = {(1500, 1): "o", (750, 1): "s", (1500, 2): "^"}
    for ax, df, x, y, name_col, title in (
            (axes[0], ours, f"gflops_{convention}", "wer_pct", "model", f"ours (embedded; {convention} convention)"),
            (axes[1], paper, "paper_gflops", "paper_wer_pct", "paper_model", "paper (LibriSpeech test-other)")):
        for r in df.itertuples():
            key = (getattr(r, "paper_frames"), r.stride)
            mk = markers.get(key, "x")
            face = "none" if getattr(r, "pooling", "select") == "mean" and r.stride == 2 else colors[r.paper_model]
            ax.scatter(getattr(r, x), getattr(r, y), marker=mk, s=55, facecolors=face,
                       edgecolors=colors[r.paper_model], zorder=3)
        if highlight == "size":
            line = df[(df["paper_frames"] == 1500) & (df["stride"] == 1)].sort_values(x)
            ax.plot(line[x], line[y], color="0.5", lw=1, zorder=2)
        else:
            other = (750, 1) if highlight == "frames" else (1500, 2)
            for mdl, g in df.groupby(name_col):
                a = g[(g["paper_frames"] == 1500) & (g["stride"] == 1)]
                b = g[(g["paper_frames"] == other[0]) & (g["stride"] == other[1])]
                if "pooling" in g:
                    b = b[b["pooling"] == "select"]
                if len(a) and len(b):
                    ax.annotate("", xy=(b[x].iloc[0], b[y].iloc[0]), xytext=(a[x].iloc[0], a[y].iloc[0]),
                                arrowprops=dict(arrowstyle="->", color=colors[g["paper_model"].iloc[0]], lw=1.2))
        for mdl, g in df.groupby(name_col):
            r = g.sort_values(x).iloc[-1]
            ax.annotate(mdl, (r[x], r[y]), textcoords="offset points", xytext=(6, 4), fontsize=8)
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlabel("GFLOPs per utterance")
        ax.set_ylabel("WER (%)")
        ax.set_title(title, fontsize=10)
    handles = [plt.Line2D([], [], marker=mk, ls="", color="0.3", label=f"T={k[0]}, s={k[1]}")
               for k, mk in markers.items()]
    handles.append(plt.Line2D([], [], marker="^", ls="", color="0.3", markerfacecolor="none",
                              label="s=2, mean pooling"))
    handles.append(plt.Line2D([], [], marker="x", ls="", color="0.3", label="T=750 role, s=2 (no paper row)"))
    axes[1].legend(handles=handles, fontsize=8, loc="upper right", title="paper roles", title_fontsize=8)
    fig.tight_layout()
    return fig


def real_wer_vs_gflops(rows: pd.DataFrame, guard: str = "cap+repetition", convention: str = "paper"):
    """WER against GFLOPs per utterance: real tiny.en and base at every (frames, stride,
    pooling) under ``guard`` (filled) and with no guard (hollow), beside the paper's points."""
    if convention not in ("paper", "matmul"):
        raise AudioscaleError(f"convention={convention!r}: use 'paper' or 'matmul'.")
    m = real_report.main_rows(rows)
    # the paper's convention at its own 10 decoded tokens: the number its table prints
    x_col = "gflops_paper_10tok" if convention == "paper" else "gflops_matmul"
    fig, ax = plt.subplots(figsize=(8.5, 5.2))
    colours = {"tiny.en": "#1f77b4", "base": "#2ca02c"}
    markers = {(1500, 1): "o", (1500, 2): "s", (750, 1): "^", (750, 2): "D"}
    for (model, t, s, pooling, g), r in m.groupby(real_report.CONFIG[:4] + ["guard"]):
        if g not in (guard, "none") or pooling == "mean":
            continue
        r = r.iloc[0]
        ax.scatter(r[x_col], r["wer_pct"], marker=markers[(t, s)], s=60, zorder=3,
                   facecolors=colours.get(model, "k") if g == guard else "none", edgecolors=colours.get(model, "k"))
    p = real_report.paper_points()
    ax.scatter(p["paper_gflops"], p["paper_wer_pct"], c="0.6", marker="x", s=40, label="paper (real LibriSpeech)")
    for r in p.itertuples():
        ax.annotate(f"{r.paper_model}-{r.encoder_frames}" + ("/s2" if r.stride == 2 else ""),
                    (r.paper_gflops, r.paper_wer_pct), fontsize=7, color="0.45", xytext=(3, 3),
                    textcoords="offset points")
    for model, c in colours.items():
        ax.scatter([], [], c=c, label=f"{model} ({guard}; hollow: no guard)")
    for (t, s), mk in markers.items():
        ax.scatter([], [], marker=mk, facecolors="none", edgecolors="k", label=f"{t} frames, stride {s}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(FixedLocator([4, 5, 7, 10, 15, 20, 30, 50]))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.set_xlabel("GFLOPs per utterance (" + ("paper convention, 10 decoded tokens" if convention == "paper"
                                              else "exact matmul count; paper's points in its own convention") + ")")
    ax.set_ylabel("WER (%)")
    ax.set_title("Real Whisper on test-other text read by a synthetic voice, beside the paper")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def flops_vs_time_saving(saving: pd.DataFrame):
    """Bars per model: stride 2's FLOPs saving (two conventions) beside its measured decoder and
    total time saving on this machine (``asr.report.stride_saving``'s table)."""
    cols = ["flops_saving_pct (paper conv.)", "flops_saving_pct (matmul)", "decoder_time_saving_pct",
            "total_time_saving_pct"]
    ax = saving.set_index("model")[cols].plot.bar(figsize=(8, 3.6), rot=0)
    ax.set_ylabel("saving of stride 2 vs 1 (%)")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.legend(fontsize=8)
    ax.set_title("FLOPs saving vs measured time saving (this machine)", fontsize=10)
    return ax.figure
