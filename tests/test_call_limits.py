"""server/call_limits.py for real on port 0: unauthenticated health Watch streams cannot take the slots the calls
that carry the token need (issue 42, 1)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from seq2drum.rpc import seq2drum_pb2 as pb
from seq2drum.rpc import seq2drum_pb2_grpc
from server.workers import ModelSource
from tests.builders import rock_song_bytes
from tests.test_server import TEST_CONFIG, TIMEOUT_S, connect, running_server

TOKEN = (("authorization", "Bearer s3cret"),)


def test_health_watch_streams_without_a_token_leave_room_for_authenticated_calls(tiny_model_path: Path) -> None:
    """Issue 42, 1: 110 health Watch streams without the token took gRPC's one cap of 100 calls, and every call,
    authenticated Generate and health Check included, got RESOURCE_EXHAUSTED. Now Watch streams have a room of their
    own (max_health_watches): one more is refused naming the limit, and Generate, GetModelInfo and Check answer."""
    config = dataclasses.replace(TEST_CONFIG, token="s3cret", max_concurrent_calls=20, max_health_watches=4)
    with running_server(ModelSource(tiny_model_path), config) as server, connect(server) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        watches = [health.Watch(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_S) for _ in range(30)]
        served, refused = 0, []
        for watch in watches:
            try:
                assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
                served += 1
            except grpc.RpcError as error:
                refused.append((error.code(), error.details()))
        assert served == 4
        assert {code for code, _ in refused} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
        assert "4 health watches in flight already, its limit" in refused[0][1]
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        assert stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=TIMEOUT_S, metadata=TOKEN).limits.max_job_s > 0
        response = stub.Generate(pb.GenerateRequest(midi=rock_song_bytes(4)), timeout=TIMEOUT_S, metadata=TOKEN)
        assert response.metadata.bars == 4
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_S).status == (
            health_pb2.HealthCheckResponse.SERVING)
        for watch in watches:
            watch.cancel()


def test_calls_past_the_cap_are_refused_naming_it() -> None:
    """The calls that carry the token keep their cap (max_concurrent_calls): past it, RESOURCE_EXHAUSTED says so."""
    from server.call_limits import CallLimits

    limits = CallLimits(max_calls=1, max_health_watches=1)
    assert limits.enter("calls") == ""
    assert "1 calls in flight already, its limit" in limits.enter("calls")
    limits.leave("calls")
    assert limits.enter("calls") == ""
    with pytest.raises(KeyError):
        limits.enter("unknown kind")
