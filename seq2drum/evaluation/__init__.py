"""Evaluation against the real drummers: metrics, baselines, scoring songs, the summary, the report and plots."""

# What --mode evaluate plays each song from (evaluation.inputs builds them); here, without imports, for the CLI's flag
INPUT_KINDS = ("guitar", "band", "primed")
