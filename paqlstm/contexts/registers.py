"""The shared byte registers: the context every model reads, moved once per bit and byte.

`advance(ctx, bit)`: the bit is known, so c0 and the bit position move on; at a
byte's end the byte joins the history, the last bytes, the words and the line
starts. Models read the registers through the accessors below and never write
them, except ORDERS, which models add to while predicting a bit (how many of their
contexts have been seen before) and the mixer reads and clears.
"""
from typing import NamedTuple

import numpy as np

from ..jit import njit, unsigned
from ..primitives.hashing import MASK32, combine

# Registers: partial byte with a leading 1 (1..255), bits of it known (0..7), the last
# four bytes (C4, newest lowest) and the four before (C8), hashes of the current word
# and the two before it (0 between words), where the current and the previous line
# start, bytes coded so far, and the per-bit ORDERS count.
(C0, BITS, C4, C8, WORD0, WORD1, WORD2, LINE_START, PREV_LINE_START, POS, ORDERS) = range(11)
N_REGS = 11


class ByteContext(NamedTuple):
    regs: np.ndarray      # int64 [N_REGS]
    history: np.ndarray   # uint8 ring buffer of the coded bytes; byte i at i & (size - 1)
    hashes: np.ndarray    # int64 [hashed.N_HASHED]: the hashed contexts of the current byte


def new_registers():
    regs = np.zeros(N_REGS, dtype=np.int64)
    regs[C0] = 1
    return regs


@njit(inline="always")
def c0(ctx):
    return ctx.regs[C0]


@njit(inline="always")
def bits_known(ctx):
    return ctx.regs[BITS]


@njit(inline="always")
def last_bytes(ctx):
    """The last four bytes, the newest in the low 8 bits."""
    return ctx.regs[C4]


@njit(inline="always")
def last_byte(ctx):
    return ctx.regs[C4] & 0xFF


@njit(inline="always")
def bytes_coded(ctx):
    return ctx.regs[POS]


@njit(inline="always")
def byte_ended(ctx):
    """After update: the bit just known ended a byte (whose value is last_byte)."""
    return ctx.regs[BITS] == 0


@njit(inline="always")
def nibble_ended(ctx):
    """After update: the bit just known ended the byte's first half."""
    return ctx.regs[BITS] == 4


@njit(inline="always")
def add_orders(ctx, n):
    ctx.regs[ORDERS] += n


@njit(inline="always")
def take_orders(ctx):
    """The ORDERS count of this bit, cleared for the next."""
    n = ctx.regs[ORDERS]
    ctx.regs[ORDERS] = 0
    return n


@njit(inline="always")
def advance(ctx, bit):
    """Move past the known bit; True when it ended a byte."""
    regs = ctx.regs
    c = (regs[C0] << 1) | bit
    if regs[BITS] < 7:
        regs[C0] = c
        regs[BITS] += 1
        return False
    byte = c & 0xFF
    regs[C0] = 1
    regs[BITS] = 0
    pos = regs[POS]
    ctx.history[unsigned(pos & (ctx.history.size - 1))] = byte
    pos += 1
    regs[POS] = pos
    regs[C8] = ((regs[C8] << 8) | (regs[C4] >> 24)) & MASK32
    regs[C4] = ((regs[C4] << 8) | byte) & MASK32
    lower = byte | 32
    if 97 <= lower <= 122:
        regs[WORD0] = combine(regs[WORD0], lower)
    elif regs[WORD0] != 0:
        regs[WORD2] = regs[WORD1]
        regs[WORD1] = regs[WORD0]
        regs[WORD0] = 0
    if byte == 10:
        regs[PREV_LINE_START] = regs[LINE_START]
        regs[LINE_START] = pos
    return True
