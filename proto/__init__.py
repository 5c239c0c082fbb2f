"""The service's contract, proto/seq2drum.proto, and its stub generator (`python -m proto.generate`).

A checkout-only package: the wheel does not install it (`proto` is proto-plus's import name). The generated stubs
live in seq2drum/rpc/ and import as `from seq2drum.rpc import seq2drum_pb2`.
"""
