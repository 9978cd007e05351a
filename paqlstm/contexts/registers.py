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
# The strong profile's text registers, moved only when ctx.indirect is allocated: the
# four bytes before C8 (C12), the character classes of the last eight bytes (4 bits
# each, newest lowest), the last punctuation byte and the words since it (low 4 bits),
# the last six letters (5 bits each) across word gaps, the first letters of the
# current (or last) word and of the word before it; WORD3, the word before WORD2, moves
# with the words.
(C12, CLASSES, PUNCT, LETTERS, FIRST, PREV_FIRST, WORD3) = range(11, 18)
N_REGS = 18


class ByteContext(NamedTuple):
    regs: np.ndarray      # int64 [N_REGS]
    history: np.ndarray   # uint8 ring buffer of the coded bytes; byte i at i & (size - 1)
    hashes: np.ndarray    # int64 [contexts]: the hashed contexts of the current byte
    indirect: np.ndarray  # int64 [65536]: the two bytes that followed each pair of bytes
                          # (strong profile; empty in the fast one)


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
        regs[WORD3] = regs[WORD2]
        regs[WORD2] = regs[WORD1]
        regs[WORD1] = regs[WORD0]
        regs[WORD0] = 0
    if byte == 10:
        regs[PREV_LINE_START] = regs[LINE_START]
        regs[LINE_START] = pos
    if ctx.indirect.size:
        _advance_text(ctx, byte)
    return True


@njit(inline="always")
def char_class(byte):
    """0 other, 1 lower, 2 upper, 3 digit, 4 space, 5 newline, 6 . ! ?, 7 , ; :,
    8 quotes, 9 brackets, 10 < > / =, 11 - _, 12 bytes >= 128."""
    if 97 <= byte <= 122:
        return 1
    if 65 <= byte <= 90:
        return 2
    if 48 <= byte <= 57:
        return 3
    if byte == 32 or byte == 9:
        return 4
    if byte == 10 or byte == 13:
        return 5
    if byte == 46 or byte == 33 or byte == 63:
        return 6
    if byte == 44 or byte == 59 or byte == 58:
        return 7
    if byte == 34 or byte == 39 or byte == 96:
        return 8
    if byte == 40 or byte == 41 or byte == 91 or byte == 93 or byte == 123 or byte == 125:
        return 9
    if byte == 60 or byte == 62 or byte == 47 or byte == 61:
        return 10
    if byte == 45 or byte == 95:
        return 11
    if byte >= 128:
        return 12
    return 0


@njit(inline="always")
def _advance_text(ctx, byte):
    regs, table = ctx.regs, ctx.indirect
    c4 = regs[C4]
    # Indirect: the byte now coded followed the pair before it.
    pair = (c4 >> 8) & 0xFFFF
    table[unsigned(pair)] = ((table[unsigned(pair)] << 8) | byte) & 0xFFFF
    regs[C12] = ((regs[C12] << 8) | (regs[C8] >> 24)) & MASK32
    cls = char_class(byte)
    regs[CLASSES] = ((regs[CLASSES] << 4) | cls) & MASK32
    if cls == 6 or cls == 7 or byte == 10:
        regs[PUNCT] = byte << 4
    elif regs[WORD0] == 0 and cls == 4 and (c4 >> 8) & 0xFF != 32:
        regs[PUNCT] = (regs[PUNCT] & ~0xF) | min((regs[PUNCT] & 0xF) + 1, 15)
    if cls == 1 or cls == 2:
        regs[LETTERS] = ((regs[LETTERS] << 5) | (byte & 31)) & 0x3FFFFFFF
        before = (regs[CLASSES] >> 4) & 0xF
        if before != 1 and before != 2:     # a word starts
            regs[PREV_FIRST] = regs[FIRST]
            regs[FIRST] = byte | 32
