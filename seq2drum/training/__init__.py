"""Training: the corpus of songs and its cache, batches, the training loop, calibration, several processes."""
