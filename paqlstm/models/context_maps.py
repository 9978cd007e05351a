"""Context maps: bit histories of the hashed contexts (contexts/hashed.py), one input each.

Predicts: P(1) of each hashed context (orders 2-7, words, the column), from the
bit-history state of the current bit in that context's bucket (primitives/
buckets.py), through an adaptive map per context.
Contexts: ctx.hashes, computed once per byte; at the nibble boundary each is
combined with the first nibble, so a context's byte takes two buckets.
Learns: each map entry toward the coded bit (rate 1 / (n + 1.5), n capped at
STATEMAP_LIMIT); each state moves past the bit; buckets are replaced least used first.
Also counts how many of orders 2-6 were seen before (ctx ORDERS, a weight-set selector).
Methods: predict; request (the next nibble's bucket lines, before the mixers train,
so their cache misses overlap the training); update (train, then find the next
nibble's buckets). Memory: 2**hash_bits bytes of buckets, 11 KB of maps.
"""
from typing import NamedTuple

import numpy as np

from ..contexts.hashed import ORDERED, contexts
from ..contexts.registers import add_orders, bits_known, byte_ended, c0, nibble_ended
from ..jit import njit, unsigned
from ..primitives.buckets import LINE, bucket_line, find_bucket, nibble_node
from ..primitives.hashing import combine
from ..primitives.memory import aligned_zeros, prefetch
from ..primitives.statemap import new_statemaps, predict_states, update_states

INPUTS = contexts
SELECTORS = ()
STATEMAP_LIMIT = 1023


class State(NamedTuple):
    table: np.ndarray      # uint8 buckets, 2**hash_bits bytes, starting on a cache line
    maps: np.ndarray       # uint32 [contexts, 256]: state -> P(1), per context
    buckets: np.ndarray    # int64 [contexts]: each context's bucket for this nibble (its hash until found)
    slots: np.ndarray      # int64 [contexts]: index in `table` of each context's state for this bit
    line_mask: np.ndarray  # int64 [1]: lines in the table - 1
    inputs: np.ndarray     # int32 [contexts], a view of the mixer's inputs


def memory(settings):
    return 1 << settings.hash_bits


def new(settings, ctx, inputs, selected):
    lines = 1 << (settings.hash_bits - 6)
    n = contexts(settings)
    m = State(aligned_zeros(lines * LINE, np.uint8), new_statemaps(n, 256),
              np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
              np.array([lines - 1], dtype=np.int64), inputs)
    _locate(m, ctx.hashes)
    return m


@njit(inline="always")
def _locate(m, hashes):
    for i in range(m.buckets.size):
        m.buckets[i] = find_bucket(m.table, m.line_mask[0], hashes[i])


@njit(inline="always")
def _request_lines(m, hashes):
    """All requested before any is read, so that their cache misses overlap."""
    for i in range(m.buckets.size):
        prefetch(m.table, bucket_line(m.line_mask[0], hashes[i]))


@njit(inline="always")
def predict(m, ctx):
    node = nibble_node(c0(ctx), bits_known(ctx))
    for i in range(m.buckets.size):
        m.slots[i] = m.buckets[i] + node
    predict_states(m.table, m.maps, m.slots, m.inputs)
    seen = 0
    for i in range(ORDERED):
        seen += m.table[unsigned(m.slots[i])] != 0
    add_orders(ctx, seen)


@njit(inline="always")
def request(m, ctx):
    if byte_ended(ctx):
        _request_lines(m, ctx.hashes)
    elif nibble_ended(ctx):
        for i in range(m.buckets.size):
            m.buckets[i] = combine(ctx.hashes[i], c0(ctx))
        _request_lines(m, m.buckets)


@njit(inline="always")
def update(m, ctx, bit):
    update_states(m.table, m.maps, m.slots, bit, STATEMAP_LIMIT)
    if byte_ended(ctx):
        _locate(m, ctx.hashes)
    elif nibble_ended(ctx):
        _locate(m, m.buckets)
