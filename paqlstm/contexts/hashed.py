"""The hashed contexts, one line each: what the context maps model predicts from.

Computed once per byte, from the shared registers already past the byte before
(registers.py), into ctx.hashes. Each is a 32-bit hash of the bytes or words it
covers with a distinct constant, so two contexts never share buckets by design.
To add a context: one line here, and N_HASHED goes up by one (mixer inputs follow).
"""
import numpy as np

from ..jit import njit, unsigned
from ..primitives.hashing import combine
from .registers import C4, C8, LINE_START, POS, PREV_LINE_START, WORD0, WORD1, WORD2

# Orders 2-6 come first: how many of them were seen before (ORDERED) picks a weight set.
O2, O3, O4, O5, O6, WORD, WORD_PAIR, WORD_SKIP, WORD_TRIPLE, O7, COLUMN = range(11)
N_HASHED = 11
ORDERED = 5


@njit(inline="always")
def context_hashes(ctx):
    regs, out = ctx.regs, ctx.hashes
    c4, c8 = regs[C4], regs[C8]
    w0, w1, w2 = regs[WORD0], regs[WORD1], regs[WORD2]
    out[O2] = combine(c4 & 0xFFFF, 2)
    out[O3] = combine(c4 & 0xFFFFFF, 3)
    out[O4] = combine(c4, 4)
    out[O5] = combine(combine(c4, c8 & 0xFF), 5)
    out[O6] = combine(combine(c4, c8 & 0xFFFF), 6)
    out[WORD] = combine(combine(w0, c4 & 0xFF), 7)                # the word so far, and the last byte
    out[WORD_PAIR] = combine(combine(w0, w1), 8)
    out[WORD_SKIP] = combine(combine(w0, w2), 9)
    out[WORD_TRIPLE] = combine(combine(combine(w0, w1), w2), 10)
    out[O7] = combine(combine(c4, c8 & 0xFFFFFF), 11)
    out[COLUMN] = combine(combine(_above(ctx), c4 & 0xFF), 12 + min(regs[POS] - regs[LINE_START], 63))


@njit(inline="always")
def _above(ctx):
    """Line-wrapped text and tables: the byte above in the previous line (0 past its end;
    after an empty line, the last byte)."""
    regs = ctx.regs
    coded = regs[POS]
    above_pos = regs[PREV_LINE_START] + coded - regs[LINE_START]
    if above_pos < regs[LINE_START] or above_pos == coded - 1:
        return np.int64(ctx.history[unsigned(above_pos & (ctx.history.size - 1))])
    return 0
