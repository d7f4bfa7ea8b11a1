"""Injected faults on a real command (issue 25): an ASR sweep killed with SIGKILL, or stopped
with SIGINT, part-way through; the rerun finishes it, and the rows and per-utterance lines
equal those of a run never interrupted, byte for byte."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audioscale.asr import toy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    toy.save_system(root / "asr-mini-f", toy.mini_config(), seed=0)
    toy.write_librispeech_folder(root / "ls", durations_s=(1.0, 1.5, 2.0, 2.5), speaker="3", chapter="4")

    def start(results: Path) -> subprocess.Popen:
        env = {**os.environ, "AUDIOSCALE_RESULTS": str(results), "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "0"}
        # pytest-xdist's workers ignore SIGINT, and a child inherits that: give it the default back,
        # so Python installs its KeyboardInterrupt handler as in a terminal
        return subprocess.Popen([sys.executable, "-m", "audioscale.cli", "-q", "asr-sweep", "--scale", "embedded",
                                 "--model", str(root / "asr-mini-f"), "--data", str(root / "ls"), "--batch-size", "2"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    whole = root / "whole"
    p = start(whole)
    assert p.wait(timeout=600) == 0, p.stderr.read()
    return start, whole


def _rows(results: Path) -> int:
    f = results / "asr_embedded.csv"
    return max(0, len(f.read_text().splitlines()) - 1) if f.exists() else 0


def _stop_after_rows(p: subprocess.Popen, results: Path, n: int, sig: int) -> None:
    deadline = time.monotonic() + 600
    while _rows(results) < n:
        assert p.poll() is None, "the sweep ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    p.send_signal(sig)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_an_interrupted_sweep_resumes_to_the_same_bytes(sweep, tmp_path, sig):
    start, whole = sweep
    results = tmp_path / "results"
    p = start(results)
    _stop_after_rows(p, results, 2, sig)
    code = p.wait(timeout=120)
    err = p.stderr.read()
    if sig == signal.SIGINT:
        assert code == 130 and "interrupted" in err and "Traceback" not in err, err
    else:
        assert code == -signal.SIGKILL
    assert 2 <= _rows(results) < _rows(whole)
    again = start(results)
    assert again.wait(timeout=600) == 0, again.stderr.read()
    for name in ("asr_embedded.csv", "asr_embedded_utterances.csv"):
        assert (results / name).read_bytes() == (whole / name).read_bytes(), name
