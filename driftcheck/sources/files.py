"""The one way sources open input files: regular files only, never more than a cap.

Every input driftcheck reads (templates, pipeline files, parameter and variable files, state, saved
responses) comes from a path a user or a directory listing gave. A FIFO would block the run forever,
``/dev/zero`` would fill memory, a directory or a symlink loop would raise deep inside a parser. So:

* :func:`read_bytes` / :func:`read_text` refuse anything that is not a regular file (FIFOs, devices,
  sockets, directories), symlink loops, and files over ``limit`` bytes, each as a
  :class:`~driftcheck.errors.SourceError` at ``Location(shown)``. They ``os.stat`` first, open without
  blocking, check the opened file again (no swap between the check and the open), and read at most
  ``limit + 1`` bytes, so an endless stream can never be slurped.
* :func:`is_regular` answers for directory scans without opening anything: a non-regular entry is
  skipped, never opened.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from driftcheck.errors import SourceError
from driftcheck.model import Location

__all__ = ["describe_kind", "is_regular", "read_bytes", "read_prefix", "read_text"]

_CHUNK = 1 << 20


def describe_kind(mode: int) -> str:
    """What a non-regular file is, in plain words ("a FIFO (named pipe)", "a directory"...)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def is_regular(path: Path) -> bool:
    """True when ``path`` is (or links to) a regular file; False for anything else, loops and errors included."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError, RuntimeError):  # ValueError: NUL in the name; RuntimeError: loop (resolve)
        return False


def _os_error(exc: OSError, what: str, location: Location) -> SourceError:
    if exc.errno == errno.ELOOP:
        return SourceError(f"cannot read {what}: symlink loop (too many levels of symbolic links)", location)
    if exc.errno == errno.ENOENT:
        return SourceError(f"cannot read {what}: no such file or directory", location)
    return SourceError(f"cannot read {what}: {exc.strerror or exc}", location)


def _not_regular(mode: int, what: str, location: Location) -> SourceError:
    return SourceError(f"cannot read {what}: it is {describe_kind(mode)}, not a regular file", location)


def _too_large(limit: int, what: str, location: Location) -> SourceError:
    return SourceError(f"{what} is larger than {limit} bytes; refusing to read it", location)


def _read_regular(path: Path, location: Location, limit: int, what: str) -> tuple[bytes, bool]:
    """At most ``limit + 1`` bytes of a regular file, and whether it is larger than ``limit``."""
    try:
        before = os.stat(path)
    except ValueError:
        raise SourceError(f"cannot read {what}: the name holds a NUL character", location) from None
    except OSError as exc:
        raise _os_error(exc, what, location) from None
    if not stat.S_ISREG(before.st_mode):
        raise _not_regular(before.st_mode, what, location)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _os_error(exc, what, location) from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped for a FIFO or device after the stat
            raise _not_regular(opened.st_mode, what, location)
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(_CHUNK, remaining))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise _os_error(exc, what, location) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return data[:limit], len(data) > limit


def read_bytes(path: Path, shown: str, *, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``; SourceError at ``Location(shown)`` if not regular or over ``limit``.

    ``what`` names the file in messages ("state file", "parameter file"...).
    """
    location = Location(shown)
    data, larger = _read_regular(Path(path), location, limit, what)
    if larger:
        raise _too_large(limit, what, location)
    return data


def read_prefix(path: Path, shown: str, *, size: int, what: str) -> bytes:
    """The first ``size`` bytes (or fewer) of the regular file ``path``; refuses non-regular files like :func:`read_bytes`."""
    data, _ = _read_regular(Path(path), Location(shown), size, what)
    return data


def read_text(path: Path, shown: str, *, limit: int, what: str) -> str:
    """The UTF-8 text of the regular file ``path`` (a BOM is kept); SourceError as :func:`read_bytes`.

    Bytes that are not UTF-8 are a SourceError at the line of the first bad byte.
    """
    data = read_bytes(path, shown, limit=limit, what=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        raise SourceError(
            f"{what} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded",
            Location(shown, prefix.count(b"\n") + 1),
        ) from None
