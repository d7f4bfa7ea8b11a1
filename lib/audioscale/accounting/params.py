"""Parameter tables: model sizes and trainable parameters of the adaptation recipes.

Counts come from transformers models built on the meta device from our own configs (no
download, nothing allocated). The paper's sizes are OpenAI's rounded nominal figures
(39/244/769/1540M), which count slightly differently; ours are exact.
"""
from __future__ import annotations

import pandas as pd

from .. import paper
from ..models.adaptation import DEFAULT_TARGETS, apply_recipe
from ..models.architectures import WAV2VEC2, WHISPER, build_wav2vec2, build_whisper, count_params

# The paper's adaptation labels -> our recipe names.
PAPER_RECIPE = {"lora-only": "lora", "lora+top-k": "lora+top-k", "full-finetune": "full"}


def model_params_table() -> pd.DataFrame:
    rows = []
    for name in WHISPER:
        rows.append(("asr", name, count_params(build_whisper(name)) / 1e6, paper.PAPER_PARAMS_M.get(name)))
    for name in WAV2VEC2:
        model = build_wav2vec2(name)
        rows.append(("ser", name, count_params(model) / 1e6, paper.PAPER_PARAMS_M.get(name)))
        rows.append(("ser", f"{name} (backbone only)", count_params(model.wav2vec2) / 1e6, None))
    df = pd.DataFrame(rows, columns=["task", "model", "params_m", "paper_params_m"])
    df["delta_m"] = df["params_m"] - df["paper_params_m"]
    df["ratio"] = df["params_m"] / df["paper_params_m"]
    return df


def trainable_params(model_name: str, recipe: str, rank=None, top_k=None,
                     target_modules=DEFAULT_TARGETS, freeze_feature_encoder: bool = True):
    """(trainable, total, description) of ``recipe`` on a meta-device ``model_name``."""
    r = apply_recipe(build_wav2vec2(model_name), recipe, rank, top_k,
                     target_modules=target_modules, freeze_feature_encoder=freeze_feature_encoder)
    return r.trainable_params, r.total_params, r.description


def paper_trainable_table() -> pd.DataFrame:
    """Trainable parameters of every adaptation row of the paper's SER table.

    The paper's full fine-tune (315.7M) counts the CNN feature encoder as trainable, so
    that row is computed with ``freeze_feature_encoder=False``.
    """
    rows = []
    for r in paper.ser_table().itertuples():
        if r.experiment != "adaptation":
            continue
        recipe = PAPER_RECIPE[r.adaptation]
        rank = None if pd.isna(r.lora_rank) else int(r.lora_rank)
        top_k = int(r.unfrozen_top_layers) if str(r.unfrozen_top_layers).isdigit() and int(r.unfrozen_top_layers) else None
        trainable, total, desc = trainable_params(r.model, recipe, rank, top_k,
                                                  freeze_feature_encoder=(recipe != "full"))
        rows.append(dict(model=r.model, recipe=recipe, lora_rank=rank, top_k=top_k,
                         trainable_m=trainable / 1e6, paper_trainable_m=r.trainable_params_m,
                         trainable_pct=100 * trainable / total, modules=desc))
    df = pd.DataFrame(rows)
    df["lora_rank"] = df["lora_rank"].astype("Int64")
    df["top_k"] = df["top_k"].astype("Int64")
    df["delta_m"] = df["trainable_m"] - df["paper_trainable_m"]
    return df


def recipe_search(tolerance: float = 0.01) -> pd.DataFrame:
    """Candidate recipes for the paper's two reported trainable counts; which match within 1 %."""
    cands = [
        ("wav2vec2-base", "lora+top-k", 16, 4, ("q_proj", "v_proj"), True),
        ("wav2vec2-base", "lora+top-k", 16, 4, ("q_proj", "k_proj", "v_proj"), True),
        ("wav2vec2-base", "lora+top-k", 16, 4, DEFAULT_TARGETS, True),
        ("wav2vec2-base", "lora+top-k", 16, 4, DEFAULT_TARGETS + ("intermediate_dense", "output_dense"), True),
        ("wav2vec2-base", "top-k", None, 4, DEFAULT_TARGETS, True),
        ("wav2vec2-large-robust", "full", None, None, DEFAULT_TARGETS, True),
        ("wav2vec2-large-robust", "full", None, None, DEFAULT_TARGETS, False),
    ]
    reported = paper.reported_trainable_m()
    rows = []
    for model, recipe, rank, top_k, targets, freeze in cands:
        trainable, _, desc = trainable_params(model, recipe, rank, top_k, targets, freeze)
        target = reported[model]
        rows.append(dict(model=model, recipe=recipe, modules=desc, trainable_m=trainable / 1e6,
                         paper_trainable_m=target, ratio=trainable / 1e6 / target,
                         match=abs(trainable / 1e6 / target - 1) <= tolerance))
    return pd.DataFrame(rows)
