"""Question sets, retrieval and answer metrics, reports and plots."""
