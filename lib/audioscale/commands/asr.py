"""`audioscale asr` (one configuration), `asr-sweep` (the paper's 11 or the embedded grid)
and `wer` (corpus WER of two 'id<TAB>text' files)."""
from __future__ import annotations

from ..errors import check_int_range, check_threads

SCALE_HELP = ("which results file the rows go to, results/asr_<scale>.csv, and the default normalizer "
              "(default: embedded when --data is 'embedded'{}, else paper)")


def _common(p) -> None:
    p.add_argument("--batch-size", type=int, default=32, help="utterances per batch (timing only)")
    p.add_argument("--limit", type=int, default=None,
                   help="score only the first N utterances, in the set's order (default: all)")
    p.add_argument("--force", action="store_true", help="recompute rows that are already finished")
    p.add_argument("--allow-missing-audio", action="store_true",
                   help="skip (and count) transcripts whose audio file is missing")


def _scale(args) -> str:
    """--scale, else from --data: the same rule for asr, asr-sweep and ser."""
    from ..asr.run import EMBEDDED_DATA

    if args.scale:
        return args.scale
    return "embedded" if args.data in (None, EMBEDDED_DATA) else "paper"


def register(sub) -> None:
    from ..asr.config import SCALES
    from ..asr.run import EMBEDDED_DATA, PAPER_DATA
    from ..asr.wer import NORMALIZERS
    from ..cli import add_preset_option
    from ..models.whisper_axes import POOLINGS

    p = sub.add_parser(
        "asr", help="WER of one Whisper configuration (model, T, stride, pooling)",
        description="Transcribe a test set with one Whisper configuration (model size, encoder frames T, "
                    "token stride s and its pooling) and write one row: WER with S/D/I counts, decoded tokens "
                    "and GFLOPs under every convention. A finished row is reused.",
        epilog="examples:\n"
               "  audioscale asr --preset embedded-small-200-s2-mean\n"
               "  audioscale asr --preset paper-tiny-750 --limit 100 --device cuda\n"
               "  audioscale asr --model checkpoints/asr-mini-tiny --data embedded --frames 200 --stride 2")
    add_preset_option(p, "asr")
    p.add_argument("--model", required=True,
                   help="short name (tiny, small, medium, large-v3), hub id, or save_pretrained folder")
    p.add_argument("--data", required=True,
                   help=f"test set: a folder (LibriSpeech layout or *.manifest.tsv), a hub id such as "
                        f"{PAPER_DATA}, or '{EMBEDDED_DATA}' (the embedded test set)")
    p.add_argument("--frames", type=int, default=None,
                   help="encoder frames T (default: the model's full window, 1500 for Whisper)")
    p.add_argument("--stride", type=int, default=1, help="encoder-token stride s before cross-attention")
    p.add_argument("--pooling", choices=POOLINGS, default="select",
                   help="how stride s merges tokens: keep every s-th, or average each group of s")
    p.add_argument("--beam-size", type=int, default=1, help="beam width (1: greedy, as the study)")
    p.add_argument("--max-new-tokens", type=int, default=None,
                   help="cap on decoded tokens per utterance (default: the decoder's own limit)")
    p.add_argument("--scale", choices=SCALES, default=None, help=SCALE_HELP.format(""))
    p.add_argument("--normalizer", choices=NORMALIZERS, default=None,
                   help="text normalizer before WER (default: whisper for paper, none for embedded)")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default: cuda if visible, else cpu")
    p.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32",
                   help="weights and compute dtype")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for torch (default: torch's own; the embedded sweep uses 1)")
    _common(p)
    p.set_defaults(func=_asr)

    p = sub.add_parser(
        "asr-sweep", help="the paper's 11 ASR configurations, or the embedded grid",
        description=SWEEP_DESCRIPTION, epilog=SWEEP_EPILOG.format(cmd="asr-sweep"))
    sweep_arguments(p)
    p.set_defaults(func=_sweep)

    p = sub.add_parser("wer", help="corpus WER of two 'id<TAB>text' files",
                       description="Corpus WER of a hypothesis file against a reference file, both 'id<TAB>text' "
                                   "per line, with the study's normalizer and scorer.",
                       epilog="example:\n  audioscale wer ref.tsv hyp.tsv --normalizer none")
    p.add_argument("ref", metavar="REF.tsv", help="reference transcripts, one 'id<TAB>text' per line")
    p.add_argument("hyp", metavar="HYP.tsv", help="hypotheses, one 'id<TAB>text' per line (every reference id)")
    p.add_argument("--normalizer", choices=NORMALIZERS, default="whisper",
                   help="whisper: openai-whisper's EnglishTextNormalizer (the paper's); none: lower-case only")
    p.set_defaults(func=_wer)


SWEEP_DESCRIPTION = (
    "Run every configuration of one ASR sweep, reusing finished rows. paper: the paper's 11 (model, T, "
    "stride) rows on LibriSpeech test-other. embedded: every mini in checkpoints/ x {full, half} window x "
    "{stride 1, stride 2 select, stride 2 mean} on the embedded test set. Each configuration is one task of "
    "--engine (local: this machine; ray: a Ray instance or cluster); only this process writes the rows.")
SWEEP_EPILOG = """examples:
  audioscale {cmd}
  audioscale {cmd} --scale paper --device cuda --model large-v3=/models/whisper-large-v3
  audioscale {cmd} --scale paper --data /data/LibriSpeech/test-other --sizes large-v3 --engine ray --address auto
  audioscale {cmd} --engine ray --workers 2"""


def sweep_arguments(p) -> None:
    """The options of `asr-sweep` and `sweep asr`."""
    from ..asr.config import SCALES
    from ..asr.run import PAPER_DATA
    from .sweep import engine_arguments

    p.add_argument("--scale", choices=SCALES, default=None, help=SCALE_HELP.format(" or omitted"))
    p.add_argument("--data", default=None,
                   help=f"evaluation set (default: paper = {PAPER_DATA}; embedded = the embedded test set)")
    p.add_argument("--model", action="append", default=[], metavar="SIZE=ID_OR_DIR",
                   help="paper: map a size to a hub id/folder (repeatable); embedded: a mini folder "
                        "(repeatable) (default: paper = the short names; embedded = every mini in --checkpoints)")
    p.add_argument("--checkpoints", default=None, help="embedded: folder holding asr-mini-*/ (default: checkpoints/)")
    p.add_argument("--sizes", nargs="+", metavar="SIZE", default=None,
                   help="paper: run only these sizes, e.g. --sizes large-v3 (default: all four)")
    p.add_argument("--configs", nargs="+", metavar="SIZE:FRAMES:STRIDE", default=None,
                   help="paper: run only these of the 11, e.g. --configs large-v3:750:1 tiny:1500:2 (default: all)")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None,
                   help="paper: default cuda if visible, else cpu (embedded: always cpu)")
    p.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default=None,
                   help="paper: default float16 on cuda, float32 on cpu (embedded: always float32)")
    _common(p)
    engine_arguments(p)


