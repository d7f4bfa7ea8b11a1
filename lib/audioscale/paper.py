"""The paper's reported tables — the one place they live in this project.

Values are copied verbatim from the study brief (see ``data/PROVENANCE.md``). Anything
shown beside our numbers comes from here and is labelled ``paper``.
"""
from functools import lru_cache
from importlib.resources import files

import pandas as pd

# The paper's own (rounded, OpenAI-style) model sizes in millions of parameters.
PAPER_PARAMS_M = {
    "tiny": 39.0, "small": 244.0, "medium": 769.0, "large-v3": 1540.0,
    "wav2vec2-base": 95.0, "wav2vec2-large-robust": 315.0,
}
# Trainable parameters the paper reports (millions) for two adaptation rows.
PAPER_TRAINABLE_M = {
    ("wav2vec2-base", "lora+top-k", 16, 4): 29.7,
    ("wav2vec2-large-robust", "full", None, None): 315.7,
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
