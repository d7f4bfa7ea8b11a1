"""ASR evaluation: Whisper at (model size, encoder frames T, stride s) scored by WER.

One concept per module:
- ``config``  ``AsrConfig``: one configuration as asked for, checked before loading
- ``data``    evaluation sets (LibriSpeech-layout folder, manifest folder, hub id)
- ``system``  model + feature extractor + tokenizer + decoder prompt
- ``decode``  batched greedy/beam decoding with xT windowing and xV stride subsampling
- ``wer``     pinned normalizer + corpus WER (substitutions / deletions / insertions)
- ``run``     one configuration -> one tidy result row; the paper and embedded sweeps
- ``toy``     random-init systems and synthetic LibriSpeech folders (offline tests/benchmarks)
- ``duration`` how much of the 750-frame penalty the duration distribution explains
- ``report``  tables and figures of notebooks 01-03 (ours beside the paper's)
- ``read_aloud`` test-other's real text read by a synthetic neural voice at real durations
- ``real``    real Whisper (tiny.en, base) over the paper's axes and decoding guards
- ``real_report`` tables and the figure of the real rows, beside the paper's
"""
