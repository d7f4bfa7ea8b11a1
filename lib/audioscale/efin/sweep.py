"""The EFIN sweep: every (size, strategy, budget, seed) to one row of ``results/efin.csv``.

Resumable at two grains: a finished row is reused (``ResultStore``'s recompute policy), and
stage A of the encoder-first strategies, shared by both of them, is saved under
``<cache>/efin/stage_a/`` once trained, so a killed sweep loses at most the run in progress.

    PYTHONPATH=lib python -m audioscale.efin.sweep [--models micro tiny] [--jobs 2] [--check-only]

(``make efin``); one torch thread per process; ``--jobs 2`` runs two (budget, seed, size)
groups side by side, from a queue, cheapest first. It first writes the check row
(``CHECK_CONFIG``, ``results/efin_check.csv``).
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
BUDGETS_TFLOPS = (1.2, 2.4, 4.8, 9.6)  # four budgets per strategy, 8x apart end to end
SEEDS = (0, 1)  # every budget runs seed 0; the cheapest also seed 1
MAX_STEPS = 14000  # the longest schedule a budget may need (a budget beyond it is refused by name)


CHECK_EXPERIMENT = "efin_check"
# The check row a unit test recomputes byte for byte (``results/efin_check.csv``): the study's
# code path end to end (plan, train, decode, guard, score) at a budget small enough for a test
# (~35 joint steps); its WER is a plumbing check, not a result.
CHECK_CONFIG = EfinConfig("micro", "joint", 0.05, 0)


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
    metrics = _metrics(cfg, model, logs, greedy_wers(model, ctc, refs, feats))
    timings = {f"wall_s_stage_{'ab'[k]}": log["wall_s"] for k, log in enumerate(logs)}
    timings |= {"stage_a_reused": bool(logs[0].get("reused")) if len(logs) > 1 else False,
                "eval_wall_s": round(time.perf_counter() - t0, 1)}
    return store.put(cfg.as_row(), metrics, timings=timings, scale=cfg.scale)


def _metrics(cfg: EfinConfig, model, logs: list[dict], wers: dict) -> dict:
    dec, raw = wers["decoder"], wers["decoder_unguarded"]
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
        "wer_pct": round(100 * dec.wer, 3), "insertions": dec.insertions,
        "wer_unguarded_pct": round(100 * raw.wer, 3), "insertions_unguarded": raw.insertions,
        "n_guard_changed": wers["n_guard_changed"],
        # the CTC head on the final encoder: stage A's head is stale once top-1 tuning moved the encoder
        "ctc_wer_pct": round(100 * wers["ctc"].wer, 3),
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
                      f"WER {row['wer_pct']:.2f} % (unguarded {row['wer_unguarded_pct']:.2f} %, "
                      f"CTC {row['ctc_wer_pct']:.2f} %), "
                      f"{row['train_gflops']:.0f} GFLOPs, {time.perf_counter() - t0:.0f} s", flush=True)
        rows.append(row)
    return rows


def study_groups(models=MODELS) -> list[list[EfinConfig]]:
    """The study's runs as groups of one (budget, seed, size): its three strategies, run in
    order in one process (so the encoder-first pair shares its stage A), cheapest group first."""
    groups: dict[tuple, list[EfinConfig]] = {}
    for c in study_configs(models=tuple(models)):
        groups.setdefault((c.budget_tflops, c.seed, c.model), []).append(c)
    return list(groups.values())


def _run_group(configs: list[EfinConfig]) -> int:
    torch.set_num_threads(1)
    return len(sweep(configs))


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m audioscale.efin.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=["micro", "tiny", "base", "small"])
    parser.add_argument("--jobs", type=int, default=1, 
                        help="processes (one thread each) taking (budget, seed, size) groups from a queue")
    parser.add_argument("--check-only", action="store_true", help="only the check row (results/efin_check.csv)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    _data(EfinConfig("micro", "joint", 1.0).n_train)  # build the corpus once, before any worker
    torch.set_num_threads(1)
    sweep([CHECK_CONFIG], ResultStore(CHECK_EXPERIMENT))
    if args.check_only:
        return 0
    groups = study_groups(args.models)
    if args.jobs > 1:  # a queue of groups: the two workers stay busy to the end (not one size each)
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as ex:
            list(ex.map(_run_group, groups))
    else:
        for g in groups:
            _run_group(g)
    from .report import load_rows, write_fits
    write_fits(load_rows())
    print(f"efin sweep: {len(study_configs(tuple(args.models)))} rows in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
