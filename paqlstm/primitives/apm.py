"""APM / SSE: secondary estimation that refines a probability given a context.

For each context an APM holds 32 probabilities at evenly spaced points of the stretch
domain (-2048, -1920, ..., 1920: one 64-byte cache line per context; inputs above
the last point are taken as just below it); the input probability is stretched,
placed between two points and the output interpolated between them. The nearer
point then moves toward the coded bit. It corrects what the mixer gets
systematically wrong in a given context (say, after a particular byte), and chains
of APMs on different contexts average out their noise.
"""
import numpy as np

from ..jit import njit, unsigned
from .memory import aligned_zeros, prefetch
from .squash import SQUASH_TABLE, clamp, stretch

POINTS = 32
HIGHEST_INPUT = (POINTS - 1) * 128 - 1   # stretch + 2048 of the highest input interpolated


def new_apm(contexts):
    """Each context row starts as the identity map (16-bit probabilities)."""
    anchor = SQUASH_TABLE[(np.arange(POINTS) - 16) * 128 + 2048].astype(np.int64)
    table = aligned_zeros(contexts * POINTS, np.uint16)
    table[:] = np.tile(np.minimum(anchor * 16, 65535), contexts)
    return table


@njit(inline="always")
def apm_prefetch(table, context):
    """Request the row of `context` (one cache line) ahead of apm_refine."""
    prefetch(table, context * POINTS)


@njit(inline="always")
def apm_refine(table, context, p, slot, k):
    """Refined 12-bit probability of p in `context`; remembers the point to train in slot[k]."""
    s = min(stretch(p) + 2048, HIGHEST_INPUT)
    lo = s >> 7
    w = s & 127
    base = context * POINTS + lo
    slot[k] = base + (w >> 6)
    return clamp((np.int64(table[unsigned(base)]) * (128 - w) + np.int64(table[unsigned(base + 1)]) * w) >> 11,
                 1, 4095)


@njit(inline="always")
def apm_update(table, index, bit, rate):
    index = unsigned(index)
    t = np.int64(table[index])
    target = (np.int64(bit) << 16) + (np.int64(bit) << rate) - bit - bit
    table[index] = t + ((target - t) >> rate)
