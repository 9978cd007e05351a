#!/usr/bin/env python3
"""Quick model-tuning loop: compressed size and speed of file prefixes, engine only.

Skips the container and verification to give a fast, repeatable signal while
changing the model. (Any edit of a compiled module recompiles everything: see jit.py.)

    python scripts/model_sizes.py                      # alice29, dickens 1 MB, xml 500 KB
    python scripts/model_sizes.py ../shared/data/dickens:0 --level 9   # whole file
    python scripts/model_sizes.py --set lstm=true --set blend=learn    # any Settings field
"""
import argparse
import json
import os
import sys
import time

# This checkout's paqlstm, not whichever is installed (a worktree measures its own code).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from paqlstm.engine import Encoder  # noqa: E402
from paqlstm.settings import Settings  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
DEFAULT_INPUTS = [f"{DATA}/alice29.txt:0", f"{DATA}/dickens:1000000", f"{DATA}/xml:500000"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", default=DEFAULT_INPUTS, help="PATH:PREFIX (0 = whole file)")
    parser.add_argument("--level", type=int, default=6)
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=JSON",
                        help="a Settings field, value as JSON (strings may be bare)")
    args = parser.parse_args()
    options = dict(_field(spec) for spec in args.set)
    Encoder(Settings(level=1)).encode_chunk(b"warm up")
    total = 0
    for spec in args.inputs:
        path, _, prefix = spec.partition(":")
        with open(path, "rb") as f:
            data = f.read(int(prefix)) if prefix and int(prefix) else f.read()
        start = time.perf_counter()
        size = len(Encoder(Settings(level=args.level, **options)).encode_chunk(data))
        seconds = time.perf_counter() - start
        total += size
        print(f"{os.path.basename(path):<12} {len(data):>10,} -> {size:>10,}  "
              f"{8 * size / len(data):.4f} bpb  {len(data) / seconds / 1000:6.0f} KB/s")
    print(f"total {total:,}")


def _field(spec):
    name, _, text = spec.partition("=")
    try:
        return name, json.loads(text)
    except json.JSONDecodeError:
        return name, text


if __name__ == "__main__":
    main()
