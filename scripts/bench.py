#!/usr/bin/env python3
"""Benchmark paqlstm against stdlib lzma and bz2, and zpaq when installed.

For each file and codec: compressed size, bits per byte, compress and decompress
speed (KB/s, 1 KB = 1000 B) and peak RSS. Every codec runs in its own process so its
peak RSS is its own; paqlstm's kernels are loaded (from the Numba cache) before the
clock starts, and every round trip is verified. Prints a table and writes JSON.

    python scripts/bench.py ../shared/data/dickens --json bench.json
    python scripts/bench.py FILE --prefix 1000000 --codecs paqlstm,lzma
    python scripts/bench.py ../shared/data/dickens --codecs paqlstm,paqlstm-fast,zpaq   # both profiles
    python scripts/bench.py ../shared/data/dickens --lstm --codecs paqlstm   # LSTM off, model, mixer: wall and CPU
    python scripts/bench.py ../shared/data/dickens --against ../old-checkout   # A/B, one process

--against CHECKOUT compares this checkout's paqlstm with another's in one process
(the machine's speed drifts between runs): both code the same 64 KB pieces in turn,
each piece first by one, then by the other, for --rounds rounds; it prints each
round's CPU times and the median ratio, and checks that both decode what they coded.
"""
import argparse
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CODECS = ("paqlstm", "paqlstm-fast", "lzma", "bz2", "zpaq")
# paqlstm with an LSTM on (--lstm): the byte model, and the LSTM mixer at 32 / 48 / 64 cells;
# "paqlstm+KIND/CELLS", other settings their defaults.
LSTM_CODECS = ("paqlstm+model", "paqlstm+mixer/32", "paqlstm+mixer/48", "paqlstm+mixer/64")


def _paqlstm_options(codec, level):
    """paqlstm's options for a codec name "paqlstm[-fast][+KIND[/MIXER_CELLS]][:OPTION=VALUE...]" (-fast:
    the fast profile; OPTION: any of paqlstm.compress's, threads too; e.g.
    paqlstm+model:lstm_output=tree:lstm_update=delayed:threads=1)."""
    codec, *pairs = codec.split(":")
    name, _, lstm = codec.partition("+")
    kind, _, cells = lstm.partition("/")
    options = {"level": level, **({"profile": "fast"} if name == "paqlstm-fast" else {}),
               **({"lstm": kind} if kind else {}), **({"mixer_cells": int(cells)} if cells else {})}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value     # a bare word: tree, delayed...
    return options


def _codec_functions(codec, level):
    """(compress, decompress) for a codec; raises ImportError when it is not installed."""
    if codec.startswith("paqlstm"):
        import paqlstm
        options = _paqlstm_options(codec, level)
        threads = options.pop("threads", None)
        # Long enough for the LSTMs' windows to end (and their training kernels to load) before the clock starts.
        paqlstm.decompress(paqlstm.compress(b"warm up the compiled kernels. " * 70, threads=threads, **options),
                           threads=threads)
        return (lambda d: paqlstm.compress(d, threads=threads, **options)), \
            (lambda d: paqlstm.decompress(d, threads=threads))
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
    if codec.startswith("paqlstm"):
        return " ".join(f"{key} {value}" for key, value in _paqlstm_options(codec, level).items())
    return {"lzma": "preset 9|extreme", "bz2": "level 9", "zpaq": "method 5, 1 thread"}[codec]


def run_worker(codec, path, prefix, level):
    """Measure one codec on one file in this process; returns a result dict."""
    compress, decompress = _codec_functions(codec, level)
    with open(path, "rb") as f:
        data = f.read(prefix) if prefix else f.read()
    # Wall and CPU time (process_time: every thread), which differ once a codec uses a second core.
    start, cpu_start = time.perf_counter(), time.process_time()
    packed = compress(data)
    compress_s, compress_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    start, cpu_start = time.perf_counter(), time.process_time()
    unpacked = decompress(packed)
    decompress_s, decompress_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
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
        "compress_cpu_s": compress_cpu_s,
        "decompress_cpu_s": decompress_cpu_s,
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
    head = (f"{'file':<12} {'codec':<16} {'settings':<30} {'original':>11} {'compressed':>11} "
            f"{'bpb':>6} {'comp KB/s':>10} {'dec KB/s':>9} {'peak MB':>8} ok")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['file']:<12} {r['codec']:<16} {r['settings']:<30} {r['original']:>11,} "
            f"{r['compressed']:>11,} {r['bits_per_byte']:>6.3f} {r['compress_kb_s']:>10.1f} "
            f"{r['decompress_kb_s']:>9.1f} {r['peak_rss_mb']:>8.0f} "
            f"{'yes' if r['round_trip_ok'] else 'NO'}")
    return "\n".join(lines)


def _time_change(on, off, key):
    """LSTM-on's extra time on one clock (`key`: compress_s, compress_cpu_s, ...): "+x % (+y us/byte)"."""
    added = 1e6 * (on[key] - off[key]) / on["original"]
    return f"{100 * (on[key] / off[key] - 1):+.1f} % ({added:+.1f} us/byte)"


