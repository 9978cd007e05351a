"""Python side of the codec: levels, settings, and chunk encoders/decoders.

The compiled predictor codes one chunk per call. Model state carries from chunk to
chunk (so compression does not suffer from chunking), while each chunk gets its own
arithmetic-coder stream, flushed at its end: the decoder can then be handed exactly
one chunk's bytes, check it consumed them all, and never read past them.
"""
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from .errors import PaqlstmError
from .kernels.coder import new_coder_state
from .predictor import decode_block, encode_block, model_memory, new_model

# level -> (log2 bytes of hashed context buckets, log2 bytes of match history)
LEVEL_TABLE_BITS = {
    1: (21, 20), 2: (22, 21), 3: (23, 22), 4: (24, 23), 5: (25, 24),
    6: (26, 24), 7: (27, 25), 8: (28, 25), 9: (29, 26),
}
DEFAULT_LEVEL = 9
CHUNK_SIZE = 1 << 20          # raw bytes per chunk written by the encoder
MAX_CHUNK_SIZE = 1 << 24      # largest raw chunk a decoder accepts


def max_payload_size(raw_length):
    """Most bytes a chunk of raw_length bytes can code to: 12 bits per bit at worst, plus the flush."""
    return raw_length * 3 // 2 + 64


def level_memory(level):
    """Bytes of model memory a level uses (an upper bound; pages untouched stay free)."""
    return model_memory(*LEVEL_TABLE_BITS[level])


MIN_TABLE_BITS = 16           # smallest hashed-bucket or history table a model uses
BUCKET_BYTES_PER_INPUT_BYTE = 128  # table bytes per input byte; more gains under 0.1 % (alice29, dickens 100 KB)


def _bits_for(size):
    """Smallest b with 2**b >= size."""
    return max(0, size - 1).bit_length()


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

    def __post_init__(self):
        if not _is_int(self.level) or self.level not in LEVEL_TABLE_BITS:
            raise PaqlstmError(f"invalid level {self.level!r}: expected 1-9")
        for name, most in zip(("hash_bits", "history_bits"), LEVEL_TABLE_BITS[self.level]):
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, most)
            elif not _is_int(value) or not MIN_TABLE_BITS <= value <= most:
                raise PaqlstmError(f"invalid {name} {value!r}: expected {MIN_TABLE_BITS}-{most} at level {self.level}")

    def sized_for(self, input_size):
        """These settings with tables no larger than an input of input_size bytes can use."""
        hash_bits = max(MIN_TABLE_BITS, _bits_for(input_size * BUCKET_BYTES_PER_INPUT_BYTE))
        history_bits = max(MIN_TABLE_BITS, _bits_for(input_size))
        return replace(self, hash_bits=min(self.hash_bits, hash_bits),
                       history_bits=min(self.history_bits, history_bits))

    def memory(self):
        """Bytes of model memory these settings use."""
        return model_memory(self.hash_bits, self.history_bits)

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Settings from an archive header; unknown or missing keys are a format error."""
        names = {f.name for f in fields(cls)}
        if not isinstance(values, dict) or set(values) != names:
            raise PaqlstmError("unsupported settings in archive header")
        return cls(**values)


def _new_model(settings):
    return new_model(settings.hash_bits, settings.history_bits)


class Encoder:
    """Compresses successive chunks with one model carried across them."""

    def __init__(self, settings):
        self.settings = settings
        self.model = _new_model(settings)

    def encode_chunk(self, data):
        raw = np.frombuffer(data, dtype=np.uint8)
        out = np.empty(max_payload_size(raw.size), dtype=np.uint8)
        written = encode_block(self.model, new_coder_state(), raw, out)
        return out[:written].tobytes()


class Decoder:
    """Decompresses the chunks of one stream, in order."""

    def __init__(self, settings):
        self.settings = settings
        self.model = _new_model(settings)

    def decode_chunk(self, payload, raw_length):
        if not 0 <= raw_length <= MAX_CHUNK_SIZE:
            raise PaqlstmError("corrupt archive: impossible chunk length")
        compressed = np.frombuffer(payload, dtype=np.uint8)
        out = np.empty(raw_length, dtype=np.uint8)
        consumed = decode_block(self.model, new_coder_state(), compressed, out)
        if consumed != compressed.size:
            raise PaqlstmError("corrupt archive: compressed data does not match its length")
        return out.tobytes()
