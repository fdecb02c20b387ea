"""Documents → cleaned text → section-aware chunks (the first stage of the pipeline)."""
