"""The known-latent benchmark: synthetic individuals whose reasons we know (generator, matcher, run)."""
