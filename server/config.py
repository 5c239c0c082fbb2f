"""The server's limits (`ServerConfig`): one frozen set of numbers, checked when it is made, that `python -m server`'s
flags map onto and every part of the server reads (the app, the servicer, the PlayAlong streams, the converters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from seq2drum.credentials import check_token
from seq2drum.errors import ConfigError
from seq2drum.midi.limits import MAX_SONG_QUARTERS, ReadLimits

from .memory import MiB

MESSAGE_ENVELOPE_BYTES = 4096  # room for the metadata next to the MIDI bytes in one message


@dataclass(frozen=True)
class ServerConfig:
    """Limits of one server. `python -m server` flags map onto these."""

    workers: int = 2  # worker processes = songs generated at the same time
    max_waiting: int = 8  # requests that wait, first come first served, for a busy worker; one more gets UNAVAILABLE
    max_message_bytes: int = 16 * MiB  # one gRPC message, either direction (Generate's whole file)
    max_stream_bytes: int = 64 * MiB  # one GenerateStream upload in all
    max_song_quarters: int = MAX_SONG_QUARTERS  # the library's limit, or lower: the encoder refuses past it anyway
    stream_chunk_bytes: int = 1 * MiB  # size of the chunks GenerateStream answers with
    max_uploads: int = 4  # GenerateStream uploads received at the same time; one more gets UNAVAILABLE
    upload_idle_s: float = 10.0  # longest wait for the next chunk of an upload
    upload_total_s: float = 300.0  # longest time one upload may take in all
    min_upload_bytes_per_s: float = 16 * 1024  # slowest upload, on average, once upload_grace_s have passed
    upload_grace_s: float = 5.0
    max_job_s: float = 60.0  # longest a song may hold a worker, whatever the client's deadline (or with none)
    max_concurrent_calls: int = 100  # calls but health in flight; past it RESOURCE_EXHAUSTED (server.call_limits)
    max_health_watches: int = 16  # health Watch streams open at once (open to anyone: their own room)
    recycle_mib: float = 32.0  # a worker that grew more than this over its idle memory is replaced after its job
    # a worker whose resident memory passes this mid-job is stopped and replaced (server.pool's watchdog): the most
    # of the machine one song can take (a 1,000-bar song needs about 150 MiB beside the model)
    max_worker_mib: float = 1024.0
    torch_threads: int = 1  # per worker
    read_limits: ReadLimits = field(default_factory=ReadLimits)  # notes, events, tempo and meter changes
    tls_cert: Path | None = None  # PEM certificate (chain) and its key: TLS instead of plain text
    tls_key: Path | None = None
    token: str = field(default="", repr=False)  # every call but health must carry it (server.security)
    reflection: bool = True  # the reflection service, for grpcurl and the like
    max_streams: int = 4  # PlayAlong streams open at once; one more gets RESOURCE_EXHAUSTED
    max_streams_per_peer: int = 2  # of those, the most one address holds (at most max_streams: all of them)
    # a stream whose player has sent no note for this long is ended when another asks for a slot and none is free
    live_rest_s: float = 30.0
    live_idle_s: float = 10.0  # longest a PlayAlong stream may send nothing (or 2 bars at its tempo, if longer)
    live_max_idle_s: float = 60.0  # longest a PlayAlong stream may send nothing, whatever its bars' length
    # longest a PlayAlong answer may wait for its player to read it; past it the player's connection is closed (gRPC
    # cannot end a call whose answers wait unread: server/connections.py)
    live_unread_s: float = 10.0
    live_notice: str = ""  # what a player should know of this server's live drummer (a stand-in loop)

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 256:
            raise ConfigError(f"workers must be 1-256, got {self.workers}")
        if not 1024 <= self.max_message_bytes <= 1024 * MiB:
            raise ConfigError(f"max_message_bytes must be 1 KiB - 1 GiB, got {self.max_message_bytes}")
        if self.max_stream_bytes < self.max_message_bytes:
            raise ConfigError(
                f"max_stream_bytes ({self.max_stream_bytes}) must be at least "
                f"max_message_bytes ({self.max_message_bytes})"
            )
        if not 1 <= self.max_song_quarters <= MAX_SONG_QUARTERS:
            # a higher limit would be advertised by GetModelInfo and then refused by the library's encoder
            raise ConfigError(f"max_song_quarters must be 1-{MAX_SONG_QUARTERS} (the library's song-length limit), "
                              f"got {self.max_song_quarters}")
        if not 1 <= self.stream_chunk_bytes <= self.max_message_bytes - MESSAGE_ENVELOPE_BYTES:
            raise ConfigError(
                f"stream_chunk_bytes must be 1 - {self.max_message_bytes - MESSAGE_ENVELOPE_BYTES}, "
                f"got {self.stream_chunk_bytes}"
            )
        if not 1 <= self.max_uploads <= 1024:
            raise ConfigError(f"max_uploads must be 1-1024, got {self.max_uploads}")
        if not 0 < self.upload_idle_s <= self.upload_total_s:
            raise ConfigError(f"upload_idle_s must be > 0 and at most upload_total_s, got {self.upload_idle_s}")
        if self.min_upload_bytes_per_s <= 0 or self.upload_grace_s <= 0:
            raise ConfigError(f"min_upload_bytes_per_s and upload_grace_s must be > 0, got "
                              f"{self.min_upload_bytes_per_s} and {self.upload_grace_s}")
        if not 0 < self.max_job_s <= 86_400:
            raise ConfigError(f"max_job_s must be > 0 and at most a day (86400), got {self.max_job_s}")
        if not 0 <= self.max_waiting <= 1024:
            raise ConfigError(f"max_waiting must be 0-1024, got {self.max_waiting}")
        if self.max_concurrent_calls < self.workers + self.max_waiting + self.max_uploads + 2:
            raise ConfigError(f"max_concurrent_calls must be at least workers + max_waiting + max_uploads + 2, "
                              f"got {self.max_concurrent_calls}")
        if not 1 <= self.max_health_watches <= 1024:
            raise ConfigError(f"max_health_watches must be 1-1024, got {self.max_health_watches}")
        if self.recycle_mib <= 0:
            raise ConfigError(f"recycle_mib must be > 0, got {self.recycle_mib}")
        if not 64 <= self.max_worker_mib <= 1024 * 1024:
            raise ConfigError(f"max_worker_mib must be 64 - 1048576 (1 TiB), got {self.max_worker_mib:g}")
        if not 1 <= self.max_streams <= 1024:
            raise ConfigError(f"max_streams must be 1-1024, got {self.max_streams}")
        if not 1 <= self.max_streams_per_peer <= 1024:
            raise ConfigError(f"max_streams_per_peer must be 1-1024, got {self.max_streams_per_peer}")
        if not 0 < self.live_rest_s <= 86_400:
            raise ConfigError(f"live_rest_s must be > 0 and at most a day (86400), got {self.live_rest_s}")
        if not 0 < self.live_idle_s <= self.live_max_idle_s <= 3600:
            raise ConfigError(f"live_idle_s must be > 0 and at most live_max_idle_s, at most an hour; got "
                              f"{self.live_idle_s} and {self.live_max_idle_s}")
        if not 0 < self.live_unread_s <= 3600:
            raise ConfigError(f"live_unread_s must be > 0 and at most an hour, got {self.live_unread_s}")
        if self.token:
            check_token(self.token, "the server's token")
        if not 1 <= self.torch_threads <= 256:
            raise ConfigError(f"torch_threads must be 1-256, got {self.torch_threads}")

    @property
    def limits(self) -> ReadLimits:
        """The reader's limits with this server's song length."""
        return ReadLimits(**{**self.read_limits.__dict__, "max_song_quarters": self.max_song_quarters})
