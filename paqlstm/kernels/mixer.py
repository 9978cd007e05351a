"""Logistic mixing: combine stretched predictions with learned weights.

p = squash(sum_i w_i * x_i) with x_i = stretch(p_i) in -2047..2047 and weights in
16.16 fixed point. A context picks which weight set (row) is used, so the mixer
learns which models to trust where. Training follows the coding-cost gradient:
w_i += lr * x_i * (bit - p), no p(1 - p) factor. Integer arithmetic in int64
throughout: exact on every machine and overflow-safe for any learning rate.
"""
from ..jit import njit

WEIGHT_LIMIT = (1 << 22) - 1


@njit(inline="always")
def mixer_dot(x, weights, row, n):
    """Stretch-domain output of weight set `row` over the first n inputs, clipped to +-2047."""
    s = 0
    for i in range(n):
        s += x[i] * weights[row, i]
    s >>= 16
    if s > 2047:
        s = 2047
    if s < -2047:
        s = -2047
    return s


@njit(inline="always")
def mixer_train(x, weights, row, n, err):
    """err = (bit << 12) - p, already scaled by the learning rate (fixed point, 1.0 = 16384)."""
    for i in range(n):
        w = weights[row, i] + ((x[i] * err) >> 14)
        if w > WEIGHT_LIMIT:
            w = WEIGHT_LIMIT
        if w < -WEIGHT_LIMIT:
            w = -WEIGHT_LIMIT
        weights[row, i] = w
