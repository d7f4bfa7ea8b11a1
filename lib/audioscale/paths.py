"""Where the study's files live, and the one sample rate every model here reads.

The study is a repository: ``results/``, ``checkpoints/``, ``figures/`` and ``notebooks/`` sit
beside ``lib/``. ``REPO`` is that root: ``$AUDIOSCALE_ROOT`` when set (an installed package
run from elsewhere), else the source tree this package was imported from when it is one (an
editable install, ``make``), else the working directory. Rebuildable artefacts (corpora,
renders, converted weights) go under ``cache_root()``.
"""
from __future__ import annotations

import os
from pathlib import Path

SAMPLE_RATE = 16_000  # Hz: Whisper's and wav2vec2's input rate, and every corpus made here


def _repo_root() -> Path:
    if os.environ.get("AUDIOSCALE_ROOT"):
        return Path(os.environ["AUDIOSCALE_ROOT"]).resolve()
    source_tree = Path(__file__).resolve().parents[2]  # lib/audioscale/paths.py -> the repository
    if (source_tree / "pyproject.toml").is_file() and (source_tree / "lib" / "audioscale").is_dir():
        return source_tree
    return Path.cwd()


REPO = _repo_root()
RESULTS_DIR = Path(os.environ.get("AUDIOSCALE_RESULTS", REPO / "results"))
CHECKPOINTS_DIR = REPO / "checkpoints"


def cache_root() -> Path:
    """Where rebuildable artefacts go: ``$AUDIOSCALE_CACHE``, else ``<repo>/.cache``; read at each
    call so a test or a user can point it elsewhere."""
    return Path(os.environ.get("AUDIOSCALE_CACHE", REPO / ".cache"))
