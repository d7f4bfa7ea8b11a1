"""The embedded SER study: the paper's two SER experiments, scaled to the mini backbone.

Mapping from the paper (wav2vec2-large-robust: 24 layers, hidden 1024) to the embedded
backbone (``checkpoints/ser-backbone-mini``: 2 layers, hidden 128):
- LoRA rank: the paper's {8, 16, 32, 64} become {2, 4, 8, 16}: the same ×8 span, and the
  reference recipe (the paper's r=16, second of four) is r=4 here.
- Unfrozen top layers: the paper's top-4 of 24 becomes top-1 of 2 (the smallest step), and
  its top-8 becomes top-2 (all layers; LoRA then only adds to fully trainable layers).
- Durations: 2, 4, 6 s as in the paper, each with masked and all-frames pooling.
- Controls the paper does not have: the head alone on the frozen backbone, and the
  reference recipe on a randomly initialised backbone (what pretraining contributes).
Every configuration runs with ``SEEDS``; tables show mean ± std over them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import AudioscaleError
from ..paths import REPO
from .config import SERConfig
from .run import row_config

BACKBONE = "checkpoints/ser-backbone-mini"
SEEDS = (0, 1, 2)
STUDIES = ("duration", "adaptation", "check")
DURATIONS_S = (2.0, 4.0, 6.0)
RANKS = (2, 4, 8, 16)
REFERENCE = dict(recipe="lora+top-k", rank=4, top_k=1)
# ours -> the paper's value on the same rung of each ladder
PAPER_RANK_OF = dict(zip(RANKS, (8, 16, 32, 64)))
PAPER_TOP_K_OF = {1: 4, 2: 8}
# One learning rate for every recipe, chosen once on validation UA (see the notebook).
# No dropout (the backbone's default is 0.1 on attention and hidden states), for speed on the
# CPU: attention dropout forces attention off its fused kernel (3x slower there, 17 % of a
# fine-tuning epoch), and drawing the hidden-state masks was another 6-7 % of a step.
# Early stopping on validation-speaker UA is the regulariser that remains. Patience 3, not 2:
# with 2, six of 42 runs stopped at epoch 3 or 5 after an early validation peak; with 3, four
# of them trained on to a later, better epoch (top-2 seed 0: UA 35.8 -> 44.1 %), measured here.
TRAINING = dict(epochs=6, patience=3, batch_size=16, lr=5e-4, attention_dropout=0.0, hidden_dropout=0.0)


def backbone_path() -> str:
    """The backbone folder (loading it fails with a named error if ``make pretrain`` has not run;
    reading stored rows does not need it)."""
    return str(REPO / BACKBONE)


def backbone_available() -> bool:
    """Whether ``make pretrain`` has left the backbone in checkpoints/."""
    return (REPO / BACKBONE / "config.json").is_file()


def base_config(**kw) -> SERConfig:
    return SERConfig(**{"model": backbone_path(), "data": "embedded", "duration_s": 4.0,
                        "pooling": "masked", **REFERENCE, **TRAINING, **kw})


def study_configs(study: str, seeds=SEEDS) -> list[SERConfig]:
    """Every configuration of ``study`` (``duration`` or ``adaptation``), seeds innermost."""
    if study == "duration":
        grid = [dict(duration_s=d, pooling=p) for d in DURATIONS_S for p in ("masked", "all")]
    elif study == "check":
        return [cheapest_config()]
    elif study == "adaptation":
        grid = ([dict(recipe="head-only"), dict(recipe="lora", rank=REFERENCE["rank"])]
                + [dict(rank=r) for r in RANKS]
                + [dict(top_k=2), dict(recipe="full"), dict(init="random")])
    else:
        raise AudioscaleError(f"study={study!r} is not one of {list(STUDIES)}.")
    return [base_config(seed=s, **g) for g in grid for s in seeds]


def cheapest_config() -> SERConfig:
    """The configuration the exact-recompute test reruns: head-only, 1 s, one epoch, seed 0."""
    return base_config(recipe="head-only", duration_s=1.0, epochs=1, seed=0)


# The paper's own grid, for scale="paper" (real backbones and a CREMA-D folder).
PAPER_MODEL = "facebook/wav2vec2-large-robust"
PAPER_RANKS = (8, 16, 32, 64)
PAPER_REFERENCE = dict(recipe="lora+top-k", rank=16, top_k=4)


def paper_study_configs(study: str, data: str, model: str = PAPER_MODEL, seeds=SEEDS,
                        **training) -> list[SERConfig]:
    """The paper's duration sweep or adaptation ablation as configurations."""
    if not data or data == "none":
        raise AudioscaleError("scale='paper' needs a CREMA-D folder (paper_data / --data) holding AudioWAV/.")
    base = dict(model=model, data=data, duration_s=4.0, pooling="masked", **PAPER_REFERENCE,
                **{**TRAINING, "lr": 1e-4, "attention_dropout": None, "hidden_dropout": None,
                   **training})
    if study == "duration":
        grid = [dict(duration_s=d, pooling=p) for d in DURATIONS_S for p in ("masked", "all")]
    elif study == "adaptation":
        grid = ([dict(recipe="lora", rank=16)] + [dict(rank=r) for r in PAPER_RANKS]
                + [dict(top_k=8), dict(recipe="full"), dict(model="facebook/wav2vec2-base")])
    else:
        raise AudioscaleError(f"study={study!r} is not one of ['duration', 'adaptation'].")
    return [SERConfig(**{**base, **g, "seed": s}) for g in grid for s in seeds]


