"""Speech emotion recognition (SER): the paper's wav2vec2-on-CREMA-D study, and its embedded twin.

One concept per module:
- ``config``          ``SERConfig``: one configuration (backbone, data, duration, recipe, schedule)
- ``data``            CREMA-D's on-disk layout, speaker-independent splits, clip loading
- ``model``           backbone loading (hub id / short name / folder / random init), clip
                      batching (crop/pad to a duration) and the pooled forward (masked | all)
- ``train``           seeded, resumable training with early stopping; UA / WA / confusion matrix
- ``run``             one configuration -> one tidy result row (``ResultStore("ser_<scale>")``)
- ``emotion_corpus``  the embedded emotional-speech corpus (eSpeak prosody), in CREMA-D layout
- ``prosody``         a prosodic-feature baseline (pitch / energy / rate + logistic regression)
"""
