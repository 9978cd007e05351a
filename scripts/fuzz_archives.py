#!/usr/bin/env python3
"""Mutation fuzzing of paqlstm archives: every damaged archive must end in a one-line error.

Small archives (level 1, a few chunks) are damaged in every way a disk, a network or
an attacker could: every single-byte change of a header, random bit flips, byte
changes, truncations, insertions, deletions, duplicated ranges, splices of two
archives, and forged fields (chunk lengths, settings, trailers) with their checksums
made right. Each mutated archive is decoded by `paqlstm.decompress` in a worker
process, with a per-case timeout, and one outcome is recorded:

  error: MESSAGE   a PaqlstmError with a one-line message (numbers shown as N): fine
  decoded, same    decoding succeeded with exactly the original data: fine, if the
                   damage hit bytes that carry no information (see the region column)
  WRONG OUTPUT     decoding succeeded with other data
  CRASH            any other exception, or the worker died (a signal: segfault, abort)
  HANG             no answer within the timeout

A sample of the cases also goes through the command line in its own process
(`paqlstm decompress -c -` or `paqlstm test -`): it must exit with status 1 and one
`paqlstm: error: <stdin>: ...` line, or 0 with the original data, never by a signal.
The exit status is 1 if any case was a crash, hang, wrong output or bad message.

    python scripts/fuzz_archives.py                      # 10,000 random cases + every header byte
    python scripts/fuzz_archives.py --cases 300 --cli 20 --seed 7
    NUMBA_BOUNDSCHECK=1 NUMBA_CACHE_DIR=/tmp/nb-bc python scripts/fuzz_archives.py --cases 300

With NUMBA_BOUNDSCHECK=1 (and a fresh cache) an out-of-bounds access in a compiled
kernel becomes an IndexError, i.e. a CRASH here, instead of passing silently.
`tests/test_fuzz.py` uses `make_corpus`, `header_cases`, `random_cases` and
`judge` from this file for the smaller run in the default test suite.
"""
import argparse
import collections
import contextlib
import dataclasses
import hashlib
import json
import os
import random
import re
import select
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


# --- the archives that get damaged -----------------------------------------------

WORDS = ("the of and to a in that it was he for on is with as his be at by had not but from or "
         "have an they which one you were her all she there would their we him been has when who "
         "will more no if out so said what up its about into than them can only other new some "
         "time could these two may then do first any my now such like our over man me even most "
         "made after also did many before must through back years where much your way well down "
         "should because each just those people Mr how too little state good very make world "
         "still own see men work long get here between both life being under never day same "
         "another know while last might us great old year off come since against go came right "
         "used take three").split()


def generated_text(size, seed):
    """Deterministic English-like text: words, punctuation, numbers and line breaks."""
    rng = random.Random(seed)
    out, line = [], 0
    while sum(map(len, out)) < size:
        word = rng.choice(WORDS)
        if rng.random() < 0.08:
            word = word.capitalize()
        if rng.random() < 0.03:
            word = str(rng.randrange(1, 2000))
        piece = word + rng.choice((" ", " ", " ", " ", " ", ", ", ". ", "; "))
        line += len(piece)
        if line > 66:
            piece, line = piece.rstrip() + "\n", 0
        out.append(piece)
    return "".join(out).encode()[:size]


def table_text(rows, seed):
    rng = random.Random(seed)
    return b"".join(b"%04d|%-8s|%9.3f|%s\n" % (i, rng.choice(WORDS).encode(), rng.uniform(-1e4, 1e4),
                                              rng.choice((b"yes", b"no", b"n/a"))) for i in range(rows))


@dataclasses.dataclass
class Sample:
    name: str
    data: bytes
    archive: bytes
    regions: list  # (start, end, name) covering the archive
    members: list = None  # (end in archive, end in data) of each archive in the file


