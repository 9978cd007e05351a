"""One arm of a rung, run in child processes: compress, decompress, compare.

`run_arm(spec)` writes the rung's prefix of the input to a temporary file, runs
`python -m paqlstm compress -c FILE` and `python -m paqlstm decompress -c -` as two
child processes, times each (wall clock, and CPU time of all its threads from
os.wait4's rusage), takes each one's peak RSS from the same rusage, compares the
round trip byte for byte, and reads the --stats JSON the compressor wrote. It returns a
plain, JSON-ready dict and never raises: a crash or a usage error is a failed result.
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

INTERRUPTED_EXIT = 130           # what `paqlstm` exits with on Ctrl-C
ERROR_TAIL_LINES = 6
POLL_SECONDS = 0.25
READ_BLOCK = 1 << 16

_live = set()                    # child processes running now, for stop_children()
_live_lock = threading.Lock()
_stopping = threading.Event()


@dataclass(frozen=True)
class ArmSpec:
    """Everything a worker needs to run one arm; picklable, so Dask can ship it."""
    rung: str                    # rung label, e.g. "100K"
    input_path: str
    length: int                  # bytes of the input's prefix to use
    arm: str                     # "baseline" or a variant name
    options: tuple               # compress options choosing the arm, e.g. ("--lstm", "mixer", "--blend", "0.2")
    level: int

    @property
    def key(self):
        return (self.rung, self.arm)


@dataclass
class ChildRun:
    """What one child process did."""
    exit_code: int
    seconds: float               # wall clock
    cpu_seconds: float           # user + system time, every thread of the child
    peak_rss_bytes: int
    stdout: bytes
    stderr: str

    @property
    def interrupted(self):
        return self.exit_code in (INTERRUPTED_EXIT, -signal.SIGINT)


def source_fingerprint():
    """SHA-256 (16 hex digits) of the compressor's Python sources, the ladder's own left out.

    Compared before and after each run: an edit in between means the two halves of a
    round trip, or two arms, ran different code."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if not relative.startswith("ladder/"):
            try:
                digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
            except OSError:
                digest.update(relative.encode() + b"\0?\0")
    return digest.hexdigest()[:16]


def load_average():
    """The machine's 1-minute load average, or None where there is none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def paqlstm_command():
    return [sys.executable, "-m", "paqlstm"]


def request_stop():
    """Ctrl-C: start no new child, and pass SIGINT to the ones running (they exit 130)."""
    _stopping.set()
    with _live_lock:
        for proc in list(_live):
            try:
                proc.send_signal(signal.SIGINT)
            except OSError:
                pass


def kill_children():
    """Last resort after request_stop: SIGKILL whatever child is still running."""
    with _live_lock:
        for proc in list(_live):
            try:
                proc.kill()
            except OSError:
                pass


def reset_stop():
    _stopping.clear()


def stop_requested():
    return _stopping.is_set()


def _rss_bytes(usage):
    """ru_maxrss is KiB on Linux, bytes on macOS."""
    return usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024


def _input_position(pid, path):
    """Offset the process `pid` has reached in its open file `path` (Linux /proc), or None."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    for line in info:
                        if line.startswith("pos:"):
                            return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _feed(stream, data):
    try:
        stream.write(data)
    except (BrokenPipeError, OSError):
        pass                     # the child left early: its exit status tells why
    finally:
        try:
            stream.close()
        except OSError:
            pass


def _collect(stream, chunks, on_output):
    while True:
        block = stream.read1(READ_BLOCK) if hasattr(stream, "read1") else stream.read(READ_BLOCK)
        if not block:
            return
        chunks.append(block)
        if on_output:
            on_output(len(block))


def run_child(argv, stdin_data=None, on_output=None, watch_input=None, on_input=None):
    """Run argv to completion; stdout collected, stderr kept as text.

    on_output(n) is called as stdout bytes arrive; with watch_input (a path the child
    reads), on_input(n) is called as the child's read position in it advances.
    """
    chunks = []
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=errors)
        with _live_lock:
            _live.add(proc)
        try:
            threads = [threading.Thread(target=_collect, args=(proc.stdout, chunks, on_output), daemon=True)]
            if stdin_data is not None:
                threads.append(threading.Thread(target=_feed, args=(proc.stdin, stdin_data), daemon=True))
            for thread in threads:
                thread.start()
            reached = 0
            while threads[0].is_alive():
                threads[0].join(POLL_SECONDS)
                if watch_input and on_input:
                    position = _input_position(proc.pid, watch_input)
                    if position is not None and position > reached:
                        on_input(position - reached)
                        reached = position
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            for thread in threads:
                thread.join()
        finally:
            with _live_lock:
                _live.discard(proc)
            if proc.returncode is None:   # an exception before wait4: do not leave it running
                proc.kill()
                proc.wait()
            proc.stdout.close()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    return ChildRun(proc.returncode, seconds, usage.ru_utime + usage.ru_stime, _rss_bytes(usage), b"".join(chunks),
                    stderr)


