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

import time
from dataclasses import dataclass, field

import pandas as pd

from ..errors import AudioscaleError
from ..paths import REPO, cache_root
from .config import SERConfig
from .run import row_config, run_config

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


@dataclass
class SweepReport:
    done: int = 0
    cached: int = 0
    failed: int = 0
    wall_s: float = 0.0
    errors: list = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.done} computed, {self.cached} already stored, {self.failed} failed "
                 f"in {self.wall_s:.0f} s"]
        lines += [f"  FAILED {e}" for e in self.errors]
        return "\n".join(lines)


def experiment_of(study: str, scale: str = "embedded") -> str:
    """Rows of the check configuration live apart, so study tables never meet them."""
    return f"ser_{scale}_check" if study == "check" else f"ser_{scale}"


def collect(configs: list[SERConfig], experiment: str = "ser_embedded", compute_missing: bool = True,
            scale: str = "embedded", progress: bool = False, workers: int = 2) -> pd.DataFrame:
    """The stored rows of ``configs``, computing missing ones unless ``compute_missing=False``.

    ``make results`` passes both studies at once: one pool, one start-up, no idle tail between them.

    Missing configurations go to ``workers`` processes of one thread each, one configuration
    at a time, the costliest first (a dynamic queue: no worker idles while another still has
    a backlog). The numbers are those of a one-process run (every run is single-threaded and
    rows are stored sorted by key), in about 1/workers of the time on as many free cores.
    """
    from ..progress import progress as progress_bar
    from ..results import ResultStore, config_key
    store = ResultStore(experiment)
    if compute_missing:
        todo = list(dict.fromkeys(configs))  # configurations are frozen dataclasses: repeats go
        missing = sorted((c for c in todo if store.get(row_config(c)) is None), key=cost_estimate, reverse=True)
        if len(missing) > 1 and workers > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor
            tasks = [(c, k, len(missing), experiment, scale) for k, c in enumerate(missing, 1)]
            # A pool of warm workers rather than the job queue's one process per job: each worker
            # loads the corpus once, and a configuration then costs seconds, not a fresh start-up.
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
                reports = list(progress_bar(pool.map(_config_worker, tasks), total=len(tasks),
                                            desc="training SER configurations", unit="config"))
        elif missing:
            reports = [run_sweep(missing, experiment=experiment, scale=scale, progress=progress)]
        else:
            reports = []
        for r in reports:
            if r.failed:
                print(r)
    rows = store.rows()
    if rows.empty:
        return rows
    keys = {config_key(row_config(c)) for c in configs}
    return rows[rows.config_key.isin(keys)].reset_index(drop=True)


def cost_estimate(cfg: SERConfig) -> float:
    """Relative training cost, only to order the queue (measured per-row times, rounded)."""
    per_recipe = {"head-only": 0.6, "lora": 0.9, "full": 2.0}.get(cfg.recipe, 1.0)
    deeper = 1.6 if cfg.recipe.endswith("top-k") and (cfg.top_k or 0) > 1 else 1.0
    return cfg.duration_s * per_recipe * deeper * cfg.epochs


def _label(cfg: SERConfig) -> str:
    rc = row_config(cfg)
    return (f"{rc['recipe']} r={rc['rank']} k={rc['top_k']} {cfg.duration_s:g}s {cfg.pooling} "
            f"{cfg.init} seed={cfg.seed}")


def _config_worker(args) -> "SweepReport":
    cfg, k, n, experiment, scale = args
    report = run_sweep([cfg], experiment=experiment, scale=scale, verbose=False)
    status = f"FAILED: {report.errors[0]}" if report.failed else f"done in {report.wall_s:.0f} s"
    print(f"[{k}/{n}] {_label(cfg)}: {status}", flush=True)
    return report


def run_sweep(configs: list[SERConfig], force: bool = False, progress: bool = False,
              num_threads: int = 1, shard: str | None = None, scale: str = "embedded",
              experiment: str | None = None, verbose: bool = True, claim: bool = False) -> SweepReport:
    """Run every configuration (a failing one is reported and the sweep goes on).

    ``shard="i/n"`` keeps every n-th configuration starting at i, for n processes.
    ``claim=True``: any number of processes walk the same list in order, each running only the
    configurations no other one has claimed (an ``O_EXCL`` file per configuration under
    ``.cache/ser/claims/``): a dynamic queue, so the list's order is the order of completion.
    """
    if shard:
        try:
            i, n = (int(v) for v in shard.split("/"))
            assert 0 <= i < n
        except (ValueError, AssertionError):
            raise AudioscaleError(f"shard={shard!r}: use I/N with 0 <= I < N, e.g. 0/2.") from None
        configs = configs[i::n]
    from ..results import ResultStore
    store = ResultStore(experiment or f"ser_{scale}")
    report, t0 = SweepReport(), time.perf_counter()
    for k, cfg in enumerate(configs, 1):
        rc = row_config(cfg)
        label = _label(cfg)
        before = store.get(rc, force=force)
        if claim and before is None and not _claim(store, rc):
            continue
        try:
            row = run_config(cfg, scale=scale, store=store, force=force,
                             progress=progress, num_threads=num_threads)
        except (AudioscaleError, RuntimeError) as e:
            report.failed += 1
            report.errors.append(f"{label}: {e}")
            if verbose:
                print(f"[{k}/{len(configs)}] {label}: FAILED: {e}", flush=True)
            continue
        if before is not None:
            report.cached += 1
            continue
        report.done += 1
        if verbose:
            print(f"[{k}/{len(configs)}] {label}: UA {row['ua']:.3f} "
              f"({time.perf_counter() - t0:.0f} s elapsed)", flush=True)
    report.wall_s = time.perf_counter() - t0
    return report


def _claim(store, config: dict) -> bool:
    import hashlib
    import os

    from ..results import config_key
    folder = cache_root() / "ser" / "claims" / store.path.stem
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(config_key(config).encode()).hexdigest()[:16]
    try:
        os.close(os.open(folder / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


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
