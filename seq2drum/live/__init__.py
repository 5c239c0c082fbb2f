"""live: play along bar by bar while the band plays. api.py is the contract (notes in, drums out, the drummer that
decides one bar at a time from a small state); the causal model, the session's musician logic (silence, skipped bars,
tempo and meter changes), the gRPC stream and the helper's `--live` / `--simulate` build on it."""
