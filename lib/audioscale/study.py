"""Every result row of the study, computed once: what ``make results`` runs.

The notebooks read rows; they compute a row only when it is missing (a reader's re-run with
other parameters). ``make reproduce`` is ``make results`` followed by the notebooks, which
then find every row and only draw. Sections run in order; each is resumable (finished rows
are kept). With ``--recompute`` every row is computed afresh, once per run: the run's token
is kept in ``<cache>/recompute-run`` until every section has finished, so a run that is
interrupted and started again goes on where it stopped instead of starting over.

Usage: python -m audioscale.study [--recompute] [--list] [SECTION ...]
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from .paths import cache_root
from .results import RUN_ENV, start_recompute_run


def _asr_embedded() -> str:
    from .asr import run

    if not run.find_minis():
        return "skipped: no trained minis in checkpoints/ (make pretrain)"
    return f"{len(run.sweep_embedded(verbose=True))} rows"


def _asr_length_profile() -> str:
    from .asr import report

    return f"{report.embedded_length_profile()['n_utts']} utterances profiled"


def _asr_real() -> str:
    from .asr import real_report

    if not real_report._can_compute():
        return "skipped: real Whisper weights or the voice are not installed (make setup)"
    return f"{len(real_report.load_rows(compute=True, verbose=True))} rows"


def _precision() -> str:
    from .asr import real_report
    from .precision import isa, sweep

    if not real_report._can_compute():
        return "skipped: real Whisper weights or the voice are not installed (make setup)"
    rows = sweep.sweep_precision(verbose=True)
    return f"{len(rows)} rows, {len(isa.measure())} bf16 instruction-set rows"


def _ser_corpus() -> str:
    from .ser import emotion_corpus

    return f"{emotion_corpus.stats_row()['clips']} clips described"


def _ser_prosody() -> str:
    from .ser import sweep
    from .ser.prosody import baseline_row

    return f"{len([baseline_row(duration_s=d) for d in sweep.DURATIONS_S])} baseline rows"


def _ser_sweeps() -> str:
    from .ser import sweep

    if not sweep.backbone_available():
        return "skipped: no SER backbone in checkpoints/ (make pretrain)"
    configs = sweep.study_configs("duration") + sweep.study_configs("adaptation")  # collect drops repeats
    rows = sweep.collect(configs, experiment=sweep.experiment_of("duration"), progress=False)
    check = sweep.collect(sweep.study_configs("check"), experiment=sweep.experiment_of("check"))
    return f"{len(rows)} study rows, {len(check)} check row"


SECTIONS: dict[str, Callable[[], str]] = {
    "asr-embedded": _asr_embedded,
    "asr-length-profile": _asr_length_profile,
    "asr-real": _asr_real,
    "precision": _precision,
    "ser-corpus": _ser_corpus,
    "ser-prosody": _ser_prosody,
    "ser-sweeps": _ser_sweeps,
}


def compute_all(sections: list[str] | None = None, recompute: bool = False) -> None:
    """Run ``sections`` (default: all, in order), printing one line per section."""
    from .errors import AudioscaleError, check_choice

    names = sections or list(SECTIONS)
    for name in names:
        check_choice("section", name, tuple(SECTIONS))
    token_file = cache_root() / "recompute-run"
    saved_env = {k: os.environ.get(k) for k in ("AUDIOSCALE_RECOMPUTE", RUN_ENV)}
    if recompute:
        resumed = token_file.read_text().strip() if token_file.is_file() else None
        token = start_recompute_run(resumed)
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(token + "\n")
        print(f"recompute run {token}" + (" (resumed)" if resumed else ""), flush=True)
    total = time.perf_counter()
    try:
        for i, name in enumerate(names, 1):
            print(f"[{i}/{len(names)}] {name} ...", flush=True)
            t0 = time.perf_counter()
            try:
                outcome = SECTIONS[name]()
            except AudioscaleError as e:
                raise AudioscaleError(f"section {name}: {e}") from None
            print(f"[{i}/{len(names)}] {name}: {outcome} ({time.perf_counter() - t0:.0f} s)", flush=True)
    finally:
        # the rows are fresh now: whatever runs next in this process (the notebooks) only reads them
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if recompute and sections is None:
        token_file.unlink(missing_ok=True)  # every section finished: the next run starts afresh
    print(f"all {len(names)} sections in {time.perf_counter() - total:.0f} s")


def main(argv: list[str] | None = None) -> int:
    import argparse

    from .errors import AudioscaleError

    parser = argparse.ArgumentParser(prog="python -m audioscale.study", description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--recompute", action="store_true", help="compute every row afresh (once per run)")
    parser.add_argument("--list", action="store_true", help="list the sections and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(SECTIONS))
        return 0
    try:
        compute_all(args.sections or None, recompute=args.recompute)
    except AudioscaleError as e:
        print(f"audioscale.study: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("audioscale.study: interrupted; finished rows are kept, and a rerun goes on from them.",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
