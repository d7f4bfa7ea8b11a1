"""``audioscale pretrain``: train the embedded world's mini models (what ``make pretrain`` runs).

Trains the mini Whisper family (micro, tiny, base, small) and the mini wav2vec2 SER
backbone on the synthetic corpus, one after another, on the CPU, and saves each to
``checkpoints/``. ``--resume`` continues a killed run from its last saved state. The
committed checkpoints were trained as two single-thread lanes side by side:
``--models small ser-backbone-mini`` and ``--models micro tiny base``; stage 2 (the
decoder stage, see ``embedded.pretrain``) was added midway and run on their folders with
``--decoder-stage-only``.
"""
from __future__ import annotations

import json


def _run(args) -> int:
    from ..embedded import pretrain as P
    from ..embedded.models import SER_BACKBONE_NAME

    names = P.check_models(args.models or list(P.DEFAULT_STEPS) + [SER_BACKBONE_NAME])
    for name in names:
        if name == SER_BACKBONE_NAME:
            log = P.pretrain_wav2vec2(steps=args.ser_steps or P.SER_STEPS, seed=args.seed, resume=args.resume,
                                      threads=args.threads)
            print(json.dumps({"model": name, "params": log["params"], "steps": log["steps"],
                              "train_wall_s": log["train_wall_s"], "ctc_wer_other": log["ctc_wer_other"]}))
            continue
        if args.decoder_stage_only:
            log = P.refine_decoder(name, seed=args.seed, threads=args.threads)
        else:
            log = P.pretrain_whisper(name, steps=args.steps, seed=args.seed, resume=args.resume,
                                     threads=args.threads)
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
    p.add_argument("--resume", action="store_true", help="continue from the last saved state of each model")
    p.add_argument("--decoder-stage-only", action="store_true",
                   help="run only stage 2 (decoder on the frozen encoder) on folders saved by stage 1")
    p.set_defaults(func=_run)
