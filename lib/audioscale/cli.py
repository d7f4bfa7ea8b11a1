"""The ``audioscale`` command line.

Each subcommand lives in its own module under ``audioscale/commands/``, which defines
``register(subparsers)``; the module's parser sets ``func`` to the callable taking the
parsed ``args`` and returning an exit code. Modules are discovered, so a section adds a
command by adding a file. User errors (``AudioscaleError``) print one line and exit 2,
with no traceback.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import commands
from .errors import AudioscaleError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audioscale", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AudioscaleError as e:
        print(f"audioscale {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"audioscale {args.command}: interrupted; finished rows are kept in results/.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
