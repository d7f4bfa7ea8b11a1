"""``audioscale pretrain``: train the embedded world's mini models (what ``make pretrain`` runs).

Trains the mini Whisper family (micro, tiny, base, small) and the mini wav2vec2 SER
backbone on the synthetic corpus, one after another, on the CPU, and saves each to
``checkpoints/``. ``--resume`` continues a killed run from its last saved state.
``--jobs 2`` (what ``make pretrain`` uses) splits the models into two single-thread lanes
of about equal cost that run side by side, one process each; the committed mini Whispers
were trained that way (lanes ``small micro`` and ``base tiny``). The SER backbone learns
from a frozen teacher (``pretrain.SER_TEACHER``), so it does not wait for the family.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

# Relative cost of each model's pretraining (single-thread minutes with two lanes side by side,
# the seventh family's stage 1 + stage 2 + evaluation from pretrain_log.json; the SER backbone's
# is a rough guess) -- only used to balance the lanes.
LANE_COST = {"small": 28.2, "base": 20.3, "tiny": 14.5, "micro": 12.1, "ser-backbone-mini": 10.0}


def lanes(names: list[str], jobs: int) -> list[list[str]]:
    """Greedy longest-first split of ``names`` into at most ``jobs`` lanes of similar cost."""
    out: list[list[str]] = [[] for _ in range(max(1, min(jobs, len(names))))]
    cost = [0.0] * len(out)
    for name in sorted(names, key=lambda n: -LANE_COST.get(n, 10.0)):
        k = cost.index(min(cost))
        out[k].append(name)
        cost[k] += LANE_COST.get(name, 10.0)
    return out


def _run_lanes(args, names: list[str]) -> int:
    """One child ``audioscale pretrain`` per lane; fails if any lane fails (after all finish).
    The corpora every lane reads are built first, here, so that no two lanes build one at once."""
    from ..embedded import pretrain as P

    t0 = time.perf_counter()
    P.prepare_corpora(names, seed=args.seed)
    print(json.dumps({"corpora_wall_s": round(time.perf_counter() - t0, 1)}), flush=True)
    procs = []
    for lane in lanes(names, args.jobs):
        cmd = [sys.executable, "-m", "audioscale.cli", "pretrain", "--models", *lane, "--seed", str(args.seed),
               "--threads", str(args.threads)]
        cmd += ["--steps", str(args.steps)] if args.steps else []
        cmd += ["--ser-steps", str(args.ser_steps)] if args.ser_steps else []
        cmd += ["--resume"] if args.resume else []
        cmd += ["--stage1-batches", args.stage1_batches] if args.stage1_batches is not None else []
        cmd += ["--align-weight", str(args.align_weight)] if args.align_weight is not None else []
        print(f"lane {len(procs) + 1}: {' '.join(lane)}", flush=True)
        procs.append((lane, subprocess.Popen(cmd)))
    t0, failed = time.perf_counter(), []
    for lane, proc in procs:
        if proc.wait() != 0:
            failed.append(" ".join(lane))
    print(json.dumps({"lanes": [lane for lane, _ in procs], "wall_s": round(time.perf_counter() - t0, 1)}))
    if failed:
        print(f"pretraining failed in lane(s): {failed}; rerun with --resume to continue from the saved states.",
              file=sys.stderr)
        return 1
    return 0


def _run(args) -> int:
    from ..embedded import pretrain as P
    from ..embedded.models import SER_BACKBONE_NAME
    from ..errors import AudioscaleError

    names = P.check_models(args.models or list(P.DEFAULT_STEPS) + [SER_BACKBONE_NAME])
    if args.jobs < 1:
        raise AudioscaleError(f"--jobs {args.jobs}: give 1 (one process) or more (lanes side by side).")
    if args.jobs > 1 and len(names) > 1 and not args.decoder_stage_only:
        return _run_lanes(args, names)
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
                                     threads=args.threads, **batches, **align)
        ev = log["final_eval_other"]
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
                   help="run the models as this many single-thread lanes side by side (make pretrain: 2)")
    p.add_argument("--resume", action="store_true", help="continue from the last saved state of each model")
    p.add_argument("--decoder-stage-only", action="store_true",
                   help="run only stage 2 (decoder on the frozen encoder) on folders saved by stage 1")
    # Recipe variants (embedded/pretrain.py's docstring). Unset, each takes pretrain's default,
    # the committed (seventh) family's recipe; "padded" and 0 give the third family's.
    p.add_argument("--stage1-batches", default=None, choices=["cropped", "padded"],
                   help="stage-1 batches: 'cropped' (length-bucketed, the default) or 'padded' to the whole window")
    p.add_argument("--align-weight", type=float, default=None,
                   help="weight of the decoder stage's cross-attention alignment loss (default: pretrain.ALIGN_WEIGHT"
                        " = 1.0; 0 turns it off)")
    p.set_defaults(func=_run)
