"""float32 training shared by the LSTMs: deterministic initial weights, momentum-free Adam.

Initial weights come from a counter-based splitmix64 stream with exact float64 steps
and one rounding to float32, so every machine starts from the same network. Adam
without momentum (as NNCP, cmix and paq8px converged on) updates a parameter array
whose leading axis holds PARAM, GRAD (the gradient summed since the last step) and
MOMENT (the running second moment), in a fixed order of float32 operations.
"""
import math

import numpy as np

from ..jit import njit
from .float32 import ONE

# Parameter arrays have a leading axis of 3: weight, gradient sum, Adam's second moment.
PARAM, GRAD, MOMENT = range(3)
BETA2 = np.float32(0.9999)
ONE_MINUS_BETA2 = np.float32(1.0) - BETA2
EPS = np.float32(1e-6)
ZERO = np.float32(0.0)


def weight_norm(*arrays):
    """Euclidean norm (float64) of the weights (PARAM) of parameter arrays: shows whether they move."""
    total = 0.0
    for a in arrays:
        w = a[PARAM].astype(np.float64)
        total += float(np.sum(w * w))
    return math.sqrt(total)


def splitmix64(seed, n):
    """n values of the splitmix64 stream for `seed`, as uint64 (NumPy wraps mod 2^64)."""
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uniform(stream, shape, limit):
    """Uniform in [-limit, limit) from the top 24 bits: exact float64 steps, one rounding to float32."""
    u = (stream >> np.uint64(40)).astype(np.float64) * 2.0 ** -24
    return ((2.0 * u - 1.0) * limit).astype(np.float32).reshape(shape)


@njit(inline="always")
def adam_delta(v, gr, lr, v_scale, decay=ONE):
    """(Adam's step, the new second moment) for gradient gr and moment v (first decayed by `decay`)."""
    v = BETA2 * (v * decay) + ONE_MINUS_BETA2 * gr * gr
    return -(lr * gr / (np.sqrt(v * v_scale) + EPS)), v


@njit(inline="always")
def adam_deltas(a, lr, v_scale, start, stop):
    """Adam without momentum on a parameter array (leading axis PARAM, GRAD, MOMENT), flat
    entries start..stop of each, in two halves: the moments and each weight's step, left in
    GRAD (this), then the steps added (apply_deltas). The weights are untouched until then,
    so the steps can be computed while others read them."""
    flat = a.reshape(3, a.size // 3)
    for i in range(start, stop):
        flat[GRAD, i], flat[MOMENT, i] = adam_delta(flat[MOMENT, i], flat[GRAD, i], lr, v_scale)


@njit(inline="always")
def apply_deltas(a, start, stop):
    """The steps of adam_deltas added to the weights; GRAD cleared for the next gradient."""
    flat = a.reshape(3, a.size // 3)
    for i in range(start, stop):
        flat[PARAM, i] += flat[GRAD, i]
        flat[GRAD, i] = ZERO


@njit(inline="always")
def adam(a, lr, v_scale, start, stop):
    """Adam without momentum on flat entries start..stop of a parameter array: both halves at once."""
    flat = a.reshape(3, a.size // 3)
    for i in range(start, stop):
        delta, flat[MOMENT, i] = adam_delta(flat[MOMENT, i], flat[GRAD, i], lr, v_scale)
        flat[PARAM, i] += delta
        flat[GRAD, i] = ZERO


@njit(inline="always")
def power(x, n):
    """x^n for float32 x by repeated squaring (a fixed sequence of float32 products)."""
    result = ONE
    while n > 0:
        if n & 1:
            result *= x
        x *= x
        n >>= 1
    return result
