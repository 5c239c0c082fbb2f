"""The studio's files (seq2drum/studio/store.py): one temporary folder of its own, a folder per page inside it,
removed when the page closes, after its time unused, or to make room; nothing named by what a page sent."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from seq2drum.studio import store as store_module
from seq2drum.studio.store import SessionGoneError, Store


def test_sessions_live_in_the_studios_folder_and_go_with_their_page(tmp_path: Path) -> None:
    store = Store(ttl_s=60, parent=tmp_path)
    assert store.root.parent == tmp_path and store.root.name.startswith("seq2drum-studio-")
    session = store.open()
    song_id = store.add_song(session, "../../etc/passwd", b"MThd")
    take_id = store.add_take(session, song_id, 1, b"MThd drums")
    assert session.song(song_id).path.parent == session.folder == store.root / session.id
    assert session.take(take_id).derived("mix.wav").parent == session.folder  # names are the studio's own ids
    assert session.bytes == 14
    store.close(session.id)
    assert not session.folder.exists()
    with pytest.raises(SessionGoneError, match="reload the page"):
        store.get(session.id)
    store.remove_all()
    assert not store.root.exists()


def test_unused_sessions_expire_and_the_oldest_make_room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(ttl_s=10, max_bytes=100, max_session_bytes=100, parent=tmp_path)
    old, new = store.open(), store.open()
    store.add_song(old, "a.mid", bytes(60))
    assert store.expire(time.monotonic() + 5) == []
    store.get(new.id)
    store.add_song(new, "b.mid", bytes(60))  # 120 bytes would be past 100: the least recently used session goes
    assert old.id not in store.sessions and not old.folder.exists() and new.id in store.sessions
    assert store.expire(time.monotonic() + 11) == [new.id] and not new.folder.exists()
    monkeypatch.setattr(store_module, "MAX_SESSIONS", 2)
    first = store.open()
    store.open(), store.open()
    assert first.id not in store.sessions and len(store.sessions) == 2
    store.remove_all()


def test_a_killed_studios_folder_is_removed_by_the_next_and_nothing_else(tmp_path: Path) -> None:
    """Issue 98, low: a studio killed (SIGKILL) left its folder of songs and takes for good. The next studio to start
    removes the folders whose studio is gone (its lock held by no process); a running studio's folder, a folder
    without a studio's lock (another program's, an older studio's) and the user's own are kept."""
    import os

    lock_name = ".studio.lock"  # store.LOCK_NAME

    running = Store(parent=tmp_path)
    killed = tmp_path / "seq2drum-studio-killed"
    (killed / "session").mkdir(parents=True)
    (killed / "session" / "song.mid").write_bytes(b"MThd")
    (killed / lock_name).write_bytes(b"")  # its studio's lock, released when it was killed
    old = os.path.getmtime(killed / lock_name) - 86_400  # a day old
    os.utime(killed / lock_name, (old, old))
    (tmp_path / "seq2drum-studio-older").mkdir()
    (tmp_path / "mine").mkdir()
    running.open()
    os.utime(running.root / lock_name, (old, old))  # kept for its lock alone
    later = Store(parent=tmp_path)
    assert later.removed == [killed] and not killed.exists()
    assert {path.name for path in tmp_path.iterdir()} == {running.root.name, later.root.name,
                                                          "seq2drum-studio-older", "mine"}
    assert (running.root / lock_name).exists()
    running.remove_all()
    later.remove_all()
