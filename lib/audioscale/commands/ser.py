"""`audioscale ser`: train and score one SER configuration; `audioscale ser-sweep`: the
embedded study (duration sweep + adaptation ablation, several seeds)."""
from __future__ import annotations

import logging
from dataclasses import replace

from .. import progress
from ..errors import check_threads

logger = logging.getLogger(__name__)

SER_EXAMPLES = """\
examples:
  audioscale ser --preset duration-2s-masked             one row of the embedded study, 3 seeds
  audioscale ser --preset adaptation-full --seed 0       the same, one seed
  audioscale ser --preset paper-adaptation-lora+top-k-r16-k4 --data /data/CREMA-D
  audioscale ser --model checkpoints/ser-backbone-mini --data embedded --duration 4 \\
      --recipe lora+top-k --rank 8 --top-k 1 --seed 0 1 2"""


def _bar(args) -> bool:
    """Training progress bars: on a terminal unless -q (audioscale.progress)."""
    return progress.wanted(False if args.quiet else None)


def configs(args) -> list:
    """The SERConfig of each --seed, as `audioscale ser` runs them."""
    from ..ser.config import SERConfig

    return [SERConfig(model=args.model, data=args.data, duration_s=args.duration, pooling=args.pooling,
                      recipe=args.recipe, rank=args.rank, top_k=args.top_k, init=args.init, seed=seed,
                      split_seed=args.split_seed, epochs=args.epochs, patience=args.patience,
                      batch_size=args.batch_size, lr=args.lr,
                      attention_dropout=args.attention_dropout, hidden_dropout=args.hidden_dropout)
            for seed in args.seed]


def _ser(args) -> int:
    from ..ser.config import EMBEDDED_DATA
    from ..ser.run import run_config

    check_threads(args.threads)
    scale = args.scale or ("embedded" if args.data == EMBEDDED_DATA else "paper")
    rows = []
    for cfg in configs(args):
        row = run_config(cfg, scale=scale, force=args.force, progress=_bar(args), num_threads=args.threads)
        rows.append(row)
        print(f"seed {cfg.seed}: UA {100 * row['ua']:.2f} %  WA {100 * row['wa']:.2f} %  "
              f"trainable {int(row['trainable_params']):,} / {int(row['total_params']):,}  "
              f"GFLOPs/clip (paper convention) {row['gflops_paper']:.3f}  "
              f"epochs {int(row['epochs_run'])} (best {int(row['best_epoch'])})")
        if row.get("n_bad_clips"):
            logger.warning("seed %s: %d clips could not be read and were skipped", cfg.seed, int(row["n_bad_clips"]))
    if len(rows) > 1:
        import numpy as np
        ua = np.array([r["ua"] for r in rows])
        print(f"UA over {len(rows)} seeds: {100 * ua.mean():.2f} ± {100 * ua.std(ddof=1):.2f} %")
    return 0


def _sweep(args) -> int:
    from ..ser.sweep import PAPER_MODEL, STUDIES, experiment_of, notebook_study, study_configs, sweep
    from ..ser.train import check_device_amp
    from .sweep import engine_of

    check_threads(args.threads)
    check_device_amp(args.device, args.amp)
    engine = engine_of(args)
    studies = STUDIES if args.study == "all" else (args.study,)
    if args.scale == "paper":
        studies = tuple(s for s in studies if s != "check")  # the check row is the embedded world's
    where = dict(device=args.device, amp=args.amp)
    by_experiment: dict[str, list] = {}
    for study in studies:  # the reference configuration is in two studies: run it once
        if args.scale == "paper":
            todo_study, experiment, _ = notebook_study(study, "paper", seeds=args.seeds, paper_data=args.data,
                                                       paper_model=args.model or PAPER_MODEL)
            todo_study = [replace(c, **where) for c in todo_study]
        else:
            todo_study, experiment = study_configs(study, seeds=args.seeds), experiment_of(study)
            todo_study = [replace(c, **where) for c in todo_study]
        todo = by_experiment.setdefault(experiment, [])
        todo += [c for c in todo_study if c not in todo]
    failed = 0
    for experiment, todo in by_experiment.items():
        if args.shard:
            todo = shard_of(todo, args.shard)
        summary = sweep(todo, experiment, args.scale, engine, force=args.force, save_adapters=args.save_adapters,
                        verbose=not args.quiet, show_progress=_bar(args), threads=args.threads)
        print(f"{experiment}: {summary}")
        failed += len(summary.failed)
    return 0 if failed == 0 else 1


def shard_of(configs: list, shard: str) -> list:
    """``shard="I/N"``: every N-th configuration from the I-th."""
    from ..errors import AudioscaleError

    try:
        i, n = (int(v) for v in shard.split("/"))
        assert 0 <= i < n
    except (ValueError, AssertionError):
        raise AudioscaleError(f"shard={shard!r}: use I/N with 0 <= I < N, e.g. 0/2.") from None
    return configs[i::n]


SWEEP_DESCRIPTION = (
    "Run every configuration of the SER study (the duration sweep, the adaptation ablation, or the one-row "
    "check) for each seed, reusing finished rows; a failing configuration is reported and the sweep goes on. "
    "embedded: the mini backbone on the synthetic emotion corpus. paper: the paper's grid on wav2vec2-large-"
    "robust (and base) over a CREMA-D folder. Each configuration x seed is one task of --engine.")
