"""``audioscale pretrain``: train the embedded world's mini models (what ``make pretrain`` runs).

Trains the mini Whisper family (micro, tiny, base, small) and the mini wav2vec2 SER
backbone on the synthetic corpus on the CPU, and saves each to ``checkpoints/``.
``--resume`` continues a killed run from its last saved state.
``--jobs 2`` (what ``make pretrain`` uses) builds the shared corpora first, with all cores,
then runs the work as single-thread jobs, two at a time, one process each: every mini
Whisper is two jobs (stage 1, saved in the cache; then the decoder stage on it, saved as the
checkpoint, so an interrupted run leaves the old checkpoint whole), the SER backbone one. A
free slot takes the ready job with the longest chain of work still behind it, so the two
slots finish close together (whole-model lanes left one idle for ~5.5 of the seventh
family's 44 minutes). The split saves the same bytes as one whole run (tested). The
SER backbone learns from a frozen teacher (``pretrain.SER_TEACHER``), so it waits for nothing.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass

# Seconds each job took with two running side by side (``jobs_wall_s`` of the timed run of
# 2026-12-04: stage 1 = training + its evaluation, stage 2 = the decoder stage + the final
# evaluations; the SER backbone's is a rough guess). Only the order in which ready jobs start
# depends on them.
JOB_COST_S = {("small", 1): 1011, ("small", 2): 614, ("base", 1): 714, ("base", 2): 500,
              ("tiny", 1): 482, ("tiny", 2): 305, ("micro", 1): 385, ("micro", 2): 245,
              ("ser-backbone-mini", 0): 600}
POLL_S = 1.0


@dataclass(frozen=True)
class Job:
    model: str
    stage: int  # 1: stage 1; 2: the decoder stage, after stage 1; 0: the whole model (SER backbone)

    @property
    def cost_s(self) -> float:
        return JOB_COST_S.get((self.model, self.stage), 600.0)

    def __str__(self) -> str:
        return f"{self.model} stage {self.stage}" if self.stage else self.model


def plan_jobs(names: list[str]) -> dict[Job, Job | None]:
    """Every job of pretraining ``names`` and the job it waits for (``None``: none)."""
    from ..embedded.pretrain import DEFAULT_STEPS
    jobs: dict[Job, Job | None] = {}
    for name in names:
        if name in DEFAULT_STEPS:
            jobs[Job(name, 1)] = None
            jobs[Job(name, 2)] = Job(name, 1)
        else:
            jobs[Job(name, 0)] = None
    return jobs


def chain_s(job: Job, jobs: dict[Job, Job | None]) -> float:
    """``job``'s cost plus the longest chain of jobs that wait on it (its priority)."""
    return job.cost_s + max((chain_s(j, jobs) for j, after in jobs.items() if after == job), default=0.0)


def run_jobs(jobs: dict[Job, Job | None], slots: int, start, poll_s: float = POLL_S) -> tuple[list[Job], dict]:
    """Run ``jobs`` at most ``slots`` at a time; ``start(job)`` returns a process-like object
    (``poll()``). Returns (failed jobs, plus those that waited on one; seconds per job)."""
    order = sorted(jobs, key=lambda j: -chain_s(j, jobs))
    pending, running, done, failed, wall = list(order), {}, set(), [], {}
    while pending or running:
        for job in list(pending):
            after = jobs[job]
            if after in failed:  # its input will never come
                pending.remove(job)
                failed.append(job)
            elif len(running) < slots and (after is None or after in done):
                pending.remove(job)
                print(f"start {job}", flush=True)
                running[job] = (start(job), time.perf_counter())
        if not running:
            break
        time.sleep(poll_s)
        for job, (proc, t0) in list(running.items()):
            rc = proc.poll()
            if rc is None:
                continue
            del running[job]
            wall[str(job)] = round(time.perf_counter() - t0, 1)
            if rc == 0:
                done.add(job)
            else:
                failed.append(job)
            print(f"{'finished' if rc == 0 else 'FAILED'} {job} ({wall[str(job)]} s)", flush=True)
    return failed, wall


def _job_argv(args, job: Job) -> list[str]:
    cmd = [sys.executable, "-m", "audioscale.cli", "pretrain", "--models", job.model, "--seed", str(args.seed),
           "--threads", str(args.threads)]
    if job.stage == 2:  # the decoder stage reads what stage 1 saved; it has no state to resume
        cmd += ["--decoder-stage-only"]
        cmd += ["--align-weight", str(args.align_weight)] if args.align_weight is not None else []
        return cmd
    cmd += ["--stage1-only"] if job.stage == 1 else []
    cmd += ["--steps", str(args.steps)] if args.steps else []
    cmd += ["--ser-steps", str(args.ser_steps)] if args.ser_steps else []
    cmd += ["--resume"] if args.resume else []
    cmd += ["--stage1-batches", args.stage1_batches] if args.stage1_batches is not None else []
    return cmd


