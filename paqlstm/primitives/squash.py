"""Logistic domain conversions shared by every component.

Probabilities travel between components as 12-bit integers (0..4095, P(bit = 1)).
`stretch(p) = ln(p / (1 - p))` scaled by 256 and clipped to +-2047 is the domain the
mixers add in; `squash` is its inverse. Both tables are built with integer arithmetic
from 33 anchor points so that every machine builds the very same tables.
"""
import numpy as np

from ..jit import njit, unsigned

# round(4096 / (1 + exp(-(i - 16) / 2))) for i in 0..32, i.e. squash at x = (i - 16) * 128.
# Written out (tests recompute them) so no libm ever decides a table entry.
SQUASH_ANCHORS = np.array(
    [1, 2, 4, 6, 10, 17, 27, 45, 74, 120, 194, 311, 488, 747, 1102, 1546, 2048,
     2550, 2994, 3349, 3608, 3785, 3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090,
     4092, 4094, 4095], dtype=np.int64)


def _build_squash():
    d = np.arange(-2048, 2048, dtype=np.int64)
    w = d & 127
    j = (d >> 7) + 16
    nxt = SQUASH_ANCHORS[np.minimum(j + 1, 32)]
    p = (SQUASH_ANCHORS[j] * (128 - w) + nxt * w + 64) >> 7
    return np.clip(p, 1, 4095).astype(np.int32)


def _build_stretch(squash_table):
    # Inverse of squash: for p below one half, the smallest d with squash(d) >= p;
    # mirrored above it so that stretch(4096 - p) == -stretch(p).
    stretch = np.zeros(4096, dtype=np.int32)
    d = -2047
    for p in range(2048):
        while squash_table[d + 2048] < p:
            d += 1
        stretch[p] = d
    stretch[2049:] = -stretch[2047:0:-1]
    return stretch


SQUASH_TABLE = _build_squash()          # index d + 2048, d in -2048..2047
STRETCH_TABLE = _build_stretch(SQUASH_TABLE)


@njit(inline="always")
def clamp(x, low, high):
    """x limited to low..high: the one clip of every probability and stretch-domain sum."""
    return min(max(x, low), high)


@njit(inline="always")
def squash(d):
    """Stretch-domain value (any int) -> 12-bit probability in 1..4095."""
    return SQUASH_TABLE[unsigned(clamp(d, -2047, 2047) + 2048)]


@njit(inline="always")
def stretch(p):
    """12-bit probability -> stretch domain, -2047..2047."""
    return STRETCH_TABLE[unsigned(p)]
