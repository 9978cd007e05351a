"""Context maps: bit histories of the hashed contexts (contexts/hashed.py), and their runs.

Predicts: P(1) of each hashed context (orders 2-7, words, the column), from the
bit-history state of the current bit in that context's bucket (primitives/
buckets.py), through an adaptive map per context. The strong profile says more per
context: the same stretch(P(1)) again when the state has seen one bit value only
(the mixer weighs deterministic contexts apart), 0 instead of the map's guess for a
never-seen context, and for RUN_CONTEXTS the byte last seen after the context and
how many times in a row (paq8's run model): while the partial byte agrees with that
byte, P(its next bit) from a map by run length, expected bit, bit position and
whether the context's bit history is deterministic. Strong also: its own state
table (primitives/states.py, gentler discount), map entries of their own for the
byte's first bit (its state, the context's byte-level history, means something else).
Contexts: ctx.hashes, computed once per byte; at the nibble boundary each is
combined with the first nibble, so a context's byte takes two buckets.
Learns: each map entry toward the coded bit (rate 1 / (n + 1.5), n capped at
STATEMAP_LIMIT); each state moves past the bit; buckets are replaced least used first;
at a byte's end each run entry is extended or restarted with the byte.
Also counts how many of orders 2-6 (strong: STRONG_ORDERS) were seen before (ctx ORDERS,
a weight-set selector).
Methods: predict; request (the next nibble's bucket lines and, at a byte's end, the
run entries, before the mixers train, so their cache misses overlap the training);
update (train, then find the next nibble's buckets and the next byte's runs).
Memory: 2**hash_bits bytes of buckets, 11 KB of maps (strong: 47 KB); strong: +
2**hash_bits / 4 bytes of run entries (16-bit check, byte, run), 12 KB of run maps.
"""
from typing import NamedTuple

import numpy as np

from ..contexts.hashed import O3, O4, O5, O6, O7, O10, ORDERED, WORD, contexts
from ..contexts.registers import add_orders, bits_known, byte_ended, c0, last_byte, nibble_ended
from ..jit import njit, unsigned
from ..primitives.buckets import LINE, bucket_line, find_bucket, nibble_node
from ..primitives.hashing import combine
from ..primitives.memory import aligned_zeros, prefetch
from ..primitives.squash import stretch
from ..primitives.states import STATES, STRONG_STATES
from ..primitives.statemap import (new_statemaps, predict_states, predict_states_confident, statemap_p,
                                   statemap_update, update_histories)


def INPUTS(settings):
    """One input per context; strong: also a confidence input per context and a run input per run context."""
    n = contexts(settings)
    return n * 2 + len(RUN_CONTEXTS) if settings.strong else n


# Strong: the contexts whose runs are inputs (each a cache miss per byte; all 11: xml
# -1.4 %, text within 0.07 %, 1.4x the time, the mixer past 32 inputs).
RUN_CONTEXTS = (O3, O4, O5, O6, O7, WORD)
RUN_LIMIT = 15          # run lengths above this share one map entry
RUN_MAP = (RUN_LIMIT + 1) * 2 * 8 * 2
RUN_MAP_LIMIT = 1023    # 255: alice29 / dickens 1 MB / xml 500 KB +4 / +11 / -3 B
RUN_TABLE_SHIFT = 4     # run entries: 4 bytes per 16 bytes of buckets,
RUN_TABLE_BITS = 28     # up to 256 MB of them (64 MB of runs): level 9's 512 MB would pass 1 GB of RSS

SELECTORS = ()
STATEMAP_LIMIT = 1023
# Strong: the orders counted into ctx ORDERS (orders 2-6: dickens 1 MB +27 B; order 2 is
# nearly always seen, order 10 tells long repeats apart).
STRONG_ORDERS = (O3, O4, O5, O6, O10)


class State(NamedTuple):
    table: np.ndarray      # uint8 buckets, 2**hash_bits bytes, starting on a cache line
    maps: np.ndarray       # uint32 [contexts, 256]: state -> P(1), per context (strong: 512, the byte's first bit has its own 256)
    buckets: np.ndarray    # int64 [contexts]: each context's bucket for this nibble (its hash until found)
    slots: np.ndarray      # int64 [contexts]: index in `table` of each context's state for this bit
    line_mask: np.ndarray  # int64 [1]: lines in the table - 1
    inputs: np.ndarray     # int32 [INPUTS], a view of the mixer's inputs
    run_contexts: np.ndarray  # int64 [R]: RUN_CONTEXTS (R = 0: fast)
    runs: np.ndarray          # uint32 entries: 16-bit check << 16 | byte last seen after the context << 8 | run
    run_slots: np.ndarray     # int64 [R]: index in `runs` of each run context's entry for this byte
    run_checks: np.ndarray    # int64 [R]: its check
    run_bytes: np.ndarray     # int64 [R]: its expected byte (256 + byte), 0: none
    run_counts: np.ndarray    # int64 [R]: its run length
    run_index: np.ndarray     # int64 [R]: its map entry at this bit, -1: no prediction
    run_maps: np.ndarray      # uint32 [R, RUN_MAP]: (run, expected bit, bit position, deterministic) -> P(1)
    states: tuple             # the profile's bit-history state table (primitives/states.py StateTable)
    strong: np.ndarray        # int64 [1]: 1 in the strong profile (confidence and run inputs, first-bit entries)


def _run_entries(settings):
    """A 4-byte run entry per 16 bytes of buckets (one, unused, in the fast profile)."""
    return 1 << (min(settings.hash_bits, RUN_TABLE_BITS) - RUN_TABLE_SHIFT) if settings.strong else 1


