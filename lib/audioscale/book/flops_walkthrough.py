"""The numbers of the book's FLOPs walk-through, computed when the book is built.

One configuration, Whisper small at the full window and stride 2, goes through the paper's
formula term by term (``audioscale.accounting.flops``, convention ``paper``):

    24·d²·L·T  +  2·L·d·T²  +  n·(4·d²·L·T/s + 20·d²·L)

Each term is shown three ways: the formula, the formula with this configuration's numbers,
and the library's value for that part. The product written out is recomputed here and must
equal the library's part, so the page cannot drift from the code that the notebooks use.
The same configuration is then counted under ``matmul`` (what a cached decoder really does),
and one SER configuration under the paper's ``2·N·50·duration_s``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

MODEL, FRAMES, STRIDE = "small", 1500, 2
SER_MODEL, SER_DURATION_S = "wav2vec2-base", 4.0


@dataclass
class Term:
    part: str        # the library's part name (FlopsBreakdown.parts key)
    what: str        # what the term counts
    formula: str
    numbers: str     # the formula with this configuration's numbers
    product: float   # the numbers multiplied out here
    gflops: float    # the library's value


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if v >= 1e4 else f"{v:g}"


def asr_terms(model: str = MODEL, frames: int = FRAMES, stride: int = STRIDE,
              decoded_tokens: int | None = None) -> tuple[dict, list[Term], float]:
    """(the configuration's symbols, its terms, the paper's printed GFLOPs or nan)."""
    from .. import paper
    from ..accounting import flops
    from ..models.architectures import whisper_config

    n = flops.PAPER_DECODED_TOKENS if decoded_tokens is None else decoded_tokens
    cfg = whisper_config(model)
    d, le, ld, t, s = cfg.d_model, cfg.encoder_layers, cfg.decoder_layers, frames, stride
    parts = flops.asr_flops(model, t, s, n, "paper").gflops()
    terms = [
        Term("encoder_proj_mlp", "① encoder: projections and MLP", "24·d²·L_enc·T",
             f"24 × {d}² × {le} × {t}", 24.0 * d * d * le * t, parts["encoder_proj_mlp"]),
        Term("encoder_attention", "② encoder: attention products", "2·L_enc·d·T²",
             f"2 × {le} × {d} × {t}²", 2.0 * le * d * t * t, parts["encoder_attention"]),
        Term("cross_attention_kv", "③ decoder: cross-attention keys and values", "n·4·d²·L_dec·T/s",
             f"{n} × 4 × {d}² × {ld} × {t}/{s}", n * 4.0 * d * d * ld * t / s, parts["cross_attention_kv"]),
        Term("decoder_per_token", "④ decoder: the rest of each step", "n·20·d²·L_dec",
             f"{n} × 20 × {d}² × {ld}", n * 20.0 * d * d * ld, parts["decoder_per_token"]),
    ]
    for term in terms:
        term.product /= 1e9
        if not math.isclose(term.product, term.gflops, rel_tol=1e-12):
            raise AssertionError(f"{term.part}: the page's {term.numbers} = {term.product} GFLOPs, "
                                 f"the library's {term.gflops}: audioscale.accounting.flops changed its formula")
    counted = {t.part for t in terms}
    if any(v for k, v in parts.items() if k not in counted):
        raise AssertionError(f"the paper convention has parts the page does not show: {parts}")
    printed = paper.asr_table()
    row = printed[(printed.model == model) & (printed.encoder_frames == frames) & (printed.stride == stride)]
    symbols = dict(model=model, d=d, L_enc=le, L_dec=ld, T=t, s=s, n=n, tokens=t // s)
    return symbols, terms, float(row.gflops.iloc[0]) if len(row) else float("nan")


def substitutions() -> dict[str, str]:
    """MyST substitutions for ``book/flops-walkthrough.md``: every number on the page."""
    from .. import paper
    from ..accounting import flops

    sym, terms, printed = asr_terms()
    total = sum(t.gflops for t in terms)
    rows = ["| term | formula | with the numbers | GFLOPs | share |", "|---|---|---|--:|--:|"]
    for t in terms:
        rows.append(f"| {t.what} | `{t.formula}` | {t.numbers} | {t.gflops:.2f} | {100 * t.gflops / total:.1f} % |")
    rows.append(f"| **total** | | | **{total:.2f}** | 100 % |")

    stride1 = flops.asr_flops(sym["model"], sym["T"], 1, sym["n"], "paper").total_gflops
    matmul = flops.asr_flops(sym["model"], sym["T"], sym["s"], sym["n"], "matmul")
    m_rows = ["| part | GFLOPs (`matmul`) | GFLOPs (`paper`) |", "|---|--:|--:|"]
    paper_parts = flops.asr_flops(sym["model"], sym["T"], sym["s"], sym["n"], "paper").gflops()
    for part, value in matmul.gflops().items():
        m_rows.append(f"| `{part}` | {value:.2f} | {paper_parts[part]:.2f} |")
    m_rows.append(f"| **total** | **{matmul.total_gflops:.2f}** | **{total:.2f}** |")

    n_params = flops.ser_param_count(SER_MODEL)
    ser = flops.ser_flops(SER_MODEL, SER_DURATION_S, "paper").total_gflops
    ser_printed = paper.ser_table()
    ser_row = ser_printed[(ser_printed.model == SER_MODEL) & (ser_printed.duration_s == SER_DURATION_S)]
    ser_paper = float(ser_row.gflops.iloc[0]) if len(ser_row) else float("nan")
    return {
        "fw_model": sym["model"], "fw_d": str(sym["d"]), "fw_L_enc": str(sym["L_enc"]),
        "fw_L_dec": str(sym["L_dec"]), "fw_T": str(sym["T"]), "fw_s": str(sym["s"]), "fw_n": str(sym["n"]),
        "fw_tokens": str(sym["tokens"]),
        "fw_terms_table": "\n".join(rows),
        "fw_total": f"{total:.2f}", "fw_paper": f"{printed:.1f}", "fw_delta": f"{total - printed:+.2f}",
        "fw_verdict": "match" if abs(total - printed) <= 0.05 + 1e-9 else "differs",
        "fw_stride1_total": f"{stride1:.2f}", "fw_stride_saving_pct": f"{100 * (1 - total / stride1):.1f}",
        "fw_kv_share_pct": f"{100 * terms[2].gflops / total:.1f}",
        "fw_matmul_table": "\n".join(m_rows), "fw_matmul_total": f"{matmul.total_gflops:.2f}",
        "fw_matmul_ratio": f"{matmul.total_gflops / total:.2f}",
        "fw_ser_model": SER_MODEL, "fw_ser_duration": f"{SER_DURATION_S:g}", "fw_ser_params": _fmt(n_params),
        "fw_ser_frames": f"{50 * SER_DURATION_S:g}", "fw_ser_total": f"{ser:.2f}", "fw_ser_paper": f"{ser_paper:.1f}",
        "fw_ser_delta": f"{ser - ser_paper:+.2f}",
        "fw_ser_verdict": "match" if abs(ser - ser_paper) <= 0.05 + 1e-9 else "differs",
    }
