"""Match model: predicts the next bit from the longest recent repeat of the context.

The history of coded bytes lives in a ring buffer. After each byte, a hash of the
last MIN_LEN bytes indexes a table of positions; if the current match did not
continue, that table proposes the most recent earlier occurrence of the same bytes
and the match length is measured backwards. While a match holds, the byte that
followed it is the prediction: its next bit, with a confidence learnt (by an
adaptive map) per match length, goes to the mixer. Repeats far longer than any
order-n context (boilerplate, XML tags, quotations) are where it pays.
"""
import numpy as np

from ..jit import njit
from .memory import prefetch

MIN_LEN = 6
MAX_LEN = 65535
PTR, LEN, POS, HASH, EXPECTED = 0, 1, 2, 3, 4


def new_match_state():
    return np.zeros(5, dtype=np.int64)


@njit(inline="always")
def length_bucket(length):
    """0..15: exact up to 11, then coarser."""
    if length < 12:
        return length
    if length < 16:
        return 12
    if length < 32:
        return 13
    if length < 64:
        return 14
    return 15


@njit(inline="always")
def _hash_before(regs):
    """The rolling hash after the next byte is this plus the byte (before masking):
    older bytes shift out after ~MIN_LEN, and the 16 bytes sharing a high nibble
    land on neighbouring slots (match_prefetch)."""
    return regs[HASH] * (3 << 5) + 1


@njit(inline="always")
def match_update_byte(regs, history, positions, byte):
    """Append `byte` to the history and find what the next byte is expected to be."""
    history_mask = history.size - 1
    table_mask = positions.size - 1
    pos = regs[POS]
    history[pos & history_mask] = byte
    pos += 1
    regs[POS] = pos
    h = (_hash_before(regs) + byte) & table_mask
    regs[HASH] = h
    length = regs[LEN]
    ptr = regs[PTR]
    if length > 0 and history[ptr & history_mask] == byte:
        ptr += 1
        if length < MAX_LEN:
            length += 1
    else:
        length = 0
    if length == 0:
        ptr = positions[h]
        if ptr > 0 and pos - ptr < history.size - MAX_LEN:
            while (length < MAX_LEN and length < ptr
                   and history[(ptr - length - 1) & history_mask]
                   == history[(pos - length - 1) & history_mask]):
                length += 1
        if length < MIN_LEN:
            length = 0
    positions[h] = pos
    regs[PTR] = ptr
    regs[LEN] = length
    regs[EXPECTED] = history[ptr & history_mask] | 256 if length > 0 else 0


@njit(inline="always")
def match_prefetch(regs, positions, high_nibble):
    """Half way through a byte: request the positions entries its 16 possible values will read."""
    first = _hash_before(regs) + (high_nibble << 4)
    table_mask = positions.size - 1
    prefetch(positions, first & table_mask)
    prefetch(positions, (first + 15) & table_mask)


@njit(inline="always")
def match_expected_bit(regs, c0, bits_done):
    """The predicted next bit (0/1), or -1 when no match covers this bit."""
    expected = regs[EXPECTED]
    if expected == 0:
        return -1
    if (expected >> (8 - bits_done)) != c0:
        regs[EXPECTED] = 0  # the byte left the match; wait for the next byte
        regs[LEN] = 0
        return -1
    return (expected >> (7 - bits_done)) & 1
