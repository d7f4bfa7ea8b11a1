"""One SER configuration -> one tidy result row in ``results/ser_<scale>.csv``.

A configuration names the backbone, the data, the clip duration, the pooling, the adaptation
recipe (``audioscale.models.adaptation``) and the seed. ``run_config`` returns the stored row when
there is one (``AUDIOSCALE_RECOMPUTE=1`` recomputes), otherwise trains, scores the test
speakers and stores the row: UA, WA, the confusion matrix, trainable parameters and GFLOPs
per clip under the paper's convention (2·N·50·duration_s, N = every parameter of the
classifier, LoRA excluded) beside the exact counts of ``audioscale.accounting.flops``. Training speed
(examples/s) goes to the timings file, never into the row.

Rows hold no machine paths: a model inside the repository is named by its repo-relative
folder, any other folder by its name; the data by its folder name (or the embedded corpus's
versioned name).
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..models.adaptation import UNKNOWN_DEPTH, apply_recipe, check_recipe_args
from ..models.architectures import WAV2VEC2_FRAMES_PER_S, count_params
from ..errors import AudioscaleError, check_choice
from ..paths import REPO, cache_root
from ..results import Computed, ResultStore
from . import data as serdata
from .config import BACKBONE_OVERRIDES, EMBEDDED_DATA, SCALES, SERConfig
from .model import cache_frozen_prefix, load_backbone, trim_padded_frames, use_fast_frame_mask
from .train import evaluate, train

log = logging.getLogger(__name__)


def model_label(source: str) -> str:
    p = Path(source).expanduser()
    if p.is_dir():
        try:
            return str(p.resolve().relative_to(REPO))
        except ValueError:
            return p.resolve().name
    return source


def data_dir(data: str) -> Path:
    if data == EMBEDDED_DATA:
        from .emotion_corpus import build_corpus
        return build_corpus()
    return Path(data).expanduser()


def data_label(data: str) -> str:
    if data == EMBEDDED_DATA:
        from .emotion_corpus import CORPUS_NAME
        return CORPUS_NAME
    return Path(data).expanduser().resolve().name


def data_fingerprint(data: str) -> str:
    """The CREMA-D-layout folder's content (audioscale.fingerprint): clips and CSVs ("" if absent)."""
    from ..fingerprint import folder_fingerprint

    root = Path(data).expanduser()
    if not root.is_dir():
        return ""
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".wav", ".flac", ".csv", ".tsv")]
    return folder_fingerprint(root, files)


def row_config(cfg: SERConfig) -> dict:
    """The flat config stored in (and keying) the row: labels instead of paths."""
    d = asdict(cfg)
    d["model"] = model_label(cfg.model)
    d["data"] = data_label(cfg.data)
    for name, default in (("device", "cpu"), ("amp", "none")):  # see SERConfig: defaults stay out of the key
        if d[name] == default:
            del d[name]
    if cfg.data != EMBEDDED_DATA:  # a user's folder: its content is part of the key
        d["data_fingerprint"] = data_fingerprint(cfg.data)
    rank, top_k = check_recipe_args(cfg.recipe, cfg.rank, cfg.top_k, UNKNOWN_DEPTH)
    d["rank"], d["top_k"] = rank, top_k
    if rank is None:
        d["alpha"] = None
    return d


_DATA: dict[str, tuple] = {}


def load_dataset(data: str, split_seed: int = 0, splits_out: Path | None = None):
    """(clips with ``split``, waves, bad clips) for a data folder; waves cached per process."""
    root = data_dir(data)
    key = f"{root.resolve()}::{split_seed}"
    if key not in _DATA:
        clips = serdata.scan(root)
        clips = serdata.make_splits(clips, seed=split_seed, test_actors=serdata.read_test_actors(root))
        waves, clips, bad = serdata.load_waves(clips)
        _DATA[key] = (clips, waves, bad)
    clips, waves, bad = _DATA[key]
    if splits_out is not None:
        serdata.write_splits(clips, splits_out)
    return clips, waves, bad


