"""The shipped model, default.pt, and its card (README.md); installed as package data in seq2drum/models/.
`python -m models.export_default` writes default.pt from a training run."""
