"""`audioscale sweep asr|ser`: a whole sweep on an engine (local processes or Ray); the
--engine options are shared with `asr-sweep` and `ser-sweep`, which are the same commands."""
from __future__ import annotations

ENGINE_EPILOG = """engines:
  local   this machine: --workers processes (default 1: in this process)
  ray     a private Ray instance on this machine (--workers CPUs), or a running cluster with
          --address auto | HOST:PORT (ray start --head); every node needs the repository, its
          checkpoints and the data at the same paths. Rows are written by this process only."""


def engine_arguments(p) -> None:
    from ..engine import ENGINES

    g = p.add_argument_group("engine")
    g.add_argument("--engine", choices=ENGINES, default="local",
                   help="where the configurations run: local processes, or Ray tasks")
    g.add_argument("--address", default=None,
                   help="ray: a running cluster to join, 'auto' or HOST:PORT (default: start a private local "
                        "instance for this sweep)")
    g.add_argument("--workers", type=int, default=None,
                   help="local: worker processes; ray without --address: CPUs of the local instance "
                        "(default: local 1, ray all cores)")


def engine_of(args):
    """The engine the options name (``audioscale.engine.make_engine``)."""
    import os

    from ..engine import make_engine

    workers = args.workers if args.workers is not None else (1 if args.engine == "local" else os.cpu_count() or 1)
    return make_engine(args.engine, workers=workers, address=args.address)


def register(sub) -> None:
    from . import asr, ser

    p = sub.add_parser("sweep", help="a whole ASR or SER sweep on an engine (local or Ray)",
                       description="Run a sweep's configurations as tasks of an engine and store each row "
                                   "as it comes back. 'sweep asr' is 'asr-sweep', 'sweep ser' is 'ser-sweep'.",
                       epilog="examples:\n  audioscale sweep asr --engine ray\n"
                              "  audioscale sweep ser --study adaptation --engine local --workers 2\n"
                              "  audioscale sweep ser --scale paper --data /data/CREMA-D --device cuda --amp bf16 "
                              "--engine ray --address auto\n\n" + ENGINE_EPILOG)
    kinds = p.add_subparsers(dest="kind", metavar="{asr,ser}", required=True)
    a = kinds.add_parser("asr", help="the paper's 11 ASR configurations, or the embedded grid",
                         description=asr.SWEEP_DESCRIPTION, epilog=asr.SWEEP_EPILOG.format(cmd="sweep asr"))
    asr.sweep_arguments(a)
    a.set_defaults(func=asr._sweep)
    s = kinds.add_parser("ser", help="the SER study (duration, adaptation) x seeds",
                         description=ser.SWEEP_DESCRIPTION, epilog=ser.SWEEP_EPILOG.format(cmd="sweep ser"))
    ser.sweep_arguments(s)
    s.set_defaults(func=ser._sweep)
