"""Thin adapters over TRL: supervised fine-tuning of user models (sft.py) and GRPO (grpo.py), with the
model loading, LoRA and step callbacks they share (common.py)."""
