"""Property tests (Hypothesis): laws that must hold for any input, not only the listed cases —
the results store's file does not depend on the order rows arrive in, the (T, s) check accepts
exactly the valid pairs, the encoder window restores the model whatever T, a data fingerprint
ignores listing order and sees every byte, a WAV cut anywhere is reported as cut, a TSV reads
back as written (BOM, CRLF), and any bytes given as a TSV or as audio are read or refused by
name, never a traceback."""
from __future__ import annotations

import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audioscale.errors import AudioscaleError

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
names = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6)
rows = st.dictionaries(names, st.tuples(st.integers(-5, 5), st.floats(-1e6, 1e6, allow_nan=False)), min_size=1,
                       max_size=8)


@FAST
@given(rows=rows, order=st.randoms(use_true_random=False))
def test_the_rows_file_does_not_depend_on_the_order_of_puts(tmp_path_factory, rows, order):
    from audioscale.results import ResultStore

    items = list(rows.items())
    files = []
    for shuffle in (False, True):
        if shuffle:
            order.shuffle(items)
        store = ResultStore("law", root=tmp_path_factory.mktemp("r"))
        for name, (i, x) in items:
            store.put({"name": name, "i": i}, {"x": x})
        files.append(store.path.read_bytes())
        for name, (i, x) in items:  # every row reads back as put (through %.10g)
            assert store.get({"name": name, "i": i})["x"] == pytest.approx(x, rel=1e-9, abs=1e-9)
    assert files[0] == files[1]


@FAST
@given(t=st.integers(-3, 2000), s=st.integers(-2, 9))
def test_frames_and_stride_accepted_exactly_when_valid(t, s):
    from audioscale.models.whisper_axes import check_frames_and_stride

    valid = 1 <= t <= 1500 and s >= 1 and t % s == 0
    if valid:
        assert check_frames_and_stride(t, s) == (t, s)
    else:
        with pytest.raises(AudioscaleError):
            check_frames_and_stride(t, s)


@pytest.fixture(scope="module")
def tiny_whisper():
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    cfg = WhisperConfig(d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, num_mel_bins=8,
                        max_source_positions=24, max_target_positions=16, vocab_size=40, pad_token_id=0,
                        bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
    return WhisperForConditionalGeneration(cfg).eval()


@FAST
@given(t=st.integers(1, 24))
def test_the_encoder_window_runs_t_frames_and_restores_the_model(tiny_whisper, t):
    import torch

    from audioscale.models.whisper_axes import encoder_window

    model = tiny_whisper
    positions = model.model.encoder.embed_positions
    x = torch.randn(1, 8, 2 * t)
    with encoder_window(model, t), torch.no_grad():
        out = model.model.encoder(x).last_hidden_state
        assert out.shape == (1, t, 16)
    assert model.model.encoder.embed_positions is positions and model.config.max_source_positions == 24


@FAST
@given(files=st.dictionaries(names, st.binary(max_size=64), min_size=1, max_size=6), flip=st.integers(0, 10_000))
def test_a_fingerprint_ignores_listing_order_and_sees_every_byte(tmp_path_factory, files, flip):
    from audioscale.fingerprint import folder_fingerprint

    root = tmp_path_factory.mktemp("d")
    paths = []
    for name, data in files.items():
        (root / name).write_bytes(data)
        paths.append(root / name)
    before = folder_fingerprint(root, paths)
    assert folder_fingerprint(root, list(reversed(paths))) == before
    target = paths[flip % len(paths)]
    data = bytearray(target.read_bytes()) or bytearray(b"\0")
    data[flip % len(data)] ^= 0xFF
    target.write_bytes(bytes(data))
    assert folder_fingerprint(root, paths) != before


@FAST
@given(n_samples=st.integers(1, 4000), keep=st.floats(0.0, 1.0, exclude_max=True))
def test_a_wav_cut_anywhere_in_its_data_is_reported_as_cut(tmp_path_factory, n_samples, keep):
    import soundfile as sf

    from audioscale.audio import _wav_bytes_missing

    folder = tmp_path_factory.mktemp("w")
    whole = folder / "whole.wav"
    sf.write(whole, np.zeros(n_samples, np.float32), 16000, subtype="PCM_16")
    raw = whole.read_bytes()
    header = len(raw) - 2 * n_samples
    cut_at = header + int(keep * 2 * n_samples)
    (folder / "cut.wav").write_bytes(raw[:cut_at])
    assert _wav_bytes_missing(whole) == 0
    assert _wav_bytes_missing(folder / "cut.wav") == len(raw) - cut_at


ids = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=12)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\t"),
                max_size=40)


@FAST
@given(pairs=st.dictionaries(ids, texts, min_size=1, max_size=8), bom=st.booleans(), crlf=st.booleans())
def test_an_id_tab_text_file_reads_back_as_written(tmp_path_factory, pairs, bom, crlf):
    from audioscale.asr.wer import read_tsv

    path = tmp_path_factory.mktemp("t") / "ref.tsv"
    newline = "\r\n" if crlf else "\n"
    body = newline.join(f"{k}\t{v}" for k, v in pairs.items()) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8"))
    assert read_tsv(path) == {k: v.strip() for k, v in pairs.items()}


@FAST
@given(raw=st.binary(max_size=200))
def test_any_bytes_as_a_tsv_are_read_or_refused_by_name(tmp_path_factory, raw):
    from audioscale.asr.wer import read_tsv

    path = tmp_path_factory.mktemp("b") / "any.tsv"
    path.write_bytes(raw)
    try:
        out = read_tsv(path)
    except AudioscaleError as e:
        assert str(path) in str(e) and "Fix:" in str(e)
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in out.items())


@FAST
@given(raw=st.binary(max_size=300), suffix=st.sampled_from([".wav", ".flac"]))
def test_any_bytes_as_audio_load_as_finite_samples_or_are_refused(tmp_path_factory, raw, suffix):
    from audioscale.audio import AudioError, load_audio

    path = tmp_path_factory.mktemp("a") / f"clip{suffix}"
    path.write_bytes(raw)
    try:
        wave = load_audio(path)
    except AudioError as e:
        assert str(path) in str(e)
    else:
        assert wave.dtype == np.float32 and np.isfinite(wave).all()
