"""``audioscale ser``: bad input exits 2 with one line naming the value; a run prints UA."""
from __future__ import annotations

import pytest

from audioscale import results
from audioscale.cli import main
from ser_testdata import save_tiny_wav2vec2, write_tone_corpus


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("sercli")
    return {"data": str(write_tone_corpus(root / "data", n_speakers=4, per_class=1)),
            "model": str(save_tiny_wav2vec2(root / "model"))}


@pytest.mark.parametrize("extra, words", [
    (["--duration", "0"], "duration_s=0.0 must be > 0"),
    (["--duration", "-2"], "duration_s=-2.0"),
    (["--rank", "0"], "rank=0 is out of range"),
    (["--top-k", "5"], "top_k=5 is out of range: valid is [1, 2]"),
    (["--recipe", "dama"], "argument --recipe: invalid choice: 'dama'"),
    (["--pooling", "max"], "argument --pooling: invalid choice: 'max'"),
])
def test_bad_arguments_exit_2_naming_the_value(world, capsys, extra, words, tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    code = main(["ser", "--model", world["model"], "--data", world["data"], "--quiet",
                 "--top-k", "1", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err and "audioscale ser: error:" in err and "Traceback" not in err


def test_missing_data_and_model_folders(world, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    assert main(["ser", "--model", world["model"], "--data", str(tmp_path / "none"), "--quiet",
                 "--top-k", "1"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["ser", "--model", str(tmp_path / "nomodel"), "--data", world["data"], "--quiet",
                 "--top-k", "1"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_run_prints_ua_and_writes_a_row(world, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    code = main(["ser", "--model", world["model"], "--data", world["data"], "--duration", "0.5",
                 "--recipe", "lora", "--rank", "2", "--epochs", "1", "--quiet", "--scale", "paper"])
    out = capsys.readouterr().out
    assert code == 0 and "seed 0: UA" in out and "GFLOPs/clip (paper convention)" in out
    assert (tmp_path / "ser_paper.csv").is_file()
