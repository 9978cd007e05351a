"""Binary arithmetic coder: 32-bit, carry-less (after lpaq1).

Codes one bit at a time with a 16-bit probability P(1) (a 12-bit one times 16 codes
exactly as a 12-bit coder would: the split is the same integer). The range [x1, x2] shrinks to
the part the bit selects; when the top bytes of x1 and x2 agree they can never change
again, so that byte is emitted and both ends shift left. No carries, so no buffering.

Coder state is a small int64 array: [x1, x2, x (decoder only), pos]. The encoder's
flush writes all four bytes of x1, so a decoder that decodes the right number of
bits has consumed its input exactly; reading stops at the end of the payload
(missing bytes read as zero), which the caller detects as corruption.
"""
import numpy as np

from ..jit import njit

X1, X2, X, POS = 0, 1, 2, 3
MASK32 = 0xFFFFFFFF


def new_coder_state():
    state = np.zeros(4, dtype=np.int64)
    state[X2] = MASK32
    return state


@njit(inline="always")
def _split(x1, x2, p):
    rng = x2 - x1
    return x1 + (rng >> 16) * p + (((rng & 0xFFFF) * p) >> 16)


@njit
def encode_bit(state, out, bit, p):
    """Code `bit` with P(1) = p/65536 (1 <= p <= 65535); appends finished bytes to `out`."""
    x1 = state[X1]
    x2 = state[X2]
    xmid = _split(x1, x2, p)
    if bit:
        x2 = xmid
    else:
        x1 = xmid + 1
    pos = state[POS]
    while ((x1 ^ x2) & 0xFF000000) == 0:
        out[pos] = x2 >> 24
        pos += 1
        x1 = (x1 << 8) & MASK32
        x2 = ((x2 << 8) & MASK32) | 255
    state[X1] = x1
    state[X2] = x2
    state[POS] = pos


@njit
def encode_flush(state, out):
    pos = state[POS]
    x1 = state[X1]
    for shift in (24, 16, 8, 0):
        out[pos] = (x1 >> shift) & 255
        pos += 1
    state[POS] = pos


@njit
def decode_init(state, payload):
    x = 0
    pos = 0
    for _ in range(4):
        byte = payload[pos] if pos < payload.size else 0
        x = (x << 8) | byte
        pos += 1
    state[X1] = 0
    state[X2] = MASK32
    state[X] = x
    state[POS] = pos


@njit
def decode_bit(state, payload, p):
    """Return the next bit, decoded with P(1) = p/65536."""
    x1 = state[X1]
    x2 = state[X2]
    x = state[X]
    xmid = _split(x1, x2, p)
    if x <= xmid:
        bit = 1
        x2 = xmid
    else:
        bit = 0
        x1 = xmid + 1
    pos = state[POS]
    while ((x1 ^ x2) & 0xFF000000) == 0:
        x1 = (x1 << 8) & MASK32
        x2 = ((x2 << 8) & MASK32) | 255
        byte = payload[pos] if pos < payload.size else 0
        x = ((x << 8) & MASK32) | byte
        pos += 1
    state[X1] = x1
    state[X2] = x2
    state[X] = x
    state[POS] = pos
    return bit
