"""The EFIN sweep: every (size, strategy, budget, seed) to one row of ``results/efin.csv``.

Resumable at two grains: a finished row is reused (``ResultStore``'s recompute policy), and
stage A of the encoder-first strategies, shared by both of them, is saved under
``<cache>/efin/stage_a/`` once trained, so a killed sweep loses at most the run in progress.

    PYTHONPATH=lib python -m audioscale.efin.sweep [--models micro tiny] [--jobs 2]

(``make efin``). One torch thread per process; ``--jobs 2`` runs the two sizes side by side.
"""
from __future__ import annotations

import os
import sys
import time
from functools import lru_cache
from pathlib import Path

import torch

from ..paths import cache_root
from ..results import ResultStore
from .strategies import STAGE_B_SEED_OFFSET, STRATEGIES, EfinConfig

EXPERIMENT = "efin"
MODELS = ("micro", "tiny")
BUDGETS_TFLOPS = (0.6, 1.2, 2.4, 4.8)  # four budgets per strategy, 8x apart end to end
SEEDS = (0, 1)  # every budget runs seed 0; the cheapest also seed 1
MAX_STEPS = 6000  # the longest schedule a budget may need (a budget beyond it is refused by name)


def study_configs(models=MODELS, budgets=BUDGETS_TFLOPS) -> list[EfinConfig]:
    """The study's runs, cheapest first, so an interrupted sweep has the fits' low end."""
    out = []
    for budget in sorted(budgets):
        seeds = SEEDS if budget == min(budgets) else SEEDS[:1]
        for seed in seeds:
            for model in models:
                out += [EfinConfig(model, s, budget, seed) for s in STRATEGIES]
    return out


@lru_cache(maxsize=2)
def _data(n_train: int):
    from ..embedded.pretrain.features import training_set
    return training_set(n_train, 0)


@lru_cache(maxsize=2)
def _eval_set(split: str, n: int, size: int):
    from ..embedded import asr_corpus
    from ..embedded.pretrain.features import log_mel
    test = asr_corpus.load_test_set(n, split, size=size)
    return [u.text for u in test], log_mel([u.wave for u in test])


def stage_a_path(cfg: EfinConfig) -> Path:
    tag = f"{cfg.model}-{cfg.budget_tflops:g}tf-a{cfg.stage_a_fraction:g}-s{cfg.seed}-n{cfg.n_train}"
    return cache_root() / "efin" / "stage_a" / f"{tag}.pt"


def _stage_a(cfg: EfinConfig, model, ctc, data, mode: str, flops: float) -> dict:
    """Stage A of an encoder-first run, from its saved state when one exists."""
    from .train import plan_stage, train_stage
    path = stage_a_path(cfg)
    if path.is_file():
        saved = torch.load(path, weights_only=True)
        model.load_state_dict(saved["model"])
        ctc.load_state_dict(saved["ctc"])
        return dict(saved["log"], reused=True)
    steps, costs, batches = plan_stage(cfg.model, mode, data, flops, cfg.seed, MAX_STEPS)
    log = train_stage(model, ctc, cfg.model, mode, data, steps, batches, cfg.seed, cfg.ctc_weight)
    log["train_flops"] = costs.total(steps)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save({"model": model.state_dict(), "ctc": ctc.state_dict(), "log": log}, tmp)
    os.replace(tmp, path)  # a run killed mid-save leaves no half state
    return dict(log, reused=False)


