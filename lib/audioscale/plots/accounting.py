"""Figures of the compute-accounting section (notebook 00)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..accounting.flops import asr_flops

# Breakdown parts grouped the way the paper's argument needs them.
GROUPS = {"encoder": ("conv_frontend", "encoder_proj_mlp", "encoder_attention"),
          "cross-attention K/V": ("cross_attention_kv",),
          "decoder (per token) + logits": ("decoder_per_token", "logits")}


def breakdown_frame(configs, conventions=("paper", "matmul"), decoded_tokens: int = 10) -> pd.DataFrame:
    rows = []
    for model, t, s in configs:
        for conv in conventions:
            parts = asr_flops(model, t, s, decoded_tokens, conv).gflops()
            for group, keys in GROUPS.items():
                rows.append(dict(config=f"{model} {t}/s{s}", convention=conv, part=group,
                                 gflops=sum(parts[k] for k in keys)))
    return pd.DataFrame(rows)


def plot_breakdown(df: pd.DataFrame):
    """100 %-stacked bars per configuration (share of each part), total GFLOPs on top;
    one panel per convention. Shares, not log heights: stacked bars on a log axis mislead."""
    sns.set_theme(style="whitegrid", context="notebook")
    convs = list(df["convention"].unique())
    fig, axes = plt.subplots(1, len(convs), figsize=(6.5 * len(convs), 4.8), sharey=True)
    colors = sns.color_palette("deep", len(GROUPS))
    for ax, conv in zip(axes, convs):
        wide = df[df.convention == conv].pivot_table(index="config", columns="part", values="gflops", sort=False)
        wide = wide[list(GROUPS)]
        total = wide.sum(axis=1)
        (wide.div(total, axis=0) * 100).plot.bar(stacked=True, ax=ax, color=colors, width=0.75, legend=False)
        for i, v in enumerate(total):
            ax.text(i, 101, f"{v:.0f}" if v >= 10 else f"{v:.1f}", ha="center", va="bottom", fontsize=7)
        ax.set_ylim(0, 110)
        ax.set_title(f"convention: {conv}  (numbers: total GFLOPs)")
        ax.set_xlabel("")
        ax.set_ylabel("share of FLOPs per utterance, %")
        ax.set_xticklabels([t.get_text().replace(" ", "\n") for t in ax.get_xticklabels()])
        ax.tick_params(axis="x", labelrotation=0, labelsize=8)
    axes[-1].legend(title="", loc="lower right", fontsize=8, framealpha=0.9)
    fig.suptitle("Where Whisper's FLOPs go (10 decoded tokens)")
    fig.tight_layout()
    return fig


def plot_flops_vs_frames(models, frames, conventions=("paper", "matmul"), decoded_tokens: int = 10):
    sns.set_theme(style="whitegrid", context="notebook")
    rows = [dict(model=m, encoder_frames=t, convention=c, stride=s,
                 gflops=asr_flops(m, t, s, decoded_tokens, c).total_gflops)
            for m in models for t in frames for c in conventions for s in (1, 2) if t % s == 0]
    df = pd.DataFrame(rows)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    sns.lineplot(df, x="encoder_frames", y="gflops", hue="model", style="convention", size="stride",
                 sizes={1: 2.2, 2: 1.0}, markers=False, ax=ax)
    ax.set_yscale("log")
    ax.axvline(750, color="grey", lw=0.8, ls=":")
    ax.axvline(1500, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("encoder frames T (1500 = 30 s)")
    ax.set_ylabel("GFLOPs per utterance (log)")
    ax.set_title("FLOPs vs input length, per model, stride and convention")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig, df
