"""The ``asr``, ``asr-sweep`` and ``wer`` commands: user errors exit 2 naming the value."""
import pytest
import torch

from audioscale.asr import toy
from audioscale.cli import main


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny model: one thread avoids OpenMP oversubscription
    yield toy.save_system(tmp_path_factory.mktemp("mini"), toy.mini_config(), seed=3)
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("ls")
    toy.write_librispeech_folder(root, durations_s=(0.8, 1.3))
    return root


@pytest.fixture(autouse=True)
def results_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr("audioscale.results.RESULTS_DIR", tmp_path / "results")


@pytest.mark.parametrize("extra, expect", [
    (["--stride", "0"], "stride=0 is out of range"),
    (["--frames", "1600"], "encoder_frames=1600 is out of range: valid is [1, 1500]"),
    (["--frames", "0"], "encoder_frames=0 is out of range"),
    (["--frames", "150", "--stride", "4"], "stride=4 does not divide encoder_frames=150"),
    (["--frames", "300"], "encoder_frames=300 is out of range for"),  # the mini's window is 200
    (["--limit", "0"], "limit=0"),
    (["--beam-size", "0"], "beam_size=0"),
])
def test_asr_user_errors_exit_2(mini, data, capsys, extra, expect):
    assert main(["asr", "--model", str(mini), "--data", str(data), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("audioscale asr: error: ") and expect in err and "Traceback" not in err


def test_missing_data_folder_and_model(mini, tmp_path, capsys):
    assert main(["asr", "--model", str(mini), "--data", str(tmp_path / "nowhere")]) == 2
    assert "nowhere' does not exist" in capsys.readouterr().err
    assert main(["asr", "--model", str(tmp_path / "nomodel"), "--data", str(tmp_path)]) == 2
    assert "nomodel' does not exist" in capsys.readouterr().err


def test_asr_writes_a_row_then_skips(mini, data, tmp_path, capsys):
    args = ["asr", "--model", str(mini), "--data", str(data), "--frames", "100", "--stride", "2",
            "--pooling", "mean", "--max-new-tokens", "5", "--scale", "embedded"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "T=100 s=2 mean: WER" in first and "2 utterances, 0 bad files" in first
    import pandas as pd
    rows = pd.read_csv(tmp_path / "results" / "asr_embedded.csv")
    assert len(rows) == 1 and rows.loc[0, "model"] == str(mini.name)
    assert main(args) == 0 and capsys.readouterr().out == first  # the finished row, not a rerun
    assert len(pd.read_csv(tmp_path / "results" / "asr_embedded.csv")) == 1


def test_sweep_model_mapping_error(capsys):
    assert main(["asr-sweep", "--scale", "paper", "--model", "small"]) == 2
    assert "--model 'small': use SIZE=ID_OR_DIR" in capsys.readouterr().err


def test_wer_command(tmp_path, capsys):
    ref, hyp = tmp_path / "r.tsv", tmp_path / "h.tsv"
    ref.write_text("a\tTHERE'S A CAT\nb\tGO\n")
    hyp.write_text("a\tthere is a cat\nb\tno\n")
    assert main(["wer", str(ref), str(hyp)]) == 0
    assert "WER 20.00 % over 2 utterances, 5 words: S 1, D 0, I 0" in capsys.readouterr().out
    assert main(["wer", str(ref), str(hyp), "--normalizer", "none"]) == 0
    # "there's" vs "there is": 1 substitution + 1 insertion; "go" vs "no": 1 substitution; 3 / 4 words
    assert "WER 75.00 % over 2 utterances, 4 words: S 2, D 0, I 1" in capsys.readouterr().out
    hyp.write_text("a\tthere is a cat\n")
    assert main(["wer", str(ref), str(hyp)]) == 2
    assert "1 id(s) missing from" in capsys.readouterr().err