def _subset(clips: pd.DataFrame, waves, split: str):
    idx = np.flatnonzero(clips.split.to_numpy() == split)
    if len(idx) == 0:
        raise AudioscaleError(f"the {split} split is empty: the data has too few speakers or clips.")
    return [waves[i] for i in idx], clips.label.to_numpy()[idx]


def paper_gflops(n_params: int, duration_s: float) -> float:
    """The paper's convention: 2 FLOPs per parameter per frame, 50 frames/s, no attention term."""
    return 2 * n_params * WAV2VEC2_FRAMES_PER_S * duration_s / 1e9


def other_gflops(model_config, duration_s: float) -> dict[str, float]:
    """Exact counts from ``audioscale.accounting.flops`` (every convention it offers besides the paper's)."""
    try:
        from ..accounting import flops
    except ImportError:
        return {}
    out = {}
    for convention in flops.CONVENTIONS:
        if convention == "paper":
            continue
        try:
            out[f"gflops_{convention}"] = float(flops.ser_flops(model_config, duration_s, convention).total_gflops)
        except (AudioscaleError, NotImplementedError, TypeError):
            continue
    return out


def checkpoint_dir(config: dict, scale: str) -> Path:
    digest = hashlib.sha1(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return cache_root() / "ser" / "checkpoints" / f"{scale}-{digest}"


def run_config(cfg: SERConfig, scale: str = "embedded", store: ResultStore | None = None,
               force: bool = False, progress: bool = True, num_threads: int | None = 1,
               keep_checkpoint: bool = False, save_adapter: str | Path | None = None) -> dict:
    """The row of ``cfg``: from ``store`` when present, else trained and stored now.

    ``num_threads=1`` (default) makes the numbers independent of the machine's core count
    (float sums are ordered differently with more threads), at the price of speed.
    """
    check_choice("scale", scale, SCALES)
    cfg.validate()
    store = store or ResultStore(f"ser_{scale}")
    config = row_config(cfg)
    hit = store.get(config, force=force)
    if hit is not None:
        return hit
    if store.superseded(config, "data_fingerprint"):
        log.warning("%s has changed since its row was computed: recomputing (the old row goes)", config["data"])
    old_threads = torch.get_num_threads()
    if num_threads:
        torch.set_num_threads(num_threads)
    try:
        done = compute_config(cfg, scale, progress=progress, keep_checkpoint=keep_checkpoint,
                              save_adapter=save_adapter, experiment=store.experiment)
    finally:
        torch.set_num_threads(old_threads)
    return store.put_computed(done)


def compute_config(cfg: SERConfig, scale: str = "embedded", progress: bool = False,
                   keep_checkpoint: bool = False, save_adapter: str | Path | None = None,
                   experiment: str | None = None) -> Computed:
    """Train and score ``cfg``; its row unstored (``ResultStore.put_computed`` writes it, with
    the speaker split as ``splits/…csv``): the part of ``run_config`` a worker process runs.
    ``save_adapter``: a folder where the trained adapter goes (peft's ``save_pretrained``; the
    trainable weights as safetensors for recipes without LoRA)."""
    check_choice("scale", scale, SCALES)
    cfg.validate()
    config = row_config(cfg)
    t_start = time.perf_counter()
    serdata.audio_dir(data_dir(cfg.data))  # a wrong folder fails before the model loads
    # then the model: a top_k beyond its depth fails before any data is read
    overrides = {k: getattr(cfg, k) for k in BACKBONE_OVERRIDES if getattr(cfg, k) is not None}
    model = load_backbone(cfg.model, init=cfg.init, seed=cfg.seed, **overrides)
    n_backbone = count_params(model)
    recipe = apply_recipe(model, cfg.recipe, rank=cfg.rank, top_k=cfg.top_k, alpha=cfg.alpha)
    # speed only: frozen modules below the first layer computed once per distinct clip,
    # a cheaper (bit-identical) frame mask, and no all-padding tail in the attention layers
    cache_frozen_prefix(recipe.model)
    use_fast_frame_mask(recipe.model)
    trim_padded_frames(recipe.model)
    tcfg = cfg.train_config()
    recipe.model.to(tcfg.device)

    clips, waves, bad = load_dataset(cfg.data, cfg.split_seed)
    if bad:
        log.warning("%d of %d clips skipped (unreadable)", len(bad), len(bad) + len(clips))
        for name, reason in bad[:5]:
            log.warning("  %s: %s", name, reason)
    tr_w, tr_y = _subset(clips, waves, "train")
    va_w, va_y = _subset(clips, waves, "validation")
    te_w, te_y = _subset(clips, waves, "test")
    ckpt = checkpoint_dir(config, scale)
    result = train(recipe.model, tr_w, tr_y, va_w, va_y, tcfg, ckpt_dir=ckpt, progress=progress)
    t0 = time.perf_counter()
    test = evaluate(recipe.model, te_w, te_y, cfg.duration_s, cfg.pooling, tcfg.eval_batch_size,
                    device=tcfg.device, amp=tcfg.amp)
    eval_s = time.perf_counter() - t0
    metrics = {
        "ua": test["ua"], "wa": test["wa"], "val_ua": result.best_val_ua,
        "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
        "trainable_params": recipe.trainable_params, "total_params": recipe.total_params,
        "backbone_params": n_backbone, "layers": model.config.num_hidden_layers,
        "gflops_paper": paper_gflops(n_backbone, cfg.duration_s),
        **other_gflops(model.config, cfg.duration_s),
        "n_train": len(tr_y), "n_validation": len(va_y), "n_test": len(te_y), "n_bad_clips": len(bad),
        "confusion": json.dumps(test["confusion"].tolist(), separators=(",", ":")),
        "recipe_description": recipe.description,
    }
    timings = {"wall_s": time.perf_counter() - t_start,
               "train_examples_per_s": (result.train_examples / result.train_seconds
                                        if result.train_seconds else float("nan")),
               "eval_examples_per_s": len(te_y) / eval_s if eval_s else float("nan"),
               "resumed_from_epoch": result.resumed_from_epoch}
    if save_adapter:
        save_trained(recipe.model, save_adapter)
    if not keep_checkpoint:
        shutil.rmtree(ckpt, ignore_errors=True)
    splits = f"splits/ser_{config['data']}_split{cfg.split_seed}.csv"
    return Computed(experiment or f"ser_{scale}", config, metrics, timings, scale,
                    files={splits: serdata.splits_csv(clips)})


def save_trained(model, folder: str | Path) -> Path:
    """What training changed, in ``folder``: every trainable tensor (LoRA, unfrozen layers,
    head) as ``trainable.safetensors``; with LoRA also the adapter in peft's own layout
    (``adapter_config.json`` by the LoraConfig's ``save_pretrained``, ``adapter_model.safetensors``
    from ``get_peft_model_state_dict``), loadable with peft on the same backbone."""
    from safetensors.torch import save_file

    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    save_file({n: p.detach().cpu().contiguous() for n, p in model.named_parameters() if p.requires_grad},
              str(folder / "trainable.safetensors"))
    if getattr(model, "peft_config", None):
        from peft import get_peft_model_state_dict

        model.peft_config["default"].save_pretrained(str(folder))
        adapter = {n: t.detach().cpu().contiguous() for n, t in get_peft_model_state_dict(model).items()}
        save_file(adapter, str(folder / "adapter_model.safetensors"))
    return folder


def summarize(rows: pd.DataFrame, by: list[str], metrics=("ua", "wa")) -> pd.DataFrame:
    """Mean ± std over seeds of each configuration group (``n_seeds`` counts them)."""
    if rows.empty:
        return rows
    keys = [k for k in by if k in rows]
    g = rows.groupby(keys, dropna=False)
    out = g.agg(n_seeds=("seed", "nunique"),
                **{f"{m}_mean": (m, "mean") for m in metrics},
                **{f"{m}_std": (m, "std") for m in metrics},
                trainable_params=("trainable_params", "first"),
                gflops_paper=("gflops_paper", "first")).reset_index()
    return out
