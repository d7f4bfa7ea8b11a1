"""Mini model folders load offline through transformers' Auto classes; a short pretrain runs,
and a run stopped midway resumes to exactly the uninterrupted result."""
import json

import pytest
import torch

from audioscale.embedded import models as M
from audioscale.embedded import pretrain as P
from audioscale.embedded import vocab as V
from audioscale.embedded.pretrain import recipe, schedule, stage1

QUICK = P.RunOptions(threads=1, progress=False, eval_n=4, eval_size=20, eval_every=0)


def micro(**kw) -> P.WhisperRecipe:
    """A few steps of micro on 16 utterances."""
    return P.WhisperRecipe("micro", **{"steps": 4, "n_train": 16, **kw})


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOSCALE_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_family_configs_scale_width_at_fixed_depth():
    from transformers import WhisperForConditionalGeneration
    sizes = []
    for name in M.MINI_WHISPER:
        cfg = M.mini_whisper_config(name)
        assert cfg.max_source_positions == M.FULL_FRAMES == 400 and M.HALF_FRAMES == 200
        assert (cfg.encoder_layers, cfg.decoder_layers) == (2, 4) and cfg.vocab_size == len(V.TOKENS) == 36
        assert cfg.init_std == pytest.approx(cfg.d_model ** -0.5)
        with torch.device("meta"):
            sizes.append(sum(p.numel() for p in WhisperForConditionalGeneration(cfg).parameters()))
    assert sizes == sorted(sizes) and sizes[0] > 1e5 and sizes[-1] < 2e6
    assert M.checkpoint_dir("tiny").name == "asr-mini-tiny"


def test_tokenizer_round_trip():
    tok = V.word_tokenizer()
    ids = tok("TAKE the red ball and Seven").input_ids
    assert ids == V.encode("take the red ball and seven")
    assert tok.decode([V.BOS_ID] + ids + [V.EOS_ID, V.PAD_ID], skip_special_tokens=True) == \
        "take the red ball and seven" == V.decode([V.BOS_ID] + ids + [V.EOS_ID, V.PAD_ID])


def test_one_vocabulary_for_the_sentences_the_models_and_the_toy():
    from audioscale.asr import toy
    from audioscale.embedded import text
    assert text.VOCAB is V.VOCAB and len(V.VOCAB) == len(set(V.VOCAB)) == 32
    assert V.TOKENS[:4] == ("<pad>", "<s>", "</s>", "<unk>") and (V.PAD_ID, V.BOS_ID, V.EOS_ID) == (0, 1, 2)
    assert M.mini_wav2vec2_config().vocab_size == toy.mini_config().vocab_size == len(V.TOKENS)
    # the toy keeps its own settings (no lower-casing), so its saved folders keep their bytes
    assert toy.word_tokenizer().backend_tokenizer.normalizer is None
    assert toy.word_tokenizer()("go and stop").input_ids == V.encode("go and stop")


def test_pinned_scorer_gives_the_wer_the_module_computed_before():
    """Pretraining's WERs now come from asr.wer.corpus_wer (normalizer "none"); the module's own
    jiwer call it replaced (an empty hypothesis sent as "<empty>") gave the same numbers."""
    import random

    import jiwer

    def old_wer(refs, hyps):
        return float(jiwer.wer(refs, [h if h.strip() else "<empty>" for h in hyps]))
    rng = random.Random(0)
    for trial in range(200):
        refs = [" ".join(rng.choices(V.VOCAB, k=rng.randint(1, 15))) for _ in range(rng.randint(1, 8))]
        hyps = [" ".join(rng.choices(V.VOCAB[:8], k=rng.randint(0, 16))) for _ in refs]
        if trial % 3 == 0:
            hyps = refs[:1] + hyps[1:]
        assert P.word_error_rate(refs, hyps) == old_wer(refs, hyps), (refs, hyps)
    assert P.word_error_rate(["one two three"], [""]) == old_wer(["one two three"], [""]) == 1.0


