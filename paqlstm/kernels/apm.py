"""APM / SSE: secondary estimation that refines a probability given a context.

For each context an APM holds 33 probabilities at evenly spaced points of the stretch
domain; the input probability is stretched, placed between two points and the output
interpolated between them. The nearer point then moves toward the coded bit. It
corrects what the mixer gets systematically wrong in a given context (say, after a
particular byte), and chains of APMs on different contexts average out their noise.
"""
import numpy as np

from ..jit import njit, unsigned
from .memory import prefetch
from .squash import SQUASH_TABLE, stretch

POINTS = 33


def new_apm(contexts):
    """Each context row starts as the identity map (16-bit probabilities)."""
    anchor = SQUASH_TABLE[np.minimum((np.arange(POINTS) - 16) * 128 + 2048, 4095)].astype(np.int64)
    anchor = np.minimum(anchor * 16, 65535)
    return np.tile(anchor, contexts).astype(np.uint16)


@njit(inline="always")
def apm_prefetch(table, context):
    """Request the row of `context` (66 bytes, so up to two cache lines) ahead of apm_refine."""
    prefetch(table, context * POINTS)
    prefetch(table, context * POINTS + POINTS - 1)


@njit(inline="always")
def apm_refine(table, context, p, slot, k):
    """Refined 12-bit probability of p in `context`; remembers the point to train in slot[k]."""
    s = stretch(p) + 2048
    lo = s >> 7
    w = s & 127
    base = context * POINTS + lo
    slot[k] = base + (w >> 6)
    out = (np.int64(table[unsigned(base)]) * (128 - w) + np.int64(table[unsigned(base + 1)]) * w) >> 11
    if out < 1:
        out = 1
    if out > 4095:
        out = 4095
    return out


@njit(inline="always")
def apm_update(table, index, bit, rate):
    index = unsigned(index)
    t = np.int64(table[index])
    target = (np.int64(bit) << 16) + (np.int64(bit) << rate) - bit - bit
    table[index] = t + ((target - t) >> rate)
