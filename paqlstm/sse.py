"""The APM chain (SSE): refines the mixer's P(1) by what it gets wrong in a context.

Two APMs (primitives/apm.py) on the mixer's output, averaged: one by the partial
byte with the last byte (order 1), one by a hash of the partial byte with the last
three bytes (order 3). Each starts as the identity and learns at rate 2**-APM_RATE.
Methods: refine (predict), request (the next bit's rows, once the contexts moved
past the bit, before the training), update.
Memory: 2 x APM_CONTEXTS rows of 64 bytes (8 MB).
"""
from typing import NamedTuple

import numpy as np

from .contexts.registers import c0, last_bytes
from .jit import njit
from .primitives.apm import POINTS, apm_prefetch, apm_refine, apm_update, new_apm
from .primitives.hashing import combine

APM_CONTEXTS = 65536
APM_RATE = 6


class Sse(NamedTuple):
    order1: np.ndarray    # uint16 APM rows by c0 and the last byte
    order3: np.ndarray    # uint16 APM rows by a hash of c0 and the last three bytes
    slots: np.ndarray     # int64 [2]: the point of each APM to train this bit


def new_sse():
    return Sse(new_apm(APM_CONTEXTS), new_apm(APM_CONTEXTS), np.zeros(2, dtype=np.int64))


def sse_memory():
    return 2 * APM_CONTEXTS * POINTS * 2


@njit(inline="always")
def _rows(ctx):
    partial, recent = c0(ctx), last_bytes(ctx)
    return partial | ((recent & 0xFF) << 8), combine(recent & 0xFFFFFF, partial) & (APM_CONTEXTS - 1)


@njit(inline="always")
def refine(s, ctx, p):
    row1, row3 = _rows(ctx)
    p1 = apm_refine(s.order1, row1, p, s.slots, 0)
    p3 = apm_refine(s.order3, row3, p, s.slots, 1)
    return (p1 + p3 + 1) >> 1


@njit(inline="always")
def request(s, ctx):
    row1, row3 = _rows(ctx)
    apm_prefetch(s.order1, row1)
    apm_prefetch(s.order3, row3)


@njit(inline="always")
def update(s, bit):
    apm_update(s.order1, s.slots[0], bit, APM_RATE)
    apm_update(s.order3, s.slots[1], bit, APM_RATE)
