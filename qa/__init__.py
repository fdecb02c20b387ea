"""Question → short answer whose every sentence cites the report."""
