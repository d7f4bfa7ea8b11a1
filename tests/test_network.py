"""The offline default can never regress into a hub call: the study's default commands run in
a process where every socket connect fails the test, with the offline switches that `make`
sets removed (as a user running the command by hand)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from audioscale.asr import toy
from audioscale.paths import CHECKPOINTS_DIR

DRIVER = textwrap.dedent("""
    import socket, sys
    attempts = []
    def refuse(*args, **kwargs):
        attempts.append(repr(args)[:120])
        raise OSError("the network is disabled by tests/test_network.py")
    socket.socket.connect = socket.socket.connect_ex = refuse
    socket.create_connection = socket.getaddrinfo = refuse
    from audioscale.cli import main
    codes = [main(argv) for argv in COMMANDS]
    print("codes", codes, "attempts", attempts)
    sys.exit(0 if not attempts and all(c == 0 for c in codes) else 1)
""")


def test_the_default_commands_never_touch_the_network(tmp_path):
    from audioscale.models.weights.shipped import is_installed

    if not (CHECKPOINTS_DIR / "asr-mini-micro" / "config.json").is_file():
        pytest.skip("the mini checkpoints are not in checkpoints/")
    toy.write_librispeech_folder(tmp_path / "ls", durations_s=(1.0, 1.4), speaker="5", chapter="6")
    commands = [
        ["weights", "list"],
        ["flops", "--convention", "paper"],
        ["asr", "--model", str(CHECKPOINTS_DIR / "asr-mini-micro"), "--data", "embedded", "--limit", "2"],
        ["ser", "--model", str(CHECKPOINTS_DIR / "ser-backbone-mini"), "--data", "embedded", "--recipe",
         "head-only", "--duration", "1", "--epochs", "1", "--quiet"],
    ]
    if is_installed("tiny.en"):
        commands.append(["asr", "--model", "tiny.en", "--data", str(tmp_path / "ls"), "--limit", "1"])
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")}
    env["AUDIOSCALE_RESULTS"] = str(tmp_path / "results")
    done = subprocess.run([sys.executable, "-c", f"COMMANDS = {commands!r}\n" + DRIVER], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "attempts []" in done.stdout