def test_saved_folder_loads_offline_with_auto_classes(tmp_path):
    from transformers import AutoFeatureExtractor, AutoModelForSpeechSeq2Seq, AutoTokenizer
    model, ctc = P.build("micro")
    folder = P.save_model_folder(tmp_path / "m", model, ctc, {"note": "random init"})
    m = AutoModelForSpeechSeq2Seq.from_pretrained(folder, use_safetensors=True)
    tok = AutoTokenizer.from_pretrained(folder)
    fe = AutoFeatureExtractor.from_pretrained(folder)
    assert (fe.feature_size, fe.chunk_length, fe.n_fft, fe.hop_length) == (80, 8, 400, 160)
    assert tok.decode(tok("go and stop").input_ids) == "go and stop"
    gen = json.loads((folder / "generation_config.json").read_text())
    assert gen["decoder_start_token_id"] == V.BOS_ID and gen.get("forced_decoder_ids") is None
    assert m.generation_config.suppress_tokens is None and m.generation_config.begin_suppress_tokens is None
    assert torch.equal(P.load_ctc_head(folder).weight, ctc.weight)
    x = torch.zeros(1, 80, M.MEL_FRAMES)
    assert m.generate(input_features=x, max_new_tokens=3).shape[0] == 1


def test_pretrain_runs_and_resumes_identically(cache, monkeypatch):
    recipe = micro(decoder_steps=2)
    full = P.pretrain_whisper(recipe, QUICK, out_dir=cache / "full")
    assert full["steps"] == 4 and len(full["losses"]) == 1
    assert {"wer_dec_full", "wer_dec_half", "wer_ctc_full", "wer_ctc_half"} <= set(full["final_eval_other"])
    assert full["decoder_stage"]["steps"] == 2 and "stage1_eval_other" in full
    stopped = P.pretrain_whisper(recipe, QUICK, out_dir=cache / "resumed", stop_after=2)
    assert stopped == {"stopped_at": 2}
    trained = []
    step = stage1.stage1_step
    monkeypatch.setattr(stage1, "stage1_step", lambda *a, **k: trained.append(1) or step(*a, **k))
    P.pretrain_whisper(recipe, QUICK, out_dir=cache / "resumed", resume=True)
    assert len(trained) == 2  # continued from step 2, not from scratch
    from safetensors.torch import load_file
    a, b = load_file(cache / "full" / "model.safetensors"), load_file(cache / "resumed" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_stage1_then_decoder_stage_as_two_jobs_saves_what_one_whole_run_saves(cache):
    """``pretrain --jobs 2`` runs the stages as separate processes; the split must not change a byte."""
    whole = P.pretrain_whisper(micro(decoder_steps=2), QUICK, out_dir=cache / "whole")
    first = P.pretrain_whisper(micro(), QUICK, out_dir=cache / "split", stage1_only=True)
    assert first["awaiting_decoder_stage"] and "decoder_stage" not in first and "final_eval_other" not in first
    split = P.run_decoder_stage(micro(decoder_steps=2), QUICK, folder=cache / "split")
    assert "awaiting_decoder_stage" not in split
    for name in ("model.safetensors", "ctc_head.safetensors"):
        assert (cache / "whole" / name).read_bytes() == (cache / "split" / name).read_bytes()
    timeless = ("train_wall_s", "wall_s", "encode_wall_s", "eval_wall_s", "s_per_step", "load1")

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in timeless}
        return [strip(v) for v in x] if isinstance(x, list) else x
    saved = json.loads((cache / "split" / "pretrain_log.json").read_text())
    assert list(saved) == list(whole) and strip(saved) == strip(json.loads(json.dumps(whole)))
    from audioscale.errors import AudioscaleError
    with pytest.raises(AudioscaleError, match="already went through the decoder stage"):
        P.run_decoder_stage(micro(decoder_steps=2), QUICK, folder=cache / "split")


def test_stage1_job_leaves_the_checkpoint_whole_until_the_decoder_stage_replaces_it(cache, monkeypatch):
    """Default folders (the jobs of ``pretrain --jobs 2``): an interrupted run between the stages
    must leave the committed checkpoint as it was; the decoder stage then replaces it and
    removes the spent stage-1 folder."""
    ckpt = cache / "checkpoints" / "asr-mini-micro"
    monkeypatch.setattr(M, "CHECKPOINTS_DIR", cache / "checkpoints")
    ckpt.mkdir(parents=True)
    (ckpt / "model.safetensors").write_bytes(b"committed")
    P.pretrain_whisper(micro(), QUICK, stage1_only=True)
    assert (P.stage1_dir("micro") / "model.safetensors").is_file()
    assert (ckpt / "model.safetensors").read_bytes() == b"committed"
    P.run_decoder_stage(micro(decoder_steps=2), QUICK)
    assert not P.stage1_dir("micro").exists() and (ckpt / "model.safetensors").read_bytes() != b"committed"
    assert "decoder_stage" in json.loads((ckpt / "pretrain_log.json").read_text())
    from audioscale.errors import AudioscaleError
    with pytest.raises(AudioscaleError, match="--stage1-only"):  # no stage-1 folder left: the checkpoint is done
        P.run_decoder_stage(micro(decoder_steps=2), QUICK)


