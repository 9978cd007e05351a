"""The chunk codec: encoders and decoders of chunks, one model carried across them.

The compiled predictor codes one chunk per call. Model state carries from chunk to
chunk (so compression does not suffer from chunking), while each chunk gets its own
arithmetic-coder stream, flushed at its end: the decoder can then be handed exactly
one chunk's bytes, check it consumed them all, and never read past them.
"""
import math
import time

import numpy as np

from .errors import PaqlstmError
from .blocks import COST_CLASSIC, COST_FINAL, COST_LSTM, LSTM_P_SQUARES, LSTM_P_SUM, N_COSTS, decode_block, encode_block
from .models import byte_lstm as lstm_kernel
from .predictor import byte_lstm_network, new_predictor
from .primitives.coder import new_coder_state

CHUNK_SIZE = 1 << 20          # raw bytes per chunk a compressor writes, unless told otherwise
MAX_CHUNK_SIZE = 1 << 24      # largest raw chunk a decoder accepts
STATS_WINDOW = 1 << 16        # input bytes per window of the diagnostics


def max_payload_size(raw_length):
    """Most bytes a chunk of raw_length bytes can code to: 12 bits per bit at worst, plus the flush."""
    return raw_length * 3 // 2 + 64


def _read_only(buffer):
    """A read-only uint8 view of any bytes-like object.

    Numba compiles a kernel once per argument type, and a view of bytes is read-only
    where one of a bytearray is not: one type means one compiled (and cached) version,
    not a second compilation mid-stream."""
    array = np.frombuffer(buffer, dtype=np.uint8)
    array.flags.writeable = False
    return array


class Encoder:
    """Compresses successive chunks with one model carried across them.

    Also keeps the diagnostics of `stats()`: the coding cost of the final, the classic
    and the LSTM's predictions per window of STATS_WINDOW input bytes.
    """

    def __init__(self, settings):
        self.settings = settings
        self.model = new_predictor(settings)
        self.position = 0
        self.costs = np.zeros((0, N_COSTS))   # one row per window begun
        self.lstm_norm_start = self._lstm_norm()

    def encode_chunk(self, data):
        raw = _read_only(data)
        out = np.empty(max_payload_size(raw.size), dtype=np.uint8)
        offset = self.position % STATS_WINDOW
        costs = np.zeros(((offset + raw.size + STATS_WINDOW - 1) // STATS_WINDOW, N_COSTS))
        written = encode_block(self.model, new_coder_state(), raw, out, costs, offset, STATS_WINDOW)
        if offset and costs.size:   # the chunk began inside the last window begun
            self.costs[-1] += costs[0]
            costs = costs[1:]
        self.costs = np.concatenate([self.costs, costs])
        self.position += raw.size
        return out[:written].tobytes()

    def _lstm_norm(self):
        return lstm_kernel.lstm_weight_norm(byte_lstm_network(self.model)) if self.settings.lstm else None

    def stats(self):
        """Diagnostics of what was coded so far, as a JSON-ready dict."""
        window_bytes = np.full(len(self.costs), STATS_WINDOW)
        if len(self.costs) and self.position % STATS_WINDOW:
            window_bytes[-1] = self.position % STATS_WINDOW

        def bpb(column):
            return [round(float(x), 5) for x in self.costs[:, column] / window_bytes]

        result = {"input_bytes": self.position, "window_bytes": STATS_WINDOW,
                  "bits_final": float(self.costs[:, COST_FINAL].sum()),
                  "bpb_final": bpb(COST_FINAL), "bpb_classic": bpb(COST_CLASSIC), "lstm": None}
        if self.settings.lstm:
            bits = 8 * max(self.position, 1)
            mean = self.costs[:, LSTM_P_SUM].sum() / bits
            variance = max(0.0, self.costs[:, LSTM_P_SQUARES].sum() / bits - mean * mean)
            regs = byte_lstm_network(self.model).regs
            result["lstm"] = {
                "bpb": bpb(COST_LSTM),
                "pred_mean": mean / 4096, "pred_std": math.sqrt(variance) / 4096,
                "weight_norm_start": self.lstm_norm_start, "weight_norm_end": self._lstm_norm(),
                "forward_steps": int(regs[lstm_kernel.STEPS]),
                "backward_steps": int(regs[lstm_kernel.UPDATES]),
                "memory_bytes": self.settings.lstm_memory(),
                "seconds_estimated": int(regs[lstm_kernel.STEPS]) * self._lstm_seconds_per_step(),
            }
        return result

    def _lstm_seconds_per_step(self):
        """Time of one LSTM step (predict and train), from a timed run of a fresh LSTM of these
        settings over 4 KB: the per-bit loop interleaves everything, so it cannot be clocked there."""
        s = self.settings
        lstm = lstm_kernel.new_lstm(s.lstm_cells, s.lstm_horizon, s.lstm_lr, s.lstm_clip, layers=s.lstm_layers)
        sample = np.frombuffer(b"the LSTM's time per byte does not depend on the data. " * 80, dtype=np.uint8)
        out = np.empty(8 * sample.size, dtype=np.int64)
        lstm_kernel.lstm_predict_bytes(lstm, sample[:64], out)   # compiled before the clock starts
        start = time.perf_counter()
        lstm_kernel.lstm_predict_bytes(lstm, sample, out)
        return (time.perf_counter() - start) / sample.size


class Decoder:
    """Decompresses the chunks of one stream, in order."""

    def __init__(self, settings):
        self.settings = settings
        self.model = new_predictor(settings)

    def decode_chunk(self, payload, raw_length):
        if not 0 <= raw_length <= MAX_CHUNK_SIZE:
            raise PaqlstmError("corrupt archive: impossible chunk length")
        compressed = _read_only(payload)
        out = np.empty(raw_length, dtype=np.uint8)
        consumed = decode_block(self.model, new_coder_state(), compressed, out)
        if consumed != compressed.size:
            raise PaqlstmError("corrupt archive: compressed data does not match its length")
        return out.tobytes()
