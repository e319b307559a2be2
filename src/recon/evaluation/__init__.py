"""Pairwise evaluation of user models: judges, win rates with intervals, reference metrics, human checks."""
