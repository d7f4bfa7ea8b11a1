"""Results rows, audio loading, the Whisper axes and the notebook sources."""
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audioscale import audio, notebooks, results
from audioscale.errors import AudioscaleError
from audioscale.models.whisper_axes import set_encoder_frames, subsample_encoder_states

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- results
def test_result_store_reuses_rows_and_survives_reload(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIOSCALE_RECOMPUTE", raising=False)
    store = results.ResultStore("demo", root=tmp_path)
    cfg = {"model": "tiny", "stride": 2}
    assert store.get(cfg) is None
    store.put(cfg, {"wer_pct": 12.5}, timings={"rtfx": 3.0})
    again = results.ResultStore("demo", root=tmp_path)
    row = again.get(cfg)
    assert row["wer_pct"] == 12.5 and row["version_torch"] == torch.__version__
    assert again.get(cfg, force=True) is None
    assert "rtfx" not in again.rows() and "rtfx" in again.timings()
    assert store.path.stat().st_mode & 0o777 == 0o644  # readable by all, like any committed file


def test_result_store_is_order_independent_and_byte_stable(tmp_path):
    a, b = results.ResultStore("x", root=tmp_path / "a"), results.ResultStore("x", root=tmp_path / "b")
    for s in (1, 2):
        a.put({"stride": s}, {"v": s / 3})
    for s in (2, 1):
        b.put({"stride": s}, {"v": s / 3})
    assert a.path.read_bytes() == b.path.read_bytes()


def test_result_store_text_does_not_depend_on_write_history(tmp_path):
    # A row without top_k written after rows read back as floats once turned 1 into "1.0".
    rows = {"a": {"top_k": None}, "b": {"top_k": 1}, "c": {"top_k": None}}
    first, second = (results.ResultStore("x", root=tmp_path / d) for d in ("1", "2"))
    for order, store in ((["a", "b", "c"], first), (["c", "a", "b"], second)):
        for k in order:
            store.put({"k": k}, {"v": 0.5, **rows[k]})
    assert first.path.read_bytes() == second.path.read_bytes()
    assert ',b,0.5,1,' in first.path.read_text()  # k, v, top_k


def test_recompute_env_forces_once_per_process(tmp_path, monkeypatch):
    store = results.ResultStore("y", root=tmp_path)
    store.put({"k": 1}, {"v": 1})
    monkeypatch.setenv("AUDIOSCALE_RECOMPUTE", "1")
    fresh = results.ResultStore("y", root=tmp_path)
    assert fresh.get({"k": 1}) is None
    fresh.put({"k": 1}, {"v": 2})
    assert fresh.get({"k": 1})["v"] == 2


def test_recompute_run_trains_a_shared_row_once_across_processes(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIOSCALE_RECOMPUTE", raising=False)
    results.ResultStore("z", root=tmp_path).put({"k": 1}, {"v": 1}, timings={"wall_s": 1.0})
    monkeypatch.setenv("AUDIOSCALE_RECOMPUTE", "1")
    monkeypatch.setenv(results.RUN_ENV, "run-a")
    assert results.ResultStore("z", root=tmp_path).get({"k": 1}) is None  # stored before this run
    results.ResultStore("z", root=tmp_path).put({"k": 1}, {"v": 2}, timings={"wall_s": 1.0})
    other = results.ResultStore("z", root=tmp_path)  # a later notebook: another process, same run
    assert other.get({"k": 1})["v"] == 2
    monkeypatch.setenv(results.RUN_ENV, "run-b")  # the next make reproduce recomputes it again
    assert results.ResultStore("z", root=tmp_path).get({"k": 1}) is None


# ---------------------------------------------------------------- audio
def test_load_audio_resamples_22050_exactly(tmp_path):
    p = tmp_path / "a.wav"
    sf.write(p, np.sin(np.arange(22050) / 10).astype(np.float32), 22050)
    assert audio.load_audio(p).shape == (16000,)


@pytest.mark.parametrize("kind", ["missing", "empty", "corrupt", "stereo", "nan"])
def test_bad_audio_names_the_file_and_fix(tmp_path, kind):
    p = tmp_path / f"{kind}.wav"
    if kind == "empty":
        sf.write(p, np.zeros(0, np.float32), 16000)
    elif kind == "corrupt":
        p.write_bytes(b"RIFF....not audio")
    elif kind == "stereo":
        sf.write(p, np.zeros((1600, 2), np.float32), 16000)
    elif kind == "nan":
        p = tmp_path / "nan.npy"  # soundfile cannot store NaN in PCM; check the array path
        with pytest.raises(audio.AudioError, match="NaN"):
            audio.check_wave(np.array([0.0, np.nan], np.float32), "nan.wav")
        return
    with pytest.raises(audio.AudioError) as e:
        audio.load_audio(p)
    assert p.name in str(e.value) and "Fix" in str(e.value)


def test_stereo_downmix_on_request(tmp_path):
    p = tmp_path / "s.wav"
    sf.write(p, np.stack([np.ones(800), -np.ones(800)], 1).astype(np.float32) * 0.5, 16000)
    assert np.allclose(audio.load_audio(p, downmix=True), 0)


def test_fit_to_duration_crop_and_pad():
    clip, n = audio.fit_to_duration(np.arange(10, dtype=np.float32), 4 / 16000)
    assert n == 4 and list(clip) == [3, 4, 5, 6]
    clip, n = audio.fit_to_duration(np.ones(3, np.float32), 5 / 16000)
    assert n == 3 and list(clip) == [1, 1, 1, 0, 0]
    with pytest.raises(AudioscaleError, match="duration_s=0"):
        audio.fit_to_duration(np.ones(3, np.float32), 0)


# ---------------------------------------------------------------- Whisper axes
def _tiny_whisper():
    from transformers import WhisperConfig
    from audioscale.models.architectures import build_whisper
    cfg = WhisperConfig(vocab_size=50, num_mel_bins=8, d_model=16, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                        decoder_ffn_dim=32, max_source_positions=20, pad_token_id=0, bos_token_id=1,
                        eos_token_id=2, decoder_start_token_id=1)
    return build_whisper(cfg, device="cpu", seed=0)


def test_encoder_window_prefix_positions_unchanged():
    model = _tiny_whisper()
    full = model.model.encoder.embed_positions.weight.detach().clone()
    set_encoder_frames(model, 10)
    assert torch.equal(model.model.encoder.embed_positions.weight, full[:10])
    out = model.model.encoder(input_features=torch.randn(1, 8, 20)).last_hidden_state
    assert out.shape == (1, 10, 16)
    with pytest.raises(AudioscaleError, match="encoder_frames=30"):
        set_encoder_frames(_tiny_whisper(), 30)


def test_subsample_select_and_mean():
    h = torch.arange(12.0).reshape(1, 6, 2)
    assert subsample_encoder_states(h, 2, "select")[0, :, 0].tolist() == [0, 4, 8]
    assert subsample_encoder_states(h, 2, "mean")[0, :, 0].tolist() == [1, 5, 9]
    with pytest.raises(AudioscaleError, match="stride=0"):
        subsample_encoder_states(h, 0)
    with pytest.raises(AudioscaleError, match="does not divide"):
        subsample_encoder_states(h, 4)


# ---------------------------------------------------------------- notebooks
@pytest.mark.parametrize("src", sorted((REPO / "notebooks" / "src").glob("[0-9][0-9]_*.py")), ids=lambda p: p.stem)
def test_committed_notebook_matches_its_source(src):
    import nbformat
    built = notebooks.py_to_notebook(src.read_text())
    committed = nbformat.read(REPO / "notebooks" / f"{src.stem}.ipynb", as_version=4)
    assert notebooks.cell_sources(built) == notebooks.cell_sources(committed), \
        f"rebuild with: python -m audioscale.notebooks build {src.stem}"
    text = (REPO / "notebooks" / f"{src.stem}.ipynb").read_text()
    assert '"papermill"' not in text
    assert "parameters" in json.dumps([c.metadata.get("tags", []) for c in committed.cells])


def test_clean_joins_stdout_chunks_and_drops_stderr(tmp_path):
    import nbformat
    from audioscale.notebooks import clean
    cell = nbformat.v4.new_code_cell("print(1)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="b"),
                    nbformat.v4.new_output("stream", name="stdout", text="\n"),
                    nbformat.v4.new_output("display_data", data={
                        "application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2},
                        "text/plain": "read-aloud: 0%| | 0/160"})]
    path = tmp_path / "n.ipynb"
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(nb, path)
    clean(path)
    outs = nbformat.read(path, as_version=4).cells[0].outputs
    assert [(o.name, o.text) for o in outs] == [("stdout", "a\nb\n")]
    assert "widgets" not in nbformat.read(path, as_version=4).metadata
