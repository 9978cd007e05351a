#!/usr/bin/env python3
"""Profile the compiled encoder with perf, with names for the JIT code.

perf cannot name code Numba generates at run time; this script compiles the encoder
afresh (a private cache directory, so the code is generated in this process), writes
/tmp/perf-PID.map naming the encoder and Numba's reference-count helpers, then
encodes a prefix of FILE. Run it under perf:

    perf record -o perf.data python scripts/profile_jit.py ../shared/data/dickens --prefix 3000000
    perf report -i perf.data --sort sym
"""
import argparse
import os
import sys
import tempfile
import time

os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="paqlstm-profile-")

import numpy as np  # noqa: E402  (after the cache directory is chosen)

from paqlstm import predictor  # noqa: E402
from paqlstm.engine import LEVEL_TABLE_BITS  # noqa: E402
from paqlstm.kernels.coder import new_coder_state  # noqa: E402


def write_perf_map(library):
    """Name the encoder and the NRT refcount helpers for perf (sizes are upper bounds)."""
    entries = []
    for function in library._final_module.functions:
        if function.name.startswith("_ZN7paqlstm9predictor12encode_block") and not function.is_declaration:
            entries.append((library.get_pointer_to_function(function.name), 1 << 18, "encode_block"))
    for helper in ("NRT_incref", "NRT_decref"):
        entries.append((library.get_pointer_to_function(helper), 16, helper))
    with open(f"/tmp/perf-{os.getpid()}.map", "w") as f:
        for address, size, name in sorted(entries):
            f.write(f"{address:x} {size:x} {name}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--prefix", type=int, default=3_000_000)
    parser.add_argument("--level", type=int, default=6)
    args = parser.parse_args()
    with open(args.file, "rb") as f:
        data = np.frombuffer(f.read(args.prefix), dtype=np.uint8)
    out = np.empty(data.size * 3 // 2 + 64, dtype=np.uint8)
    predictor.encode_block(predictor.new_model(16, 16), new_coder_state(), data[:16], out)
    write_perf_map(predictor.encode_block.overloads[predictor.encode_block.signatures[0]].library)
    model = predictor.new_model(*LEVEL_TABLE_BITS[args.level])
    start = time.perf_counter()
    written = predictor.encode_block(model, new_coder_state(), data, out)
    seconds = time.perf_counter() - start
    print(f"{data.size:,} -> {written:,} B in {seconds:.2f} s ({data.size / seconds / 1000:.0f} KB/s)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