def _run_jobs(args, names: list[str]) -> int:
    """Build the corpora every job reads (here, once, so that no two jobs build one at once),
    then run the jobs ``args.jobs`` at a time; fails if any job fails (after the rest finish)."""
    from ..embedded import pretrain as P

    t0 = time.perf_counter()
    P.prepare_corpora(names, seed=args.seed)
    print(json.dumps({"corpora_wall_s": round(time.perf_counter() - t0, 1)}), flush=True)
    t0 = time.perf_counter()
    failed, wall = run_jobs(plan_jobs(names), args.jobs, lambda job: subprocess.Popen(_job_argv(args, job)))
    print(json.dumps({"jobs_wall_s": wall, "wall_s": round(time.perf_counter() - t0, 1)}), flush=True)
    if failed:
        print(f"pretraining failed or was skipped for: {', '.join(map(str, failed))}; rerun with --resume to "
              "continue from the saved states.", file=sys.stderr)
        return 1
    return 0


def _run(args) -> int:
    from ..embedded import pretrain as P
    from ..embedded.models import SER_BACKBONE_NAME
    from ..errors import AudioscaleError

    names = P.check_models(args.models or list(P.DEFAULT_STEPS) + [SER_BACKBONE_NAME])
    if args.jobs < 1:
        raise AudioscaleError(f"--jobs {args.jobs}: give 1 (one process) or more (jobs side by side).")
    if args.stage1_only and args.decoder_stage_only:
        raise AudioscaleError("--stage1-only and --decoder-stage-only exclude each other: run one, then the other.")
    if args.jobs > 1 and len(names) > 1 and not (args.decoder_stage_only or args.stage1_only):
        return _run_jobs(args, names)
    # Unset flags fall through to pretrain's defaults (the committed family's recipe).
    align = {} if args.align_weight is None else {"align_weight": args.align_weight}
    batches = {} if args.stage1_batches is None else {"stage1_batches": args.stage1_batches}
    for name in names:
        if name == SER_BACKBONE_NAME:
            log = P.pretrain_wav2vec2(steps=args.ser_steps or P.SER_STEPS, seed=args.seed, resume=args.resume,
                                      threads=args.threads)
            print(json.dumps({"model": name, "params": log["params"], "steps": log["steps"],
                              "train_wall_s": log["train_wall_s"], "ctc_wer_other": log["ctc_wer_other"]}))
            continue
        if args.decoder_stage_only:
            log = P.refine_decoder(name, seed=args.seed, threads=args.threads, **align)
        else:
            log = P.pretrain_whisper(name, steps=args.steps, seed=args.seed, resume=args.resume,
                                     threads=args.threads, stage1_only=args.stage1_only, **batches, **align)
        ev = log["stage1_eval_other" if args.stage1_only else "final_eval_other"]
        print(json.dumps({"model": name, "params": log["params"], "steps": log["steps"],
                          "train_wall_s": log["train_wall_s"],
                          **{k: v for k, v in ev.items() if k.startswith("wer_")}}), flush=True)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("pretrain", help="train the embedded world's mini ASR family and SER backbone",
                              description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", metavar="NAME",
                   help="subset of: micro tiny base small ser-backbone-mini (default: all)")
    p.add_argument("--steps", type=int, default=None,
                   help="training steps per Whisper model (default: the family's own, see pretrain.DEFAULT_STEPS)")
    p.add_argument("--ser-steps", type=int, default=None, help="training steps of the wav2vec2 backbone (default: pretrain.SER_STEPS)")
    p.add_argument("--seed", type=int, default=0)
    # 1 thread: on shared, oversubscribed cores 2 torch threads ran 10-60x slower per step;
    # to use 2 free cores, run two `--models` subsets side by side instead.
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads per process (default 1)")
    p.add_argument("--jobs", type=int, default=1,
                   help="run the work as single-thread jobs, this many side by side (make pretrain: 2)")
    p.add_argument("--resume", action="store_true", help="continue from the last saved state of each model")
    p.add_argument("--stage1-only", action="store_true",
                   help="run only stage 1 and save its folder in the cache (pretrain.stage1_dir) for "
                        "--decoder-stage-only; the checkpoint is left as it is (what --jobs 2 runs per model)")
    p.add_argument("--decoder-stage-only", action="store_true",
                   help="run only stage 2 (decoder on the frozen encoder) on the folder --stage1-only saved "
                        "(else on a checkpoint saved without it) and save it as the checkpoint")
    # Recipe variants (embedded/pretrain.py's docstring). Unset, each takes pretrain's default,
    # the committed (seventh) family's recipe; "padded" and 0 give the third family's.
    p.add_argument("--stage1-batches", default=None, choices=["cropped", "padded"],
                   help="stage-1 batches: 'cropped' (length-bucketed, the default) or 'padded' to the whole window")
    p.add_argument("--align-weight", type=float, default=None,
                   help="weight of the decoder stage's cross-attention alignment loss (default: pretrain.ALIGN_WEIGHT"
                        " = 1.0; 0 turns it off)")
    p.set_defaults(func=_run)
