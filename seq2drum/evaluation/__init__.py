"""Evaluation against the real drummers: metrics, baselines, scoring songs, the summary, the report and plots."""
