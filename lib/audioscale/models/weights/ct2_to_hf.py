"""CTranslate2 Whisper checkpoint -> transformers ``WhisperForConditionalGeneration`` folder.

CTranslate2 stores the same weights as OpenAI's checkpoint under other names, with three
layout changes that this module undoes:
- self-attention q, k, v are one matrix stacked on the output axis (``linear_0``), and its
  bias carries a zero slice for k (Whisper's keys have no bias);
- cross-attention k and v are one matrix (``attention/linear_1``), q stands alone
  (``attention/linear_0``);
- the output projection is an alias of the token embeddings (transformers ties them too).
The sinusoidal encoder positions are stored as a table (``position_encodings``), which is
what transformers keeps as ``embed_positions.weight``. Weights are widened to float32;
nothing is scaled (CTranslate2 does not pre-scale the queries).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from ...asr.system import MULTILINGUAL_VOCAB
from ...errors import AudioscaleError
from .ct2_format import Ct2Model

# transformers name (per layer, after "model.{stack}.layers.{i}.") <- CTranslate2 name
_LAYER_NORMS = {"self_attn_layer_norm": "self_attention/layer_norm", "final_layer_norm": "ffn/layer_norm",
                "encoder_attn_layer_norm": "attention/layer_norm"}
_LINEARS = {"self_attn.out_proj": "self_attention/linear_1", "fc1": "ffn/linear_0", "fc2": "ffn/linear_1",
            "encoder_attn.q_proj": "attention/linear_0", "encoder_attn.out_proj": "attention/linear_2"}


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def _n_layers(ct2: Ct2Model, stack: str) -> int:
    return len({k.split("/")[1] for k in ct2.variables
                if k.startswith(f"{stack}/layer_") and k.split("/")[1][len("layer_"):].isdigit()})


def _layer_state(ct2: Ct2Model, stack: str, i: int) -> dict[str, torch.Tensor]:
    src, dst = f"{stack}/layer_{i}/", f"model.{stack}.layers.{i}."
    cross = stack == "decoder"
    out = {}
    for hf, c in _LAYER_NORMS.items():
        if hf == "encoder_attn_layer_norm" and not cross:
            continue
        out[dst + hf + ".weight"] = _t(ct2.get(src + c + "/gamma"))
        out[dst + hf + ".bias"] = _t(ct2.get(src + c + "/beta"))
    for hf, c in _LINEARS.items():
        if hf.startswith("encoder_attn") and not cross:
            continue
        out[dst + hf + ".weight"] = _t(ct2.get(src + c + "/weight"))
        out[dst + hf + ".bias"] = _t(ct2.get(src + c + "/bias"))
    qkv_w = ct2.get(src + "self_attention/linear_0/weight")
    qkv_b = ct2.get(src + "self_attention/linear_0/bias")
    for name, w, b in zip("qkv", np.split(qkv_w, 3, axis=0), np.split(qkv_b, 3)):
        out[dst + f"self_attn.{name}_proj.weight"] = _t(w)
        if name != "k":
            out[dst + f"self_attn.{name}_proj.bias"] = _t(b)
        elif np.any(b):
            raise AudioscaleError(f"{src}self_attention/linear_0: the key bias is not zero; this is not a "
                                  "Whisper checkpoint as CTranslate2 writes it.")
    if cross:
        kv_w = ct2.get(src + "attention/linear_1/weight")
        kv_b = ct2.get(src + "attention/linear_1/bias")
        k_w, v_w = np.split(kv_w, 2, axis=0)
        k_b, v_b = np.split(kv_b, 2)
        if np.any(k_b):
            raise AudioscaleError(f"{src}attention/linear_1: the cross-attention key bias is not zero.")
        out[dst + "encoder_attn.k_proj.weight"] = _t(k_w)
        out[dst + "encoder_attn.v_proj.weight"] = _t(v_w)
        out[dst + "encoder_attn.v_proj.bias"] = _t(v_b)
    return out


def state_dict(ct2: Ct2Model) -> dict[str, torch.Tensor]:
    """transformers' state dict (``proj_out`` left to the tie with ``embed_tokens``)."""
    if ct2.spec != "WhisperSpec":
        raise AudioscaleError(f"CTranslate2 spec {ct2.spec!r} is not a Whisper model (expected 'WhisperSpec').")
    sd = {}
    for conv in ("conv1", "conv2"):
        sd[f"model.encoder.{conv}.weight"] = _t(ct2.get(f"encoder/{conv}/weight"))
        sd[f"model.encoder.{conv}.bias"] = _t(ct2.get(f"encoder/{conv}/bias"))
    for stack in ("encoder", "decoder"):
        sd[f"model.{stack}.embed_positions.weight"] = _t(ct2.get(f"{stack}/position_encodings/encodings"))
        sd[f"model.{stack}.layer_norm.weight"] = _t(ct2.get(f"{stack}/layer_norm/gamma"))
        sd[f"model.{stack}.layer_norm.bias"] = _t(ct2.get(f"{stack}/layer_norm/beta"))
        for i in range(_n_layers(ct2, stack)):
            sd.update(_layer_state(ct2, stack, i))
    sd["model.decoder.embed_tokens.weight"] = _t(ct2.get("decoder/embeddings/weight"))
    return sd


