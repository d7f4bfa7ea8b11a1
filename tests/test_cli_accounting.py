"""`audioscale flops` / `audioscale params` and user-error handling of the CLI."""
import io
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd

from audioscale import cli, paper


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_flops_csv_reproduces_paper_columns():
    code, out, _ = run("flops", "--convention", "paper", "--format", "csv")
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    for col in ("task", "model", "encoder_frames", "stride", "duration_s", "gflops", "paper_gflops"):
        assert col in df
    assert len(df) == len(paper.asr_table()) + len(paper.ser_table())
    assert (df.verdict == "match").sum() == len(df) - 2


def test_params_prints_three_tables():
    code, out, _ = run("params")
    assert code == 0 and out.count("## ") == 3 and "29.7" in out


def test_user_error_exits_2_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "audioscale.cli", "flops", "--decoded-tokens", "0"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "decoded_tokens=0" in proc.stderr and "Traceback" not in proc.stderr
