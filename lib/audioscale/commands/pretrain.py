"""``audioscale pretrain``: train the embedded world's mini models (what ``make pretrain`` runs).

Trains the mini Whisper family (micro, tiny, base, small) and the mini wav2vec2 SER
backbone on the synthetic corpus on the CPU, and saves each to ``checkpoints/``.
``--resume`` continues a killed run from its last saved state.
``--jobs 2`` (what ``make pretrain`` uses) builds the shared corpora first, with all cores,
then runs the work as single-thread jobs (``audioscale.jobs``), two at a time, one process
each: every mini Whisper is two jobs (stage 1, saved in the cache; then the decoder stage on
it, saved as the checkpoint, so an interrupted run leaves the old checkpoint whole), the SER
backbone one (its teacher is frozen, so it waits for nothing). The split saves the same bytes
as one whole run (tested).
"""
from __future__ import annotations

import json
import sys
import time

from ..embedded import pretrain as P
from ..embedded.models import SER_BACKBONE_NAME

# Seconds each job took with two running side by side (``jobs_wall_s`` of the timed run of
# 2026-12-04: stage 1 = training + its evaluation, the decoder stage + the final evaluations;
# the SER backbone's is a rough guess). Only the order in which ready jobs start depends on them.
STAGE1, DECODER_STAGE, WHOLE = "stage 1", "decoder stage", "whole"
JOB_COST_S = {("small", STAGE1): 1011, ("small", DECODER_STAGE): 614, ("base", STAGE1): 714,
              ("base", DECODER_STAGE): 500, ("tiny", STAGE1): 482, ("tiny", DECODER_STAGE): 305,
              ("micro", STAGE1): 385, ("micro", DECODER_STAGE): 245, (SER_BACKBONE_NAME, WHOLE): 600}
UNKNOWN_COST_S = 600.0
MODELS = [*P.DEFAULT_STEPS, SER_BACKBONE_NAME]


def job_id(model: str, part: str) -> str:
    return model if part == WHOLE else f"{model} {part}"


def _job_argv(args, model: str, part: str) -> list[str]:
    cmd = [sys.executable, "-m", "audioscale.cli", "pretrain", "--models", model, "--seed", str(args.seed),
           "--threads", str(args.threads)]
    if part == DECODER_STAGE:  # it reads what stage 1 saved; it has no state to resume
        return cmd + ["--decoder-stage-only", "--align-weight", str(args.align_weight)]
    cmd += ["--stage1-only"] if part == STAGE1 else []
    cmd += ["--steps", str(args.steps)] if args.steps else []
    cmd += ["--ser-steps", str(args.ser_steps), "--stage1-batches", args.stage1_batches]
    return cmd + (["--resume"] if args.resume else [])


def plan_jobs(args, names: list[str]):
    """Every job of pretraining ``names``: a mini Whisper's decoder stage waits for its stage 1."""
    from ..jobs import Job

    jobs = []
    for name in names:
        parts = (STAGE1, DECODER_STAGE) if name in P.DEFAULT_STEPS else (WHOLE,)
        for k, part in enumerate(parts):
            after = (job_id(name, parts[k - 1]),) if k else ()
            jobs.append(Job(job_id(name, part), _job_argv(args, name, part), after,
                            JOB_COST_S.get((name, part), UNKNOWN_COST_S)))
    return jobs


def _run_jobs(args, names: list[str]) -> int:
    """Build the corpora every job reads (here, once, so that no two jobs build one at once),
    then run the jobs ``args.jobs`` at a time; fails if any job fails (after the rest finish)."""
    from ..jobs import JobsFailed, run_jobs

    t0 = time.perf_counter()
    P.prepare_corpora(names, seed=args.seed)
    print(json.dumps({"corpora_wall_s": round(time.perf_counter() - t0, 1)}), flush=True)
    t0 = time.perf_counter()
    try:
        wall = run_jobs(plan_jobs(args, names), args.jobs)
    except JobsFailed as e:
        print(json.dumps({"jobs_wall_s": e.wall_s, "wall_s": round(time.perf_counter() - t0, 1)}), flush=True)
        print(f"pretraining failed or was skipped for: {', '.join([*e.failed, *e.skipped])} ({e}); rerun with "
              "--resume to continue from the saved states.", file=sys.stderr)
        return 1
    print(json.dumps({"jobs_wall_s": wall, "wall_s": round(time.perf_counter() - t0, 1)}), flush=True)
    return 0