def _special_ids(tokenizer_json: dict) -> dict[str, int]:
    return {t["content"]: int(t["id"]) for t in tokenizer_json.get("added_tokens", [])}


def whisper_config(ct2: Ct2Model, special: dict[str, int]):
    """A ``WhisperConfig`` read off the checkpoint's shapes and its tokenizer's special ids."""
    from transformers import WhisperConfig

    emb = ct2.get("decoder/embeddings/weight")
    conv1 = ct2.get("encoder/conv1/weight")
    fc1 = ct2.get("encoder/layer_0/ffn/linear_0/weight")
    eot, sot = special["<|endoftext|>"], special["<|startoftranscript|>"]
    return WhisperConfig(
        vocab_size=emb.shape[0], num_mel_bins=conv1.shape[1], d_model=emb.shape[1],
        encoder_layers=_n_layers(ct2, "encoder"), decoder_layers=_n_layers(ct2, "decoder"),
        encoder_attention_heads=int(ct2.get("encoder/num_heads")),
        decoder_attention_heads=int(ct2.get("decoder/num_heads")),
        encoder_ffn_dim=fc1.shape[0], decoder_ffn_dim=ct2.get("decoder/layer_0/ffn/linear_0/weight").shape[0],
        max_source_positions=ct2.get("encoder/position_encodings/encodings").shape[0],
        max_target_positions=ct2.get("decoder/position_encodings/encodings").shape[0],
        bos_token_id=eot, eos_token_id=eot, pad_token_id=eot, decoder_start_token_id=sot,
        tie_word_embeddings=True)


def generation_config(config, ct2_config: dict, special: dict[str, int]):
    from transformers import GenerationConfig

    multilingual = config.vocab_size >= MULTILINGUAL_VOCAB
    gen = GenerationConfig(
        decoder_start_token_id=config.decoder_start_token_id, bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id,
        suppress_tokens=list(ct2_config.get("suppress_ids", [])),
        begin_suppress_tokens=list(ct2_config.get("suppress_ids_begin", [])),
        no_timestamps_token_id=special["<|notimestamps|>"], is_multilingual=multilingual,
        max_length=config.max_target_positions,
        alignment_heads=[list(h) for h in ct2_config.get("alignment_heads", [])])
    if multilingual:
        gen.lang_to_id = {t: i for t, i in special.items() if i in set(ct2_config.get("lang_ids", []))}
        gen.task_to_id = {"transcribe": special["<|transcribe|>"], "translate": special["<|translate|>"]}
    return gen


def convert(ct2: Ct2Model, ct2_folder: Path, out_dir: Path, extra_files: dict[str, str] | None = None) -> Path:
    """Write a transformers Whisper folder (safetensors, config, generation config, tokenizer,
    feature extractor) to ``out_dir`` atomically: into a temporary sibling first, renamed
    only once complete, so an interrupted conversion never leaves a folder that looks done.
    ``extra_files`` are written beside (e.g. a provenance note)."""
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperTokenizer
    from transformers.utils import logging as hf_logging

    tok_path = ct2_folder / "tokenizer.json"
    tok_json = json.loads(tok_path.read_text(encoding="utf-8"))
    special = _special_ids(tok_json)
    ct2_config = json.loads((ct2_folder / "config.json").read_text(encoding="utf-8"))
    config = whisper_config(ct2, special)
    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    missing, unexpected = model.load_state_dict(state_dict(ct2), strict=False, assign=True)
    missing = [m for m in missing if m != "proj_out.weight"]
    if missing or unexpected:
        raise AudioscaleError(f"{ct2_folder}: conversion left weights unmatched (missing {missing[:4]}, "
                              f"unexpected {unexpected[:4]}).")
    model.tie_weights()
    model.generation_config = generation_config(config, ct2_config, special)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it owner-only
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # "Writing model shards" bar: noise in logs and notebooks
    try:
        model.save_pretrained(tmp)
        tokenizer = WhisperTokenizer(tokenizer_file=str(tok_path))
        tokenizer.save_pretrained(tmp)
        WhisperFeatureExtractor(feature_size=config.num_mel_bins).save_pretrained(tmp)
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        for f in tmp.iterdir():
            f.chmod(0o644)  # save_pretrained writes the weights owner-only
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    return out_dir
