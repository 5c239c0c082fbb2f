"""`python main.py ...` from a checkout: the same command as the installed `seq2drum` (seq2drum/cli/)."""

if __name__ == "__main__":
    from seq2drum.cli.main import console

    raise SystemExit(console())
