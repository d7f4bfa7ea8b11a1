"""End-to-end ASR path on random-init Whisper models saved with save_pretrained (offline).

Random weights make WER meaningless; what is tested is the plumbing: loading, the xT
window, the xV stride, that our greedy loop equals transformers' ``generate``, bad-file
counting, result rows and resuming.
"""
import numpy as np
import pytest
import soundfile as sf
import torch

from audioscale.asr import decode, toy
from audioscale.models.whisper_axes import encoder_window
from audioscale.asr.data import load_asr_data
from audioscale.asr.config import AsrConfig
from audioscale.asr.run import run_asr
from audioscale.asr.system import WHISPER_PROMPT_TOKENS, load_system
from audioscale.asr.wer import corpus_wer
from audioscale.errors import AudioscaleError
from audioscale.results import ResultStore

N_NEW = 12  # random models rarely stop: cap the tokens to keep the tests fast
EOS = 2


def _until_eos(seq, eos=EOS):
    return seq[:seq.index(eos)] if eos in seq else seq


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Tiny models are overhead-bound; two OpenMP threads on a shared 2-core box run ~50x slower.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def mini_dir(tmp_path_factory):
    # suppress/begin-suppress ids exercise the logits rules the identity test must reproduce
    cfg = toy.mini_config(suppress_tokens=[5], begin_suppress_tokens=[2, 7])
    folder = toy.save_system(tmp_path_factory.mktemp("mini"), cfg, seed=1)
    from transformers import GenerationConfig
    from transformers import WhisperForConditionalGeneration as W
    m = W.from_pretrained(folder)
    m.generation_config = GenerationConfig(decoder_start_token_id=1, eos_token_id=2, pad_token_id=0, bos_token_id=1,
                                           suppress_tokens=[5], begin_suppress_tokens=[2, 7])
    m.generation_config.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def system(mini_dir):
    return load_system(str(mini_dir), device="cpu")


@pytest.fixture(scope="module")
def ls_dir(tmp_path_factory):
    """LibriSpeech layout: 4 good clips, 1 corrupt, 1 stereo, 1 at 44.1 kHz (resampled)."""
    root = tmp_path_factory.mktemp("ls")
    toy.write_librispeech_folder(root, durations_s=(1.0, 1.7, 2.4, 3.1), speaker="11", chapter="22")
    chap = root / "11" / "22"
    (chap / "11-22-0004.flac").write_bytes(b"fLaC this is not a flac stream" * 10)
    sf.write(chap / "11-22-0005.flac", np.stack([toy.tone_speech(1.2, 5)] * 2, axis=1), 16000)
    sf.write(chap / "11-22-0006.flac", toy.tone_speech(1.5, 6, sr=44100), 44100)
    with (chap / "11-22.trans.txt").open("a") as f:
        f.write("11-22-0004 RED CAT\n11-22-0005 BLUE DOG\n11-22-0006 GO STOP\n")
    return root


@pytest.fixture(scope="module")
def waves(ls_dir):
    data = load_asr_data(ls_dir)
    return [data.load(u) for u in data.utterances[:4]]


def test_folder_loader(ls_dir):
    data = load_asr_data(ls_dir)
    assert data.layout == "librispeech" and len(data) == 7
    assert [u.utt_id for u in data.utterances][:2] == ["11-22-0000", "11-22-0001"]
    w = data.load(data.utterances[6])  # 44.1 kHz -> 16 kHz
    assert w.dtype == np.float32 and abs(len(w) - 1.5 * 16000) <= 1
    from audioscale.audio import AudioError
    for bad in (4, 5):
        with pytest.raises(AudioError):
            data.load(data.utterances[bad])
    assert len(load_asr_data(ls_dir, limit=3)) == 3


def test_folder_errors(tmp_path, ls_dir):
    with pytest.raises(AudioscaleError, match="does not exist"):
        load_asr_data(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AudioscaleError, match="no \\*.trans.txt"):
        load_asr_data(tmp_path / "empty")
    d = tmp_path / "orphan" / "1" / "2"
    d.mkdir(parents=True)
    (d / "1-2.trans.txt").write_text("1-2-0000 HELLO\n1-2-0001 WORLD\n")
    sf.write(d / "1-2-0001.wav", toy.tone_speech(0.5, 0), 16000)
    with pytest.raises(AudioscaleError, match=r"1 of 2 transcripts have no audio file \(first: \['1-2-0000'\]\)"):
        load_asr_data(tmp_path / "orphan")
    data = load_asr_data(tmp_path / "orphan", allow_missing_audio=True)
    assert (len(data), data.n_missing_audio) == (1, 1)


