"""The study's own configurations by name, as command-line flags.

``audioscale asr --preset embedded-small-200-s2-mean`` reruns one row of the study without
writing its seven flags out; ``--preset list`` prints every name with the flags it stands for.
A preset's flags go in front of the user's own, so a flag given on the command line wins
(``--preset paper-tiny-750 --limit 50``).

Names and values are derived from the configurations the study itself runs, never written down
a second time:
- ``asr``: the paper's 11 configurations (``asr.run.paper_configs``: ``paper-<size>-<T>[-s2]``)
  and the embedded sweep (``asr.run.find_minis`` x ``asr.run.embedded_configs``:
  ``embedded-<mini>-<T>[-s2][-mean]``);
- ``asr-real``: real Whisper per model and window (``asr.real.REAL_MODELS`` x ``FRAMES``:
  ``real-<model>-<T>``); every stride, pooling and guard of that window comes with it;
- ``ser``: the embedded study (``ser.sweep.study_configs``: ``duration-<d>s-<pooling>``,
  ``adaptation-<recipe>[-r<rank>][-k<top-k>][-random]``) and the paper's grid at
  paper scale (``ser.sweep.paper_study_configs``: the same names prefixed ``paper-``; they
  need ``--data``, a CREMA-D folder), each with the study's seeds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import lru_cache

COMMANDS = ("asr", "asr-real", "ser")
LIST = "list"  # --preset list prints them


@dataclass(frozen=True)
class Preset:
    name: str
    command: str
    flags: tuple[str, ...]
    group: str                     # the study section it belongs to (a heading in --preset list)
    needs: tuple[tuple[str, str], ...] = ()  # (flag, what it must name): flags the user must add


def _flag_value(v) -> str:
    return repr(v) if isinstance(v, float) else str(v)


# ------------------------------------------------------------------------------------ ASR
def _asr() -> list[Preset]:
    from .asr import run
    from .paths import CHECKPOINTS_DIR

    out = []
    group = "the paper's 11 configurations (a hub id per size, or map --model to a local folder)"
    for size, t, s in run.paper_configs():
        name = f"paper-{size}-{t}" + (f"-s{s}" if s > 1 else "")
        out.append(Preset(name, "asr", ("--model", size, "--data", run.PAPER_DATA, "--frames", str(t),
                                        "--stride", str(s), "--pooling", "select", "--scale", "paper"), group))
    group = "the embedded sweep: each mini x {full, half} window x {stride 1, stride 2 select, stride 2 mean}"
    for folder in run.find_minis(CHECKPOINTS_DIR):
        full = int(json.loads((folder / "config.json").read_text())["max_source_positions"])
        mini = folder.name.removeprefix("asr-mini-")
        for t, s, pooling in run.embedded_configs(full):
            name = f"embedded-{mini}-{t}" + (f"-s{s}" if s > 1 else "") + ("-mean" if pooling == "mean" else "")
            # one torch thread, as the sweep runs them (asr.run.sweep_embedded)
            out.append(Preset(name, "asr", ("--model", str(folder), "--data", run.EMBEDDED_DATA, "--frames", str(t),
                                            "--stride", str(s), "--pooling", pooling, "--scale", "embedded",
                                            "--threads", "1"), group))
    return out


def _asr_real() -> list[Preset]:
    from .asr import real

    group = (f"real Whisper, one model and window: every stride, pooling and guard "
             f"({real.REPRODUCE_N} utterances unless --n/--all)")
    return [Preset(f"real-{m}-{t}", "asr-real", ("--models", m, "--frames", str(t)), group)
            for m in real.REAL_MODELS for t in real.FRAMES]


# ------------------------------------------------------------------------------------ SER
# SERConfig field -> `audioscale ser` flag; the seed becomes --seed with every seed of the study
SER_FLAGS = {"model": "--model", "data": "--data", "duration_s": "--duration", "pooling": "--pooling",
             "recipe": "--recipe", "rank": "--rank", "top_k": "--top-k", "init": "--init",
             "split_seed": "--split-seed", "epochs": "--epochs", "patience": "--patience",
             "batch_size": "--batch-size", "lr": "--lr", "attention_dropout": "--attention-dropout",
             "hidden_dropout": "--hidden-dropout"}
_PAPER_DATA = "<CREMA-D>"  # stands for the folder the user must give


def _ser_name(study: str, cfg, base_model: str) -> str:
    if study == "duration":
        return f"duration-{cfg.duration_s:g}s-{cfg.pooling}"
    parts = [cfg.recipe]
    if "lora" in cfg.recipe:
        parts.append(f"r{cfg.rank}")
    if cfg.recipe.endswith("top-k"):
        parts.append(f"k{cfg.top_k}")
    if cfg.init != "pretrained":
        parts.append(cfg.init)
    if cfg.model != base_model:
        parts.append(cfg.model.rstrip("/").rsplit("/", 1)[-1])
    return "adaptation-" + "-".join(parts)


def _ser_flags(cfg, seeds: list[int], scale: str) -> tuple[str, ...]:
    from .ser.config import SERConfig

    defaults = SERConfig(model="-")
    out: list[str] = []
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if f.name == "seed":
            continue
        if f.name == "data" and value == _PAPER_DATA:
            continue
        if f.name not in SER_FLAGS:
            # a study setting the command line cannot express would make the preset a different run
            if value != getattr(defaults, f.name):
                raise AssertionError(f"SERConfig.{f.name}={value!r} has no `audioscale ser` flag")
            continue
        if value is None:
            if getattr(defaults, f.name) is not None:
                raise AssertionError(f"SERConfig.{f.name}=None cannot be given as a flag")
            continue
        out += [SER_FLAGS[f.name], _flag_value(value)]
    return (*out, "--seed", *map(str, seeds), "--scale", scale)


def _ser() -> list[Preset]:
    from dataclasses import replace

    from .ser import sweep

    out = []
    # ser.sweep's "check" study is left out: its row lives in its own results file
    # (sweep.experiment_of), which `audioscale ser` does not write; `ser-sweep --study check` runs it.
    for scale, prefix in (("embedded", ""), ("paper", "paper-")):
        for study in ("duration", "adaptation"):
            if scale == "embedded":
                configs, base_model = sweep.study_configs(study), sweep.backbone_path()
                group = f"the embedded study: {study}"
            else:
                configs, base_model = sweep.paper_study_configs(study, _PAPER_DATA), sweep.PAPER_MODEL
                group = f"the paper's {study} grid at paper scale, on wav2vec2 checkpoints (needs --data)"
            seeds: dict = {}
            for cfg in configs:  # one preset per configuration, with all of its seeds
                seeds.setdefault(replace(cfg, seed=0), []).append(cfg.seed)
            for cfg, ss in seeds.items():
                out.append(Preset(prefix + _ser_name(study, cfg, base_model), "ser", _ser_flags(cfg, ss, scale),
                                  group, (("--data", "a CREMA-D folder holding AudioWAV/"),) if scale == "paper" else ()))
    return out


_BUILDERS = {"asr": _asr, "asr-real": _asr_real, "ser": _ser}


@lru_cache(maxsize=None)
def presets(command: str) -> dict[str, Preset]:
    """Every preset of ``command``, by name, in the study's order."""
    out: dict[str, Preset] = {}
    for p in _BUILDERS[command]():
        if p.name in out and out[p.name].flags != p.flags:
            raise AssertionError(f"preset name {p.name!r} stands for two configurations")
        out[p.name] = p
    return out


def owner(name: str) -> str | None:
    """The command that has a preset called ``name`` (None: none has)."""
    return next((c for c in COMMANDS if name in presets(c)), None)


def listing(command: str) -> str:
    """``--preset list``: every name with its flags, under its section's heading."""
    lines, group = [f"presets of 'audioscale {command}' (flags given after --preset NAME override these):"], None
    for p in presets(command).values():
        if p.group != group:
            group = p.group
            lines += ["", f"{group}:"]
        lines.append(f"  {p.name}\n      {' '.join(p.flags)}")
    return "\n".join(lines)