def _pack(data, level, chunk_size=None, sized=True, **options):
    """An archive of data: tables sized to it (as paqlstm.compress does) or the level's (as streaming)."""
    from paqlstm.container import ArchiveCompressor
    from paqlstm.engine import CHUNK_SIZE
    from paqlstm.settings import Settings
    settings = Settings(level=level, **options)
    compressor = ArchiveCompressor(settings.sized_for(len(data)) if sized else settings, chunk_size or CHUNK_SIZE)
    return compressor.compress(data) + compressor.flush()


def archive_regions(archive):
    """Name every byte range of a well-formed file of archives: header, chunk heads, payloads..."""
    from paqlstm.container import frames
    regions = []
    for frame in frames(archive):
        regions.append((frame.start, frame.header_end, "header"))
        for chunk in frame.chunks:
            regions.append((chunk.start, chunk.payload_start, "chunk-lengths"))
            regions.append((chunk.payload_start, chunk.end - 4, "payload"))
            regions.append((chunk.end - 4, chunk.end, "payload-flush"))  # last 4 bytes
        regions.append((frame.end_of_chunks, frame.trailer_start, "end-of-chunks"))
        regions.append((frame.trailer_start, frame.end, "trailer"))
    return regions


def make_corpus(level=1):
    """The small archives the mutations start from (deterministic)."""
    binary = random.Random(11).randbytes(300)
    specs = [  # name, data, chunk size, tables sized to the data
        ("text-700", generated_text(700, 1), None, True),
        ("text-3-chunks", generated_text(1500, 2), 512, False),
        ("table-5-chunks", table_text(60, 3), 400, True),
        ("binary-300", binary, None, True),
        ("zeros-4000", bytes(4000), None, True),
        ("one-byte", b"x", None, True),
        ("empty", b"", None, True),
    ]
    corpus = []
    for name, data, chunk_size, sized in specs:
        archive = _pack(data, level, chunk_size, sized)
        corpus.append(Sample(name, data, archive, archive_regions(archive)))
    data = generated_text(500, 5)   # the LSTMs' kernels decode damaged data too
    for name, lstm in (("lstm-text-2-chunks", True), ("mixer-text-2-chunks", "mixer"), ("both-text-2-chunks", "both")):
        archive = _pack(data, level, 256, True, lstm=lstm, lstm_cells=8, mixer_cells=8)
        corpus.append(Sample(name, data, archive, archive_regions(archive)))
    # Two archives back to back decode to the concatenation.
    first, second = generated_text(300, 4), b"tail " * 20
    head = _pack(first, level)
    archive = head + _pack(second, level)
    corpus.append(Sample("two-archives", first + second, archive, archive_regions(archive),
                         [(len(head), len(first)), (len(archive), len(first + second))]))
    return corpus


# --- mutations ---------------------------------------------------------------------

@dataclasses.dataclass
class Case:
    id: str           # kind:number, to find it again
    kind: str         # mutation family, the table's column
    sample: str       # name of the archive damaged
    detail: str       # what was done, e.g. "bit 3 of byte 41"
    data: bytes       # the damaged archive
    expected: bytes   # the data a successful decode must give
    region: str = ""  # part of the archive hit (for single-position changes)


def _region(sample, pos):
    for start, end, name in sample.regions:
        if start <= pos < end:
            return name
    return "after-end"


def header_cases(sample):
    """Every single-byte change (all 255 other values) of each header byte of `sample`."""
    header_end = next(end for start, end, name in sample.regions if name == "header")
    for pos in range(header_end):
        for value in range(256):
            if value != sample.archive[pos]:
                data = bytearray(sample.archive)
                data[pos] = value
                yield Case(f"header:{pos}:{value}", "header-byte", sample.name,
                           f"byte {pos} = {value:#04x}", bytes(data), sample.data, "header")


