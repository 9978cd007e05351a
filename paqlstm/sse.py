"""The APM chain (SSE): refines the mixer's P(1) by what it gets wrong in a context.

Fast profile: two APMs (primitives/apm.py) on the mixer's output, averaged: one by
the partial byte with the last byte (order 1), one by a hash of the partial byte
with the last three bytes (order 3); each trains its nearer point at rate
2**-APM_RATE; the result is a 12-bit P(1) (returned times 16).
Strong profile: three more APMs, by hashes of the partial byte with the last two
bytes (order 2), with the last four (order 4), and with the match model's expected
byte and length bucket (the partial byte alone when no match covers the bit); every
APM trains both points around its input (order 1 and 3 at APM_RATE, the others at
EXTRA_RATE), and the final P(1) is their weighted mean (WEIGHTS) at 16 bits, 1..65535.
Methods: refine (predict), request (the next bit's rows, once the contexts moved
past the bit, before the training), update.
Memory: 2 x APM_CONTEXTS rows of 64 bytes (8 MB); strong: N_EXTRA x extra_rows more
(12 MB at most).
"""
from typing import NamedTuple

import numpy as np

from .contexts.registers import c0, last_bytes
from .jit import njit
from .models.match import EXPECTED, EXPECTED_BIT, LEN, length_bucket
from .primitives.apm import POINTS, apm_prefetch, apm_refine, apm_refine16, apm_update, apm_update_pair, new_apm
from .primitives.hashing import combine
from .primitives.squash import clamp

APM_CONTEXTS = 65536
APM_RATE = 6
EXTRA_RATE = 6
N_EXTRA = 3       # strong: order 2, order 4, match
# Strong: the weights of order 1, order 3, order 2, order 4 and match in the final
# mean, out of 16 (measured: the mixer's own P(1) and an order-0 APM only cost).
WEIGHTS = (4, 4, 3, 3, 2)


class Sse(NamedTuple):
    order1: np.ndarray    # uint16 APM rows by c0 and the last byte
    order3: np.ndarray    # uint16 APM rows by a hash of c0 and the last three bytes
    extra: np.ndarray     # uint16 strong: the N_EXTRA APMs' rows, extra_rows each (fast: one row)
    slots: np.ndarray     # int64 [2 + N_EXTRA]: the point of each APM to train this bit
    regs: np.ndarray      # int64 [2]: STRONG (1 in the strong profile), ROWS (extra_rows)


STRONG, ROWS = range(2)


def extra_rows(settings):
    """Rows of each strong APM: APM_CONTEXTS, fewer for small inputs (as the buckets)."""
    return min(APM_CONTEXTS, 1 << (settings.hash_bits - 8)) if settings.strong else 0


def new_sse(settings):
    rows = extra_rows(settings)
    return Sse(new_apm(APM_CONTEXTS), new_apm(APM_CONTEXTS), new_apm(max(N_EXTRA * rows, 1)),
               np.zeros(2 + N_EXTRA, dtype=np.int64), np.array([settings.strong, rows], dtype=np.int64))


def sse_memory(settings):
    return (2 * APM_CONTEXTS + N_EXTRA * extra_rows(settings)) * POINTS * 2


@njit(inline="always")
def _rows(ctx):
    partial, recent = c0(ctx), last_bytes(ctx)
    return partial | ((recent & 0xFF) << 8), combine(recent & 0xFFFFFF, partial) & (APM_CONTEXTS - 1)


@njit(inline="always")
def _order_rows(s, ctx):
    """Strong: the order-2 and order-4 APMs' rows in `extra`."""
    partial, recent = c0(ctx), last_bytes(ctx)
    rows = s.regs[ROWS]
    return (combine(recent & 0xFFFF, partial + 0x300) & (rows - 1),
            rows + (combine(recent, partial + 0x500) & (rows - 1)))


@njit(inline="always")
def _match_row(s, ctx, mm):
    """Strong: the match APM's row in `extra` (read after match.predict set this bit's expectation)."""
    rows = s.regs[ROWS]
    key = c0(ctx)
    if mm.regs[EXPECTED_BIT] >= 0:
        key = combine(mm.regs[EXPECTED] | (length_bucket(mm.regs[LEN]) << 9), key)
    return 2 * rows + (key & (rows - 1))


@njit(inline="always")
def refine(s, ctx, p, mm):
    """The refined P(1) of the mixer's 12-bit p, as a 16-bit probability; mm: the match model."""
    row1, row3 = _rows(ctx)
    if s.regs[STRONG] == 0:
        p1 = apm_refine(s.order1, row1, p, s.slots, 0)
        p3 = apm_refine(s.order3, row3, p, s.slots, 1)
        return ((p1 + p3 + 1) >> 1) << 4
    row2, row4 = _order_rows(s, ctx)
    total = WEIGHTS[0] * apm_refine16(s.order1, row1, p, s.slots, 0, True)
    total += WEIGHTS[1] * apm_refine16(s.order3, row3, p, s.slots, 1, True)
    total += WEIGHTS[2] * apm_refine16(s.extra, row2, p, s.slots, 2, True)
    total += WEIGHTS[3] * apm_refine16(s.extra, row4, p, s.slots, 3, True)
    total += WEIGHTS[4] * apm_refine16(s.extra, _match_row(s, ctx, mm), p, s.slots, 4, True)
    return clamp(total >> 4, 1, 65535)


@njit(inline="always")
def request(s, ctx):
    row1, row3 = _rows(ctx)
    apm_prefetch(s.order1, row1)
    apm_prefetch(s.order3, row3)
    if s.regs[STRONG] != 0:
        row2, row4 = _order_rows(s, ctx)
        apm_prefetch(s.extra, row2)
        apm_prefetch(s.extra, row4)


@njit(inline="always")
def update(s, bit):
    if s.regs[STRONG] == 0:
        apm_update(s.order1, s.slots[0], bit, APM_RATE)
        apm_update(s.order3, s.slots[1], bit, APM_RATE)
        return
    apm_update_pair(s.order1, s.slots[0], bit, APM_RATE)
    apm_update_pair(s.order3, s.slots[1], bit, APM_RATE)
    for k in range(2, 2 + N_EXTRA):
        apm_update_pair(s.extra, s.slots[k], bit, EXTRA_RATE)
