"""Generated gRPC stubs for `seq2drum.v1`, from proto/seq2drum.proto (regenerate with `python -m proto.generate`).

Only the server, the DAW helper and their tests and benchmarks import them. This package imports nothing else, so
the helper runs with grpcio and protobuf alone.
"""