def _settings_bodies(good):
    """Header settings bytes a reader must refuse (or take exactly), from the good ones `good`."""
    from paqlstm.container import _stored_options, _value_bytes, read_settings, varint
    from paqlstm.settings import SCHEMA

    def stored(values):
        return b"".join(varint(index) + value for index, value in values)

    pairs = [(index, _value_bytes(option, value)) for index, option, value in _stored_options(read_settings(good))]
    bodies = []
    for k in range(len(pairs)):
        index, value = pairs[k]
        others = pairs[:k] + pairs[k + 1:]
        bodies += [stored(others)]                                             # an option left out
        for forged in (b"\x00", b"\x01", b"\x7f", b"\xff\x7f", b"\x80\x00", b"\xff" * 11, value + b"\x00",
                       value[:-1], b"\x00" + bytes(8), b"\x00\x00\x00\x00\x00\x00\xf8\x7f"):   # ... NaN
            bodies.append(stored(pairs[:k] + [(index, forged)] + pairs[k + 1:]))
        bodies += [stored(pairs[:k] + [(index, value), (index, value)] + pairs[k + 1:])]   # twice
    for index, option in enumerate(SCHEMA):   # every option, at its default or any small value
        for value in (b"\x00", b"\x01", b"\x02", b"\x08", b"\x30"):
            bodies.append(stored(sorted(pairs + [(index, value)])))
    good_bytes = stored(pairs)
    bodies += [good_bytes[::-1], good_bytes * 2, good_bytes + b"\x00", b"\x7f" + good_bytes, varint(len(SCHEMA)),
               varint(2 ** 70), b"\x80" * 1000, b""]
    return bodies


def _forge(rng, sample):
    """A structural field set to a chosen value, with the check that covers it made right."""
    from paqlstm.container import _CHECK, frames, varint
    archive = bytearray(sample.archive)
    laid_out = frames(sample.archive)
    frame = laid_out[0]
    chunks = [chunk for member in laid_out for chunk in member.chunks]
    choice = rng.randrange(4)
    if choice == 0 or (choice == 1 and not chunks):  # header settings
        body = rng.choice(_settings_bodies(frame.settings_bytes) + [rng.randbytes(rng.randrange(1, 40))])
        head = sample.archive[:5] + varint(len(body)) + body   # magic and version kept
        return bytes(head + _CHECK.pack(zlib.crc32(head) & 0xFFFF) + archive[frame.header_end:]), \
            f"settings {body[:40]!r}{'...' if len(body) > 40 else ''}", "header"
    if choice == 1:  # a chunk's raw or compressed length
        chunk = rng.choice(chunks)
        start, raw, comp = chunk.start, chunk.raw_length, chunk.compressed_length
        field = rng.randrange(2)
        old = (raw, comp)[field]
        value = rng.choice([0, 1, old - 1, old + 1, old * 2, old + (1 << rng.randrange(32)), old // 2,
                            (1 << 24), (1 << 24) + 1, raw * 3 // 2 + 64, raw * 3 // 2 + 65, 0xFFFFFFFF,
                            rng.randrange(1 << 32), 1 << 70])
        if value == old:
            value ^= 1
        lengths = [raw, comp]
        lengths[field] = value
        archive[start:chunk.payload_start] = varint(lengths[0]) + varint(lengths[1])
        return bytes(archive), f"chunk at {start}: {('raw_len', 'comp_len')[field]} {old} -> {value}", \
            "chunk-lengths"
    if choice == 2:  # the end-of-chunks marker, a raw length of 0
        marker = rng.choice([b"\x80\x00", b"\x00\x00", b"\x01", b"\x80\x80\x00", b"\xff" * 12])
        archive[frame.end_of_chunks:frame.trailer_start] = marker
        return bytes(archive), f"end-of-chunks = {marker.hex()}", "end-of-chunks"
    # The trailer's length or data CRC.
    start, length, crc = frame.trailer_start, frame.length, frame.crc
    if rng.randrange(2):
        length = rng.choice([length + 1, max(length - 1, 0) if length else 1, 0 if length else 5,
                             1 << 63, rng.randrange(1 << 64), 1 << 70])
        detail = f"trailer length = {length}"
    else:
        crc ^= 1 << rng.randrange(32)
        detail = f"trailer crc = {crc:#010x}"
    archive[start:frame.end] = varint(length) + struct.pack("<I", crc)
    return bytes(archive), detail, "trailer"


