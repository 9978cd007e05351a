"""The `paqlstm` command as a real process: pipes, terminals, signals."""
import fcntl
import os
import pty
import resource
import signal
import stat
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

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


# --- signals and the file system: no partial output, the input untouched -------------

@pytest.fixture(scope="module")
def big_archive(tmp_path_factory, shared_data):
    """An archive that takes a second or two to decode, and its contents."""
    text = (shared_data / "dickens").read_bytes()[:400_000]
    path = tmp_path_factory.mktemp("big") / "big.pql"
    path.write_bytes(paqlstm.compress(text, level=1))
    return path, text


def snapshot(directory):
    """Every file in directory with its bytes and modification time (a directory: its names)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) if p.is_file() else sorted(os.listdir(p))
            for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("mode, signum", [("compress", signal.SIGTERM), ("decompress", signal.SIGTERM),
                                          ("decompress", signal.SIGINT)])
def test_signal_leaves_no_partial_output(tmp_path, shared_data, big_archive, mode, signum):
    if mode == "compress":
        source = tmp_path / "big"
        source.write_bytes((shared_data / "dickens").read_bytes()[:3_000_000])
    else:
        source = tmp_path / "big.pql"
        source.write_bytes(big_archive[0].read_bytes())
    before = snapshot(tmp_path)
    process = subprocess.Popen(COMMAND + [mode, "-1" if mode == "compress" else "-q", str(source)],
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(os.listdir(tmp_path)) == 1 and time.monotonic() < deadline:  # writing its temporary file
        time.sleep(0.05)
    process.send_signal(signum)
    stderr = process.communicate(timeout=120)[1]
    if signum == signal.SIGINT:
        assert process.returncode == 130, stderr
        assert stderr.strip() == b"paqlstm: error: interrupted"
    else:  # dies by the signal after cleaning up, as gzip and xz do
        assert process.returncode == -signum, stderr
        assert stderr.strip() == b"paqlstm: error: terminated"
    assert snapshot(tmp_path) == before


def one_error_line(result):
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("paqlstm: error: "), result
    return lines[0]


def unwritable_directory(tmp_path):
    """A directory this process cannot create files in (root ignores permissions: try /sys)."""
    candidates = [Path("/sys/kernel")] if os.geteuid() == 0 else []
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for directory in [locked] + candidates:
        try:
            (directory / ".paqlstm-probe").write_bytes(b"")
        except OSError:
            return directory
        (directory / ".paqlstm-probe").unlink()
    pytest.skip("no directory here is unwritable to this user")


@pytest.mark.parametrize("mode", ["compress", "decompress"])
def test_unwritable_or_missing_output_directory(tmp_path, text, mode):
    source = tmp_path / ("a.pql" if mode == "decompress" else "a")
    source.write_bytes(paqlstm.compress(text, level=1) if mode == "decompress" else text)
    before = snapshot(tmp_path)
    for directory in (unwritable_directory(tmp_path), tmp_path / "missing"):
        target = directory / "out"
        line = one_error_line(paqlstm_run(mode, "-1" if mode == "compress" else "-q", "-o", str(target),
                                          str(source)))
        assert line.endswith(f": {target}")  # names the output asked for, not a temporary file
        assert "denied" in line or "Read-only" in line or "No such file" in line
        assert ".tmp" not in line
    assert snapshot(tmp_path) == dict(before, locked=[])


def test_output_to_a_directory(tmp_path, text):
    (tmp_path / "a").write_bytes(text)
    line = one_error_line(paqlstm_run("compress", "-1", "-f", "-o", str(tmp_path), str(tmp_path / "a")))
    assert line.endswith(f"{tmp_path} is a directory")
    assert os.listdir(tmp_path) == ["a"]


def test_full_device(tmp_path, text):
    """/dev/full as standard output or as -o: one line, input kept, the device left a device."""
    source = tmp_path / "a"
    source.write_bytes(text)
    (tmp_path / "a.pql").write_bytes(paqlstm.compress(text, level=1))
    before = snapshot(tmp_path)
    with open("/dev/full", "wb") as full:
        line = one_error_line(subprocess.run(COMMAND + ["compress", "-1", "-c", str(source)], stdout=full,
                                             stderr=subprocess.PIPE, timeout=300))
    assert line == f"paqlstm: error: {source}: No space left on device: <stdout>"
    line = one_error_line(paqlstm_run("decompress", "-o", "/dev/full", str(tmp_path / "a.pql")))
    assert line == f"paqlstm: error: {tmp_path / 'a.pql'}: No space left on device: /dev/full"
    assert snapshot(tmp_path) == before
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    # A device is written in place, and writing to it keeps the input (gzip would delete it).
    assert paqlstm_run("decompress", "-o", "/dev/null", str(tmp_path / "a.pql")).returncode == 0
    assert snapshot(tmp_path) == before and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_file_size_limit_as_a_full_disk(tmp_path, shared_data):
    """Writes fail part way (RLIMIT_FSIZE; Python ignores SIGXFSZ): no partial file is kept."""
    source = tmp_path / "a"
    source.write_bytes((shared_data / "dickens").read_bytes()[:100_000])  # ~35 KB compressed
    before = snapshot(tmp_path)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    line = one_error_line(paqlstm_run("compress", "-1", str(source), preexec_fn=limit))
    assert line == f"paqlstm: error: {source}: File too large: {source}.pql"
    assert snapshot(tmp_path) == before
