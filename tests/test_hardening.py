"""The rest of the hardening suite (issue 25): a model folder of the wrong kind is refused by
name, truncated audio is a bad file with its reason, a repeated actor is refused, and the
project never loads code or pickles from outside."""
from __future__ import annotations

import pytest

from audioscale.cli import main
from audioscale.errors import AudioscaleError
from audioscale.paths import CHECKPOINTS_DIR


def _need(folder):
    if not (folder / "config.json").is_file():
        pytest.skip(f"{folder.name} is not in checkpoints/ (make pretrain)")
    return folder


def test_a_whisper_folder_is_refused_for_a_wav2vec2_recipe():
    from audioscale.ser.model import load_backbone

    folder = str(_need(CHECKPOINTS_DIR / "asr-mini-micro"))
    for init in ("pretrained", "random"):
        with pytest.raises(AudioscaleError, match="is a Whisper checkpoint .ASR., but this task needs a wav2vec2"):
            load_backbone(folder, init=init)


def test_a_wav2vec2_folder_is_refused_for_asr():
    from audioscale.asr.system import load_system

    folder = str(_need(CHECKPOINTS_DIR / "ser-backbone-mini"))
    with pytest.raises(AudioscaleError, match="is a wav2vec2 checkpoint .SER backbone., but this task needs a Whisper"):
        load_system(folder, device="cpu")


