"""Where the byte LSTM's time goes: its forward gates, softmax, backward passes and optimizer.

The LSTM first learns from the first `--train` bytes of the input (so the sparse parts of the
backward pass skip what a trained model skips), then runs over the next `--bytes` bytes five
times, each run doing one more part of a training step; the differences are each part's cost,
in microseconds per byte (the fastest of --rounds runs). Its weights stay fixed while timed
(the optimizer's run is last).

    python scripts/lstm_profile.py ../shared/data/dickens --cells 32
"""
import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))   # this checkout's paqlstm

from paqlstm.jit import njit  # noqa: E402
from paqlstm.models import byte_lstm as bl  # noqa: E402

PARTS = ("forward: gates", "forward: output", "backward: output", "backward: cells", "optimizer")


@njit(_nrt=False)
def _run(lstm, data, parts):
    """The training loop of lstm_byte_update, doing only the first `parts` of PARTS (without NRT, as
    the block coders run: views of arrays then cost no reference counting)."""
    live = lstm.live
    horizon = live.probs.shape[0]
    for i in range(data.size - 1):
        s = i % horizon
        lstm.regs[bl.POS] = s
        live.seq[s, 0] = data[i]
        live.seq[s, 1] = data[i + 1]
        bl._gates(lstm, data[i], s)
        if parts >= 2:
            if lstm.regs[bl.OUTPUT] == bl.SOFTMAX:
                bl._softmax(lstm, s)
                bl._learn_byte(lstm, data[i + 1])
            else:   # the bit tree's nodes are evaluated bit by bit, on the actual byte's path
                c0 = 1
                for j in range(7, -1, -1):
                    bl.lstm_bit_p(lstm, c0)
                    c0 = 2 * c0 + ((data[i + 1] >> j) & 1)
        if s == horizon - 1 and parts >= 3:
            bl._hand_over(lstm)
            bl._transpose_wu(lstm)
            for t in range(horizon - 1, -1, -1):
                bl._output_backward(lstm, live, t)
                if parts >= 4:
                    bl._cells_backward(lstm, live, t)
            if parts >= 5:
                bl._update(lstm, live.seq, bl.STEP_AND_ADD)
                bl._transpose_wo(lstm)
    return 0


def _copy(arrays):
    """A deep copy of a model: named tuples of arrays."""
    return type(arrays)(*(_copy(a) if isinstance(a, tuple) else a.copy() for a in arrays))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--cells", type=int, default=bl.DEFAULT_CELLS)
    parser.add_argument("--layers", type=int, default=bl.DEFAULT_LAYERS)
    parser.add_argument("--horizon", type=int, default=bl.DEFAULT_HORIZON)
    parser.add_argument("--output", choices=bl.OUTPUTS, default=bl.OUTPUTS[bl.SOFTMAX])
    parser.add_argument("--train", type=int, default=200_000)
    parser.add_argument("--bytes", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = np.fromfile(args.file, dtype=np.uint8)[:args.train + args.bytes].astype(np.int64)
    lstm = bl.new_lstm(args.cells, args.horizon, bl.DEFAULT_LR, bl.DEFAULT_CLIP, layers=args.layers, output=args.output)
    out = np.empty(8 * args.train, dtype=np.int64)
    bl.lstm_predict_bytes(lstm, data[:args.train].astype(np.uint8), out)
    sample = data[args.train:]
    _run(_copy(lstm), sample[:100], 1)     # compiled before the clock starts
    times = []
    for parts in range(1, len(PARTS) + 1):
        best = float("inf")
        for _ in range(args.rounds):   # the fastest round: the others met other work on the machine
            copy = _copy(lstm)   # the optimizer changes the weights: each run starts from the trained model
            start = time.perf_counter()
            _run(copy, sample, parts)
            best = min(best, (time.perf_counter() - start) / sample.size * 1e6)
        times.append(best)
    print(f"byte LSTM, {args.layers} x {args.cells} cells, horizon {args.horizon}, {args.output}, after {args.train:,} bytes of "
          f"{pathlib.Path(args.file).name}: microseconds per byte")
    previous = 0.0
    for name, total in zip(PARTS, times):
        print(f"  {name:18s} {total - previous:7.2f}  {(total - previous) / times[-1]:6.1%}")
        previous = total
    print(f"  {'total':18s} {times[-1]:7.2f}")


if __name__ == "__main__":
    main()