def memory(settings):
    return (1 << settings.hash_bits) + 4 * _run_entries(settings)


def new(settings, ctx, inputs, selected):
    lines = 1 << (settings.hash_bits - 6)
    runs = len(RUN_CONTEXTS) if settings.strong else 0
    n = contexts(settings)
    states = STRONG_STATES if settings.strong else STATES
    m = State(aligned_zeros(lines * LINE, np.uint8), new_statemaps(n, 512 if settings.strong else 256, states=states),
              np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
              np.array([lines - 1], dtype=np.int64), inputs,
              np.array(RUN_CONTEXTS[:runs], dtype=np.int64),
              aligned_zeros(_run_entries(settings), np.uint32), np.full(runs, -1, dtype=np.int64),
              np.zeros(runs, dtype=np.int64), np.zeros(runs, dtype=np.int64),
              np.zeros(runs, dtype=np.int64), np.full(runs, -1, dtype=np.int64),
              new_statemaps(runs, RUN_MAP, from_states=False),
              states, np.array([settings.strong], dtype=np.int64))
    _locate(m, ctx.hashes)
    _find_runs(m, ctx.hashes)
    return m


@njit(inline="always")
def _run_slot(m, h):
    """A multiplicative rehash: the index takes the hash's high product bits, the check its low bits."""
    return ((h * 0x9E3779B1) & 0xFFFFFFFF) >> 8 & (m.runs.size - 1)


@njit(inline="always")
def _find_runs(m, hashes):
    """Each context's run entry for the byte to come: its expected byte and run, if its check matches."""
    for i in range(m.run_slots.size):
        h = hashes[m.run_contexts[i]]
        slot = _run_slot(m, h)
        m.run_slots[i] = slot
        m.run_checks[i] = h & 0xFFFF
        v = np.int64(m.runs[unsigned(slot)])
        if (v >> 16) == (h & 0xFFFF) and v & 0xFF:
            m.run_bytes[i] = 256 | ((v >> 8) & 0xFF)
            m.run_counts[i] = v & 0xFF
        else:
            m.run_bytes[i] = 0
            m.run_counts[i] = 0


@njit(inline="always")
def _update_runs(m, byte):
    """The byte just coded extends each context's run, or starts a new one."""
    for i in range(m.run_slots.size):
        if m.run_bytes[i] == 256 | byte:
            n = min(m.run_counts[i] + 1, 255)
        else:
            n = 1
        m.runs[unsigned(m.run_slots[i])] = np.uint32((m.run_checks[i] << 16) | (byte << 8) | n)


@njit(inline="always")
def _predict_runs(m, ctx, first):
    """inputs[first + i]: stretch(P(1)) of context i's expected byte's next bit, while the
    partial byte agrees with it, by its run length and the bit position; else 0."""
    k = bits_known(ctx)
    partial = c0(ctx)
    for i in range(m.run_slots.size):
        b = m.run_bytes[i]
        if b != 0 and (b >> (8 - k)) == partial:
            bit = (b >> (7 - k)) & 1
            det = m.states.deterministic[m.table[unsigned(m.slots[m.run_contexts[i]])]]
            index = ((min(m.run_counts[i], RUN_LIMIT) * 2 + bit) * 8 + k) * 2 + det
            m.run_index[i] = index
            m.inputs[first + i] = stretch(statemap_p(m.run_maps, i, index))
        else:
            m.run_index[i] = -1
            m.inputs[first + i] = 0


@njit(inline="always")
def _train_runs(m, bit):
    for i in range(m.run_slots.size):
        if m.run_index[i] >= 0:
            statemap_update(m.run_maps, i, m.run_index[i], bit, RUN_MAP_LIMIT)


@njit(inline="always")
def _locate(m, hashes):
    for i in range(m.buckets.size):
        m.buckets[i] = find_bucket(m.table, m.line_mask[0], hashes[i], m.states.priority)


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
    seen = 0
    if m.strong[0]:
        predict_states_confident(m.table, m.maps, m.slots, m.inputs, 256 if bits_known(ctx) == 0 else 0,
                                 m.states.deterministic)
        _predict_runs(m, ctx, 2 * m.slots.size)
        for i in STRONG_ORDERS:
            seen += m.table[unsigned(m.slots[i])] != 0
    else:
        predict_states(m.table, m.maps, m.slots, m.inputs)
        for i in range(ORDERED):
            seen += m.table[unsigned(m.slots[i])] != 0
    add_orders(ctx, seen)


@njit(inline="always")
def request(m, ctx):
    if byte_ended(ctx):
        _request_lines(m, ctx.hashes)
        for i in range(m.run_slots.size):
            prefetch(m.runs, _run_slot(m, ctx.hashes[m.run_contexts[i]]))
    elif nibble_ended(ctx):
        for i in range(m.buckets.size):
            m.buckets[i] = combine(ctx.hashes[i], c0(ctx))
        _request_lines(m, m.buckets)


@njit(inline="always")
def update(m, ctx, bit):
    # The bit just coded was the byte's first if one bit of the new byte is known now.
    first = 256 if m.strong[0] and bits_known(ctx) == 1 else 0
    update_histories(m.table, m.maps, m.slots, bit, STATEMAP_LIMIT, first, m.states.next_state)
    _train_runs(m, bit)
    if byte_ended(ctx):
        _locate(m, ctx.hashes)
        _update_runs(m, last_byte(ctx))
        _find_runs(m, ctx.hashes)
    elif nibble_ended(ctx):
        _locate(m, m.buckets)