def test_the_wrong_kind_on_the_command_line_is_one_line(capsys):
    folder = str(_need(CHECKPOINTS_DIR / "ser-backbone-mini"))
    assert main(["asr", "--model", folder, "--data", "embedded", "--limit", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "wav2vec2 checkpoint" in err and "Traceback" not in err


def _calls():
    """Every call in the package's source, with the file it is in."""
    import ast
    from pathlib import Path

    import audioscale

    for path in sorted(Path(audioscale.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield path.name, node
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                assert "pickle" not in names and "dill" not in names, f"{path.name}: imports a pickle loader"


def _name(func) -> str:
    import ast

    return ast.unparse(func)


def _kw(call, name):
    import ast

    for k in call.keywords:
        if k.arg == name:
            return ast.literal_eval(k.value) if isinstance(k.value, ast.Constant) else "<expr>"
    return None


def test_nothing_from_outside_runs_code_or_unpickles():
    """Weights load from safetensors, torch.load only with weights_only=True, remote code never:
    checked on the source, so a new loader cannot slip past it."""
    seen = {"torch.load": 0, "from_pretrained": 0}
    for where, call in _calls():
        name = _name(call.func)
        assert _kw(call, "trust_remote_code") in (None, False), f"{where}: {name} trusts remote code"
        assert _kw(call, "allow_pickle") in (None, False), f"{where}: {name} allows pickles"
        assert not name.endswith(("read_pickle", "pickle.load", "pickle.loads")), f"{where}: {name}"
        if name == "torch.load":
            seen["torch.load"] += 1
            assert _kw(call, "weights_only") is True, f"{where}: torch.load without weights_only=True"
        loads_weights = name == "cls.from_pretrained" or name.endswith(
            ("ForConditionalGeneration.from_pretrained", "ForSequenceClassification.from_pretrained"))
        if loads_weights:
            seen["from_pretrained"] += 1
            assert _kw(call, "use_safetensors") is True, f"{where}: {name} may load a pickled checkpoint"
    assert seen["from_pretrained"] >= 1  # the check looked at the loaders it is about


def test_a_truncated_wav_is_a_bad_file_with_its_reason(tmp_path):
    import numpy as np
    import soundfile as sf

    from audioscale.audio import AudioError, load_audio

    whole = tmp_path / "whole.wav"
    sf.write(whole, (0.1 * np.sin(np.arange(16000) / 5)).astype("float32"), 16000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[:20000])  # soundfile alone reads this as a shorter whole file
    assert len(load_audio(whole)) == 16000
    with pytest.raises(AudioError, match="truncated: its WAV header promises 12044 more bytes"):
        load_audio(cut)


def test_bad_files_and_long_utterances_are_named_in_the_log(caplog):
    import numpy as np

    from audioscale.asr.run import _warn_about_audio

    waves = [np.zeros(16000 * 5, np.float32), np.zeros(16000 * 3, np.float32)]
    with caplog.at_level("WARNING"):
        _warn_about_audio([("1-2-0003", "x.wav: truncated")], waves, 200, 4.0, "set")
    text = caplog.text
    assert "1-2-0003 left out of the WER: x.wav: truncated" in text
    assert "1 of 2 utterances are longer than the 200-frame window (4 s)" in text


def test_a_repeated_actor_in_the_demographics_is_refused(tmp_path):
    from ser_testdata import write_tone_corpus

    from audioscale.ser.data import read_demographics

    write_tone_corpus(tmp_path, n_speakers=3, per_class=1)
    demo = tmp_path / "VideoDemographics.csv"
    lines = demo.read_text().splitlines()
    demo.write_text("\n".join(lines + [lines[1]]) + "\n")
    with pytest.raises(AudioscaleError, match=r"lists actor \d+ more than once"):
        read_demographics(tmp_path)


@pytest.fixture()
def no_network(monkeypatch):
    """The hub unreachable (a closed local port stands in for it) and offline mode not set, as
    outside `make` on a machine without the network."""
    import huggingface_hub.constants as constants

    from audioscale import hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    hub._reachable.cache_clear()
    yield hub
    hub._reachable.cache_clear()


@pytest.mark.parametrize("argv, says", [
    (["asr", "--model", "tiny", "--data", "embedded"], "model 'tiny' is on the HuggingFace hub (openai/whisper-tiny)"),
    (["asr", "--model", "org/some-whisper", "--data", "embedded"], "model 'org/some-whisper' is on the HuggingFace hub"),
    (["asr", "--model", "huge", "--data", "embedded"], "model 'huge' is not a known short name (base, large-v3"),
])
def test_without_the_network_a_hub_id_fails_at_once(no_network, argv, says, capsys, monkeypatch):
    import transformers

    def no_download(*a, **k):
        raise AssertionError("nothing may be fetched once the hub is known to be unreachable")
    monkeypatch.setattr(transformers.WhisperForConditionalGeneration, "from_pretrained", no_download)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1, err
    assert "Fix:" in err and ("tiny.en" in err or "known short name" in err)


def test_a_hub_dataset_without_the_network_names_the_offline_data(no_network):
    from audioscale.asr.data import load_asr_data

    with pytest.raises(AudioscaleError, match="data 'librispeech-test-other' is on the HuggingFace hub.*'embedded'"):
        load_asr_data("librispeech-test-other")


def test_a_cached_hub_model_is_used_offline_when_the_hub_is_unreachable(no_network, monkeypatch):
    import os

    import huggingface_hub.constants as constants

    monkeypatch.setattr(no_network, "_cached", lambda repo_id, repo_type: True)
    no_network.check_reachable("openai/whisper-tiny", "model 'tiny'")
    assert os.environ["HF_HUB_OFFLINE"] == "1" and constants.HF_HUB_OFFLINE is True


def test_two_crema_d_folders_of_one_name_never_share_a_row(tmp_path):
    """SER rows were keyed by the data folder's name: another folder of that name got the first
    one's row, and a folder whose files changed kept its old row. The content is in the key now."""
    from ser_testdata import write_tone_corpus

    from audioscale.results import ResultStore
    from audioscale.ser.config import SERConfig
    from audioscale.ser.run import row_config

    a = write_tone_corpus(tmp_path / "a" / "crema", n_speakers=3, per_class=1, seed=0)
    b = write_tone_corpus(tmp_path / "b" / "crema", n_speakers=3, per_class=1, seed=1)
    ka, kb = (row_config(SERConfig(model="wav2vec2-base", data=str(d))) for d in (a, b))
    assert ka["data"] == kb["data"] == "crema" and ka["data_fingerprint"] != kb["data_fingerprint"]
    store = ResultStore("ser_paper", root=tmp_path / "results")
    store.put(ka, {"ua": 0.5})
    assert store.get(kb) is None and store.superseded(kb, "data_fingerprint") == [store.rows()["config_key"][0]]
    wav = sorted((a / "AudioWAV").glob("*.wav"))[0]
    wav.write_bytes(wav.read_bytes()[:-2] + b"\x01\x00")  # one sample changed
    assert row_config(SERConfig(model="wav2vec2-base", data=str(a)))["data_fingerprint"] != ka["data_fingerprint"]


def test_a_results_file_cut_mid_line_is_refused_by_name(tmp_path):
    from audioscale.results import ResultStore

    store = ResultStore("cut", root=tmp_path)
    for i in range(3):
        store.put({"i": i}, {"wer_pct": 10.0 + i})
    text = store.path.read_bytes()
    store.path.write_bytes(text[:-7])  # a copy cut short inside its last row
    with pytest.raises(AudioscaleError, match="ends mid-line: the file was cut short"):
        store.rows()
    with pytest.raises(AudioscaleError, match="ends mid-line"):
        store.put({"i": 9}, {"wer_pct": 1.0})  # nothing is written over it
    assert store.path.read_bytes() == text[:-7]


def test_a_pickle_only_model_folder_is_refused(tmp_path):
    from audioscale.models.architectures import resolve_source

    folder = tmp_path / "old-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "whisper"}')
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04 a pickle")
    with pytest.raises(AudioscaleError, match="holds only pytorch_model.bin, a pickle"):
        resolve_source(str(folder))
    (folder / "model.safetensors").write_bytes(b"")
    assert resolve_source(str(folder)) == str(folder)
