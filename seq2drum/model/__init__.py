"""The network (torch) and its numpy twin, the scores it gives a song, checkpoints, and the torch-free fast-start
cache."""
