"""The method: synthesis, the leakage guard, reconstruction scoring, selection, GRPO rewards, user models."""
