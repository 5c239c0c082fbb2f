"""Training: batches of the corpus (`song.corpus`), the training loop, calibration and the live tuning, several
processes."""
