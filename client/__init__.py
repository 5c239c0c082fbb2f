"""Clients of the seq2drum gRPC server (the DAW helper). They need grpcio and protobuf only: of seq2drum they import
the stubs and the stdlib-only modules the helper shares with the command line (options, outputs, atomic), never
torch, numpy or music21. Installed as seq2drum.client; `python -m client.daw_helper` from a checkout."""
