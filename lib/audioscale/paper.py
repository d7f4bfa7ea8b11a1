"""The paper's reported tables — the one place they live in this project.

Values are copied verbatim from the study brief (see ``data/PROVENANCE.md``). Anything
shown beside our numbers comes from here and is labelled ``paper``; the related EFIN study's
two headline numbers (``efin_claims``) live here too, labelled ``EFIN``.
"""
from functools import lru_cache
from importlib.resources import files

import pandas as pd

# The paper's own (rounded, OpenAI-style) model sizes in millions of parameters.
PAPER_PARAMS_M = {
    "tiny": 39.0, "small": 244.0, "medium": 769.0, "large-v3": 1540.0,
    "wav2vec2-base": 95.0, "wav2vec2-large-robust": 315.0,
}


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(files("audioscale") / "data" / name)


def asr_table() -> pd.DataFrame:
    """11 Whisper rows: model, params_m, encoder_frames, stride, gflops, wer_pct (paper)."""
    return _read("paper_asr.csv").copy()


def ser_table() -> pd.DataFrame:
    """SER rows: duration sweep + adaptation ablation (paper). ``unfrozen_top_layers`` is
    a string because the full fine-tune row says ``all``."""
    df = _read("paper_ser.csv").copy()
    df["unfrozen_top_layers"] = df["unfrozen_top_layers"].astype("string")
    return df


def efin_claims() -> pd.DataFrame:
    """EFIN's (Mu et al., arXiv 2508.04096) headline numbers, labelled ``EFIN``: ``quantity``
    (``flops_fraction_pct``, ``relative_cer_reduction_pct``), ``value_pct``, ``what``, ``where``."""
    return _read("paper_efin.csv").copy()


def efin_value(quantity: str) -> float:
    """One of ``efin_claims()``'s values (percent) by its ``quantity``."""
    df = efin_claims()
    return float(df.loc[df["quantity"] == quantity, "value_pct"].iloc[0])


def reported_trainable_m() -> dict[str, float]:
    """model -> the trainable-parameter count (millions) the paper reports for it (two rows)."""
    df = ser_table().dropna(subset=["trainable_params_m"])
    return dict(zip(df["model"], df["trainable_params_m"]))


def internal_inconsistencies() -> pd.DataFrame:
    """The paper's prose claims that its own tables contradict, each recomputed from the tables.

    ``claimed`` is the number in the paper's text; ``recomputed`` comes from the tables here.
    """
    asr = asr_table().set_index(["model", "encoder_frames", "stride"])["wer_pct"]
    ser = ser_table()
    gfl = dict(zip(zip(ser["model"], ser["adaptation"], ser["experiment"]), ser["gflops"]))
    ua = dict(zip(zip(ser["model"], ser["adaptation"], ser["experiment"]), ser["ua_pct"]))
    tiny_small_1500 = asr["tiny", 1500, 1] - asr["small", 1500, 1]
    tiny_small_750 = asr["tiny", 750, 1] - asr["small", 750, 1]
    large_rel = 100 * (asr["large-v3", 750, 1] - asr["large-v3", 1500, 1]) / asr["large-v3", 1500, 1]
    big = gfl["wav2vec2-large-robust", "full-finetune", "adaptation"]
    small = gfl["wav2vec2-base", "lora+top-k", "adaptation"]
    acc_loss = ua["wav2vec2-large-robust", "full-finetune", "adaptation"] - ua["wav2vec2-base", "lora+top-k", "adaptation"]
    a = asr_table().set_index(["model", "encoder_frames", "stride"])["gflops"]
    stride_saving = 100 * (a["small", 1500, 1] - a["small", 1500, 2]) / a["small", 1500, 1]
    rows = [
        ("abstract", "Tiny -> Small reduces WER by 8.22 points", 8.22,
         f"{tiny_small_1500:.2f} (1500 frames) / {tiny_small_750:.2f} (750 frames)", tiny_small_1500,
         "WER tiny - small, both window lengths"),
        ("abstract", "large-v3 at 750 frames: < 3 % relative WER increase", 3.0,
         f"+{large_rel:.0f} % relative (7.76 vs 4.85)", large_rel,
         "(WER_750 - WER_1500) / WER_1500"),
        ("summary", "base vs large-robust: 4.3x FLOPs reduction", 4.3,
         f"{big / small:.2f}x ({big} / {small} GFLOPs)", big / small,
         "large-robust full FT GFLOPs / base LoRA+top-4 GFLOPs"),
        ("summary", "... with only ~7.7 % accuracy loss", 7.7, f"{acc_loss:.2f} UA points", acc_loss,
         "UA large-robust full FT - UA base LoRA+top-4 (agrees)"),
        ("summary", "stride 2 recovers ~29 % of cross-attention FLOPs", 29.0,
         f"{stride_saving:.1f} % of TOTAL FLOPs (small, 1500 frames)", stride_saving,
         "the saving is 29 % of the total; of cross-attention K/V it is 50 %"),
    ]
    return pd.DataFrame(rows, columns=["where", "claim", "claimed", "tables_say", "recomputed", "how"])
