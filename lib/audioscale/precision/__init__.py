"""Precision as a fourth compute axis (xP) on real Whisper: fp32, bf16, int8 dynamic quantization.

- ``convert``: a model in a precision, the bytes it holds, the machine state a timing depends on;
- ``sweep``: the (model, precision, frames, stride) rows, one process per group for its peak RSS;
- ``report``: the precision table, frontiers against measured time and bytes, the paper's conclusions.
"""
