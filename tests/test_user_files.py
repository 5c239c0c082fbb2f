"""Files named by flags (seq2drum/user_files.py and its callers: the token file, --groove, TLS certificates and
--tls-ca) against issue 42's hostile files: /dev/zero, a FIFO, a world-readable token, a non-ASCII token, files that
are not PEM, a key that is not the certificate's. Each must fail at once with a message saying what is wrong."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from seq2drum.credentials import read_token
from seq2drum.errors import ConfigError
from seq2drum.options import read_groove_file
from seq2drum.user_files import read_user_file
from server.app import ServerConfig
from server.security import server_credentials


@pytest.fixture()
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def test_a_regular_file_is_read_whole_and_others_are_refused_unread(tmp_path: Path, fifo: Path) -> None:
    small = tmp_path / "small.txt"
    small.write_bytes(b"x" * 100)
    assert read_user_file(small, "--thing", 100) == b"x" * 100
    with pytest.raises(ConfigError, match=r"--thing .*small.txt holds 100 bytes, more than the 99 it may hold"):
        read_user_file(small, "--thing", 99)
    with pytest.raises(ConfigError, match="is a FIFO, not a regular file; name a file"):
        read_user_file(fifo, "--thing", 100, "name a file")
    with pytest.raises(ConfigError, match="is a folder, not a regular file"):
        read_user_file(tmp_path, "--thing", 100)
    with pytest.raises(ConfigError, match="cannot read --thing .*: No such file"):
        read_user_file(tmp_path / "missing", "--thing", 100)


@pytest.mark.parametrize("which", ["token", "groove"])
def test_dev_zero_and_a_fifo_are_refused_not_read_forever(which: str, fifo: Path) -> None:
    """Issue 42, 13 and 15: `--token-file /dev/zero` and `--groove /dev/zero` raised MemoryError with a traceback;
    a FIFO hung the server (and main.py) at start. Both are now refused unread, naming the file."""
    read = (lambda path: read_token(Path(path))) if which == "token" else read_groove_file
    for path in ("/dev/zero", str(fifo)):
        with pytest.raises(ConfigError, match="not a regular file"):
            read(path)


def test_the_server_and_the_helper_refuse_dev_zero_as_a_token_file(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 42, 13: both commands ended in a MemoryError traceback; now exit 2 with one line."""
    from client import daw_helper
    from server.__main__ import main as server_main

    assert server_main(["--port", "0", "--token-file", "/dev/zero"]) == 2
    assert daw_helper.main(["song.mid", "--token-file", "/dev/zero"]) == 2
    err = capsys.readouterr().err
    assert err.count("/dev/zero is a character device, not a regular file") == 2
    assert "Traceback" not in err and "MemoryError" not in err


def test_a_token_file_others_can_read_is_used_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 42, 13: a world-readable token file was accepted silently."""
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    token_file.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="seq2drum.credentials"):
        assert read_token(token_file) == "s3cret"
        assert not caplog.records
        token_file.chmod(0o644)
        assert read_token(token_file) == "s3cret"
    assert "can be read by other users" in caplog.text and "chmod 600" in caplog.text


def test_a_token_no_client_can_send_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 42, 13: a non-ASCII token was taken by the server, and then no client could send it (the helper
    failed with INTERNAL "Invalid metadata"). The file, the environment and the server's config refuse it."""
    token_file = tmp_path / "token"
    token_file.write_text("s\u00e9cret\n", encoding="utf-8")
    token_file.chmod(0o600)
    with pytest.raises(ConfigError, match="must be printable ASCII"):
        read_token(token_file)
    monkeypatch.setenv("SEQ2DRUM_TOKEN", "tab\there")
    with pytest.raises(ConfigError, match=r"\$SEQ2DRUM_TOKEN: the token holds '\\t'"):
        read_token(None)
    with pytest.raises(ConfigError, match="must be printable ASCII"):
        ServerConfig(token="s\u00e9cret")


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def two_certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[tuple[Path, Path], tuple[Path, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate to test TLS with")
    folder = tmp_path_factory.mktemp("tls")
    return _certificate(folder, "one"), _certificate(folder, "two")


def test_tls_files_that_do_not_go_together_say_so(two_certificates: tuple, tmp_path: Path) -> None:
    """Issue 42, 14: a mismatched or non-PEM certificate or key gave "cannot listen ... Failed to bind to address".
    Each now says what is wrong with the files, before the server binds."""
    (cert, key), (_, other_key) = two_certificates
    assert server_credentials(cert, key) is not None
    with pytest.raises(ConfigError, match=r"--tls-key .*two.key is not the private key of --tls-cert .*one.pem"):
        server_credentials(cert, other_key)
    text = tmp_path / "notes.txt"
    text.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match="--tls-cert .*notes.txt is not a PEM certificate"):
        server_credentials(text, key)
    with pytest.raises(ConfigError, match="--tls-key .*notes.txt is not a PEM private key"):
        server_credentials(cert, text)
    with pytest.raises(ConfigError, match="--tls-cert /dev/zero is a character device"):
        server_credentials(Path("/dev/zero"), key)


def test_a_tls_ca_that_is_not_pem_fails_at_once(two_certificates: tuple, tmp_path: Path) -> None:
    """Issue 42, 14: a non-PEM --tls-ca was retried as UNAVAILABLE for the whole --wait. The helper now says so
    before any call."""
    from client.drum_client import DrumClient, HelperError

    (cert, key), _ = two_certificates
    DrumClient("localhost:1", wait_s=60, tls_ca=cert).close()
    for bad, words in ((key, "not a PEM certificate"), (Path("/dev/zero"), "character device")):
        with pytest.raises(HelperError, match=words):
            DrumClient("localhost:1", wait_s=60, tls_ca=bad)
    garbage = tmp_path / "ca.pem"
    garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    with pytest.raises(HelperError, match="not a PEM certificate"):
        DrumClient("localhost:1", wait_s=60, tls_ca=garbage)


def test_a_kit_map_that_is_a_fifo_or_dev_zero_is_refused_unread(fifo: Path) -> None:
    """The same rule for --kit-map, in main.py and in the helper (not among issue 42's probes, but its principle:
    only regular files of a known size are read)."""
    from client import connection
    from client.drum_client import HelperError
    from seq2drum.midi.kit import KitMapError, read_kit_map

    for path in ("/dev/zero", str(fifo)):
        with pytest.raises(KitMapError, match="not a regular file"):
            read_kit_map(path)
        with pytest.raises(HelperError, match="not a regular file"):
            connection.read_kit_map_text(path)