def _recipe(args, name: str) -> P.WhisperRecipe:
    return P.WhisperRecipe(name, steps=args.steps, seed=args.seed, stage1_batches=args.stage1_batches,
                           align_weight=args.align_weight)


def _run(args) -> int:
    from ..errors import AudioscaleError

    names = P.check_models(args.models or MODELS)
    if args.jobs < 1:
        raise AudioscaleError(f"--jobs {args.jobs}: give 1 (one process) or more (jobs side by side).")
    if args.stage1_only and args.decoder_stage_only:
        raise AudioscaleError("--stage1-only and --decoder-stage-only exclude each other: run one, then the other.")
    if args.jobs > 1 and len(names) > 1 and not (args.decoder_stage_only or args.stage1_only):
        return _run_jobs(args, names)
    run = P.RunOptions(threads=args.threads)
    for name in names:
        if name == SER_BACKBONE_NAME:
            log = P.pretrain_wav2vec2(P.SerRecipe(steps=args.ser_steps, seed=args.seed),
                                      P.RunOptions(threads=args.threads, eval_n=P.SER_EVAL_N),
                                      resume=args.resume)
            print(json.dumps({"model": name, "params": log["params"], "steps": log["steps"],
                              "train_wall_s": log["train_wall_s"], "ctc_wer_other": log["ctc_wer_other"]}))
            continue
        if args.decoder_stage_only:
            log = P.run_decoder_stage(_recipe(args, name), run)
        else:
            log = P.pretrain_whisper(_recipe(args, name), run, resume=args.resume, stage1_only=args.stage1_only)
        ev = log["stage1_eval_other" if args.stage1_only else "final_eval_other"]
        print(json.dumps({"model": name, "params": log["params"], "steps": log["steps"],
                          "train_wall_s": log["train_wall_s"],
                          **{k: v for k, v in ev.items() if k.startswith("wer_")}}), flush=True)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("pretrain", help="train the embedded world's mini ASR family and SER backbone",
                              description="Train the embedded world's mini models (what make pretrain runs).")
    p.add_argument("--models", nargs="+", metavar="NAME", choices=MODELS, default=None,
                   help=f"the models to train, any of: {' '.join(MODELS)} (default: all of them)")
    own = ", ".join(f"{k} {v}" for k, v in P.DEFAULT_STEPS.items())
    p.add_argument("--steps", type=int, default=None,
                   help=f"stage-1 training steps of each mini Whisper (default: each model's own: {own})")
    p.add_argument("--ser-steps", type=int, default=P.SER_STEPS, help="training steps of the SER backbone")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the training corpus, the initialisation and the batches")
    # 1 thread: on shared, oversubscribed cores 2 torch threads ran 10-60x slower per step;
    # to use 2 free cores, run two jobs side by side (--jobs 2) instead.
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads per process")
    p.add_argument("--jobs", type=int, default=1, help="single-thread jobs run side by side (make pretrain: 2)")
    p.add_argument("--resume", action="store_true",
                   help="continue each model from its last saved state, if it was saved under the same recipe")
    p.add_argument("--stage1-only", action="store_true",
                   help="run only stage 1 and save its folder in the cache (embedded.pretrain.stage1_dir) for "
                        "--decoder-stage-only, leaving the checkpoint as it is (what --jobs 2 runs per model)")
    p.add_argument("--decoder-stage-only", action="store_true",
                   help="run only the decoder stage (the decoder on the frozen encoder) on the folder "
                        "--stage1-only saved (else on a checkpoint saved without it) and save the checkpoint")
    # Recipe variants (embedded/pretrain/recipe.py); the defaults are the committed family's
    # recipe, "padded" and 0 the third family's.
    p.add_argument("--stage1-batches", default=P.DEFAULT_STAGE1_BATCHES, choices=P.STAGE1_BATCHES,
                   help="stage-1 batches: cropped = length-bucketed, each cut to its longest utterance; "
                        "padded = random, on the whole window")
    p.add_argument("--align-weight", type=float, default=P.ALIGN_WEIGHT,
                   help="weight of the decoder stage's cross-attention alignment loss; 0 turns it off")
    p.set_defaults(func=_run)
