#!/usr/bin/env python3
"""The LSTM byte model alone: its coding cost in bits/byte and its speed in CPU µs/byte.

Cost is what the LSTM would contribute to a compressor: the sum over every bit of
-log2 of the 12-bit probability `lstm_bit_p` gave the bit that came, per window and
overall. Time is process CPU time (the machine is shared, wall time is noisy), the
compile excluded.

    python scripts/lstm_alone.py ../shared/data/dickens --bytes 1000000
    python scripts/lstm_alone.py ../shared/data/dickens --bytes 3000000 --cells 48 --horizon 40
"""
import argparse
import os
import time

import numpy as np

from paqlstm.models.byte_lstm import (DEFAULT_CELLS, DEFAULT_CLIP, DEFAULT_HORIZON, DEFAULT_LAYERS,
                                  DEFAULT_LR, lstm_memory, lstm_predict_bytes, lstm_weight_norm,
                                  new_lstm, UPDATES)


def bit_costs(data, probs):
    """-log2 P(actual bit) for every bit, from 12-bit P(1) in coding order (high bit first)."""
    bits = np.unpackbits(data)
    p = np.where(bits == 1, probs, 4096 - probs).astype(np.float64) / 4096.0
    return -np.log2(p)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--bytes", type=int, default=0, help="prefix length (0 = whole file)")
    parser.add_argument("--cells", type=int, default=DEFAULT_CELLS)
    parser.add_argument("--horizon", type=int, default=DEFAULT_HORIZON)
    parser.add_argument("--lr", type=float, default=DEFAULT_LR)
    parser.add_argument("--clip", type=float, default=DEFAULT_CLIP)
    parser.add_argument("--layers", type=int, default=DEFAULT_LAYERS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=int, default=100_000, help="bytes per reported window")
    args = parser.parse_args()

    with open(args.file, "rb") as f:
        data = np.frombuffer(f.read(args.bytes) if args.bytes else f.read(), dtype=np.uint8)
    lstm_predict_bytes(new_lstm(8, 4, 0.001, 1.0), data[:16], np.zeros(128, dtype=np.int64))  # compile

    lstm = new_lstm(args.cells, args.horizon, args.lr, args.clip, seed=args.seed, layers=args.layers)
    probs = np.zeros(8 * data.size, dtype=np.int64)
    start = time.process_time()
    lstm_predict_bytes(lstm, data, probs)
    seconds = time.process_time() - start

    cost = bit_costs(data, probs)
    print(f"{os.path.basename(args.file)} {data.size:,} B  cells {args.cells} layers {args.layers} "
          f"horizon {args.horizon} lr {args.lr:g} clip {args.clip:g}")
    for begin in range(0, data.size, args.window):
        end = min(begin + args.window, data.size)
        print(f"  {begin:>11,} .. {end:>11,}  {cost[8 * begin:8 * end].sum() / (end - begin):.4f} bpb")
    print(f"overall {cost.sum() / data.size:.4f} bpb  {1e6 * seconds / data.size:.2f} us/byte (CPU)  "
          f"memory {lstm_memory(args.cells, args.horizon, args.layers):,} B  "
          f"updates {lstm.regs[UPDATES]:,}  weight norm {lstm_weight_norm(lstm):.1f}")


if __name__ == "__main__":
    main()
