"""Parameter counts and adaptation recipes (two routes: counting tensors and the analytic formula)."""
import pytest
import torch

from audioscale.accounting import params
from audioscale.models.adaptation import apply_recipe, expected_trainable_params
from audioscale.models.architectures import build_wav2vec2, build_whisper, count_params, wav2vec2_config
from audioscale.errors import AudioscaleError

TRANSFORMERS_COUNTS_M = {"tiny": 37.76064, "small": 241.734912, "medium": 763.85792, "large-v3": 1543.49056}


@pytest.mark.parametrize("name,expected_m", TRANSFORMERS_COUNTS_M.items())
def test_whisper_counts_on_meta(name, expected_m):
    model = build_whisper(name)
    assert next(model.parameters()).device.type == "meta"  # never materialized
    assert count_params(model) == round(expected_m * 1e6)


def test_paper_trainable_counts_found_within_one_percent():
    search = params.recipe_search()
    hits = search[search.match]
    best = {m: g.loc[(g.ratio - 1).abs().idxmin()] for m, g in search.groupby("model")}
    assert "out_proj" in best["wav2vec2-base"]["modules"]  # q,k,v,out is the closest
    assert abs(best["wav2vec2-base"]["trainable_m"] - 29.7) < 0.05
    assert "CNN feature encoder included" in best["wav2vec2-large-robust"]["modules"]
    assert abs(best["wav2vec2-large-robust"]["trainable_m"] - 315.7) < 0.01
    assert len(hits) >= 2


def test_dama_base_exact_count():
    r = apply_recipe(build_wav2vec2("wav2vec2-base"), "lora+top-k", rank=16, top_k=4)
    assert r.trainable_params == 29_729_542


@pytest.mark.parametrize("recipe,rank,top_k", [("head-only", None, None), ("lora", 8, None),
                                               ("lora+top-k", 16, 2), ("top-k", None, 3)])
def test_recipes_match_analytic_count_on_tiny_real_model(recipe, rank, top_k):
    cfg = wav2vec2_config("wav2vec2-base", hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                          intermediate_size=64, conv_dim=(16,) * 7, num_conv_pos_embeddings=16,
                          num_conv_pos_embedding_groups=2, classifier_proj_size=8)
    r = apply_recipe(build_wav2vec2(cfg, device="cpu"), recipe, rank, top_k)
    assert r.trainable_params == expected_trainable_params(cfg, recipe, rank, top_k)
    out = r.model(input_values=torch.randn(2, 8000))
    out.logits.sum().backward()  # gradients reach exactly the trainable tensors
    grads = {n for n, p in r.model.named_parameters() if p.grad is not None}
    trainable = {n for n, p in r.model.named_parameters() if p.requires_grad}
    assert grads <= trainable and any("classifier" in n for n in grads)


def test_full_recipe_freezes_cnn_by_default():
    frozen = apply_recipe(build_wav2vec2("wav2vec2-large-robust"), "full").trainable_params
    unfrozen = apply_recipe(build_wav2vec2("wav2vec2-large-robust"), "full", freeze_feature_encoder=False).trainable_params
    assert unfrozen == 315_702_662 and frozen < unfrozen


@pytest.mark.parametrize("kwargs,needle", [
    (dict(recipe="dama"), "recipe='dama'"),
    (dict(recipe="lora", rank=0), "rank=0"),
    (dict(recipe="lora", rank=-4), "rank=-4"),
    (dict(recipe="lora"), "needs a LoRA rank"),
    (dict(recipe="top-k", top_k=13), "top_k=13"),
    (dict(recipe="lora+top-k", rank=8, top_k=0), "top_k=0"),
])
def test_bad_recipe_input(kwargs, needle):
    with pytest.raises(AudioscaleError, match=needle):
        apply_recipe(build_wav2vec2("wav2vec2-base"), **kwargs)


def test_model_table_has_paper_beside_ours():
    df = params.model_params_table()
    row = df[df.model == "large-v3"].iloc[0]
    assert row.paper_params_m == 1540 and abs(row.ratio - 1) < 0.01
