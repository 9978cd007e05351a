"""The `paqlstm` command as a real process: pipes, terminals, signals."""
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

import paqlstm

COMMAND = [sys.executable, "-m", "paqlstm"]


def paqlstm_run(*args, **kwargs):
    return subprocess.run(COMMAND + list(args), capture_output=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def text(shared_data):
    return (shared_data / "alice29.txt").read_bytes()[:30_000]


def test_pipe_through_stdin_and_stdout(text):
    packed = paqlstm_run("compress", "-1", input=text)
    assert packed.returncode == 0 and packed.stderr == b""
    assert paqlstm.decompress(packed.stdout) == text
    restored = paqlstm_run("decompress", "-c", "-", input=packed.stdout)
    assert restored.returncode == 0 and restored.stdout == text


def test_damaged_input_gives_one_line_and_no_traceback(text):
    packed = paqlstm.compress(text, level=1)
    result = paqlstm_run("decompress", input=packed[:-20])
    assert result.returncode == 1
    assert result.stderr == b"paqlstm: error: <stdin>: truncated archive\n"


def terminal():
    """A pseudo-terminal (leader, follower) the size of a usual window (a new one has 0 columns)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return leader, follower


def test_refuses_to_write_compressed_data_to_a_terminal(tmp_path):
    (tmp_path / "a").write_bytes(b"data")
    leader, follower = terminal()
    try:
        result = subprocess.run(COMMAND + ["compress", "-1", "-c", str(tmp_path / "a")], stdout=follower,
                                stderr=subprocess.PIPE, timeout=300)
    finally:
        os.close(leader)
        os.close(follower)
    assert result.returncode == 1
    assert b"not written to a terminal" in result.stderr


def test_progress_bar_on_a_terminal_for_large_inputs(tmp_path, shared_data):
    (tmp_path / "big").write_bytes((shared_data / "dickens").read_bytes()[:(1 << 20) + 50_000])
    leader, follower = terminal()
    try:
        process = subprocess.Popen(COMMAND + ["compress", "-1", str(tmp_path / "big")], stderr=follower)
        os.close(follower)
        shown = b""
        while True:  # read the terminal while the command runs, so it never blocks on it
            try:
                piece = os.read(leader, 4096)
            except OSError:  # EIO: the command exited and closed the terminal
                break
            if not piece:
                break
            shown += piece
        assert process.wait(timeout=300) == 0
    finally:
        os.close(leader)
    assert b"big" in shown and b"%" in shown
    assert not (tmp_path / "big").exists() and (tmp_path / "big.pql").exists()


def test_interrupt_exits_130_and_cleans_up(tmp_path, shared_data):
    source = tmp_path / "big"
    source.write_bytes((shared_data / "dickens").read_bytes()[:3_000_000])
    process = subprocess.Popen(COMMAND + ["compress", "-1", str(source)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    # Interrupt once it is writing its temporary file, i.e. well inside the command.
    while len(os.listdir(tmp_path)) == 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stderr = process.communicate(timeout=120)[1]
    assert process.returncode == 130, stderr
    assert stderr.strip() == b"paqlstm: error: interrupted"
    assert os.listdir(tmp_path) == ["big"]


def test_closed_pipe_on_stdout_is_quiet(tmp_path, shared_data):
    text = (shared_data / "dickens").read_bytes()[:300_000]
    (tmp_path / "a.pql").write_bytes(paqlstm.compress(text, level=1))
    process = subprocess.Popen(COMMAND + ["decompress", "-c", str(tmp_path / "a.pql")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.read(100) == text[:100]
    process.stdout.close()
    stderr = process.communicate(timeout=120)[1]
    assert process.returncode != 0
    assert b"Traceback" not in stderr