def _mutate(rng, kind, sample, corpus):
    """Apply one mutation of family `kind`; returns (data, detail, region)."""
    archive = sample.archive
    n = len(archive)
    if kind == "bit-flip":
        pos, bit = rng.randrange(n), rng.randrange(8)
        data = bytearray(archive)
        data[pos] ^= 1 << bit
        return bytes(data), f"bit {bit} of byte {pos}", _region(sample, pos)
    if kind == "bit-flips":
        count = rng.randrange(2, 9)
        data = bytearray(archive)
        spots = [(rng.randrange(n), rng.randrange(8)) for _ in range(count)]
        for pos, bit in spots:
            data[pos] ^= 1 << bit
        return bytes(data), f"{count} bits at {sorted(p for p, _ in spots)}", ""
    if kind == "byte-set":
        pos = rng.randrange(n)
        value = rng.choice([0, 0xFF, rng.randrange(256)])
        data = bytearray(archive)
        data[pos] = value if value != data[pos] else value ^ 0x5A
        return bytes(data), f"byte {pos} = {data[pos]:#04x}", _region(sample, pos)
    if kind == "truncate":
        cut = rng.randrange(n)
        return archive[:cut], f"first {cut} of {n} bytes", ""
    if kind == "append":
        extra = rng.choice([b"\x00", b"P", b"PQ", b"PQLS", archive[:5], rng.randbytes(rng.randrange(1, 64)),
                            archive[:rng.randrange(1, n)]])  # a whole copy would be a valid second archive
        return archive + extra, f"{len(extra)} bytes appended ({extra[:8]!r})", "after-end"
    if kind == "insert":
        pos = rng.randrange(n + 1)
        extra = rng.randbytes(rng.choice([1, 1, 2, 4, rng.randrange(1, 100)]))
        return archive[:pos] + extra + archive[pos:], f"{len(extra)} bytes inserted at {pos}", \
            _region(sample, pos)
    if kind == "delete":
        pos = rng.randrange(n)
        length = min(rng.choice([1, 1, 2, 4, rng.randrange(1, 100)]), n - pos)
        return archive[:pos] + archive[pos + length:], f"{length} bytes deleted at {pos}", _region(sample, pos)
    if kind == "duplicate":
        start = rng.randrange(n)
        end = rng.randrange(start + 1, min(n, start + 200) + 1)
        at = rng.randrange(n + 1)
        return archive[:at] + archive[start:end] + archive[at:], \
            f"bytes {start}:{end} copied to {at}", _region(sample, at)
    if kind == "splice":
        other = rng.choice(corpus).archive
        cut, resume = rng.randrange(1, n), rng.randrange(1, len(other))
        return archive[:cut] + other[resume:], f"first {cut} bytes + other archive from {resume}", ""
    if kind == "forge":
        return _forge(rng, sample)
    raise ValueError(kind)


RANDOM_KINDS = ("bit-flip", "bit-flips", "byte-set", "truncate", "append", "insert", "delete",
                "duplicate", "splice", "forge")


def random_cases(corpus, count, seed):
    """`count` random mutations (deterministic for a seed) spread over the corpus and the kinds."""
    rng = random.Random(seed)
    made = 0
    while made < count:
        kind = RANDOM_KINDS[made % len(RANDOM_KINDS)]
        sample = corpus[rng.randrange(len(corpus))]
        data, detail, region = _mutate(rng, kind, sample, corpus)
        if any(data == other.archive for other in corpus):
            continue  # no change after all (a duplicated range of equal bytes), or a splice that
            # cut both archives at the same place inside their common start: the other one, whole
        expected = sample.data
        for end, length in (sample.members or [])[:-1]:
            if data == sample.archive[:end]:  # cut where an archive ends: a valid, shorter file
                expected, region = sample.data[:length], "archive-boundary"
        yield Case(f"{kind}:{made}", kind, sample.name, detail, data, expected, region)
        made += 1