def test_manifest_layout(tmp_path):
    (tmp_path / "audio").mkdir()
    sf.write(tmp_path / "audio" / "7-8-0001.wav", toy.tone_speech(0.8, 1), 16000)
    (tmp_path / "x.manifest.tsv").write_text("utt_id\tspeaker_id\tchapter_id\tduration_s\ttranscript\n"
                                             "7-8-0000\t7\t8\t1.0\tA B\n7-8-0001\t7\t8\t0.8\tC D\n")
    data = load_asr_data(tmp_path, allow_missing_audio=True)
    assert (data.layout, len(data), data.n_missing_audio) == ("manifest", 1, 1)
    assert data.utterances[0].duration_s == 0.8


def test_greedy_equals_generate_at_full_window(system, waves):
    """T = full window, s = 1: our KV-cached loop == the unmodified model's generate()."""
    ours = decode.transcribe(system, waves, batch_size=3, max_new_tokens=N_NEW)
    feats = decode.features(system, waves, system.full_encoder_frames)
    ref = system.model.generate(input_features=feats, max_new_tokens=N_NEW)
    for i, seq in enumerate(ref.tolist()):  # Whisper's generate returns the generated ids only
        assert ours.token_ids[i] == _until_eos(seq)
    flat = [t for ids in ours.token_ids for t in ids]
    assert len(set(flat)) > 3, "degenerate outputs would make this test vacuous"
    assert 5 not in flat and all(ids[:1] != [7] for ids in ours.token_ids)  # suppression applied


def test_greedy_equals_generate_with_axes(system, waves):
    """At T = half window and s = 2 (both poolings), the loop equals generate() on the same
    subsampled encoder states."""
    from transformers.modeling_outputs import BaseModelOutput
    half = system.full_encoder_frames // 2
    for pooling in ("select", "mean"):
        ours = decode.transcribe(system, waves, half, 2, pooling, batch_size=4, max_new_tokens=N_NEW)
        with encoder_window(system.model, half):
            enc = decode.encode(system, decode.features(system, waves, half), 2, pooling)
        ref = system.model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=enc), max_new_tokens=N_NEW)
        for i, seq in enumerate(ref.tolist()):
            assert ours.token_ids[i] == _until_eos(seq), pooling


