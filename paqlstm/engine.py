"""Python side of the codec: levels, settings, and chunk encoders/decoders.

The compiled predictor codes one chunk per call. Model state carries from chunk to
chunk (so compression does not suffer from chunking), while each chunk gets its own
arithmetic-coder stream, flushed at its end: the decoder can then be handed exactly
one chunk's bytes, check it consumed them all, and never read past them.
"""
from dataclasses import asdict, dataclass, fields, replace

import math
import time

import numpy as np

from .errors import PaqlstmError
from .blocks import COST_CLASSIC, COST_FINAL, COST_LSTM, LSTM_P_SQUARES, LSTM_P_SUM, N_COSTS, decode_block, encode_block
from .models import byte_lstm as lstm_kernel
from .predictor import byte_lstm_network, model_memory, new_predictor
from .primitives.coder import new_coder_state

# level -> (log2 bytes of hashed context buckets, log2 bytes of match history).
# Level 9 keeps level 8's 256 MB of buckets: 512 MB saved 0.2 % on dickens but coded
# about 15 % slower, random reads that far apart missing the address-translation
# caches (docs/TUNING.md, "Fewer instructions, fewer cache lines").
LEVEL_TABLE_BITS = {
    1: (21, 20), 2: (22, 21), 3: (23, 22), 4: (24, 23), 5: (25, 24),
    6: (26, 24), 7: (27, 25), 8: (28, 25), 9: (28, 26),
}
DEFAULT_LEVEL = 9
CHUNK_SIZE = 1 << 20          # raw bytes per chunk written by the encoder
MAX_CHUNK_SIZE = 1 << 24      # largest raw chunk a decoder accepts
STATS_WINDOW = 1 << 16        # input bytes per window of the diagnostics


def max_payload_size(raw_length):
    """Most bytes a chunk of raw_length bytes can code to: 12 bits per bit at worst, plus the flush."""
    return raw_length * 3 // 2 + 64


def level_memory(level):
    """Bytes of model memory a level uses (an upper bound; pages untouched stay free)."""
    return Settings(level=level).memory()


# LSTM options: valid ranges (the blend is a weight 0..1 or LEARNED_BLEND).
LSTM_INT_RANGES = {"lstm_cells": (1, 512), "lstm_layers": (1, 4), "lstm_horizon": (1, 1000)}
LSTM_FLOAT_RANGES = {"lstm_lr": (0.0, 1.0), "lstm_clip": (0.0, 1000.0)}
LEARNED_BLEND = "learn"
DEFAULT_BLEND = 0.0   # measured best: the LSTM already feeds the mixer (docs/TUNING.md, "Hybrid")
LSTM_OPTIONS = (*LSTM_INT_RANGES, *LSTM_FLOAT_RANGES, "blend")
MIN_TABLE_BITS = 16           # smallest hashed-bucket or history table a model uses
BUCKET_BYTES_PER_INPUT_BYTE = 128  # table bytes per input byte; more gains under 0.1 % (alice29, dickens 100 KB)


def _bits_for(size):
    """Smallest b with 2**b >= size."""
    return max(0, size - 1).bit_length()


def _shown(value):
    """A value for an error message, clipped: a forged header must not give a 64 KB line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value):
    """An int that is not a bool (JSON `true` must not pass for level 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Settings:
    """Everything the decoder must know to rebuild the encoder's model.

    hash_bits / history_bits default to the level's table sizes; `sized_for` shrinks
    them for a short input, which then starts faster and touches less memory.
    """
    level: int = DEFAULT_LEVEL
    hash_bits: int = None
    history_bits: int = None
    lstm: bool = False
    lstm_cells: int = lstm_kernel.DEFAULT_CELLS
    lstm_layers: int = lstm_kernel.DEFAULT_LAYERS
    lstm_horizon: int = lstm_kernel.DEFAULT_HORIZON
    lstm_lr: float = lstm_kernel.DEFAULT_LR
    lstm_clip: float = lstm_kernel.DEFAULT_CLIP
    blend: object = DEFAULT_BLEND     # the LSTM's weight in the final blend, 0..1, or "learn"

    def __post_init__(self):
        if not _is_int(self.level) or self.level not in LEVEL_TABLE_BITS:
            raise PaqlstmError(f"invalid level {_shown(self.level)}: expected 1-9")
        for name, most in zip(("hash_bits", "history_bits"), LEVEL_TABLE_BITS[self.level]):
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, most)
            elif not _is_int(value) or not MIN_TABLE_BITS <= value <= most:
                raise PaqlstmError(f"invalid {name} {_shown(value)}: expected {MIN_TABLE_BITS}-{most} at level {self.level}")
        if not isinstance(self.lstm, bool):
            raise PaqlstmError(f"invalid lstm {_shown(self.lstm)}: expected true or false")
        for name, (low, high) in LSTM_INT_RANGES.items():
            value = getattr(self, name)
            if not _is_int(value) or not low <= value <= high:
                raise PaqlstmError(f"invalid {name} {_shown(value)}: expected {low}-{high}")
        for name, (low, high) in LSTM_FLOAT_RANGES.items():
            value = getattr(self, name)
            if not _is_number(value) or not low < value <= high:
                raise PaqlstmError(f"invalid {name} {_shown(value)}: expected above {low}, at most {high}")
            object.__setattr__(self, name, float(value))
        if self.blend != LEARNED_BLEND:
            if not _is_number(self.blend) or not 0.0 <= self.blend <= 1.0:
                raise PaqlstmError(f"invalid blend {_shown(self.blend)}: expected 0-1 or {LEARNED_BLEND!r}")
            object.__setattr__(self, "blend", float(self.blend))

    def sized_for(self, input_size):
        """These settings with tables no larger than an input of input_size bytes can use."""
        hash_bits = max(MIN_TABLE_BITS, _bits_for(input_size * BUCKET_BYTES_PER_INPUT_BYTE))
        # The match model's position index has a quarter as many slots as the history has
        # bytes: a history 4x the input keeps it as sparse as a full-size one (xml: -0.6 %).
        history_bits = max(MIN_TABLE_BITS, _bits_for(input_size) + 2)
        return replace(self, hash_bits=min(self.hash_bits, hash_bits),
                       history_bits=min(self.history_bits, history_bits))

    def memory(self):
        """Bytes of model memory these settings use."""
        return model_memory(self)

    @property
    def blend_weight(self):
        """The LSTM's fixed blend weight, or None when the blend is learned."""
        return None if self.blend == LEARNED_BLEND else self.blend

    def lstm_memory(self):
        """Bytes the LSTM's arrays take (0 when it is off)."""
        return lstm_kernel.lstm_memory(self.lstm_cells, self.lstm_horizon, self.lstm_layers) if self.lstm else 0

    def to_dict(self):
        """The header's settings. With the LSTM off, it and its options are left out: such
        an archive is exactly what the classic engine alone writes."""
        values = asdict(self)
        if not self.lstm:
            for name in ("lstm", *LSTM_OPTIONS):
                del values[name]
        return values

    @classmethod
    def from_dict(cls, values):
        """Settings from an archive header; unknown or missing keys are a format error."""
        names = {f.name for f in fields(cls)}
        if isinstance(values, dict) and "lstm" not in values:
            names -= {"lstm", *LSTM_OPTIONS}
        if not isinstance(values, dict) or set(values) != names or None in values.values():
            raise PaqlstmError("unsupported settings in archive header")
        return cls(**values)


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
