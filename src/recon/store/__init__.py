"""SQLite storage: the LM call cache and the call log (one database in $RECON_HOME)."""
