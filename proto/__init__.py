"""Generated gRPC stubs for `seq2drum.v1` (from seq2drum.proto; regenerate with `python proto/generate.py`).

Only server/ and client/ import them. This package imports nothing else, so the client runs with grpcio and
protobuf alone.
"""
