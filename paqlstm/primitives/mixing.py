"""Logistic mixing: combine stretched predictions with learned weights.

p = squash(sum_i w_i * x_i) with x_i = stretch(p_i) in -2047..2047 and weights in
16.16 fixed point. A context picks which weight set (row) is used, so the mixer
learns which models to trust where. Training follows the coding-cost gradient:
w_i += lr * x_i * (bit - p), no p(1 - p) factor.

Inputs and weights are int32 so the loops compile to 8-lane integer SIMD. The dot
product drops each weight's low DOT_SHIFT bits so that products and their sum fit
int32 (|x| < 2^11, |w >> 8| < 2^14, at most 2^5 inputs); training keeps the full
weight and fits int32 too (|err| < 2^19). Integer sums are exact in any order, so
every machine computes the same result.
"""
import numpy as np

from ..jit import njit, unsigned
from .squash import clamp

WEIGHT_LIMIT = (1 << 22) - 1
DOT_SHIFT = 8


@njit(inline="always")
def mixer_dot(x, weights, row, n):
    """Stretch-domain output of weight set `row` over the first n inputs, clipped to +-2047."""
    row = unsigned(row)
    s = np.int32(0)
    for i in range(n):   # int32 throughout (Numba would widen to int64): 8 lanes a vector
        s = np.int32(s + np.int32(x[i] * (weights[row, i] >> DOT_SHIFT)))
    return clamp(s >> (16 - DOT_SHIFT), -2047, 2047)


@njit(inline="always")
def mixer_train(x, weights, row, n, err):
    """err = (bit << 12) - p, already scaled by the learning rate (fixed point, 1.0 = 16384)."""
    row = unsigned(row)
    e = np.int32(err)
    for i in range(n):
        w = np.int32(weights[row, i] + (np.int32(x[i] * e) >> 14))
        weights[row, i] = clamp(w, -WEIGHT_LIMIT, WEIGHT_LIMIT)