# --- judging ----------------------------------------------------------------------

FINE = "fine"
BAD = "BAD"


def decode(data):
    """Decode in this process; a dict that says how it ended (sent by workers as JSON)."""
    import paqlstm
    from paqlstm.errors import PaqlstmError
    started = time.perf_counter()
    try:
        out = paqlstm.decompress(data)
    except PaqlstmError as exc:
        result = {"outcome": "error", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - any other exception is a bug to report
        import traceback
        result = {"outcome": "exception", "message": f"{type(exc).__name__}: {exc}"[:300],
                  "where": traceback.format_exc().strip().splitlines()[-3:]}
    else:
        result = {"outcome": "decoded", "length": len(out), "sha256": hashlib.sha256(out).hexdigest()}
    result["seconds"] = time.perf_counter() - started
    return result


def message_kind(message):
    """An error message with its numbers and quoted values replaced, to group outcomes."""
    message = re.sub(r"^invalid (\w+) .*?: expected", r"invalid \1 X: expected", message)
    return re.sub(r"\d+", "N", message)


def judge(case, result):
    """(verdict, outcome label): verdict FINE or BAD."""
    outcome = result["outcome"]
    if outcome == "error":
        message = result["message"]
        if "\n" in message or not message.strip():
            return BAD, f"BAD MESSAGE: {message!r}"
        return FINE, "error: " + message_kind(message)
    if outcome == "decoded":
        if result["length"] == len(case.expected) and \
                result["sha256"] == hashlib.sha256(case.expected).hexdigest():
            return FINE, "decoded, same data"
        return BAD, "WRONG OUTPUT"
    if outcome == "exception":
        return BAD, f"CRASH: {result['message'].split(':')[0]}"
    if outcome == "signal":
        return BAD, f"CRASH: signal {result['signal']}"
    if outcome == "hang":
        return BAD, "HANG"
    return BAD, f"CRASH: {outcome}"


# --- worker processes -------------------------------------------------------------

def worker_main():
    """Read length-prefixed archives on stdin; answer one JSON line each on stdout."""
    import paqlstm
    paqlstm.decompress(paqlstm.compress(generated_text(2000, 0), level=1))  # compile / load kernels
    for lstm in (True, "mixer", "both"):
        paqlstm.decompress(paqlstm.compress(generated_text(200, 0), level=1, lstm=lstm, lstm_cells=8, mixer_cells=8))
    out = sys.stdout.buffer
    out.write(b'{"ready":true}\n')
    out.flush()
    stdin = sys.stdin.buffer
    while True:
        head = stdin.read(4)
        if len(head) < 4:
            return
        data = stdin.read(struct.unpack("<I", head)[0])
        out.write(json.dumps(decode(data)).encode() + b"\n")
        out.flush()


class Worker:
    """A decoding subprocess; killed and replaced when it crashes or hangs."""

    def __init__(self, log_dir, number):
        self.log_path = os.path.join(log_dir, f"worker-{number}.log")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.buffer = b""
        self.case = None
        self.started = None
        self.ready = False
        self.spawned = time.monotonic()

    def fileno(self):
        return self.process.stdout.fileno()

    def send(self, case):
        self.case, self.started = case, time.monotonic()
        self.process.stdin.write(struct.pack("<I", len(case.data)) + case.data)
        self.process.stdin.flush()

    def read_lines(self):
        """Lines now available; None when the process has closed its output (it died)."""
        piece = os.read(self.fileno(), 1 << 16)
        if not piece:
            return None
        self.buffer += piece
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines]

    def kill(self):
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait()
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        self.process.stdout.close()
        self.log.close()

    def death(self):
        """How the process ended, once its output is closed."""
        status = self.process.wait()
        self.log.flush()
        with open(self.log_path, "rb") as f:
            tail = f.read()[-400:].decode(errors="replace").strip().splitlines()[-2:]
        if status < 0:
            return {"outcome": "signal", "signal": -status, "where": tail}
        return {"outcome": f"worker exit {status}", "where": tail}


