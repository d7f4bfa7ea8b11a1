"""An ASR "system": a Whisper model with its feature extractor, tokenizer and decoder prompt.

Loaded from a hub id, a short name (tiny … large-v3) or a local folder saved with
``save_pretrained`` (safetensors only, no remote code). The folder must also hold the
feature extractor (``preprocessor_config.json``) and the tokenizer.

Decoder prompt:
- a real multilingual Whisper tokenizer (it has ``<|startoftranscript|>``): the four tokens
  ``<|startoftranscript|><|en|><|transcribe|><|notimestamps|>`` — English transcription
  without timestamps, the protocol of the paper's LibriSpeech numbers;
- an English-only Whisper (vocabulary of 51864, e.g. tiny.en): ``<|startoftranscript|>
  <|notimestamps|>``, as openai/whisper builds its prompt (no language or task token);
- any other tokenizer (the embedded world's word-level ``PreTrainedTokenizerFast``): just
  the model's ``decoder_start_token_id``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..models.architectures import load_whisper, resolve_source
from ..errors import AudioscaleError, check_choice
from ..models.whisper_axes import encoder_frames_of

WHISPER_PROMPT_TOKENS = ("<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>")
ENGLISH_ONLY_PROMPT_TOKENS = ("<|startoftranscript|>", "<|notimestamps|>")
MULTILINGUAL_VOCAB = 51865  # English-only checkpoints (tiny.en ...) have 51864 tokens
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


@dataclass
class AsrSystem:
    model: object  # WhisperForConditionalGeneration, eval mode
    feature_extractor: object  # WhisperFeatureExtractor
    tokenizer: object
    source: str  # as given (short name, hub id or folder)
    prompt_ids: list[int]
    eos_token_id: int
    full_encoder_frames: int  # the checkpoint's own window (1500 for real Whisper)
    device: str = "cpu"
    dtype: str = "float32"
    suppress_tokens: list[int] = field(default_factory=list)
    begin_suppress_tokens: list[int] = field(default_factory=list)

    @property
    def config(self):
        return self.model.config

    @property
    def window_s(self) -> float:
        """Audio seconds the full encoder window covers (30 s for real Whisper)."""
        fe = self.feature_extractor
        return fe.n_samples / fe.sampling_rate

    @property
    def encoder_frames(self) -> int:
        return encoder_frames_of(self.model)


def _load_part(kind: str, loader, ref: str, source: str):
    try:
        return loader(ref)
    except (OSError, ValueError, KeyError) as e:
        raise AudioscaleError(
            f"could not load the {kind} of {source!r} ({type(e).__name__}: {str(e).splitlines()[0][:160]}). "
            f"Fix: the model folder must hold the {kind} saved with save_pretrained, or use a hub id "
            "where the hub is reachable.") from None


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_system(source, device: str | None = None, dtype: str = "float32") -> AsrSystem:
    """Model + feature extractor + tokenizer + prompt, ready for ``decode.transcribe``.

    ``dtype`` float16/bfloat16 is for GPUs; on CPU use float32.
    """
    from transformers import AutoFeatureExtractor, AutoTokenizer

    source = str(source)
    device = device or default_device()
    check_choice("device", device, ("cpu", "cuda"))
    check_choice("dtype", dtype, tuple(DTYPES))
    if device == "cuda" and not torch.cuda.is_available():
        raise AudioscaleError("device='cuda' but no CUDA GPU is visible. Fix: use device='cpu'.")
    ref = resolve_source(source)
    # sdpa: the fused attention kernel is ~2x faster than eager on the 1500-frame encoder (CPU)
    model = load_whisper(source, attn_implementation="sdpa")
    fe = _load_part("feature extractor", AutoFeatureExtractor.from_pretrained, ref, source)
    tok = _load_part("tokenizer", AutoTokenizer.from_pretrained, ref, source)
    if getattr(fe, "feature_size", model.config.num_mel_bins) != model.config.num_mel_bins:
        raise AudioscaleError(f"{source!r}: feature extractor makes {fe.feature_size} mel bins but the model "
                              f"expects {model.config.num_mel_bins}. Fix: save the matching feature extractor.")
    model = model.to(device=device, dtype=DTYPES[dtype]).eval()
    gen = model.generation_config
    prompt = prompt_ids(tok, model)
    eos = gen.eos_token_id if gen.eos_token_id is not None else model.config.eos_token_id
    if isinstance(eos, (list, tuple)):
        eos = eos[0]
    return AsrSystem(model=model, feature_extractor=fe, tokenizer=tok, source=source, prompt_ids=prompt,
                     eos_token_id=int(eos), full_encoder_frames=encoder_frames_of(model), device=device,
                     dtype=dtype, suppress_tokens=list(gen.suppress_tokens or []),
                     begin_suppress_tokens=list(gen.begin_suppress_tokens or []))


def prompt_ids(tokenizer, model) -> list[int]:
    """The decoder prompt (see module docstring)."""
    vocab = tokenizer.get_vocab()
    if WHISPER_PROMPT_TOKENS[0] in vocab and model.config.vocab_size < MULTILINGUAL_VOCAB:
        # English-only Whisper (tiny.en ...): its prompt has no language or task token
        return [int(vocab[t]) for t in ENGLISH_ONLY_PROMPT_TOKENS]
    if WHISPER_PROMPT_TOKENS[0] in vocab:
        missing = [t for t in WHISPER_PROMPT_TOKENS if t not in vocab]
        if missing:
            raise AudioscaleError(f"Whisper tokenizer lacks {missing}: an English-only or broken tokenizer. "
                                  "Fix: use the multilingual Whisper tokenizer saved with the model.")
        return [int(vocab[t]) for t in WHISPER_PROMPT_TOKENS]
    start = model.generation_config.decoder_start_token_id
    if start is None:
        start = model.config.decoder_start_token_id
    if start is None:
        raise AudioscaleError("the model has no decoder_start_token_id in its config. Fix: set it in config.json.")
    return [int(start)]
