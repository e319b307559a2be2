"""Thin adapters over TRL: supervised fine-tuning of user models (sft.py)."""