def run_workers(cases, jobs, timeout, log_dir, progress):
    """Decode every case in `jobs` worker processes; yields (case, result)."""
    pending = collections.deque(cases)
    workers = [Worker(log_dir, i) for i in range(jobs)]
    spawned = jobs
    done = 0
    try:
        while pending or any(w.case for w in workers):
            for worker in workers:
                if worker.ready and worker.case is None and pending:
                    worker.send(pending.popleft())
            ready, _, _ = select.select(workers, [], [], 1.0)
            now = time.monotonic()
            for index, worker in enumerate(workers):
                replace = False
                if worker in ready:
                    lines = worker.read_lines()
                    if lines is None:  # died: a crash for the case it had
                        result = worker.death()
                        if worker.case is None:
                            raise RuntimeError(f"worker failed to start: {result}")
                        yield worker.case, result
                        done += 1
                        replace = True
                    else:
                        for line in lines:
                            if line.get("ready"):
                                worker.ready = True
                            else:
                                yield worker.case, line
                                done += 1
                                worker.case = None
                                if progress and done % 500 == 0:
                                    print(f"  {done} cases decoded", file=sys.stderr, flush=True)
                elif worker.case is not None and now - worker.started > timeout:
                    yield worker.case, {"outcome": "hang", "seconds": now - worker.started}
                    done += 1
                    replace = True
                elif not worker.ready and now - worker.spawned > 1800:
                    raise RuntimeError("worker did not get ready (compiling) within 30 minutes")
                if replace:
                    worker.kill()
                    workers[index] = Worker(log_dir, spawned)
                    spawned += 1
    finally:
        for worker in workers:
            worker.kill()


# --- the command line, as a process -------------------------------------------------

def run_cli(case, command, timeout):
    """Run `paqlstm <command> -` on the case; a result dict judged like in-process ones."""
    argv = [sys.executable, "-m", "paqlstm"] + (["decompress", "-c", "-"] if command == "decompress"
                                                 else ["test", "-q", "-"])
    started = time.monotonic()
    try:
        run = subprocess.run(argv, input=case.data, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"outcome": "hang", "seconds": timeout}
    seconds = time.monotonic() - started
    lines = run.stderr.decode(errors="replace").splitlines()
    if run.returncode < 0:
        return {"outcome": "signal", "signal": -run.returncode, "seconds": seconds}
    if run.returncode == 0:
        if run.stderr:
            return {"outcome": "exception", "message": f"stderr on success: {run.stderr[:200]!r}",
                    "seconds": seconds}
        out = run.stdout if command == "decompress" else case.expected  # `test` writes nothing
        return {"outcome": "decoded", "length": len(out), "sha256": hashlib.sha256(out).hexdigest(),
                "seconds": seconds}
    prefix = "paqlstm: error: <stdin>: "
    if run.returncode == 1 and len(lines) == 1 and lines[0].startswith(prefix):
        message = lines[0][len(prefix):]
        if message.startswith("internal error"):
            return {"outcome": "exception", "message": message, "seconds": seconds}
        return {"outcome": "error", "message": message, "seconds": seconds}
    return {"outcome": "exception", "message": f"exit {run.returncode}, stderr {run.stderr[:300]!r}",
            "seconds": seconds}


# --- report -----------------------------------------------------------------------