@pytest.mark.parametrize("change", ["ctc_weight", "dropout"])
def test_resume_ignores_a_state_saved_under_another_recipe(cache, monkeypatch, change):
    """A state left by a run with another loss weight (or the sixth family's dropout) must not be
    continued: the resumed run starts over and equals an uninterrupted run under the new recipe."""
    assert P.pretrain_whisper(micro(decoder_steps=0), QUICK, out_dir=cache / "old", stop_after=2) == {"stopped_at": 2}
    new = micro(decoder_steps=0)
    if change == "ctc_weight":
        new = micro(decoder_steps=0, ctc_weight=0.5)
    else:
        monkeypatch.setitem(M.MINI_WHISPER["micro"], "dropout", 0.1)
    P.pretrain_whisper(new, QUICK, out_dir=cache / "resumed", resume=True)
    P.pretrain_whisper(new, QUICK, out_dir=cache / "fresh")
    from safetensors.torch import load_file
    a, b = load_file(cache / "fresh" / "model.safetensors"), load_file(cache / "resumed" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_ser_backbone_pretrains_resumes_and_loads_as_a_classifier(cache, monkeypatch):
    from transformers import Wav2Vec2ForSequenceClassification
    log = P.pretrain_wav2vec2(P.SerRecipe(steps=2, n_train=16, teacher=None),
                              P.RunOptions(progress=False, eval_n=2, eval_size=20), out_dir=cache / "ser")
    assert log["steps"] == 2 and log["params"] < 1_000_000 and log["teacher"] is None
    clf = Wav2Vec2ForSequenceClassification.from_pretrained(cache / "ser", num_labels=6)
    assert clf(torch.zeros(1, 16000)).logits.shape == (1, 6)
    # its state is saved and resumed by the same code as stage 1's: a finished state is continued
    # (nothing left to train, the same weights), one saved for another step count is not
    from audioscale.embedded.pretrain import ser_backbone
    batches = []
    real_batch = ser_backbone._batch
    monkeypatch.setattr(ser_backbone, "_batch", lambda *a: batches.append(1) or real_batch(*a))
    run = P.RunOptions(progress=False, eval_n=2, eval_size=20)
    again = P.pretrain_wav2vec2(P.SerRecipe(steps=2, n_train=16, teacher=None), run, out_dir=cache / "again",
                                resume=True)
    assert batches == [] and again["losses"] == log["losses"]
    assert (cache / "again" / "model.safetensors").read_bytes() == (cache / "ser" / "model.safetensors").read_bytes()
    P.pretrain_wav2vec2(P.SerRecipe(steps=3, n_train=16, teacher=None), run, out_dir=cache / "s3", resume=True)
    assert len(batches) == 3


def _cli_args(**overrides):
    import argparse
    return argparse.Namespace(**{**dict(jobs=2, seed=3, threads=1, steps=None, ser_steps=P.SER_STEPS, resume=True,
                                        decoder_stage_only=False, stage1_only=False,
                                        stage1_batches=P.DEFAULT_STAGE1_BATCHES, align_weight=P.ALIGN_WEIGHT),
                                 **overrides})


def test_pretrain_jobs_wait_for_stage_1_and_the_longest_chain_starts_first():
    from audioscale.commands.pretrain import JOB_COST_S, plan_jobs
    from audioscale.jobs import JobsFailed, chain_s, run_jobs
    names = list(P.DEFAULT_STEPS) + [M.SER_BACKBONE_NAME]
    jobs = {j.id: j for j in plan_jobs(_cli_args(), names)}
    assert len(jobs) == 2 * len(P.DEFAULT_STEPS) + 1
    assert jobs["small decoder stage"].after == ("small stage 1",) and jobs[M.SER_BACKBONE_NAME].after == ()
    assert chain_s(list(jobs.values()))["small stage 1"] == JOB_COST_S[("small", "stage 1")] + \
        JOB_COST_S[("small", "decoder stage")]

    class Proc:  # finishes after `ticks` polls; fails if told to
        def __init__(self, job, ticks, rc):
            self.job, self.ticks, self.rc = job, ticks, rc

        def poll(self):
            self.ticks -= 1
            return self.rc if self.ticks <= 0 else None

    started, live = [], []

    def start(job):
        assert len([p for p in live if p.ticks > 0]) < 2  # never more than two at once
        assert all(a in [p.job.id for p in live if p.ticks <= 0 and p.rc == 0] for a in job.after)
        started.append(job.id)
        live.append(Proc(job, int(job.cost_s // 100), 0))
        return live[-1]

    wall = run_jobs(list(jobs.values()), 2, start, poll_s=0)
    assert set(started) == set(jobs) and len(wall) == len(jobs)
    assert started[:2] == ["small stage 1", "base stage 1"]  # the two longest chains start apart
    # a failed stage 1 skips its decoder stage; the rest still run
    live.clear()
    with pytest.raises(JobsFailed) as failed:
        run_jobs(plan_jobs(_cli_args(), ["micro", "tiny"]), 2,
                 lambda j: live.append(Proc(j, 2, 1 if j.id == "tiny stage 1" else 0)) or live[-1], poll_s=0)
    assert list(failed.value.failed) == ["tiny stage 1"] and failed.value.skipped == ["tiny decoder stage"]
    assert "micro decoder stage" in [p.job.id for p in live]
    # the SER backbone's teacher is not a family member: retraining the family leaves it alone
    assert P.SER_TEACHER not in P.DEFAULT_STEPS and P.SER_TRAIN_POOL == "v1"
    assert P.teacher_dir(P.SER_TEACHER).parent == M.checkpoint_dir("tiny").parent
    assert P.teacher_dir("small") == M.checkpoint_dir("small")
    assert not P.teacher_dir(P.SER_TEACHER).name.startswith("asr-mini-")  # the ASR sweep's glob
    from audioscale import cli
    assert cli.main(["pretrain", "--models", "micro", "--stage1-only", "--decoder-stage-only"]) == 2


def test_pretrain_cli_refuses_an_unknown_model_and_shows_every_default(capsys):
    from audioscale import cli
    assert cli.main(["pretrain", "--models", "large"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert cli.main(["pretrain", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for shown in ("(default: cropped)", "(default: 1.0)", f"(default: {P.SER_STEPS})", "{padded,cropped}"):
        assert shown in help_text


def test_committed_checkpoints_load_if_present():
    from transformers import AutoModelForSpeechSeq2Seq, Wav2Vec2ForSequenceClassification
    found = 0
    for name in M.MINI_WHISPER:
        folder = M.checkpoint_dir(name)
        if (folder / "model.safetensors").is_file():
            found += 1
            m = AutoModelForSpeechSeq2Seq.from_pretrained(folder, use_safetensors=True)
            assert m.config.d_model == M.MINI_WHISPER[name]["d_model"]
            log = json.loads((folder / "pretrain_log.json").read_text())
            assert log["steps"] > 0 and "final_eval_other" in log
            assert sum(f.stat().st_size for f in folder.iterdir()) < 10e6
    folder = M.checkpoint_dir(M.SER_BACKBONE_NAME)
    if (folder / "model.safetensors").is_file():
        found += 1
        Wav2Vec2ForSequenceClassification.from_pretrained(folder, num_labels=6)
    if not found:
        pytest.skip("no pretrained checkpoints yet: run `make pretrain`")


def test_pretrain_jobs_build_the_shared_corpora_once_before_any_job_starts(monkeypatch):
    """On a fresh cache every job would otherwise synthesise the same corpus at the same time."""
    import subprocess

    from audioscale import jobs as J
    from audioscale.commands import pretrain as cmd
    from audioscale.embedded import asr_corpus
    from audioscale.embedded.pretrain import features
    events = []
    monkeypatch.setattr(features, "train_features", lambda n, seed: events.append(("features", n, seed)))
    monkeypatch.setattr(asr_corpus, "load_test_set", lambda split, size: events.append(("test", split, size)))
    monkeypatch.setattr(asr_corpus, "train_set_folder", lambda n, seed, pool: events.append(("train", n, seed, pool)))
    monkeypatch.setattr(J, "POLL_S", 0)
    argvs = []

    class FakeJob:
        def __init__(self, argv):
            events.append(("job", argv[argv.index("--models") + 1]))
            argvs.append(" ".join(argv))

        def poll(self):
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeJob)
    args = _cli_args(stage1_batches="padded", align_weight=0.5)
    assert cmd._run_jobs(args, ["micro", "small", M.SER_BACKBONE_NAME]) == 0
    stage1_jobs = [a for a in argvs if "--stage1-only" in a]
    decoder_jobs = [a for a in argvs if "--decoder-stage-only" in a]
    assert len(stage1_jobs) == len(decoder_jobs) == 2 and len(argvs) == 5
    # a recipe variant reaches the stage it belongs to; only stage 1 (and the SER backbone) resume
    assert all("--stage1-batches padded" in a and "--align-weight" not in a for a in stage1_jobs)
    assert all(a.endswith("--align-weight 0.5") and "--resume" not in a for a in decoder_jobs)
    assert all(a.endswith("--resume") for a in stage1_jobs)
    events.clear()
    assert cmd._run_jobs(args, ["micro", "small", M.SER_BACKBONE_NAME]) == 0
    first_job = next(k for k, e in enumerate(events) if e[0] == "job")
    built = events[:first_job]
    assert ("features", 16000, 3) in built and ("test", "other", 600) in built and ("test", "clean", 600) in built
    assert ("train", 16000, 3, P.SER_TRAIN_POOL) in built
    assert [e[0] for e in events[first_job:]] == ["job"] * 5
    events.clear()
    P.prepare_corpora(["tiny"])  # no SER backbone: its v1 corpus is not built
    assert not any(e[0] == "train" for e in events) and ("features", 16000, 0) in events


def test_loading_a_model_draws_no_progress_bar_and_leaves_the_setting_alone(tmp_path, capfd):
    """transformers' per-load "Loading weights" bar becomes a widget in notebook outputs that
    nbval then misses when rows are reused; our loader silences it only while it loads."""
    from transformers.utils import logging as hf_logging

    from audioscale.models.architectures import load_whisper
    model, ctc = P.build("micro")
    folder = P.save_model_folder(tmp_path / "m", model, ctc, {"note": "random init"})
    hf_logging.enable_progress_bar()
    capfd.readouterr()
    load_whisper(str(folder))
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.is_progress_bar_enabled()


def test_stage1_schedule_is_seeded_length_bucketed_and_covers_each_epoch_once():
    """Cropped stage-1 batches: each epoch's batches hold every utterance at most once, batches
    are of similar lengths (so cropping to the longest saves work) and the schedule is a
    function of (lengths, steps, seed)."""
    import numpy as np
    rng = np.random.default_rng(1)
    n_samples = rng.integers(8000, 128000, size=2000)
    per_epoch = len(n_samples) // recipe.BATCH
    sched = P.stage1_schedule(n_samples, per_epoch + 10, seed=0)
    assert len(sched) == per_epoch + 10 and all(len(b) == recipe.BATCH for b in sched)
    first = np.concatenate(sched[:per_epoch])
    assert len(np.unique(first)) == len(first)  # one epoch: no utterance twice
    assert all(np.array_equal(a, b) for a, b in zip(sched, P.stage1_schedule(n_samples, per_epoch + 10, seed=0)))
    assert not all(np.array_equal(a, b) for a, b in zip(sched, P.stage1_schedule(n_samples, per_epoch + 10, seed=1)))
    frames = schedule.encoder_frames(n_samples).numpy()
    bucketed = np.mean([frames[b].max() for b in sched[:per_epoch]])
    random_batches = np.mean([frames[schedule.batch_indices(s, len(n_samples), 0)].max() for s in range(per_epoch)])
    assert bucketed < 0.8 * random_batches, (bucketed, random_batches)


def test_stage1_crops_to_the_batch_but_ends_on_the_full_window():
    batch_frames = torch.tensor([50, 120, 80])
    assert schedule.crop_frames(0, 4000, batch_frames) == 120
    assert schedule.crop_frames(4000 - schedule.FULL_WINDOW_STEPS - 1, 4000, batch_frames) == 120
    assert schedule.crop_frames(4000 - schedule.FULL_WINDOW_STEPS, 4000, batch_frames) == M.FULL_FRAMES
    assert schedule.crop_frames(3999, 4000, batch_frames) == M.FULL_FRAMES


def test_encoder_window_equals_a_shrunk_encoder_and_restores_the_model():
    import copy

    from audioscale.models.whisper_axes import encoder_window, set_encoder_frames
    model, _ = P.build("micro")
    model.eval()
    pos = model.model.encoder.embed_positions
    x = torch.randn(2, 80, 2 * 120)
    with encoder_window(model, 120):
        got = model.model.encoder(x).last_hidden_state
    want = set_encoder_frames(copy.deepcopy(model), 120).model.encoder(x).last_hidden_state
    assert torch.equal(got, want)
    assert model.model.encoder.embed_positions is pos and model.config.max_source_positions == M.FULL_FRAMES
    with pytest.raises(ValueError):  # outside the block the encoder wants the whole window again
        model.model.encoder(x)


def test_recipe_variants_run_resume_apart_and_save_a_stock_model(cache):
    """Both recipes run end to end and are recorded in the log: the default (the seventh family:
    cropped stage-1 batches, the decoder stage's alignment loss under bfloat16 autocast) and the
    third family's (padded, no alignment loss); the saved model is float32 on its default
    attention, and a state saved under one recipe is not continued under the other."""
    import json as _json
    log = P.pretrain_whisper(micro(decoder_steps=2), QUICK, out_dir=cache / "default")
    assert (log["stage1_batches"], P.DEFAULT_STAGE1_BATCHES) == ("cropped", "cropped")
    assert log["decoder_stage"]["align_weight"] == P.ALIGN_WEIGHT > 0 and "align" in log["decoder_stage"]["losses"][-1]
    saved = _json.loads((cache / "default" / "config.json").read_text())
    assert saved.get("_attn_implementation") in (None, "sdpa")  # eager was only for the stage
    # the decoder stage ran its products in bfloat16, but what it saved is float32
    assert log["decoder_stage"]["autocast"] == "bfloat16"
    from safetensors.torch import load_file as _load
    assert {t.dtype for t in _load(cache / "default" / "model.safetensors").values()} == {torch.float32}
    third = P.pretrain_whisper(micro(decoder_steps=2, stage1_batches="padded", align_weight=0.0), QUICK,
                               out_dir=cache / "third")
    assert third["stage1_batches"] == "padded" and "align_weight" not in third["decoder_stage"]
    assert "align" not in third["decoder_stage"]["losses"][-1]
    assert P.pretrain_whisper(micro(decoder_steps=0), QUICK, out_dir=cache / "old", stop_after=2) == {"stopped_at": 2}
    padded = micro(decoder_steps=0, stage1_batches="padded")
    P.pretrain_whisper(padded, QUICK, out_dir=cache / "resumed", resume=True)
    P.pretrain_whisper(padded, QUICK, out_dir=cache / "fresh")
    from safetensors.torch import load_file
    a, b = load_file(cache / "fresh" / "model.safetensors"), load_file(cache / "resumed" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("bad", [dict(stage1_batches="sorted"), dict(align_weight=-1.0),
                                 dict(align_weight=float("nan")), dict(steps=0), dict(name="large")])
def test_bad_recipe_is_refused_before_any_work(bad):
    from audioscale.errors import AudioscaleError
    with pytest.raises(AudioscaleError, match="stage1_batches|align_weight|steps|name"):
        P.WhisperRecipe(**{"name": "micro", **bad})


def test_stage1_key_reads_states_saved_before_the_log_recorded_the_recipe():
    """The resume key is read back from a saved state's fields and log, as the module always
    wrote them; a state older than the ``stage1_batches``/``dropout``/``ctc_weight`` log entries
    is the third family's padded batches at the sixth's dropout 0.1, and matches no current run."""
    log = {"n_train": 16, "params": 249888, "ctc_weight": 0.7, "stage1_batches": "cropped", "dropout": 0.0}
    state = {"step": 2, "steps": 4, "seed": 0, "log": json.dumps(log)}
    key = micro().stage1_key(n_train=16, params=249888, dropout=0.0)
    assert P.Stage1Key.of_state(state) == key
    assert P.Stage1Key.of_state({**state, "steps": 5}) != key
    legacy = {**state, "log": json.dumps({"n_train": 16, "params": 249888})}
    assert P.Stage1Key.of_state(legacy) == P.Stage1Key(4, 0, 16, None, 249888, "padded", 0.1)
    assert P.Stage1Key.of_state(legacy) != micro(stage1_batches="padded").stage1_key(16, 249888, 0.1)  # no ctc_weight
    ser = {"step": 2, "steps": 2, "seed": 0, "log": json.dumps({"teacher": None})}
    assert P.SerKey.of_state(ser) == P.SerRecipe(steps=2).key(teacher=None) != P.SerRecipe(steps=2).key("small")
