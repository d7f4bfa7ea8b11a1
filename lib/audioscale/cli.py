"""audioscale: reproduce "Scaling Audio Models Efficiently" (Agarwal et al., 2026) from the command line.

Each subcommand lives in its own module under audioscale/commands/, which defines
register(subparsers); the module's parser sets func to the callable taking the parsed args
and returning an exit code. Modules are discovered, so a section adds a command by adding a
file; every parser made under build_parser is an AudioscaleParser (help formatting, -v/-q).
User errors (AudioscaleError) print one line and exit 2, with no traceback. Results go to
stdout; warnings and diagnostics to stderr through logging (audioscale.log).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import re
import sys
import textwrap

from . import __version__, commands, log
from .errors import AudioscaleError

logger = logging.getLogger("audioscale.cli")

EPILOG = """\
examples:
  audioscale flops --convention paper          the paper's GFLOPs column, ours beside it
  audioscale asr-real --preset real-base-750   one real-Whisper window, every stride and guard
  audioscale ser --preset duration-2s-masked   one row of the embedded SER study (3 seeds)
  audioscale asr --preset list                 every named configuration of the study

make reproduce runs the whole study; make test checks it. 'audioscale COMMAND --help' shows
a command's options, each with its default."""


def plain(text: str) -> str:
    """Help text without reST/Markdown code markup: ``x`` -> x, `x` -> 'x'."""
    return re.sub(r"`([^`]+)`", r"'\1'", re.sub(r"``([^`]+)``", r"\1", text))


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's default shown; prose paragraphs wrapped, indented lines (examples) kept
    as written; no code markup."""

    def _fill_text(self, text, width, indent):
        out = []
        for para in plain(text).split("\n\n"):
            lines = para.splitlines()
            if any(line.startswith("  ") for line in lines) or para.startswith("examples:"):
                out.append("\n".join(indent + line for line in lines))
            else:
                out.append(textwrap.fill(" ".join(para.split()), width, initial_indent=indent,
                                         subsequent_indent=indent, break_on_hyphens=False))
        return "\n\n".join(out)

    def _split_lines(self, text, width):  # names like librispeech-test-other stay whole
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _get_help_string(self, action):
        text = plain(action.help or "")
        if action.default is argparse.SUPPRESS or "default" in text or not action.option_strings:
            return text
        if action.required:
            return f"{text} (required)"
        if action.nargs == 0 and isinstance(action.default, bool):  # a switch
            return f"{text} (default: {'on' if action.default else 'off'})"
        if isinstance(action.default, (list, tuple)):
            return f"{text} (default: {' '.join(map(str, action.default))})"
        return f"{text} (default: %(default)s)"


class AudioscaleParser(argparse.ArgumentParser):
    """An ArgumentParser with this tool's help formatting; subcommand parsers (made through
    add_subparsers, at any depth) are AudioscaleParsers too and take -v/-q after the command."""

    def __init__(self, *args, formatter_class=HelpFormatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", _SubcommandParser)
        return super().add_subparsers(**kwargs)

    def error(self, message):
        """A usage error is one line, as every other user error here: what is wrong, where to look."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _SubcommandParser(AudioscaleParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        add_verbosity(self, after_command=True)


def add_verbosity(parser: argparse.ArgumentParser, after_command: bool = False) -> None:
    """-v/--verbose and -q/--quiet. After a command their default is SUPPRESS: left out there,
    what was given before the command (or the top-level default) stands."""
    unset = {"default": argparse.SUPPRESS} if after_command else {}
    parser.add_argument("-v", "--verbose", action="count",
                        help="more messages on stderr: -v info, -vv debug (default: warnings and errors)",
                        **(unset or {"default": 0}))
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="errors only: no warnings, progress bars or progress lines", **unset)


def build_parser() -> AudioscaleParser:
    parser = AudioscaleParser(prog="audioscale", description=__doc__.split("\n\n")[0], epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version and exit")
    add_verbosity(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def add_preset_option(parser: argparse.ArgumentParser, command: str) -> None:
    """--preset NAME: the study's configuration NAME (audioscale.presets) in front of the flags."""
    parser.add_argument("--preset", metavar="NAME", default=None, action=_PresetAction,
                        help=f"a configuration of the study by name; its flags come first, so flags given here "
                             f"override them; 'list' prints every name (default: none; e.g. "
                             f"'audioscale {command} --preset list')")


class _PresetChosen(Exception):
    def __init__(self, parser, name):
        super().__init__(name)
        self.parser, self.name = parser, name


class _PresetAction(argparse.Action):
    """Stops the first parse at --preset (so that a missing required flag the preset supplies
    is no error yet); parse_args then parses again with the preset's flags in front."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(parser, "preset_applied", None) != values:
            raise _PresetChosen(parser, values)
        setattr(namespace, self.dest, values)


class PresetExit(Exception):
    """--preset list (code 0) or a preset that cannot apply (code 2): the message is printed."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def parse_args(argv: list[str] | None = None, parser: AudioscaleParser | None = None) -> argparse.Namespace:
    """Parse ``argv`` with presets expanded: ``CMD ... --preset NAME ...`` parses as
    ``CMD <NAME's flags> ... --preset NAME ...``. Raises PresetExit for --preset list and for
    a preset that cannot apply."""
    from . import presets

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = parser or build_parser()
    try:
        return parser.parse_args(argv)
    except _PresetChosen as chosen:
        sub, name = chosen.parser, chosen.name
    command = sub.prog.split()[-1]
    known = presets.presets(command)
    if name == presets.LIST:
        raise PresetExit(0, presets.listing(command))
    if name not in known:
        other = presets.owner(name)
        hint = (f" ('{name}' is a preset of 'audioscale {other}')" if other else "")
        raise PresetExit(2, f"audioscale {command}: error: unknown preset '{name}'{hint}; known: "
                            f"{', '.join(known)} ('audioscale {command} --preset list' shows their flags)")
    preset = known[name]
    missing = [f"{flag} ({what})" for flag, what in preset.needs
               if not any(a == flag or a.startswith(flag + "=") for a in argv)]
    if missing:
        raise PresetExit(2, f"audioscale {command}: error: preset '{name}' needs {', '.join(missing)}")
    at = argv.index(command)  # options before the command take no values, so this is the command
    expanded = argv[:at + 1] + list(preset.flags) + argv[at + 1:]
    sub.preset_applied = name
    try:
        return parser.parse_args(expanded)
    except _PresetChosen as again:
        raise PresetExit(2, f"audioscale {command}: error: --preset {name} and --preset {again.name}: "
                            "give one preset") from None


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `audioscale ... | head`: the reader left; say nothing more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _main(argv: list[str] | None) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as e:  # --help, --version, a usage error: argparse printed what it had to say
        return 0 if e.code is None else e.code if isinstance(e.code, int) else 2
    except PresetExit as e:
        if e.code == 0:
            print(e.message)
        else:
            log.setup(0)
            logger.error(e.message)
        return e.code
    log.setup(log.verbosity(args.verbose, args.quiet))
    if getattr(args, "preset", None):
        from .presets import presets
        logger.info("preset %s: %s", args.preset, " ".join(presets(args.command)[args.preset].flags))
    try:
        return int(args.func(args) or 0)
    except AudioscaleError as e:
        logger.error(f"audioscale {args.command}: error: {e}")
        return 2
    except KeyboardInterrupt:
        logger.error(f"audioscale {args.command}: interrupted; finished rows are kept in results/.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
