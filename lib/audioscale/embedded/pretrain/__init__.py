"""Pretraining of the embedded world's mini models on the synthetic corpus (CPU, seeded, resumable).

    from audioscale.embedded import pretrain as P
    P.pretrain_whisper(P.WhisperRecipe("tiny"))          # stage 1, decoder stage, checkpoints/asr-mini-tiny
    P.pretrain_wav2vec2(P.SerRecipe(), resume=True)     # checkpoints/ser-backbone-mini

Modules: ``recipe`` (what a run trains, its resume keys, ``RunOptions``), ``schedule`` (each
step's batch, window, learning rate), ``features`` (the cached log-mel training set),
``stage1``, ``decoder_stage``, ``whisper`` (the two stages to a checkpoint folder),
``ser_backbone``, ``evaluation``, ``folder`` (model folders), ``state`` (resumable training
state). Each saved model is a folder the generic pipeline reads offline. The families
trained so far, the probes behind each choice and their timings: docs/pretraining.md.
"""
from .decoder_stage import decoder_stage_mode, decoder_stage_step
from .evaluation import ctc_greedy, evaluate, word_error_rate
from .features import log_mel, prepare_corpora, train_features, training_set
from .folder import build, generation_config, load_ctc_head, save_model_folder
from .recipe import (ALIGN_WEIGHT, DEFAULT_STAGE1_BATCHES, DEFAULT_STEPS, SER_EVAL_N, SER_STEPS, SER_TEACHER,
                     SER_TRAIN_POOL, STAGE1_BATCHES, RunOptions, SerKey, SerRecipe, Stage1Key, WhisperRecipe,
                     check_models)
from .schedule import stage1_schedule
from .ser_backbone import pretrain_wav2vec2, teacher_dir
from .stage1 import stage1_step
from .state import stage1_dir, state_path
from .whisper import pretrain_whisper, run_decoder_stage

__all__ = [
    "ALIGN_WEIGHT", "DEFAULT_STAGE1_BATCHES", "DEFAULT_STEPS", "SER_EVAL_N", "SER_STEPS", "SER_TEACHER",
    "SER_TRAIN_POOL", "STAGE1_BATCHES", "RunOptions", "SerKey", "SerRecipe", "Stage1Key", "WhisperRecipe", "build", "check_models",
    "ctc_greedy", "decoder_stage_mode", "decoder_stage_step", "evaluate", "generation_config", "load_ctc_head",
    "log_mel", "prepare_corpora", "pretrain_wav2vec2", "pretrain_whisper", "run_decoder_stage",
    "save_model_folder", "stage1_dir", "stage1_schedule", "stage1_step", "state_path", "teacher_dir",
    "train_features", "training_set", "word_error_rate",
]
