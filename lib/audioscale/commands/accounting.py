"""`audioscale flops` and `audioscale params`: the compute-accounting tables."""
from __future__ import annotations

import sys

import pandas as pd


def _emit(df: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        df.to_csv(sys.stdout, index=False, lineterminator="\n", float_format="%.4f")
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_rows", 200):
            print(df.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def _flops(args) -> int:
    from ..accounting.flops import compare_with_paper, paper_config_table
    df = compare_with_paper(paper_config_table(args.convention, args.decoded_tokens))
    df.insert(0, "convention", args.convention)
    _emit(df, args.format)
    return 0


def _params(args) -> int:
    from ..accounting.params import model_params_table, paper_trainable_table, recipe_search
    for title, df in (("model parameters (ours: transformers count; paper: nominal)", model_params_table()),
                      ("trainable parameters of the paper's SER adaptation rows", paper_trainable_table()),
                      ("recipes for the paper's reported trainable counts (match = within 1 %)", recipe_search())):
        if args.format == "table":
            print(f"\n## {title}")
        _emit(df, args.format)
    return 0


def register(sub) -> None:
    from ..accounting.flops import CONVENTIONS

    p = sub.add_parser("flops", help="FLOPs of every paper configuration beside the paper's",
                       description="GFLOPs per utterance (ASR) or clip (SER) of every configuration in the paper's "
                                   "tables, ours beside the paper's with the difference and a verdict.",
                       epilog="examples:\n  audioscale flops --convention paper --format csv\n"
                              "  audioscale flops --convention measured")
    p.add_argument("--convention", choices=CONVENTIONS, default="paper",
                   help="paper: the paper's formula; matmul: every matmul of a KV-cached decoder counted "
                        "exactly; measured: torch's FlopCounterMode on meta-device models")
    p.add_argument("--format", choices=("table", "csv"), default="table", help="output format on stdout")
    p.add_argument("--decoded-tokens", type=int, default=10,
                   help="decoder positions per utterance (the paper's formula implies 10)")
    p.set_defaults(func=_flops)
    p = sub.add_parser("params", help="parameter and trainable-parameter tables",
                       description="Parameters of every model (ours beside the paper's), trainable parameters of "
                                   "the paper's SER adaptation rows, and the recipes that give its counts.")
    p.add_argument("--format", choices=("table", "csv"), default="table", help="output format on stdout")
    p.set_defaults(func=_params)