def lstm_comparison(rows):
    """Per file and LSTM codec: what the LSTM changes in size, wall and CPU time (also as
    microseconds per input byte) and peak memory against LSTM off."""
    by_key = {(r["file"], r["codec"]): r for r in rows}
    for (name, codec), on in by_key.items():
        off = by_key.get((name, "paqlstm"))
        if not codec.startswith("paqlstm+") or off is None:
            continue
        times = ", ".join(f"{phase} time {_time_change(on, off, f'{phase}_s')} wall, "
                          f"{_time_change(on, off, f'{phase}_cpu_s')} CPU" for phase in ("compress", "decompress"))
        yield (f"{name}: {codec} vs off: size {100 * (on['compressed'] / off['compressed'] - 1):+.2f} %, "
               f"{times}, peak RSS {on['peak_rss_mb'] - off['peak_rss_mb']:+.0f} MB")


AB_PIECE = 1 << 16


def _load_as(checkout, name):
    """The paqlstm package of another checkout, imported as `name` (its imports are relative)."""
    link = os.path.join(tempfile.mkdtemp(), name)
    os.symlink(os.path.join(os.path.abspath(checkout), "paqlstm"), link)
    sys.path.insert(0, os.path.dirname(link))
    return importlib.import_module(name)


def _codec_of(package, level, size, profile=None):
    """(encode, decode) of one piece with a model carried across pieces, for a package of any version."""
    try:
        settings_class = importlib.import_module(package.__name__ + ".settings").Settings
    except ImportError:   # older checkouts kept Settings in the engine
        settings_class = package.engine.Settings
    settings = settings_class(level=level, **({"profile": profile} if profile else {})).sized_for(size)
    encoder, decoder = package.engine.Encoder(settings), package.engine.Decoder(settings)
    return encoder.encode_chunk, decoder.decode_chunk


def run_ab(path, prefix, level, other, rounds, profile=None):
    """CPU seconds of this checkout and `other` coding the same pieces in turn, per round."""
    import paqlstm
    packages = {"this": paqlstm, "other": _load_as(other, "paqlstm_other")}
    with open(path, "rb") as f:
        data = f.read(prefix) if prefix else f.read()
    pieces = [data[i:i + AB_PIECE] for i in range(0, len(data), AB_PIECE)]
    for package in packages.values():    # compile or load the kernels before the clock starts
        encode, decode = _codec_of(package, level, 4096, profile)
        decode(encode(data[:4096]), len(data[:4096]))
    results = []
    for round_number in range(rounds):
        codecs = {name: _codec_of(package, level, len(data), profile) for name, package in packages.items()}
        seconds = {name: [0.0, 0.0] for name in packages}
        sizes = dict.fromkeys(packages, 0)
        for i, piece in enumerate(pieces):
            order = list(packages) if (i + round_number) % 2 == 0 else list(packages)[::-1]
            for name in order:
                encode, decode = codecs[name]
                start = time.process_time()
                packed = encode(piece)
                middle = time.process_time()
                unpacked = decode(packed, len(piece))
                seconds[name][0] += middle - start
                seconds[name][1] += time.process_time() - middle
                sizes[name] += len(packed)
                if unpacked != piece:
                    raise RuntimeError(f"{name}: round trip failed")
        results.append({"seconds": seconds, "sizes": sizes})
        ratios = [seconds["this"][k] / seconds["other"][k] for k in (0, 1)]
        print(f"round {round_number + 1}: this {seconds['this'][0]:.2f} / {seconds['this'][1]:.2f} s, "
              f"other {seconds['other'][0]:.2f} / {seconds['other'][1]:.2f} s (compress / decompress), "
              f"time ratio {ratios[0]:.3f} / {ratios[1]:.3f}; sizes {sizes['this']:,} / {sizes['other']:,} B",
              file=sys.stderr)
    median = [statistics.median(r["seconds"]["this"][k] / r["seconds"]["other"][k] for r in results) for k in (0, 1)]
    print(f"{os.path.basename(path)} ({len(data):,} B, level {level}): this / other CPU time, median of "
          f"{rounds}: compress {median[0]:.3f}, decompress {median[1]:.3f}")
    return {"file": os.path.basename(path), "bytes": len(data), "level": level, "other": other,
            "rounds": results, "median_ratio": {"compress": median[0], "decompress": median[1]}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--level", type=int, default=None, help="paqlstm level (default: its default)")
    parser.add_argument("--prefix", type=int, default=0, help="use only the first N bytes of each file")
    parser.add_argument("--codecs", default=",".join(CODECS), help="comma-separated subset of " + ",".join(CODECS)
                        + ", or paqlstm[-fast]+KIND[/MIXER_CELLS] (KIND: model, mixer or both)")
    parser.add_argument("--json", default="bench.json", help="where to write the results")
    parser.add_argument("--lstm", action="store_true",
                        help="also run paqlstm with an LSTM on (" + ", ".join(LSTM_CODECS) + ") and compare each "
                        "with LSTM off (wall and CPU time), in microseconds per byte too")
    parser.add_argument("--against", metavar="CHECKOUT",
                        help="A/B in one process: this checkout's paqlstm against CHECKOUT's (see above)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of the --against comparison")
    parser.add_argument("--profile", default=None, help="the model profile of the --against comparison "
                        "(both checkouts must know it; default: each one's default)")
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

    if args.against:
        report = [run_ab(path, args.prefix, args.level, args.against, args.rounds, args.profile)
                  for path in args.files]
        with open(args.json, "w") as f:
            json.dump({"command": " ".join([os.path.basename(sys.executable)] + sys.argv), "ab": report}, f, indent=2)
        return

    codecs = args.codecs.split(",")
    if args.lstm:
        at = codecs.index("paqlstm") + 1 if "paqlstm" in codecs else 0
        codecs[at:at] = LSTM_CODECS
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