def test_window_and_pooling_shapes(system, waves):
    half = system.full_encoder_frames // 2
    feats = decode.features(system, waves[:2], half)
    assert feats.shape == (2, 80, 2 * half)  # the encoder runs on 2T mel frames, no padding to the window
    with encoder_window(system.model, half):
        full = decode.encode(system, feats, 1)
        sel = decode.encode(system, feats, 2, "select")
        mean = decode.encode(system, feats, 2, "mean")
    d = system.config.d_model
    assert full.shape == (2, half, d) and sel.shape == mean.shape == (2, half // 2, d)
    torch.testing.assert_close(sel, full[:, ::2])
    torch.testing.assert_close(mean, (full[:, 0::2] + full[:, 1::2]) / 2)
    # back to the full window: the original positional table is restored
    assert system.model.get_encoder().embed_positions.weight.shape[0] == system.full_encoder_frames


def test_half_window_changes_output_and_order_is_kept(system, waves):
    a = decode.transcribe(system, waves, batch_size=4, max_new_tokens=N_NEW)
    singles = [decode.transcribe(system, [w], max_new_tokens=N_NEW).token_ids[0] for w in waves]
    assert a.token_ids == singles  # sorting into batches does not permute outputs
    half = decode.transcribe(system, waves, system.full_encoder_frames // 4, max_new_tokens=N_NEW)
    assert half.token_ids != a.token_ids


def test_beam_search_runs(system, waves):
    out = decode.transcribe(system, waves[:2], beam_size=2, max_new_tokens=6)
    assert len(out.texts) == 2 and all(len(ids) <= 6 for ids in out.token_ids)


def test_axis_errors(system, waves):
    with pytest.raises(AudioscaleError, match="encoder_frames=400 is out of range.*at most 200"):
        decode.transcribe(system, waves, 400)
    with pytest.raises(AudioscaleError, match="stride=3 does not divide encoder_frames=200"):
        decode.transcribe(system, waves, 200, 3)
    with pytest.raises(AudioscaleError, match="max_new_tokens=99"):
        decode.transcribe(system, waves, max_new_tokens=99)


def test_run_row_counts_bad_files_and_resumes(system, ls_dir, tmp_path, monkeypatch):
    store = ResultStore("asr_embedded", root=tmp_path)
    config = AsrConfig(system.source, ls_dir, 100, 2, "mean", max_new_tokens=N_NEW, scale="embedded")
    row = run_asr(config, system, store=store, batch_size=2)
    assert (row["n_utterances"], row["n_bad_files"]) == (5, 2)
    assert row["bad_files"] == "11-22-0004;11-22-0005"
    assert row["encoder_frames"] == 100 and row["stride"] == 2 and row["pooling"] == "mean"
    assert row["gflops_paper"] > 0 and row["gflops_matmul"] > 0
    tim = store.timings()
    assert tim["rtfx"].iloc[0] > 0 and tim["warmup_batches"].iloc[0] == 1
    # the row's WER is the corpus WER of the per-utterance hypotheses written beside it
    utts = store.utterances.read()
    data = load_asr_data(ls_dir)
    refs = {u.utt_id: u.transcript for u in data.utterances}
    assert row["normalizer"] == "none"  # the embedded scale's default (closed vocabulary)
    assert corpus_wer([refs[i] for i in utts.utt_id], list(utts.hypothesis), "none").wer_pct == \
        pytest.approx(row["wer_pct"])
    assert utts["errors"].sum() == row["substitutions"] + row["deletions"] + row["insertions"]

    def boom(*a, **k):
        raise AssertionError("a finished row must not be recomputed")
    monkeypatch.setattr("audioscale.asr.run.transcribe", boom)
    again = run_asr(config, system, store=store, batch_size=5)
    assert again["wer_pct"] == pytest.approx(row["wer_pct"])
    with pytest.raises(AssertionError, match="must not be recomputed"):
        run_asr(config, system, store=store, force=True)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    from audioscale.models.architectures import whisper_config
    return toy.save_system(tmp_path_factory.mktemp("tiny"), whisper_config("tiny"), seed=0)


@pytest.mark.slow
def test_real_tiny_dims(tiny_dir, waves):
    """Real ``tiny`` dims (37.8 M parameters, 1500 frames) with Whisper's real multilingual
    tokenizer (built offline from openai-whisper's BPE ranks)."""
    sysm = load_system(str(tiny_dir), device="cpu")
    assert sysm.full_encoder_frames == 1500 and sysm.window_s == 30.0
    assert sysm.prompt_ids == [toy.WHISPER_SPECIAL_IDS[t] for t in WHISPER_PROMPT_TOKENS]
    assert sysm.tokenizer.decode(sysm.tokenizer("THERE'S IRON", add_special_tokens=False).input_ids) == "THERE'S IRON"
    ours = decode.transcribe(sysm, waves[:2], max_new_tokens=3)
    feats = decode.features(sysm, waves[:2], 1500)
    prompt = torch.tensor(sysm.prompt_ids).expand(2, -1)
    ref = sysm.model.generate(input_features=feats, decoder_input_ids=prompt, max_new_tokens=3).tolist()
    for i, seq in enumerate(ref):
        seq = seq[len(sysm.prompt_ids):] if seq[:4] == sysm.prompt_ids else seq
        assert ours.token_ids[i] == _until_eos(seq, sysm.eos_token_id)


@pytest.mark.slow
def test_paper_sweep_end_to_end(tiny_dir, ls_dir, tmp_path, monkeypatch):
    """The paper's 11 (size, T, s) rows with every size played by one random-init tiny-dims
    model: 11 rows with the paper's axes; a rerun loads no model at all."""
    from audioscale.asr import run
    from audioscale.paper import asr_table
    store = ResultStore("asr_paper", root=tmp_path / "results")
    ids = {}
    for size in ("tiny", "small", "medium", "large-v3"):  # hub-like folder names -> model labels
        (tmp_path / f"whisper-{size}").symlink_to(tiny_dir, target_is_directory=True)
        ids[size] = str(tmp_path / f"whisper-{size}")
    df = run.sweep_paper(ls_dir, ids, limit=1, max_new_tokens=2, store=store, device="cpu", warmup=False,
                         flops_conventions=("paper", "matmul"), verbose=False)  # "measured" traces: 2 s each
    paper = asr_table()
    assert len(df) == 11 and len(store.rows()) == 11
    assert sorted(zip(df.model, df.encoder_frames, df.stride)) == sorted(zip(paper.model, paper.encoder_frames,
                                                                             paper.stride))
    r = df[(df.encoder_frames == 1500) & (df.stride == 1)].iloc[0]
    assert r["gflops_paper_10tok"] == pytest.approx(63.7, abs=0.05)  # the paper's tiny-1500-s1 GFLOPs

    def no_load(*a, **k):
        raise AssertionError("finished rows must not load the model")
    monkeypatch.setattr(run, "load_system", no_load)
    assert len(run.sweep_paper(ls_dir, ids, limit=1, max_new_tokens=2, store=store, device="cpu",
                               verbose=False)) == 11


def test_embedded_sweep_resumes_and_notices_retraining(tmp_path, ls_dir):
    """Only missing configurations run; a retrained checkpoint (new weights) runs again."""
    from audioscale.asr import run
    folder = tmp_path / "asr-mini-x"
    toy.save_system(folder, toy.mini_config(), seed=0)
    store = ResultStore("asr_embedded", root=tmp_path / "results")
    data = load_asr_data(ls_dir, limit=2)
    assert len(run.pending_embedded(store, folder, data.name)) == 6  # {full, half} x {s1, s2 select, s2 mean}
    system = load_system(str(folder), device="cpu")
    config = AsrConfig(str(folder), data.name, 200, 1, max_new_tokens=N_NEW, scale="embedded")
    run.run_asr(config, system, data, store=store, warmup=False, flops_conventions=("paper",))
    assert (200, 1, "select") not in run.pending_embedded(store, folder, data.name)
    assert len(run.pending_embedded(store, folder, data.name)) == 5
    toy.save_system(folder, toy.mini_config(), seed=1)  # "retrained"
    assert len(run.pending_embedded(store, folder, data.name)) == 6
    assert run.prune_stale(store, [folder]) == 1  # the superseded weights' row goes, with its utterances
    assert store.rows().empty and store.timings().empty
    assert store.utterances.read().empty


def test_half_window_equals_a_natively_shorter_model(system, waves):
    """xT cross-check by a second route: a model *built* with max_source_positions = T (state
    dict with the positional table sliced), fed the first 2T mel frames through the stock
    ``generate``, gives the same tokens as our in-place window change."""
    from transformers import WhisperForConditionalGeneration
    half = system.full_encoder_frames // 2
    ours = decode.transcribe(system, waves, half, max_new_tokens=N_NEW)
    state = {k: v.clone() for k, v in system.model.state_dict().items()}
    state["model.encoder.embed_positions.weight"] = state["model.encoder.embed_positions.weight"][:half]
    cfg = system.model.config.__class__(**{**system.model.config.to_dict(), "max_source_positions": half})
    short = WhisperForConditionalGeneration(cfg).eval()
    short.load_state_dict(state)
    short.generation_config = system.model.generation_config
    feats = decode.features(system, waves, system.full_encoder_frames)[..., :2 * half]
    ref = short.generate(input_features=feats, max_new_tokens=N_NEW).tolist()
    assert ours.token_ids == [_until_eos(seq) for seq in ref]


def test_a_recompute_run_recomputes_each_row_once(tmp_path, ls_dir, monkeypatch):
    """Under AUDIOSCALE_RECOMPUTE=1 every existing row is stale, until this recompute run (its
    token) has recomputed it: then a later section of the same run reuses it."""
    from audioscale.asr import run
    from audioscale.results import start_recompute_run
    folder = tmp_path / "asr-mini-y"
    toy.save_system(folder, toy.mini_config(), seed=0)
    store = ResultStore("asr_embedded", root=tmp_path / "results")
    data = load_asr_data(ls_dir, limit=2)
    config = AsrConfig(str(folder), data.name, 200, 1, max_new_tokens=N_NEW, scale="embedded")
    run.run_asr(config, data=data, store=store, warmup=False, flops_conventions=("paper",))
    assert len(run.pending_embedded(store, folder, data.name)) == 5
    monkeypatch.setenv("AUDIOSCALE_RECOMPUTE", "1")
    monkeypatch.delenv("AUDIOSCALE_RECOMPUTE_RUN", raising=False)
    assert len(run.pending_embedded(store, folder, data.name)) == 5  # this process computed that row
    assert len(run.pending_embedded(ResultStore("asr_embedded", root=tmp_path / "results"), folder, data.name)) == 6
    start_recompute_run()  # sets both variables in os.environ; monkeypatch restores them
    section = ResultStore("asr_embedded", root=tmp_path / "results")  # a notebook's store in this run
    run.run_asr(config, data=data, store=section, warmup=False, flops_conventions=("paper",))
    later = ResultStore("asr_embedded", root=tmp_path / "results")  # a later notebook's store, same run
    assert len(run.pending_embedded(later, folder, data.name)) == 5
    assert len(later.find(encoder_frames=200, stride=1)) == 1 and later.find(encoder_frames=100).empty


def test_a_row_stranded_without_its_lines_is_recomputed(tmp_path, ls_dir, monkeypatch):
    """A run stopped after the row but before its per-utterance lines (the order before lines
    were written first) left a finished-looking row: the rerun treats it as unfinished."""
    from audioscale.asr import run
    folder = tmp_path / "asr-mini-z"
    toy.save_system(folder, toy.mini_config(), seed=0)
    store = ResultStore("asr_embedded", root=tmp_path / "results")
    data = load_asr_data(ls_dir, limit=2)
    config = AsrConfig(str(folder), data.name, 200, 1, max_new_tokens=N_NEW, scale="embedded")
    row = run.run_asr(config, data=data, store=store, warmup=False, flops_conventions=("paper",))
    lines = store.utterances.read()
    store.utterances.delete({run.config_id(row["config_key"])})  # the stranded state
    assert (200, 1, "select") in run.pending_embedded(store, folder, data.name)
    again = run.run_asr(config, data=data, store=store, warmup=False, flops_conventions=("paper",))
    assert again["wer_pct"] == row["wer_pct"]
    assert store.utterances.read().equals(lines)

    def boom(*a, **k):
        raise AssertionError("a row whose lines exist is finished")
    monkeypatch.setattr("audioscale.asr.run.transcribe", boom)
    run.run_asr(config, data=data, store=store, warmup=False, flops_conventions=("paper",))


def test_a_changed_data_folder_makes_its_rows_stale(system, tmp_path, caplog):
    """Rows of a local folder are keyed by its content: after a transcript is rewritten the rerun
    recomputes (saying so) and the old row goes; a copy elsewhere has the same fingerprint."""
    import shutil

    folder = tmp_path / "set"
    toy.write_librispeech_folder(folder, durations_s=(1.0, 1.4), speaker="7", chapter="8")
    store = ResultStore("asr_embedded", root=tmp_path / "results")
    config = AsrConfig(system.source, str(folder), 100, 1, max_new_tokens=N_NEW, scale="embedded")
    first = run_asr(config, system, store=store, warmup=False)
    assert first["data_fingerprint"].startswith("sha256:")
    trans = folder / "7" / "8" / "7-8.trans.txt"
    trans.write_text(trans.read_text().replace("\n", " RED\n", 1))
    with caplog.at_level("WARNING"):
        second = run_asr(config, system, store=store, warmup=False)
    assert "has changed since its row was computed: recomputing" in caplog.text
    assert second["data_fingerprint"] != first["data_fingerprint"]
    assert list(store.rows()["config_key"]) == [second["config_key"]]  # the stale row is gone
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    assert load_asr_data(copy).fingerprint == second["data_fingerprint"]


def test_a_subset_of_the_paper_sweep_runs_alone(tiny_dir, ls_dir, tmp_path, capsys):
    """A machine with one GPU can take large-v3 alone: --sizes / --configs pick among the paper's
    11 configurations, and a name outside them is one line listing the valid ones."""
    from audioscale.asr import run
    from audioscale.cli import main

    assert sorted(run.select_paper_configs(["large-v3"])) == [("large-v3", 750, 1), ("large-v3", 1500, 1)]
    assert sorted(run.select_paper_configs(["tiny"], ["medium:1500:2"])) == [
        ("medium", 1500, 2), ("tiny", 750, 1), ("tiny", 1500, 1), ("tiny", 1500, 2)]
    assert len(run.select_paper_configs()) == 11
    with pytest.raises(AudioscaleError, match="size 'huge' is not one of the paper's: large-v3, medium, small, tiny"):
        run.select_paper_configs(["huge"])
    with pytest.raises(AudioscaleError, match="config 'large-v3:1500:2' is not one of the paper's 11"):
        run.select_paper_configs(configs=["large-v3:1500:2"])
    store = ResultStore("asr_paper", root=tmp_path / "results")
    df = run.sweep_paper(ls_dir, {"small": str(tiny_dir)}, limit=1, max_new_tokens=2, store=store, device="cpu",
                         warmup=False, flops_conventions=("paper",), sizes=["small"], verbose=False)
    assert sorted(zip(df.encoder_frames, df.stride)) == [(750, 1), (1500, 1), (1500, 2)]
    assert main(["asr-sweep", "--scale", "embedded", "--sizes", "tiny"]) == 2
    assert "use them with --scale paper" in capsys.readouterr().err
