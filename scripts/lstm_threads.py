"""What the byte LSTM's delayed training on a second thread costs the coding thread, per window.

Codes the first --bytes of a file with delayed updates, on one thread and on two, and
prints the wall and CPU time per byte and, with two threads, the time per window the
coding thread spends waiting for the trainer, adding its steps and copying the window
(lstm_window_end), and handing the next window over:

    python scripts/lstm_threads.py ../shared/data/dickens --cells 64 --layers 2 --output tree
"""
import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))   # this checkout's paqlstm

from paqlstm import engine  # noqa: E402
from paqlstm.models import byte_lstm  # noqa: E402
from paqlstm.settings import Settings  # noqa: E402

PHASES = ("wait", "window end", "hand over")


class TimedTrainer(engine.LstmTrainer):
    """LstmTrainer, its phases clocked."""
    seconds = dict.fromkeys(PHASES, 0.0)
    windows = 0

    def window_end(self):
        t0 = time.perf_counter()
        self.wait()
        t1 = time.perf_counter()
        byte_lstm.lstm_window_end(self.net)
        t2 = time.perf_counter()
        self.training = self.pool.submit(byte_lstm.lstm_train, self.net)
        t3 = time.perf_counter()
        for phase, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2)):
            TimedTrainer.seconds[phase] += seconds
        TimedTrainer.windows += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--bytes", type=int, default=400_000)
    parser.add_argument("--cells", type=int, default=byte_lstm.DEFAULT_CELLS)
    parser.add_argument("--layers", type=int, default=byte_lstm.DEFAULT_LAYERS)
    parser.add_argument("--output", choices=byte_lstm.OUTPUTS, default=byte_lstm.OUTPUTS[byte_lstm.SOFTMAX])
    args = parser.parse_args()
    data = pathlib.Path(args.file).read_bytes()[:args.bytes]
    engine.LstmTrainer = TimedTrainer
    settings = Settings(lstm="model", lstm_update="delayed", lstm_cells=args.cells, lstm_layers=args.layers,
                        lstm_output=args.output)
    print(f"{pathlib.Path(args.file).name}, {args.bytes:,} bytes, {args.cells} x {args.layers} {args.output}")
    for threads in (1, 2, 1, 2):
        encoder = engine.Encoder(settings, threads=threads)
        encoder.encode_chunk(data[:4000])     # compiled before the clock starts
        TimedTrainer.seconds = dict.fromkeys(PHASES, 0.0)
        TimedTrainer.windows = 0
        wall, cpu = time.perf_counter(), time.process_time()
        encoder.encode_chunk(data)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        line = f"  {threads} thread(s): wall {wall / len(data) * 1e6:.2f} us/byte, CPU {cpu / len(data) * 1e6:.2f}"
        if TimedTrainer.windows:
            line += "; per window: " + ", ".join(f"{phase} {seconds / TimedTrainer.windows * 1e6:.0f} us"
                                                 for phase, seconds in TimedTrainer.seconds.items())
        print(line)


if __name__ == "__main__":
    main()
