#!/usr/bin/env python3
"""A large generated stream through `paqlstm compress -c -` and `paqlstm decompress -c -`.

Generates a deterministic, realistic stream on the fly (English-like text, CSV tables,
XML-like markup, binary records, and earlier blocks repeated with small edits, so
every model has something to find), pipes it through the command line at a level,
checks that the SHA-256 of what comes back equals the input's, and reports for each
child its wall time, CPU time, speed and peak RSS against the level's memory bound
(`paqlstm.settings.level_memory`, the table `paqlstm compress --help` shows) plus the
interpreter's own footprint (measured by a child that loads the kernels and codes a
few bytes at level 1).

    python scripts/stream_1gb.py                     # 1 GiB at the default level: hours
    python scripts/stream_1gb.py --size 50M --level 9
    python scripts/stream_1gb.py --size 10M --mode twopass --json out.json

--mode chain (default) runs both children at once, compressed bytes relayed (and
counted) by this process; twopass compresses to a temporary archive first, then
decompresses it, so each direction is timed alone. Exit status 1 if the data came
back different, a child failed, or a peak RSS exceeded its bound.
"""
import argparse
import collections
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

BLOCK = 1 << 16          # bytes generated per step
RUNTIME_SLACK = 64 << 20  # buffers beyond the model and the idle interpreter: chunks, pipes


# --- the stream --------------------------------------------------------------------

SYLLABLES = ("a e i o u an en in on th er re he st nd ou ng ea at es or ar ti te is al le ri ro ed "
             "co de ra me ve li ne se ma ca pe po so ta to mo ha di pa sa be bo fa fe fi").split()


def _vocabulary(rng, count):
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4)))))
    words = sorted(words)
    rng.shuffle(words)  # frequency rank independent of spelling
    return words


class Stream:
    """Deterministic blocks of mixed content; `read(n)` like a file, `size` bytes in all."""

    def __init__(self, size, seed=2024):
        self.size = size
        self.produced = 0
        self._rng = random.Random(seed)
        self._words = _vocabulary(self._rng, 6000)
        # Zipf-like word frequencies: a few words are very common.
        self._weights = [1.0 / (rank + 1) for rank in range(len(self._words))]
        self._cumulative = list(_accumulate(self._weights))
        self._recent = collections.deque(maxlen=256)   # earlier blocks, to repeat
        self._pending = b""
        self._record = 0

    def read(self, n):
        while len(self._pending) < n and self.produced + len(self._pending) < self.size:
            self._pending += self._block()
        data = self._pending[:min(n, self.size - self.produced)]
        self._pending = self._pending[len(data):]
        self.produced += len(data)
        return data

    def _block(self):
        kind = self._rng.choices(("text", "table", "markup", "records", "repeat"), (50, 14, 14, 12, 10))[0]
        if kind == "repeat" and not self._recent:
            kind = "text"
        block = getattr(self, "_" + kind)()
        if kind != "repeat":
            self._recent.append(block)
        return block

    def _sentence(self):
        count = self._rng.randrange(4, 22)
        words = self._rng.choices(self._words, cum_weights=self._cumulative, k=count)
        words[0] = words[0].capitalize()
        if self._rng.random() < 0.2:
            words.insert(self._rng.randrange(len(words)), str(self._rng.randrange(1, 3000)))
        return " ".join(words) + self._rng.choice((".", ".", ".", "?", "!", ";"))

    def _text(self):
        lines, line, size = [], "", 0
        while size < BLOCK:
            sentence = self._sentence()
            for word in sentence.split(" "):
                if len(line) + len(word) + 1 > 72:
                    lines.append(line)
                    size += len(line) + 1
                    line = word
                else:
                    line = f"{line} {word}" if line else word
            if self._rng.random() < 0.15:
                lines += [line, ""]
                size += len(line) + 2
                line = ""
        return ("\n".join(lines) + "\n").encode()

    def _table(self):
        rng = self._rng
        columns = rng.randrange(3, 8)
        rows = [",".join(f"col{i}" for i in range(columns))]
        size = 0
        while size < BLOCK:
            self._record += 1
            cells = [str(self._record), rng.choice(self._words[:200]), f"{rng.gauss(100, 30):.2f}",
                     f"{rng.randrange(2020, 2027)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                     rng.choice(("yes", "no", "")), str(rng.randrange(10 ** rng.randrange(1, 7))),
                     rng.choice(self._words)][:columns]
            rows.append(",".join(cells))
            size += len(rows[-1]) + 1
        return ("\n".join(rows) + "\n").encode()

    def _markup(self):
        rng = self._rng
        out, size = [], 0
        while size < BLOCK:
            self._record += 1
            tag = rng.choice(("item", "entry", "record", "page"))
            piece = (f'<{tag} id="{self._record}" lang="{rng.choice(("en", "de", "fr"))}">\n'
                     f"  <title>{self._sentence()}</title>\n"
                     f"  <value unit=\"{rng.choice(('kg', 'm', 's'))}\">{rng.uniform(0, 1000):.3f}</value>\n"
                     f"  <text>{self._sentence()} {self._sentence()}</text>\n</{tag}>\n")
            out.append(piece)
            size += len(piece)
        return "".join(out).encode()

    def _records(self):
        rng = self._rng
        out = bytearray()
        while len(out) < BLOCK:
            self._record += 1
            out += self._record.to_bytes(4, "little")
            out += int(rng.gauss(1 << 15, 4000)).to_bytes(4, "little", signed=True)
            out += rng.choice((b"\x00\x00", b"\x01\x00", b"\xff\xff"))
            out += rng.randbytes(2)
            out += rng.choice(self._words[:64]).encode().ljust(12, b"\x00")
        return bytes(out)

    def _repeat(self):
        """An earlier block again, with a few edits (long matches, then a mismatch)."""
        rng = self._rng
        block = bytearray(rng.choice(self._recent))
        for _ in range(rng.randrange(0, 8)):
            pos = rng.randrange(len(block))
            block[pos:pos + rng.randrange(1, 8)] = rng.randbytes(rng.randrange(0, 8))
        return bytes(block)