SWEEP_EPILOG = """examples:
  audioscale {cmd} --study duration
  audioscale {cmd} --engine local --workers 2
  audioscale {cmd} --scale paper --data /data/CREMA-D --device cuda --amp bf16 --save-adapters adapters/
  audioscale {cmd} --shard 0/2 & audioscale {cmd} --shard 1/2"""


def sweep_arguments(s) -> None:
    """The options of `ser-sweep` and `sweep ser`."""
    from ..ser.config import SCALES
    from ..ser.sweep import PAPER_MODEL, SEEDS, STUDIES
    from ..ser.train import AMP_DTYPES, DEVICES
    from .sweep import engine_arguments

    s.add_argument("--study", choices=STUDIES + ("all",), default="all",
                   help="which configurations (all: duration and adaptation, and the check row when embedded)")
    s.add_argument("--scale", choices=SCALES, default="embedded",
                   help="embedded: the mini backbone, synthetic corpus; paper: the paper's grid on --data")
    s.add_argument("--data", default="none", help="paper: a CREMA-D folder holding AudioWAV/")
    s.add_argument("--model", default=None, help=f"paper: the backbone of the grid (default: {PAPER_MODEL})")
    s.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), help="training seeds of every configuration")
    s.add_argument("--device", choices=DEVICES, default="cpu", help="where training and scoring run")
    s.add_argument("--amp", choices=tuple(AMP_DTYPES), default="none",
                   help="mixed precision: bf16 (CPU or GPU) or fp16 (GPU, with a gradient scaler)")
    s.add_argument("--save-adapters", default=None, metavar="DIR",
                   help="keep each trained adapter under DIR (peft's layout for LoRA) (default: not kept)")
    s.add_argument("--threads", type=int, default=1, help="torch threads per run")
    s.add_argument("--shard", default=None, help="I/N: run every N-th configuration from the I-th "
                                                 "(two processes on two cores: 0/2 and 1/2) (default: all)")
    s.add_argument("--force", action="store_true", help="recompute rows that already exist")
    engine_arguments(s)


def register(subparsers) -> None:
    from ..cli import add_preset_option
    from ..models.adaptation import RECIPES
    from ..ser.model import INITS, POOLINGS
    from ..ser.config import SCALES

    p = subparsers.add_parser("ser", help="train + score one SER configuration (one row per seed)",
                              description="Fine-tune a wav2vec2 backbone for emotion recognition with one "
                                          "adaptation recipe and clip duration, and score unweighted accuracy "
                                          "(UA) on held-out speakers: one row per seed. A finished row is reused.",
                              epilog=SER_EXAMPLES)
    add_preset_option(p, "ser")
    p.add_argument("--model", required=True, help="short name, hub id or save_pretrained folder")
    p.add_argument("--data", default="embedded", help="CREMA-D folder (with AudioWAV/) or 'embedded'")
    p.add_argument("--duration", type=float, default=4.0, help="clip window in seconds")
    p.add_argument("--recipe", choices=RECIPES, default="lora+top-k",
                   help="what trains besides the head: LoRA adapters, the top-k layers, both, or everything")
    p.add_argument("--rank", type=int, default=16, help="LoRA rank (lora recipes)")
    p.add_argument("--top-k", type=int, default=4, help="top layers to unfreeze (top-k recipes)")
    p.add_argument("--pooling", choices=POOLINGS, default="masked",
                   help="masked: mean over valid frames; all: padding frames included")
    p.add_argument("--init", choices=INITS, default="pretrained",
                   help="backbone weights: pretrained, or random with the same architecture")
    p.add_argument("--seed", type=int, nargs="+", default=[0], help="one or more training seeds")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the speaker split")
    p.add_argument("--epochs", type=int, default=10, help="maximum epochs (early stopping on validation UA)")
    p.add_argument("--patience", type=int, default=3, help="epochs without a better validation UA before stopping")
    p.add_argument("--batch-size", type=int, default=16, help="clips per training batch")
    p.add_argument("--lr", type=float, default=1e-4, help="learning rate (AdamW)")
    p.add_argument("--attention-dropout", type=float, default=None,
                   help="override the backbone's attention dropout (default: the backbone's own; the embedded "
                        "study uses 0)")
    p.add_argument("--hidden-dropout", type=float, default=None,
                   help="override the backbone's hidden-state dropout (default: the backbone's own; the embedded "
                        "study uses 0)")
    p.add_argument("--scale", choices=SCALES, default=None,
                   help="which results file the rows go to, results/ser_<scale>.csv (default: embedded when "
                        "--data is 'embedded', else paper)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 = core-count-independent numbers)")
    p.add_argument("--force", action="store_true", help="recompute even if a row exists")
    p.set_defaults(func=_ser)

    s = subparsers.add_parser("ser-sweep", help="the SER study: every configuration x seeds",
                              description=SWEEP_DESCRIPTION, epilog=SWEEP_EPILOG.format(cmd="ser-sweep"))
    sweep_arguments(s)
    s.set_defaults(func=_sweep)
