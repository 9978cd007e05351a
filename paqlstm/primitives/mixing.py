"""Logistic mixing: combine stretched predictions with learned weights.

p = squash(sum_i w_i * x_i) with x_i = stretch(p_i) in -2047..2047 and weights in
16.16 fixed point. A context picks which weight set (row) is used, so the mixer
learns which models to trust where. Training follows the coding-cost gradient:
w_i += lr * x_i * (bit - p), no p(1 - p) factor.

Inputs and weights are int32 so the loops compile to 8-lane integer SIMD. The dot
product drops each weight's low DOT_SHIFT bits so that products and their sum fit
int32: |x| <= 2^11, |w >> 8| < 2^14 up to 64 inputs; a mixer over more inputs keeps
its weights narrower (weight_limit: +-16.0 up to 256 inputs), which costs nothing
(useful weights stay far below) where blocks of int64 sums cost 20-30 % of the dot
product. Training keeps the full weight and fits int32 too (|err| < 2^19). Integer
sums are exact in any order, so every machine computes the same result.
"""
import numpy as np

from ..jit import njit, unsigned
from .squash import clamp

WEIGHT_LIMIT = (1 << 22) - 1
DOT_SHIFT = 8


def weight_limit(n):
    """The widest weight limit (WEIGHT_LIMIT or narrower by halves) at which the dot
    product of n inputs of |x| <= 2048 cannot leave int32."""
    limit = WEIGHT_LIMIT
    while 2048 * ((limit >> DOT_SHIFT) + 1) * n > 2 ** 31:
        limit >>= 1
    return limit


@njit(inline="always")
def mixer_dot(x, weights, row, n):
    """Stretch-domain output of weight set `row` over the first n inputs, clipped to +-2047."""
    row = unsigned(row)
    s = np.int32(0)
    for i in range(n):   # int32 throughout (Numba would widen to int64): 8 lanes a vector
        s = np.int32(s + np.int32(x[i] * (weights[row, i] >> DOT_SHIFT)))
    return clamp(s >> (16 - DOT_SHIFT), -2047, 2047)


@njit(inline="always")
def mixer_train(x, weights, row, n, err, limit=WEIGHT_LIMIT):
    """err = (bit << 12) - p, already scaled by the learning rate (fixed point, 1.0 = 16384);
    `limit`: weight_limit of the mixer's input count."""
    row = unsigned(row)
    e = np.int32(err)
    for i in range(n):
        w = np.int32(weights[row, i] + (np.int32(x[i] * e) >> 14))
        weights[row, i] = clamp(w, -limit, limit)
