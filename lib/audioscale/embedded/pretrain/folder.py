"""A mini Whisper as a model folder the generic pipeline reads offline: built fresh, saved,
and its CTC head loaded back.

A folder holds ``config.json`` + ``model.safetensors`` + ``generation_config.json`` +
``preprocessor_config.json`` + the word-level tokenizer, plus ``ctc_head.safetensors`` (the
encoder's sanity check) and ``pretrain_log.json``.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..models import feature_extractor, mini_whisper_config
from ..vocab import BOS_ID, EOS_ID, PAD_ID, word_tokenizer

MAX_DECODED_TOKENS = 48  # generate's max_length: sentences have <= 15 words


def build(name: str, seed: int = 0):
    """(a freshly initialised ``WhisperForConditionalGeneration``, its CTC head) for mini ``name``."""
    from transformers import WhisperForConditionalGeneration
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(mini_whisper_config(name))
    ctc = torch.nn.Linear(model.config.d_model, model.config.vocab_size)
    return model, ctc


def generation_config():
    """Greedy decoding from ``<s>`` to ``</s>``, none of Whisper's prompt or suppression."""
    from transformers import GenerationConfig
    return GenerationConfig(decoder_start_token_id=BOS_ID, bos_token_id=BOS_ID, eos_token_id=EOS_ID,
                            pad_token_id=PAD_ID, forced_decoder_ids=None, suppress_tokens=None,
                            begin_suppress_tokens=None, max_length=MAX_DECODED_TOKENS, do_sample=False, num_beams=1)


def save_model_folder(folder: Path, model, ctc, log: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.generation_config = generation_config()
    model.save_pretrained(folder, safe_serialization=True)
    feature_extractor().save_pretrained(folder)
    word_tokenizer().save_pretrained(folder)
    save_file({k: v.detach().contiguous() for k, v in ctc.state_dict().items()}, folder / "ctc_head.safetensors")
    (folder / "pretrain_log.json").write_text(json.dumps(log, indent=1) + "\n")
    return folder


def load_ctc_head(folder: str | Path) -> torch.nn.Linear:
    sd = load_file(Path(folder) / "ctc_head.safetensors")
    ctc = torch.nn.Linear(sd["weight"].shape[1], sd["weight"].shape[0])
    ctc.load_state_dict(sd)
    return ctc