def read_stats(path):
    """The compressor's --stats JSON as a dict, or None when absent or unreadable."""
    try:
        with open(path) as f:
            stats = json.load(f)
    except (OSError, ValueError):
        return None
    return stats if isinstance(stats, dict) else None


def error_tail(text):
    """The last few non-empty lines of a child's stderr."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-ERROR_TAIL_LINES:]) or "(no message)"


def display_command(spec, stage):
    """The command of a stage as a person would type it (paths replaced by words)."""
    if stage == "compress":
        return ["paqlstm", "compress", f"-{spec.level}", "-c", *spec.options, "--stats", "STATS.json", "INPUT"]
    return ["paqlstm", "decompress", "-c", "-"]


class _Counter:
    """Passes byte counts on to on_progress (if any) and remembers their sum."""

    def __init__(self, on_progress):
        self._on_progress = on_progress
        self.total = 0

    def __call__(self, count):
        self.total += count
        if self._on_progress and count:
            self._on_progress(count)

    def reach(self, total):
        self(max(0, total - self.total))


def _phase(child):
    return {"exit_code": child.exit_code, "seconds": child.seconds, "cpu_seconds": child.cpu_seconds,
            "peak_rss_bytes": child.peak_rss_bytes}


def _result(spec, status, stage=None, error=None, **figures):
    return {"rung": spec.rung, "arm": spec.arm, "length": spec.length, "options": list(spec.options),
            "level": spec.level, "status": status, "failed_stage": stage, "error": error,
            "commands": {s: " ".join(display_command(spec, s)) for s in ("compress", "decompress")},
            **figures}


def _child_outcome(spec, stage, child, **figures):
    """A finished result for a child that did not succeed, or None when it did."""
    if child.interrupted or stop_requested():
        return _result(spec, "interrupted", stage, "interrupted (Ctrl-C)", **figures)
    if child.exit_code != 0:
        return _result(spec, "failed", stage, f"exit status {child.exit_code}: {error_tail(child.stderr)}",
                       **figures)
    return None


def _measure(spec, on_progress, workdir):
    with open(spec.input_path, "rb") as f:
        data = f.read(spec.length)
    source = os.path.join(workdir, "input")
    with open(source, "wb") as f:
        f.write(data)
    stats_path = os.path.join(workdir, "stats.json")
    progress = _Counter(on_progress)
    compress = run_child([*paqlstm_command(), "compress", f"-{spec.level}", "-q", "-c", *spec.options,
                          "--stats", stats_path, source],
                         watch_input=os.path.realpath(source), on_input=progress)
    figures = {"input_bytes": len(data), "compress": _phase(compress)}
    failed = _child_outcome(spec, "compress", compress, **figures)
    if failed:
        return failed
    archive = compress.stdout
    progress.reach(len(data))      # the last read may end between two polls
    decompress = run_child([*paqlstm_command(), "decompress", "-q", "-c", "-"], stdin_data=archive,
                           on_output=progress)
    figures.update(archive_bytes=len(archive), decompress=_phase(decompress),
                   stats=read_stats(stats_path))
    failed = _child_outcome(spec, "decompress", decompress, **figures)
    if failed:
        return failed
    if decompress.stdout != data:
        return _result(spec, "failed", "compare",
                       f"round trip differs: {len(decompress.stdout):,} bytes back for {len(data):,}",
                       round_trip=False, **figures)
    return _result(spec, "ok", round_trip=True, **figures)


def run_arm(spec, on_progress=None):
    """Run one arm; on_progress(n) reports n more bytes through (compress, then decompress)."""
    if stop_requested():
        return _result(spec, "interrupted", None, "not started (Ctrl-C)")
    code_before, load_before = source_fingerprint(), load_average()
    try:
        with tempfile.TemporaryDirectory(prefix="paqlstm-ladder-") as workdir:
            result = _measure(spec, on_progress, workdir)
    except Exception as exc:       # the ladder's own trouble (disk full, missing input): a failed arm
        result = _result(spec, "failed", "setup", f"{type(exc).__name__}: {exc}")
    result["code"] = {"before": code_before, "after": source_fingerprint()}
    result["load"] = {"before": load_before, "after": load_average()}
    return result
