"""Progress on a terminal: the real CLI in a subprocess whose stderr is a pseudo-terminal, against the fake endpoint.
Progress (per region: pipelines read / total, the pacer's state) appears there; never on a pipe, never with --quiet;
-v logs each AWS call instead."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import threading

import pytest

from driftcheck.live.progress import NoProgress, pacing_note, progress_for
from tests.conftest import ROOT
from tests.fake_imagebuilder import FakeImageBuilder
from tests.test_faults import live, pipeline_file

THROTTLE = "CallRateLimitExceededException"
SECRET = "fake-secret-never-written-anywhere"
KEY_ID = "AKIAFAKEFAKEFAKE0001"
MAIN = "from driftcheck.cli import main; main()"


def environment(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRIFTCHECK_"))}
    env.update(AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true", DRIFTCHECK_RETRY_DELAY="0.01", TERM="xterm-256color", **extra)
    env.pop("NO_COLOR", None)
    return env


def on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (120 columns); (exit code, what the terminal got, stdout)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen([sys.executable, "-c", MAIN, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=slave, env=env, cwd=ROOT)
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:   # EIO: the child closed its side
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    stdout, _ = process.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    return process.returncode, b"".join(chunks).decode("utf-8", "replace"), stdout.decode()


def on_a_pipe(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", MAIN, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


@pytest.fixture
def thirty(tmp_path):
    """30 live pipelines and a file declaring them by name (one listing reads them all)."""
    with FakeImageBuilder(page_size=10) as fake:
        names = [f"w{i:02d}" for i in range(30)]
        for name in names:
            fake.add_pipeline(live(name))
        yield fake, pipeline_file(tmp_path / "p.yaml", names)


# ------------------------------------------------------------------ the terminal
def test_progress_shows_on_a_terminal_per_region_with_the_pacer(thirty, tmp_path):
    fake, declared = thirty
    code, terminal, stdout = on_a_terminal(["check", str(declared), "--endpoint-url", fake.url], environment(tmp_path))
    assert code == 0, terminal
    assert "us-east-1" in terminal and "30/30" in terminal and "pipelines" in terminal
    assert "in flight" in terminal and "30 listed" in terminal
    assert "in sync" in stdout            # the report is on stdout as always
    assert SECRET not in terminal and KEY_ID not in terminal


def test_throttling_shows_as_slowing_down(thirty, tmp_path):
    fake, declared = thirty
    fake.fail("ListImagePipelines", THROTTLE, times=6)
    code, terminal, _ = on_a_terminal(["check", str(declared), "--endpoint-url", fake.url], environment(tmp_path))
    assert code == 0, terminal
    assert fake.fault_counts[THROTTLE] == 6
    assert "throttled" in terminal


def test_quiet_shows_no_progress_on_a_terminal(thirty, tmp_path):
    fake, declared = thirty
    code, terminal, stdout = on_a_terminal(["check", str(declared), "--endpoint-url", fake.url, "--quiet"],
                                           environment(tmp_path))
    assert code == 0 and "in sync" in stdout
    assert terminal == ""


def test_no_progress_when_stderr_is_not_a_terminal(thirty, tmp_path):
    fake, declared = thirty
    run = on_a_pipe(["check", str(declared), "--endpoint-url", fake.url], environment(tmp_path))
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""


def test_verbose_logs_each_aws_call_and_never_credentials(thirty, tmp_path):
    fake, declared = thirty
    fake.fail("ListImagePipelines", THROTTLE, times=1)
    run = on_a_pipe(["check", str(declared), "--endpoint-url", fake.url, "-v"], environment(tmp_path))
    assert run.returncode == 0, run.stderr
    calls = [line for line in run.stderr.splitlines() if line.startswith("driftcheck: aws ")]
    assert len(calls) == len(fake.requests) == 4   # 1 throttled + 3 pages
    assert calls[0].startswith("driftcheck: aws ListImagePipelines us-east-1 attempt 1: throttled after ")
    assert calls[1].startswith("driftcheck: aws ListImagePipelines us-east-1 attempt 2: ok in ")
    assert SECRET not in run.stderr and KEY_ID not in run.stderr


# ------------------------------------------------------------------ the pieces
def _read_available(fd: int) -> bytes:
    """Everything written to the pseudo-terminal so far: one read may return only part of it."""
    data = b""
    while select.select([fd], [], [], 0.2)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


def test_progress_is_chosen_by_the_stream_and_quiet(tmp_path):
    with open(tmp_path / "file", "w") as stream:
        assert isinstance(progress_for(stream, quiet=False), NoProgress)
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as tty:
            assert isinstance(progress_for(tty, quiet=True), NoProgress)
            shown = progress_for(tty, quiet=False)
            assert not isinstance(shown, NoProgress)
            shown.region("eu-west-1\x1b[2J", 2)   # a region name with an escape sequence is shown escaped
            shown.advance("eu-west-1\x1b[2J")
            shown.close()
        output = _read_available(master).decode("utf-8", "replace")
    finally:
        os.close(slave)
        os.close(master)
    assert "eu-west-1\\x1b[2J" in output and "1/2" in output


def test_a_dumb_terminal_gets_no_progress(thirty, tmp_path):
    fake, declared = thirty
    env = {**environment(tmp_path), "TERM": "dumb"}
    code, terminal, stdout = on_a_terminal(["check", str(declared), "--endpoint-url", fake.url], env)
    assert code == 0 and "in sync" in stdout and terminal == ""


def test_pacing_note():
    assert pacing_note(8, 0, 0) == "8 in flight"
    assert pacing_note(2, 5, 3) == "throttled, slowing down: 2 in flight"
    assert pacing_note(4, 5, 5) == "4 in flight (5 throttled)"