def _asr(args) -> int:
    from ..asr.config import AsrConfig
    from ..asr.run import run_asr

    check_int_range("batch_size", args.batch_size, 1, None, fix="Use e.g. 16.")
    if args.threads is not None:
        import torch

        torch.set_num_threads(check_threads(args.threads))
    # AsrConfig checks the axes before any model is loaded (a minute for large-v3).
    config = AsrConfig(args.model, args.data, args.frames, args.stride, args.pooling, args.beam_size,
                       args.max_new_tokens, args.limit, _scale(args), args.device, args.dtype, args.normalizer)
    row = run_asr(config, batch_size=args.batch_size, force=args.force, allow_missing_audio=args.allow_missing_audio)
    print(f"{row['model']} T={row['encoder_frames']} s={row['stride']} {row['pooling']}: "
          f"WER {row['wer_pct']:.2f} % (S {row['substitutions']}, D {row['deletions']}, I {row['insertions']}; "
          f"{row['n_utterances']} utterances, {row['n_bad_files']} bad files), "
          f"{row['gflops_paper']:.4g} GFLOPs per utterance (paper convention)")
    return 0


def _sweep(args) -> int:
    from ..asr import run
    from ..errors import AudioscaleError
    from .sweep import engine_of

    check_int_range("batch_size", args.batch_size, 1, None, fix="Use e.g. 16.")
    scale = _scale(args)
    engine = engine_of(args)
    if scale == "paper":
        ids = {}
        for item in args.model:
            if "=" not in item:
                raise AudioscaleError(f"--model {item!r}: use SIZE=ID_OR_DIR, e.g. small=openai/whisper-small.")
            size, src = item.split("=", 1)
            ids[size] = src
        df = run.sweep_paper(args.data or run.PAPER_DATA, ids, batch_size=args.batch_size, limit=args.limit,
                             sizes=args.sizes, configs=args.configs,
                             device=args.device, dtype=args.dtype, force=args.force,
                             allow_missing_audio=args.allow_missing_audio, verbose=not args.quiet,
                             engine=engine)
    else:
        if args.sizes or args.configs:
            raise AudioscaleError("--sizes and --configs pick among the paper's 11 configurations: use them "
                                  "with --scale paper (the embedded grid takes --model FOLDER instead).")
        kw = {"checkpoints": args.checkpoints} if args.checkpoints else {}
        data = None if args.data == run.EMBEDDED_DATA else args.data  # None: the embedded test set
        df = run.sweep_embedded(data, batch_size=args.batch_size, limit=args.limit, force=args.force,
                                models=args.model or None, verbose=not args.quiet, engine=engine, **kw)
    print(f"{len(df)} rows in results/asr_{scale}.csv")
    return 0


def _wer(args) -> int:
    from ..asr.wer import wer_of_files

    r = wer_of_files(args.ref, args.hyp, args.normalizer)
    print(f"WER {r.wer_pct:.2f} % over {r.n_utterances} utterances, {r.n_ref_words} words: "
          f"S {r.substitutions}, D {r.deletions}, I {r.insertions} (normalizer {r.normalizer}, {r.scorer})")
    return 0
