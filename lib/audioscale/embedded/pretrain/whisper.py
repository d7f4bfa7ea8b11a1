"""A mini Whisper from scratch to its checkpoint folder: stage 1, then the decoder stage, then
the final evaluations; either in one call, or as two jobs (``stage1_only``, then
``run_decoder_stage`` on the folder stage 1 saved), which save the same bytes."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import torch

from ...errors import AudioscaleError
from .. import asr_corpus
from ..models import checkpoint_dir
from .decoder_stage import train_decoder_stage
from .evaluation import evaluate
from .features import log_mel, training_set
from .folder import build, generation_config, load_ctc_head, save_model_folder
from .recipe import RunOptions, WhisperRecipe
from .stage1 import train_stage1
from .state import stage1_dir


def _test_set(run: RunOptions):
    test = asr_corpus.load_test_set(run.eval_n, "other", size=run.eval_size)
    return test, log_mel([u.wave for u in test])


def pretrain_whisper(recipe: WhisperRecipe, run: RunOptions = RunOptions(), out_dir: Path | None = None,
                     resume: bool = False, stage1_only: bool = False, stop_after: int | None = None) -> dict:
    """Train the mini Whisper of ``recipe`` and save its folder (default ``checkpoint_dir(name)``); its log.

    ``stage1_only``: stop after stage 1 and its evaluation and save the folder (default
    ``stage1_dir(name)``) for ``run_decoder_stage``. ``stop_after``: save the training state
    after that many steps and return ``{"stopped_at": step}``; ``resume=True`` then continues
    to the same result.
    """
    torch.set_num_threads(run.threads)
    data = training_set(recipe.n_train, recipe.seed)
    test, test_feats = _test_set(run)
    model, ctc = build(recipe.name, recipe.seed)
    log, stopped_at = train_stage1(recipe, run, model, ctc, data, test, test_feats, resume, stop_after)
    if stopped_at is not None:
        return {"stopped_at": stopped_at}
    if stage1_only or recipe.decoder_steps:
        log["stage1_eval_other"] = evaluate(model, ctc, test, test_feats)
    if stage1_only:
        log["awaiting_decoder_stage"] = True
        save_model_folder(Path(out_dir) if out_dir else stage1_dir(recipe.name), model.eval(), ctc, log)
        return log
    if recipe.decoder_steps:
        log["decoder_stage"] = train_decoder_stage(model, ctc, data, recipe, run)
    return _evaluate_and_save(model, ctc, log, test, test_feats, run,
                              Path(out_dir) if out_dir else checkpoint_dir(recipe.name))


def run_decoder_stage(recipe: WhisperRecipe, run: RunOptions = RunOptions(), folder: Path | None = None) -> dict:
    """Run the decoder stage on a model folder saved by stage 1 only; its log.

    ``folder`` given: that folder, saved again in place. Otherwise the folder that
    ``pretrain_whisper(recipe, stage1_only=True)`` left in ``stage1_dir(name)`` (or, if there is
    none, ``checkpoint_dir(name)`` saved by a run without the decoder stage) becomes
    ``checkpoint_dir(name)``, and the stage-1 folder is removed once that is saved.
    """
    from transformers import WhisperForConditionalGeneration
    name = recipe.name
    if folder is not None:
        src = dest = Path(folder)
    else:
        src, dest = stage1_dir(name), checkpoint_dir(name)
        if not (src / "pretrain_log.json").is_file():
            src = dest
    log = json.loads((src / "pretrain_log.json").read_text())
    if "decoder_stage" in log:
        raise AudioscaleError(f"{src} already went through the decoder stage; retrain stage 1 first "
                              f"(audioscale pretrain --models {name} --stage1-only --resume).")
    model = WhisperForConditionalGeneration.from_pretrained(src, use_safetensors=True)
    ctc = load_ctc_head(src)
    data = training_set(recipe.n_train, recipe.seed)
    test, test_feats = _test_set(run)
    if not log.pop("awaiting_decoder_stage", False):  # a whole run's folder saved with decoder_steps=0
        log["stage1_eval_other"] = log.pop("final_eval_other")
        log.pop("final_eval_clean", None)
    log["decoder_stage"] = train_decoder_stage(model, ctc, data, recipe, run)
    log = _evaluate_and_save(model, ctc, log, test, test_feats, run, dest)
    if src != dest:
        shutil.rmtree(src)  # spent: a later decoder stage must not start from a stale stage 1
    return log


def _evaluate_and_save(model, ctc, log: dict, test, test_feats, run: RunOptions, folder: Path) -> dict:
    """The final evaluations (held-out "other" and "clean" voices) and the saved folder."""
    import transformers
    t1 = time.perf_counter()
    model.generation_config = generation_config()
    log["final_eval_other"] = evaluate(model, ctc, test, test_feats)
    log["final_eval_clean"] = evaluate(model, ctc, asr_corpus.load_test_set(run.eval_n, "clean", size=run.eval_size))
    log["eval_wall_s"] = round(time.perf_counter() - t1, 1)
    log["length_profile_other"] = asr_corpus.length_profile(test)
    log["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__}
    save_model_folder(folder, model.eval(), ctc, log)
    return log
