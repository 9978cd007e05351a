"""APM / SSE: secondary estimation that refines a probability given a context.

For each context an APM holds 32 probabilities at evenly spaced points of the stretch
domain (-2048, -1920, ..., 1920: one 64-byte cache line per context; inputs above
the last point are taken as just below it); the input probability is stretched,
placed between two points and the output interpolated between them. The nearer
point (apm_update) or both points (apm_update_pair) then move toward the coded bit.
It corrects what the mixer gets systematically wrong in a given context (say, after
a particular byte), and chains of APMs on different contexts average out their noise.
The points are 16-bit, so the output may be read at 16 bits (apm_refine16): near
certainty (xml) a 12-bit probability costs bits.
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
def apm_refine16(table, context, p, slot, k, pair):
    """Refined 16-bit probability (0..65535) of the 12-bit p in `context`; remembers in
    slot[k] the point to train: the nearer one, or with `pair` the lower of the two."""
    s = min(stretch(p) + 2048, HIGHEST_INPUT)
    lo = s >> 7
    w = s & 127
    base = context * POINTS + lo
    slot[k] = base if pair else base + (w >> 6)
    return (np.int64(table[unsigned(base)]) * (128 - w) + np.int64(table[unsigned(base + 1)]) * w) >> 7


@njit(inline="always")
def apm_refine(table, context, p, slot, k):
    """Refined 12-bit probability of p in `context`; remembers the point to train in slot[k]."""
    return clamp(apm_refine16(table, context, p, slot, k, False) >> 4, 1, 4095)


@njit(inline="always")
def apm_update(table, index, bit, rate):
    index = unsigned(index)
    t = np.int64(table[index])
    target = (np.int64(bit) << 16) + (np.int64(bit) << rate) - bit - bit
    table[index] = t + ((target - t) >> rate)


@njit(inline="always")
def apm_update_pair(table, index, bit, rate):
    """Both points around the input (index, index + 1) move toward the bit."""
    apm_update(table, index, bit, rate)
    apm_update(table, index + 1, bit, rate)
