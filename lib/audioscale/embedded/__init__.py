"""The embedded world: speech we synthesize ourselves and small models we pretrain on it.

Everything here runs offline on a CPU: ``speech`` wraps eSpeak NG (bundled by the
``espeakng-loader`` wheel) in-process, ``vocab`` holds the closed 32-word vocabulary and its
tokenizer, ``text`` draws sentences from it, ``asr_corpus`` builds the seeded train/test
corpora, ``models`` names the mini model family, and ``pretrain`` trains it
(docs/pretraining.md is its log).
"""