def _accumulate(values):
    total = 0.0
    for value in values:
        total += value
        yield total


# --- children ----------------------------------------------------------------------

def _command(*args):
    return [sys.executable, "-m", "paqlstm", *args]


def _reap(process):
    """Wait for a child and return (exit status, rusage): its own peak RSS and CPU time."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage


class Child:
    def __init__(self, name, argv, **popen):
        self.name = name
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, **popen)
        self.status = self.usage = self.seconds = None

    def wait(self):
        self.status, self.usage = _reap(self.process)
        self.seconds = time.monotonic() - self.started
        return self.status


def _pump(source, sink, hasher=None, counter=None, block=1 << 20):
    """Copy source (read(n)) to sink (a binary file), hashing/counting on the way; then close sink."""
    try:
        while True:
            data = source.read(block)
            if not data:
                break
            if hasher is not None:
                hasher.update(data)
            if counter is not None:
                counter[0] += len(data)
            sink.write(data)
    except BrokenPipeError:
        pass  # the child died; its exit status says why
    finally:
        try:
            sink.close()
        except BrokenPipeError:
            pass


def _thread(target, *args, **kwargs):
    thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
    thread.start()
    return thread


def run_chain(size, level, extra, seed):
    stream, source_hash, result_hash = Stream(size, seed), hashlib.sha256(), hashlib.sha256()
    packed, restored = [0], [0]
    compress = Child("compress", _command("compress", "-q", f"-{level}", *extra, "-c", "-"),
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    decompress = Child("decompress", _command("decompress", "-q", "-c", "-"),
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    feeder = _thread(_pump, stream, compress.process.stdin, source_hash)
    relay = _thread(_pump, compress.process.stdout, decompress.process.stdin, None, packed)
    sink = open(os.devnull, "wb")
    _pump(decompress.process.stdout, sink, result_hash, restored)
    feeder.join()
    relay.join()
    compress.wait()
    decompress.wait()
    return [compress, decompress], source_hash, result_hash, packed[0], restored[0]


def run_twopass(size, level, extra, seed):
    stream, source_hash, result_hash = Stream(size, seed), hashlib.sha256(), hashlib.sha256()
    restored = [0]
    with tempfile.TemporaryFile(prefix="paqlstm-stream-") as archive:
        compress = Child("compress", _command("compress", "-q", f"-{level}", *extra, "-c", "-"),
                         stdin=subprocess.PIPE, stdout=archive)
        _pump(stream, compress.process.stdin, source_hash)
        compress.wait()
        packed = archive.tell()
        archive.seek(0)
        decompress = Child("decompress", _command("decompress", "-q", "-c", "-"),
                           stdin=archive, stdout=subprocess.PIPE)
        _pump(decompress.process.stdout, open(os.devnull, "wb"), result_hash, restored)
        decompress.wait()
    return [compress, decompress], source_hash, result_hash, packed, restored[0]


def interpreter_footprint(level):
    """Peak RSS (bytes) of a child that loads the kernels and codes a few bytes at level 1.

    Run twice: the first run compiles whatever the Numba cache lacks (compiling takes
    far more memory than running), so the second, like the measured children, loads."""
    for _ in range(2):
        child = Child("baseline", [sys.executable, "-c", "import paqlstm; "
                                   "paqlstm.decompress(paqlstm.compress(b'warm up' * 100, level=1)); "
                                   f"paqlstm.decompress(paqlstm.compress(b'warm up' * 100, level={level}))"])
        if child.wait() != 0:
            raise SystemExit("the baseline child failed")
    return child.usage.ru_maxrss * 1024


# --- main --------------------------------------------------------------------------

def parse_size(text):
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (text[:-1], text[-1]) if text[-1:] in units and text[-1:] else (text, "")
    return int(float(number) * units[unit])


def main(argv=None):
    from paqlstm.settings import DEFAULT_LEVEL, level_memory
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=1 << 30,
                        help="bytes to generate: 1G (default), 50M, 300K ... (binary units)")
    parser.add_argument("--level", type=int, default=DEFAULT_LEVEL, help=f"default {DEFAULT_LEVEL}")
    parser.add_argument("--mode", choices=("chain", "twopass"), default="chain")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--compress-option", action="append", default=[], metavar="OPT",
                        help="extra option for compress, e.g. --compress-option=--lstm (repeatable)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    baseline = interpreter_footprint(args.level)
    model = level_memory(args.level)
    bound = model + baseline + RUNTIME_SLACK
    print(f"{args.size:,} bytes at level {args.level} ({args.mode}); model memory {model / 2**20:.0f} MiB, "
          f"interpreter {baseline / 2**20:.0f} MiB, RSS bound {bound / 2**20:.0f} MiB", flush=True)
    started = time.monotonic()
    run = run_chain if args.mode == "chain" else run_twopass
    children, source_hash, result_hash, packed, restored = run(args.size, args.level,
                                                               args.compress_option, args.seed)
    total = time.monotonic() - started

    same = source_hash.digest() == result_hash.digest() and restored == args.size
    report = {"size": args.size, "level": args.level, "mode": args.mode, "seed": args.seed,
              "compress_options": args.compress_option, "packed": packed,
              "bits_per_byte": 8 * packed / args.size if args.size else 0.0,
              "sha256": source_hash.hexdigest(), "round_trip_ok": same, "wall_seconds": total,
              "model_memory": model, "interpreter_rss": baseline, "rss_bound": bound, "children": {}}
    ok = same
    print(f"{'child':<11} {'status':>6} {'wall s':>9} {'cpu s':>9} {'KB/s wall':>10} {'KB/s cpu':>9} "
          f"{'peak RSS MiB':>13} {'within bound':>13}")
    for child in children:
        cpu = child.usage.ru_utime + child.usage.ru_stime
        rss = child.usage.ru_maxrss * 1024
        within = rss <= bound
        ok = ok and within and child.status == 0
        report["children"][child.name] = {"status": child.status, "wall_seconds": child.seconds,
                                          "cpu_seconds": cpu, "peak_rss": rss, "within_bound": within}
        print(f"{child.name:<11} {child.status:>6} {child.seconds:>9.1f} {cpu:>9.1f} "
              f"{args.size / 1000 / max(child.seconds, 1e-9):>10.1f} {args.size / 1000 / max(cpu, 1e-9):>9.1f} "
              f"{rss / 2**20:>13.1f} {'yes' if within else 'NO':>13}")
    print(f"compressed {args.size:,} -> {packed:,} bytes ({report['bits_per_byte']:.3f} bits/byte); "
          f"SHA-256 {'matches' if same else 'DIFFERS'} ({source_hash.hexdigest()[:16]}...); total {total:.1f} s")
    slowest = max(child.usage.ru_utime + child.usage.ru_stime for child in children)
    if args.size:
        per_gib = slowest / args.size * (1 << 30)
        print(f"projected for 1 GiB at this speed: {per_gib / 3600:.1f} h of CPU per direction")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
