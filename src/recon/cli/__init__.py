"""The `recon` command line: one small module per command group; nothing happens at import."""
