"""The command line (`seq2drum`, or `python main.py` from a checkout): flags in main.py, generation in infer.py,
the long modes (preprocess, train, evaluate, styles) in modes.py."""
