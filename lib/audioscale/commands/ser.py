"""``audioscale ser``: train and score one SER configuration; ``audioscale ser-sweep``: the
embedded study (duration sweep + adaptation ablation, several seeds).

Examples:
  audioscale ser --model checkpoints/ser-backbone-mini --data embedded --duration 4 \\
      --recipe lora+top-k --rank 8 --top-k 1 --seed 0 1 2
  audioscale ser --model facebook/wav2vec2-base --data /data/CREMA-D --duration 4 \\
      --recipe lora+top-k --rank 16 --top-k 4 --scale paper
  audioscale ser-sweep --study duration
"""
from __future__ import annotations

import sys


def _check_threads(threads) -> None:
    import os

    from ..errors import check_int_range

    check_int_range("threads", threads, 1, os.cpu_count() or 1, fix="torch threads: 1 up to this machine's cores.")


def _ser(args) -> int:
    from ..models.adaptation import RECIPES
    from ..errors import check_choice
    from ..ser.run import EMBEDDED_DATA, SERConfig, run_config

    check_choice("--recipe", args.recipe, RECIPES)
    _check_threads(args.threads)
    scale = args.scale or ("embedded" if args.data == EMBEDDED_DATA else "paper")
    rows = []
    for seed in args.seed:
        cfg = SERConfig(model=args.model, data=args.data, duration_s=args.duration, pooling=args.pooling,
                        recipe=args.recipe, rank=args.rank, top_k=args.top_k, init=args.init, seed=seed,
                        split_seed=args.split_seed, epochs=args.epochs, patience=args.patience,
                        batch_size=args.batch_size, lr=args.lr,
                        attention_dropout=args.attention_dropout, hidden_dropout=args.hidden_dropout)
        row = run_config(cfg, scale=scale, force=args.force, progress=not args.quiet, num_threads=args.threads)
        rows.append(row)
        print(f"seed {seed}: UA {100 * row['ua']:.2f} %  WA {100 * row['wa']:.2f} %  "
              f"trainable {int(row['trainable_params']):,} / {int(row['total_params']):,}  "
              f"GFLOPs/clip (paper convention) {row['gflops_paper']:.3f}  "
              f"epochs {int(row['epochs_run'])} (best {int(row['best_epoch'])})")
        if row.get("n_bad_clips"):
            print(f"  {int(row['n_bad_clips'])} clips could not be read and were skipped", file=sys.stderr)
    if len(rows) > 1:
        import numpy as np
        ua = np.array([r["ua"] for r in rows])
        print(f"UA over {len(rows)} seeds: {100 * ua.mean():.2f} ± {100 * ua.std(ddof=1):.2f} %")
    return 0


def _sweep(args) -> int:
    from ..errors import check_choice
    from ..ser.sweep import STUDIES, experiment_of, run_sweep, study_configs

    check_choice("--study", args.study, STUDIES + ("all",))
    _check_threads(args.threads)
    studies = STUDIES if args.study == "all" else (args.study,)
    by_experiment: dict[str, list] = {}
    for study in studies:  # the reference configuration is in two studies: run it once
        todo = by_experiment.setdefault(experiment_of(study), [])
        todo += [c for c in study_configs(study, seeds=args.seeds) if c not in todo]
    failed = 0
    for experiment, configs in by_experiment.items():
        report = run_sweep(configs, force=args.force, progress=not args.quiet, num_threads=args.threads,
                           shard=args.shard, experiment=experiment)
        print(f"{experiment}: {report}")
        failed += report.failed
    return 0 if failed == 0 else 1


def register(subparsers) -> None:
    p = subparsers.add_parser("ser", help="train + score one SER configuration (one row per seed)",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="short name, hub id or save_pretrained folder")
    p.add_argument("--data", default="embedded", help="CREMA-D folder (with AudioWAV/) or 'embedded'")
    p.add_argument("--duration", type=float, default=4.0, help="clip window in seconds (default 4)")
    p.add_argument("--recipe", default="lora+top-k", help="head-only | lora | lora+top-k | top-k | full")
    p.add_argument("--rank", type=int, default=16, help="LoRA rank (lora recipes)")
    p.add_argument("--top-k", type=int, default=4, help="top layers to unfreeze (top-k recipes)")
    p.add_argument("--pooling", default="masked", help="masked (valid frames) | all (padding included)")
    p.add_argument("--init", default="pretrained", help="pretrained | random (same architecture)")
    p.add_argument("--seed", type=int, nargs="+", default=[0], help="one or more training seeds")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the speaker split")
    p.add_argument("--epochs", type=int, default=10, help="maximum epochs (early stopping on validation UA)")
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--attention-dropout", type=float, default=None,
                   help="override the backbone's attention dropout (the embedded study uses 0)")
    p.add_argument("--hidden-dropout", type=float, default=None,
                   help="override the backbone's hidden-state dropout (the embedded study uses 0)")
    p.add_argument("--scale", default=None, help="embedded | paper (default: from --data)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 = core-count-independent numbers)")
    p.add_argument("--force", action="store_true", help="recompute even if a row exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_ser)

    s = subparsers.add_parser("ser-sweep", help="the embedded SER study: every configuration x seeds")
    s.add_argument("--study", default="all", help="duration | adaptation | all")
    s.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--shard", default=None, help="I/N: run every N-th configuration from the I-th "
                                                 "(two processes on two cores: 0/2 and 1/2)")
    s.add_argument("--force", action="store_true")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=_sweep)