def run_config(cfg: EfinConfig, store: ResultStore | None = None) -> dict:
    """Train and evaluate one run; its row (written to ``store``)."""
    from ..embedded.pretrain.folder import build
    from .train import greedy_wers, plan_stage, train_stage
    store = store or ResultStore(EXPERIMENT)
    torch.set_num_threads(1)
    data = _data(cfg.n_train)
    model, ctc = build(cfg.model, cfg.seed)
    logs = []
    for k, (mode, flops) in enumerate(cfg.stages()):
        if mode == "encoder":
            logs.append(_stage_a(cfg, model, ctc, data, mode, flops))
            continue
        seed = cfg.seed + (STAGE_B_SEED_OFFSET if k else 0)
        steps, costs, batches = plan_stage(cfg.model, mode, data, flops, seed, MAX_STEPS)
        logs.append(train_stage(model, ctc, cfg.model, mode, data, steps, batches, seed, cfg.ctc_weight))
        logs[-1]["train_flops"] = costs.total(steps)
    t0 = time.perf_counter()
    refs, feats = _eval_set(cfg.eval_split, cfg.eval_n, cfg.eval_size)
    dec, ctc_w = greedy_wers(model, ctc, refs, feats)
    metrics = _metrics(cfg, model, logs, dec, ctc_w)
    timings = {f"wall_s_stage_{'ab'[k]}": log["wall_s"] for k, log in enumerate(logs)}
    timings |= {"stage_a_reused": bool(logs[0].get("reused")) if len(logs) > 1 else False,
                "eval_wall_s": round(time.perf_counter() - t0, 1)}
    return store.put(cfg.as_row(), metrics, timings=timings, scale=cfg.scale)


def _metrics(cfg: EfinConfig, model, logs: list[dict], dec, ctc_w) -> dict:
    a, b = logs[0], (logs[1] if len(logs) > 1 else None)
    total = a["train_flops"] + (b["train_flops"] if b else 0.0)
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "steps_stage_a": a["steps"], "steps_stage_b": b["steps"] if b else 0,
        "train_gflops_stage_a": round(a["train_flops"] / 1e9, 3),
        "train_gflops_stage_b": round(b["train_flops"] / 1e9, 3) if b else 0.0,
        "train_gflops": round(total / 1e9, 3),
        "budget_used_pct": round(100 * total / (cfg.budget_tflops * 1e12), 3),
        "final_loss_stage_a": a["losses"][-1]["loss"], "final_loss_stage_b": b["losses"][-1]["loss"] if b else None,
        "n_ref_words": dec.n_ref_words, "errors": dec.substitutions + dec.deletions + dec.insertions,
        "wer_pct": round(100 * dec.wer, 3),
        # the CTC head on the final encoder: stage A's head is stale once top-1 tuning moved the encoder
        "ctc_wer_pct": round(100 * ctc_w.wer, 3),
        "normalizer": dec.normalizer, "scorer_version": dec.scorer,
    }


def sweep(configs: list[EfinConfig], store: ResultStore | None = None, verbose: bool = True) -> list[dict]:
    """Run every config that has no finished row; all their rows."""
    store = store or ResultStore(EXPERIMENT)
    rows = []
    for i, cfg in enumerate(configs, 1):
        row = store.get(cfg.as_row())
        if row is None:
            t0 = time.perf_counter()
            row = run_config(cfg, store)
            if verbose:
                print(f"[{i}/{len(configs)}] {cfg.model} {cfg.strategy} {cfg.budget_tflops:g} TF seed {cfg.seed}: "
                      f"WER {row['wer_pct']:.2f} % (CTC {row['ctc_wer_pct']:.2f} %), "
                      f"{row['train_gflops']:.0f} GFLOPs, {time.perf_counter() - t0:.0f} s", flush=True)
        rows.append(row)
    return rows


def _run_models(models: list[str]) -> int:
    return len(sweep(study_configs(models=tuple(models))))


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m audioscale.efin.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=["micro", "tiny", "base", "small"])
    parser.add_argument("--jobs", type=int, default=1, help="processes (one size each, one thread each)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    _data(EfinConfig("micro", "joint", 1.0).n_train)  # build the corpus once, before any worker
    if args.jobs > 1 and len(args.models) > 1:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as ex:
            list(ex.map(_run_models, [[m] for m in args.models]))
    else:
        _run_models(args.models)
    from .report import load_rows, write_fits
    write_fits(load_rows())
    print(f"efin sweep: {len(study_configs(tuple(args.models)))} rows in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
