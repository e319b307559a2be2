"""LM backends behind one interface: `generate` and `logprob`, both batched (see base.py)."""
