"""What a configuration costs: FLOPs under named conventions (``flops``) and parameter and
trainable-parameter counts (``params``), each checked against the paper's printed numbers."""