def notebook_study(study: str, scale: str, seeds=SEEDS, paper_data: str = "none",
                   paper_model: str = PAPER_MODEL) -> tuple[list[SERConfig], str, str]:
    """A notebook's configurations at its ``scale`` ("embedded": ``study_configs``; "paper":
    ``paper_study_configs`` on the CREMA-D folder ``paper_data``), the experiment whose rows
    hold them, and a line saying how many there are."""
    if scale == "embedded":
        configs = study_configs(study, seeds=seeds)
    else:
        configs = paper_study_configs(study, data=paper_data, model=paper_model, seeds=seeds)
    experiment = experiment_of(study, scale)
    line = (f"{len(configs)} configurations ({len(configs) // len(seeds)} settings x {len(seeds)} seeds) "
            f"-> results/{experiment}.csv")
    return configs, experiment, line


def experiment_of(study: str, scale: str = "embedded") -> str:
    """Rows of the check configuration live apart, so study tables never meet them."""
    return f"ser_{scale}_check" if study == "check" else f"ser_{scale}"


def collect(configs: list[SERConfig], experiment: str = "ser_embedded", compute_missing: bool = True,
            scale: str = "embedded", progress: bool = False, workers: int = 2, engine=None) -> pd.DataFrame:
    """The stored rows of ``configs``, computing missing ones unless ``compute_missing=False``.

    ``make results`` passes both studies at once: one pool, one start-up, no idle tail between them.

    Missing configurations run on ``engine`` (default: the local engine with ``workers``
    processes of one thread each, kept warm: each loads the corpus once), the costliest first.
    The numbers are those of a one-process run (every run is single-threaded and rows are
    stored sorted by key), in about 1/workers of the time on as many free cores.
    """
    from ..results import ResultStore, config_key
    store = ResultStore(experiment)
    if compute_missing:
        from ..engine import LocalEngine
        summary = sweep(configs, experiment, scale, engine or LocalEngine(workers), store=store,
                        show_progress=progress)
        if summary.failed:
            print(summary)
    rows = store.rows()
    if rows.empty:
        return rows
    keys = {config_key(row_config(c)) for c in configs}
    return rows[rows.config_key.isin(keys)].reset_index(drop=True)


def sweep(configs: list[SERConfig], experiment: str, scale: str, engine, store=None, force: bool = False,
          save_adapters: str | None = None, verbose: bool = True, show_progress: bool | None = None,
          threads: int = 1):
    """Run the configurations of ``configs`` that have no row yet on ``engine``; the driver
    stores each row as it comes back. A ``SweepSummary`` (failures listed, not raised)."""
    from ..engine import run_tasks
    from ..results import ResultStore
    store = store or ResultStore(experiment)
    todo = list(dict.fromkeys(configs))  # configurations are frozen dataclasses: repeats go
    missing = [c for c in todo if force or store.get(row_config(c)) is None]
    tasks = [make_task(c, scale, experiment, save_adapters, threads) for c in missing]
    return run_tasks(tasks, engine, {experiment: store}, desc="training SER configurations", verbose=verbose,
                     show_progress=show_progress)


def make_task(cfg: SERConfig, scale: str, experiment: str, save_adapters: str | None = None, threads: int = 1):
    """One configuration (one seed) as a task: ``threads`` CPU threads, or one GPU on CUDA."""
    from ..engine import Task
    from ..results import config_key
    from .run import compute_config
    adapter = None
    if save_adapters:
        import hashlib
        digest = hashlib.sha1(config_key(row_config(cfg)).encode()).hexdigest()[:10]
        adapter = str(Path(save_adapters) / f"{_label(cfg).replace(' ', '_').replace('=', '')}-{digest}")
    gpu = cfg.device == "cuda"
    return Task(_label(cfg), compute_config, dict(cfg=cfg, scale=scale, experiment=experiment,
                                                  save_adapter=adapter),
                num_cpus=float(threads), num_gpus=1.0 if gpu else 0.0, threads=None if gpu else threads,
                cost=cost_estimate(cfg))


def cost_estimate(cfg: SERConfig) -> float:
    """Relative training cost, only to order the queue (measured per-row times, rounded)."""
    per_recipe = {"head-only": 0.6, "lora": 0.9, "full": 2.0}.get(cfg.recipe, 1.0)
    deeper = 1.6 if cfg.recipe.endswith("top-k") and (cfg.top_k or 0) > 1 else 1.0
    return cfg.duration_s * per_recipe * deeper * cfg.epochs


def _label(cfg: SERConfig) -> str:
    rc = row_config(cfg)
    where = "" if cfg.device == "cpu" and cfg.amp == "none" else f" {cfg.device} amp={cfg.amp}"
    return (f"{rc['recipe']} r={rc['rank']} k={rc['top_k']} {cfg.duration_s:g}s {cfg.pooling} "
            f"{cfg.init} seed={cfg.seed}{where}")


def paper_counterpart(recipe: str, rank, top_k, init: str = "pretrained") -> dict | None:
    """The paper's configuration on the same rung as an embedded one (None: no counterpart)."""
    if init != "pretrained":
        return None
    if recipe == "full":
        return dict(experiment="adaptation", recipe="full")
    if recipe == "lora" and rank in PAPER_RANK_OF:
        return dict(experiment="adaptation", recipe="lora", rank=PAPER_RANK_OF[rank])
    if recipe == "lora+top-k" and rank in PAPER_RANK_OF and top_k in PAPER_TOP_K_OF:
        return dict(experiment="adaptation", model="wav2vec2-large-robust", recipe="lora+top-k",
                    rank=PAPER_RANK_OF[rank], top_k=PAPER_TOP_K_OF[top_k])
    return None
