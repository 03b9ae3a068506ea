"""driftcheck.sources.files: only regular files are opened, and never more than the cap is read."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from driftcheck.errors import SourceError
from driftcheck.model import Location
from driftcheck.sources.files import is_regular, read_bytes, read_prefix, read_text

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


def _refused(path: Path, *, limit: int = 1000, what: str = "state file") -> SourceError:
    with pytest.raises(SourceError) as caught:
        read_text(path, "shown.json", limit=limit, what=what)
    assert caught.value.location == Location("shown.json")
    return caught.value


def test_reads_a_regular_file_and_a_symlink_to_one(tmp_path):
    target = tmp_path / "a.json"
    target.write_text('{"a": "é"}\n', encoding="utf-8")
    (tmp_path / "link.json").symlink_to(target)
    assert read_text(target, "a.json", limit=100, what="file") == '{"a": "é"}\n'
    assert read_text(tmp_path / "link.json", "link.json", limit=100, what="file") == '{"a": "é"}\n'
    assert read_bytes(target, "a.json", limit=100, what="file") == '{"a": "é"}\n'.encode()


def test_exactly_the_limit_is_fine_one_more_byte_is_refused(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 10)
    assert read_text(path, "big.json", limit=10, what="file") == "x" * 10
    error = _refused(path, limit=9, what="parameter file")
    assert str(error) == "shown.json: parameter file is larger than 9 bytes; refusing to read it"


@needs_fifo
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    outcome: dict[str, object] = {}

    def attempt() -> None:
        try:
            read_text(fifo, "pipe.yaml", limit=100, what="template")
        except SourceError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # unblock the reader so the test process can exit
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert "FIFO" in str(outcome["error"]) and "not a regular file" in str(outcome["error"])
    assert not is_regular(fifo)


def test_dev_zero_is_refused_at_once():
    started = time.monotonic()
    with pytest.raises(SourceError, match="character device"):
        read_text(Path("/dev/zero"), "/dev/zero", limit=1 << 30, what="state file")
    assert time.monotonic() - started < 1
    assert not is_regular(Path("/dev/zero"))


def test_a_directory_is_refused(tmp_path):
    assert "it is a directory, not a regular file" in str(_refused(tmp_path))
    assert not is_regular(tmp_path)


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.sock"
    if len(str(path)) > 100:
        pytest.skip("path too long for a unix socket")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        assert "socket" in str(_refused(path))
        assert not is_regular(path)
    finally:
        server.close()


def test_a_symlink_loop_is_refused(tmp_path):
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    assert "symlink loop" in str(_refused(tmp_path / "a.json"))
    assert not is_regular(tmp_path / "a.json")


def test_missing_file_and_dangling_link(tmp_path):
    assert "no such file" in str(_refused(tmp_path / "nope.json"))
    (tmp_path / "dangling.json").symlink_to(tmp_path / "gone")
    assert "no such file" in str(_refused(tmp_path / "dangling.json"))
    assert not is_regular(tmp_path / "nope.json")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads everything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.json"
    path.write_text("{}")
    path.chmod(0)
    try:
        assert "Permission denied" in str(_refused(path))
    finally:
        path.chmod(0o600)


def test_not_utf8_names_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b'{\r\n"a":\n "\xff"}')
    with pytest.raises(SourceError) as caught:
        read_text(path, "bad.json", limit=100, what="state file")
    assert caught.value.location == Location("bad.json", 3)
    assert "not UTF-8" in caught.value.message and "0xff" in caught.value.message


def test_read_prefix_reads_only_the_start(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_bytes(b"abcdef")
    assert read_prefix(path, "long.yaml", size=3, what="file") == b"abc"
    with pytest.raises(SourceError, match="character device"):
        read_prefix(Path("/dev/zero"), "/dev/zero", size=3, what="file")


def test_nul_in_the_name_is_a_source_error_not_a_crash():
    with pytest.raises(SourceError, match="NUL"):
        read_text(Path("a\0b"), "a\\x00b", limit=10, what="file")
    assert not is_regular(Path("a\0b"))
