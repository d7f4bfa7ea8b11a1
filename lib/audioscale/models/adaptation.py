"""SER adaptation recipes, built in one place, each checking its trainable-parameter count.

Recipes (the projector + classifier head is always trainable):
- ``head-only``   backbone frozen.
- ``lora``        peft LoRA of rank r on ``target_modules`` in every transformer layer.
- ``lora+top-k``  LoRA everywhere plus the last k transformer layers fully trainable —
                  the paper's depth-aware recipe ("DAMA").
- ``top-k``       the last k transformer layers fully trainable, no LoRA.
- ``full``        everything; the CNN feature encoder frozen unless
                  ``freeze_feature_encoder=False`` (the paper's 315.7M counts it trainable).

Why ``inject_adapter_in_model`` and not ``get_peft_model``: it keeps the model's own class
and forward, so training, pooling and saving code is the same for every recipe. peft's
``layers_to_transform=k`` means the single layer index k (not "the top k"), so top-k
unfreezing is plain ``requires_grad`` toggling here.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import AudioscaleError, check_choice, check_int_range

RECIPES = ("head-only", "lora", "lora+top-k", "top-k", "full")
DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "out_proj")
_LORA_RECIPES = ("lora", "lora+top-k")
_TOPK_RECIPES = ("lora+top-k", "top-k")


@dataclass
class RecipeResult:
    model: object
    recipe: str
    rank: int | None
    top_k: int | None
    trainable_params: int
    total_params: int
    description: str


def _layers(model):
    return model.wav2vec2.encoder.layers


def _head_modules(model):
    return [model.projector, model.classifier]


UNKNOWN_DEPTH = 10**6  # n_layers passed by callers that validate before the backbone is loaded


def check_recipe_args(recipe: str, rank, top_k, n_layers: int):
    """Validate recipe parameters; returns (rank, top_k) normalised (None where unused)."""
    check_choice("recipe", recipe, RECIPES)
    if recipe in _LORA_RECIPES:
        if rank is None:
            raise AudioscaleError(f"recipe {recipe!r} needs a LoRA rank: pass rank >= 1 (the paper uses 8/16/32/64).")
        rank = check_int_range("rank", rank, 1, None, fix="LoRA rank must be a positive integer (e.g. 16).")
    else:
        rank = None
    if recipe in _TOPK_RECIPES:
        if top_k is None:
            raise AudioscaleError(f"recipe {recipe!r} needs top_k, the number of top layers to unfreeze (1..{n_layers}).")
        known = n_layers < UNKNOWN_DEPTH  # validated before the backbone is loaded: only the lower bound
        top_k = check_int_range("top_k", top_k, 1, n_layers if known else None,
                                fix=f"the backbone has {n_layers} transformer layers." if known else
                                "Unfreeze at least one layer (wav2vec2-base has 12, large-robust 24).")
    else:
        top_k = None
    return rank, top_k


def layer_param_count(hidden: int, ffn: int) -> int:
    """One wav2vec2 transformer layer: q,k,v,out (d²+d each), FFN (2·d·f + f + d), two LayerNorms."""
    return 4 * (hidden * hidden + hidden) + 2 * hidden * ffn + ffn + hidden + 2 * 2 * hidden


def expected_trainable_params(config, recipe: str, rank=None, top_k=None,
                              target_modules=DEFAULT_TARGETS) -> int | None:
    """Analytic trainable count for the head/LoRA/top-k recipes (None for ``full``).

    A second route to the same number as counting ``requires_grad`` tensors: the two must agree.
    """
    d, f, L = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    rank, top_k = check_recipe_args(recipe, rank, top_k, L)
    if recipe == "full":
        return None
    p = config.classifier_proj_size
    n = d * p + p + p * config.num_labels + config.num_labels
    if rank:
        per_module = {"q_proj": 2 * d, "k_proj": 2 * d, "v_proj": 2 * d, "out_proj": 2 * d,
                      "intermediate_dense": d + f, "output_dense": f + d}
        unknown = set(target_modules) - set(per_module)
        if unknown:
            raise AudioscaleError(f"target_modules {sorted(unknown)} unknown: choose from {sorted(per_module)}.")
        n += L * rank * sum(per_module[m] for m in target_modules)
    if top_k:
        n += top_k * layer_param_count(d, f)
    return n


def apply_recipe(model, recipe: str, rank: int | None = None, top_k: int | None = None,
                 alpha: int | None = None, target_modules=DEFAULT_TARGETS,
                 freeze_feature_encoder: bool = True, dropout: float = 0.0) -> RecipeResult:
    """Set up ``model`` (a ``Wav2Vec2ForSequenceClassification``) for ``recipe`` in place.

    LoRA alpha defaults to 2·r (scale 2), a common peft choice; the paper does not state it.
    """
    layers = _layers(model)
    rank, top_k = check_recipe_args(recipe, rank, top_k, len(layers))
    for prm in model.parameters():
        prm.requires_grad_(recipe == "full")
    if recipe == "full" and freeze_feature_encoder:
        model.freeze_feature_encoder()
    if rank:
        from peft import LoraConfig, inject_adapter_in_model
        cfg = LoraConfig(r=rank, lora_alpha=alpha if alpha is not None else 2 * rank,
                         target_modules=list(target_modules), lora_dropout=dropout, bias="none")
        model = inject_adapter_in_model(cfg, model)
        layers = _layers(model)
    if top_k:
        for layer in layers[len(layers) - top_k:]:
            for prm in layer.parameters():
                prm.requires_grad_(True)
    for module in _head_modules(model):
        for prm in module.parameters():
            prm.requires_grad_(True)

    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    expected = expected_trainable_params(model.config, recipe, rank, top_k, target_modules)
    if expected is not None and trainable != expected:
        raise AssertionError(f"recipe {recipe}: {trainable} trainable parameters, expected {expected}")
    parts = {"head-only": "projector+classifier",
             "lora": f"LoRA r={rank} on {','.join(target_modules)} in all {len(layers)} layers + head",
             "lora+top-k": f"LoRA r={rank} on {','.join(target_modules)} in all {len(layers)} layers"
                           f" + top {top_k} layers fully trainable + head",
             "top-k": f"top {top_k} layers fully trainable + head",
             "full": "all parameters" + (" except the CNN feature encoder" if freeze_feature_encoder else
                                         ", CNN feature encoder included")}
    return RecipeResult(model, recipe, rank, top_k, trainable, total, parts[recipe])
