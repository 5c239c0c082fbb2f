"""Example input: riff.mid, and the script that builds it (`python -m examples.make_example`)."""