def table(counts, kinds, title):
    """A Markdown table: one row per outcome, one column per mutation kind, and totals."""
    outcomes = sorted({o for (k, o) in counts}, key=lambda o: (o.startswith(("CRASH", "HANG", "WRONG", "BAD")),
                                                              not o.startswith("error"), o))
    head = f"| {title} | " + " | ".join(kinds) + " | total |"
    lines = [head, "|" + "---|" * (len(kinds) + 2)]
    for outcome in outcomes:
        row = [counts.get((k, outcome), 0) for k in kinds]
        lines.append(f"| {outcome} | " + " | ".join(str(v) if v else "" for v in row) + f" | {sum(row)} |")
    totals = [sum(v for (k, o), v in counts.items() if k == kind) for kind in kinds]
    lines.append("| **cases** | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="random mutations (default 10000)")
    parser.add_argument("--no-header", action="store_true", help="skip the exhaustive header changes")
    parser.add_argument("--cli", type=int, default=200, help="cases also run through the CLI (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case (default 60)")
    parser.add_argument("--save", metavar="DIR", help="write every bad case's archive to DIR")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main()

    started = time.monotonic()
    corpus = make_corpus()
    cases = [] if args.no_header else list(header_cases(corpus[0]))
    cases += list(random_cases(corpus, args.cases, args.seed))
    kinds = (() if args.no_header else ("header-byte",)) + RANDOM_KINDS
    print(f"{len(cases)} mutated archives from {len(corpus)} samples "
          f"({', '.join(f'{s.name} {len(s.archive)} B' for s in corpus)}); "
          f"{args.jobs} workers, timeout {args.timeout:g} s, NUMBA_BOUNDSCHECK={os.environ.get('NUMBA_BOUNDSCHECK', '')}",
          flush=True)

    counts, regions, bad, slowest = collections.Counter(), collections.Counter(), [], []
    with tempfile.TemporaryDirectory(prefix="paqlstm-fuzz-") as log_dir:
        for case, result in run_workers(cases, args.jobs, args.timeout, log_dir, progress=True):
            verdict, label = judge(case, result)
            counts[(case.kind, label)] += 1
            slowest.append((result.get("seconds", 0.0), case.id, case.sample, case.detail))
            if label == "decoded, same data":
                regions[(case.kind, case.region or "several")] += 1
            if verdict == BAD:
                bad.append((case, label, result))
    decode_seconds = time.monotonic() - started

    # The command line, in a process per case: exit statuses and one-line messages.
    cli_counts = collections.Counter()
    if args.cli:
        from concurrent.futures import ThreadPoolExecutor
        rng = random.Random(args.seed + 1)
        pool = [case for case in cases if case.kind != "header-byte"] or cases
        sample = rng.sample(pool, min(args.cli, len(pool)))
        commands = ["decompress" if i % 2 == 0 else "test" for i in range(len(sample))]
        print(f"running {len(sample)} cases through the CLI ...", file=sys.stderr, flush=True)
        with ThreadPoolExecutor(args.jobs) as pool:
            results = pool.map(lambda pair: run_cli(pair[0], pair[1], max(args.timeout, 120)),
                               zip(sample, commands))
            for case, command, result in zip(sample, commands, results):
                verdict, label = judge(case, result)
                cli_counts[(command, label)] += 1
                if verdict == BAD:
                    bad.append((case, f"CLI {command}: {label}", result))

    print()
    print(table(counts, kinds, "outcome \\ mutation"))
    if regions:
        print("\nDecoded to the same data, by where the change was:")
        for (kind, region), count in sorted(regions.items()):
            print(f"  {kind:10} {region:15} {count}")
    if cli_counts:
        print()
        print(table(cli_counts, ("decompress", "test"), "CLI outcome \\ command"))
    slowest.sort(reverse=True)
    print("\nslowest cases (decode seconds): " + "; ".join(f"{s:.3f} {i} ({n}: {d})"
                                                         for s, i, n, d in slowest[:3]))
    print(f"decoded {len(cases)} cases in {decode_seconds:.0f} s; {len(bad)} bad")
    for case, label, result in bad[:30]:
        print(f"BAD {case.id} [{case.sample}: {case.detail}] {label}: {json.dumps(result)[:300]}")
    if args.save and bad:
        os.makedirs(args.save, exist_ok=True)
        for case, label, result in bad:
            with open(os.path.join(args.save, case.id.replace(":", "_") + ".pql"), "wb") as f:
                f.write(case.data)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
