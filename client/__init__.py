"""Clients of the seq2drum gRPC server (the DAW helper). They need grpcio and protobuf only: of seq2drum they import
the stubs and the stdlib-only modules the helper shares with the command line (options, outputs, atomic), never
torch, numpy or music21. Installed as seq2drum.client; `python -m client.daw_helper` from a checkout."""

import os

# gRPC's own log lines (an SSL error chain for a wrong --tls-ca, at its default level) would precede the helper's
# one line naming the mistake and its fix (drum_client.connection_mistake): only its errors are shown. Read when gRPC
# loads, so it is set before any module here imports it; a GRPC_VERBOSITY the user set wins.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
