"""Dated studies: scripts that measure a question, each with the page under docs/experiments/ it wrote."""
