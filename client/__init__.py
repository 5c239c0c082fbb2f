"""Clients of the seq2drum gRPC server. They import grpcio and protobuf only (no torch, no music21)."""
