"""The command line (`seq2drum`, or `python main.py` from a checkout): flags in main.py, generation in infer.py,
the long modes (preprocess, train, evaluate, styles) in modes.py."""

import time

# when the command began: this package is the first thing main.py and the `seq2drum` script import, so the time infer
# prints counts the imports and the run, never what ran before the interpreter (`bash -c 'pip ... && python main.py'`
# runs python in bash's process, whose start /proc gives: the pip install was counted)
STARTED_S = time.perf_counter()
