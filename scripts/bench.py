#!/usr/bin/env python3
"""Benchmark paqlstm against stdlib lzma and bz2, and zpaq when installed.

For each file and codec: compressed size, bits per byte, compress and decompress
speed (KB/s, 1 KB = 1000 B) and peak RSS. Every codec runs in its own process so its
peak RSS is its own; paqlstm's kernels are loaded (from the Numba cache) before the
clock starts, and every round trip is verified. Prints a table and writes JSON.

    python scripts/bench.py ../shared/data/dickens --json bench.json
    python scripts/bench.py FILE --prefix 1000000 --codecs paqlstm,lzma
    python scripts/bench.py ../shared/data/dickens --lstm --codecs paqlstm   # LSTM off and on
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

CODECS = ("paqlstm", "lzma", "bz2", "zpaq")
LSTM_CODEC = "paqlstm+lstm"    # paqlstm with the LSTM on, default LSTM settings


def _codec_functions(codec, level):
    """(compress, decompress) for a codec; raises ImportError when it is not installed."""
    if codec in ("paqlstm", LSTM_CODEC):
        import paqlstm
        options = {"level": level, "lstm": codec == LSTM_CODEC}
        paqlstm.decompress(paqlstm.compress(b"warm up the compiled kernels", **options))
        return (lambda d: paqlstm.compress(d, **options)), paqlstm.decompress
    if codec == "lzma":
        import lzma
        return (lambda d: lzma.compress(d, preset=9 | lzma.PRESET_EXTREME)), lzma.decompress
    if codec == "bz2":
        import bz2
        return (lambda d: bz2.compress(d, 9)), bz2.decompress
    if codec == "zpaq":
        import zpaq
        # One thread: the strongest setting (method 5), and a single-core comparison.
        return (lambda d: zpaq.compress(d, level=5, threads=1)), zpaq.decompress
    raise ValueError(codec)


def _settings(codec, level):
    return {"paqlstm": f"level {level}", LSTM_CODEC: f"level {level}, LSTM", "lzma": "preset 9|extreme", "bz2": "level 9",
            "zpaq": "method 5, 1 thread"}[codec]


def run_worker(codec, path, prefix, level):
    """Measure one codec on one file in this process; returns a result dict."""
    compress, decompress = _codec_functions(codec, level)
    with open(path, "rb") as f:
        data = f.read(prefix) if prefix else f.read()
    start = time.perf_counter()
    packed = compress(data)
    compress_s = time.perf_counter() - start
    start = time.perf_counter()
    unpacked = decompress(packed)
    decompress_s = time.perf_counter() - start
    kb = len(data) / 1000
    return {
        "codec": codec,
        "settings": _settings(codec, level),
        "file": os.path.basename(path),
        "original": len(data),
        "compressed": len(packed),
        "bits_per_byte": 8 * len(packed) / max(len(data), 1),
        "compress_s": compress_s,
        "decompress_s": decompress_s,
        "compress_kb_s": kb / compress_s if compress_s else None,
        "decompress_kb_s": kb / decompress_s if decompress_s else None,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "round_trip_ok": unpacked == data,
    }


def run_isolated(codec, path, prefix, level):
    """Run one measurement in a fresh interpreter; None when the codec is not installed."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", codec, path,
           "--prefix", str(prefix or 0), "--level", str(level)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode == 3:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"{codec} on {path} failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout)


def format_table(rows):
    head = (f"{'file':<12} {'codec':<12} {'settings':<18} {'original':>11} {'compressed':>11} "
            f"{'bpb':>6} {'comp KB/s':>10} {'dec KB/s':>9} {'peak MB':>8} ok")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['file']:<12} {r['codec']:<12} {r['settings']:<18} {r['original']:>11,} "
            f"{r['compressed']:>11,} {r['bits_per_byte']:>6.3f} {r['compress_kb_s']:>10.1f} "
            f"{r['decompress_kb_s']:>9.1f} {r['peak_rss_mb']:>8.0f} "
            f"{'yes' if r['round_trip_ok'] else 'NO'}")
    return "\n".join(lines)


def lstm_comparison(rows):
    """Per file: what the LSTM changes in size, time and peak memory against LSTM off."""
    by_key = {(r["file"], r["codec"]): r for r in rows}
    for (name, codec), on in by_key.items():
        off = by_key.get((name, "paqlstm"))
        if codec != LSTM_CODEC or off is None:
            continue
        yield (f"{name}: LSTM on vs off: size {100 * (on['compressed'] / off['compressed'] - 1):+.2f} %, "
               f"compress time {100 * (on['compress_s'] / off['compress_s'] - 1):+.1f} %, "
               f"decompress time {100 * (on['decompress_s'] / off['decompress_s'] - 1):+.1f} %, "
               f"peak RSS {on['peak_rss_mb'] - off['peak_rss_mb']:+.0f} MB")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--level", type=int, default=None, help="paqlstm level (default: its default)")
    parser.add_argument("--prefix", type=int, default=0, help="use only the first N bytes of each file")
    parser.add_argument("--codecs", default=",".join(CODECS), help="comma-separated subset of " + ",".join(CODECS))
    parser.add_argument("--json", default="bench.json", help="where to write the results")
    parser.add_argument("--lstm", action="store_true",
                        help="also run paqlstm with the LSTM on, and compare it with LSTM off")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.level is None:
        from paqlstm.settings import DEFAULT_LEVEL
        args.level = DEFAULT_LEVEL
    if args.worker:
        try:
            result = run_worker(args.worker, args.files[0], args.prefix, args.level)
        except ImportError:
            sys.exit(3)
        print(json.dumps(result))
        return

    codecs = args.codecs.split(",")
    if args.lstm:
        codecs.insert(codecs.index("paqlstm") + 1 if "paqlstm" in codecs else 0, LSTM_CODEC)
    rows = []
    for path in args.files:
        for codec in codecs:
            result = run_isolated(codec, path, args.prefix, args.level)
            if result is None:
                print(f"({codec} not installed: skipped)", file=sys.stderr)
                continue
            rows.append(result)
            print(f"{result['file']}: {codec} {result['compressed']:,} B", file=sys.stderr)
    print(format_table(rows))
    for line in lstm_comparison(rows):
        print(line)
    report = {
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor(), "cpus": os.cpu_count()},
        "results": rows,
    }
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2)
    if not all(r["round_trip_ok"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
