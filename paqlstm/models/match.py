"""Match model: predicts the next bit from the longest recent repeat of the context.

Predicts: the next bit of the byte that followed the last occurrence of the
current context, with a confidence learnt (by an adaptive map) per match length;
0 (no opinion) when no match covers the bit.
Context: the history of coded bytes (ctx.history, a ring buffer). After each byte,
a hash of the last MIN_LEN bytes indexes a table of positions; if the current match
did not continue, that table proposes the most recent earlier occurrence of the same
bytes and the match length is measured backwards. Repeats far longer than any
order-n context (boilerplate, XML tags, quotations) are where it pays.
Learns: the map entry of (length bucket, expected bit) toward the coded bit.
Selects: a weight set by length bucket and bit position; adds one or two (long
match) to the ctx ORDERS count.
Strong profile: three more inputs (the length bucket signed by the expected bit; a
map by expected byte, bit position and coarse length; one by last byte, expected
bit and coarse length); the weight set by length bucket, expected bit and bit
position, or without a match by how many bytes ago one failed (MISS); a match of
RECOVER_LEN+ that fails on one byte goes on after it as a recovered match (lengths
1..5, buckets no fresh match has) unless the hash proposes another. Other models
may read regs[EXPECTED] (expected byte | 256, 0: none), regs[LEN] and
regs[EXPECTED_BIT] (-1: none) after predict.
Methods: predict; request (at the nibble boundary, the positions entries the byte's
16 possible values will read); update (train; at a byte's end follow or find the
match). Memory: the positions table, a quarter as many int32 entries as the
history has bytes; strong: 40 KB of maps.
"""
from typing import NamedTuple

import numpy as np

from ..contexts.registers import add_orders, bits_known, byte_ended, bytes_coded, c0, last_byte, nibble_ended
from ..jit import njit, unsigned
from ..primitives.memory import prefetch
from ..primitives.squash import stretch
from ..primitives.statemap import new_statemaps, statemap_p, statemap_update

SELECTORS = (("match state and bit position", 40 * 8),)
MIN_LEN = 6
MAX_LEN = 65535
MAP_LIMIT = 1023
STRONG_INPUTS = 3
# Bytes a mismatch is remembered for (the strong profile's selector).
MISS_BYTES = 5
# Registers: where the match points in the history, its length, the rolling hash of
# the last bytes, the expected byte (| 256; 0: none), the expected bit (-1: none),
# 1 for the strong profile, the match state of a bit without a match (0: no mismatch
# in the last MISS_BYTES bytes, 1: one in this byte, 2..: that many bytes ago + 1),
# the strong maps' entries of this bit, and the length of the match that failed in
# this byte (strong).
PTR, LEN, HASH, EXPECTED, EXPECTED_BIT, STRONG, MISS, BYTE_ENTRY, C1_ENTRY, LOST_LEN = range(10)
N_REGS = 10
# Strong: a match this long that fails on one byte goes on after it (a changed
# number or word in a repeated record), at length 1, unless the hash proposes another.
RECOVER_LEN = 16


def INPUTS(settings):
    return 1 + STRONG_INPUTS if settings.strong else 1


class State(NamedTuple):
    regs: np.ndarray       # int64 [N_REGS]
    positions: np.ndarray  # int32: rolling hash -> bytes coded when it was last seen
    map: np.ndarray        # uint32 [1, 32]: (length bucket, expected bit) -> P(1)
    byte_map: np.ndarray   # uint32 [1, 256 * 8 * 4] (strong; else [1, 1]): (expected byte, bit position, coarse length) -> P(1)
    c1_map: np.ndarray     # uint32 [1, 256 * 2 * 4] (strong; else [1, 1]): (last byte, expected bit, coarse length) -> P(1)
    inputs: np.ndarray     # int32 [INPUTS], a view of the mixer's inputs
    selected: np.ndarray   # int64 [1], a view of the mixer's selectors


def memory(settings):
    return 4 * (1 << (settings.history_bits - 2))


def new(settings, ctx, inputs, selected):
    regs = np.zeros(N_REGS, dtype=np.int64)
    regs[STRONG] = settings.strong
    byte_entries, c1_entries = (256 * 8 * 4, 256 * 2 * 4) if settings.strong else (1, 1)
    return State(regs, np.zeros(1 << (settings.history_bits - 2), dtype=np.int32),
                 new_statemaps(1, 32), new_statemaps(1, byte_entries, False),
                 new_statemaps(1, c1_entries, False), inputs, selected)


@njit(inline="always")
def predict(m, ctx):
    length = m.regs[LEN]
    expected = match_expected_bit(m.regs, c0(ctx), bits_known(ctx))
    m.regs[EXPECTED_BIT] = expected
    if m.regs[STRONG]:
        if expected < 0 and length > 0:   # the match failed at this bit
            m.regs[MISS] = 1
            m.regs[LOST_LEN] = length
        _predict_strong(m, ctx, expected)
        return
    if expected >= 0:
        bucket = length_bucket(m.regs[LEN])
        m.inputs[0] = stretch(statemap_p(m.map, 0, bucket * 2 + expected))
        add_orders(ctx, 1 + (m.regs[LEN] > 16))
    else:
        bucket = 0
        m.inputs[0] = 0
    m.selected[0] = bucket * 8 + bits_known(ctx)


@njit(inline="always")
def _predict_strong(m, ctx, expected):
    """Besides the length map: the length itself (signed by the expected bit), a map
    by the expected byte and bit position, and one by the last byte; the weight set
    by length and expected bit, or without a match by how recently one failed."""
    bits = bits_known(ctx)
    if expected >= 0:
        length = m.regs[LEN]
        bucket = length_bucket(length)
        coarse = _coarse(length)
        m.inputs[0] = stretch(statemap_p(m.map, 0, bucket * 2 + expected))
        m.inputs[1] = (2 * expected - 1) * (bucket << 6)
        byte_entry = (((m.regs[EXPECTED] & 255) * 8 + bits) << 2) + coarse
        c1_entry = (((last_byte(ctx) << 1) + expected) << 2) + coarse
        m.regs[BYTE_ENTRY] = byte_entry
        m.regs[C1_ENTRY] = c1_entry
        m.inputs[2] = stretch(statemap_p(m.byte_map, 0, byte_entry))
        m.inputs[3] = stretch(statemap_p(m.c1_map, 0, c1_entry))
        add_orders(ctx, 1 + (length > 16))
        m.selected[0] = (bucket * 2 + expected) * 8 + bits
    else:
        for i in range(m.inputs.size):
            m.inputs[i] = 0
        m.selected[0] = (32 + m.regs[MISS]) * 8 + bits


@njit(inline="always")
def _coarse(length):
    """0..3: length under 12, 16, 32, or longer."""
    return (length >= 12) + (length >= 16) + (length >= 32)


@njit(inline="always")
def request(m, ctx):
    if nibble_ended(ctx):
        match_prefetch(m.regs, m.positions, c0(ctx) & 15)


@njit(inline="always")
def update(m, ctx, bit):
    expected = m.regs[EXPECTED_BIT]
    if expected >= 0:
        statemap_update(m.map, 0, length_bucket(m.regs[LEN]) * 2 + expected, bit, MAP_LIMIT)
        if m.regs[STRONG]:
            statemap_update(m.byte_map, 0, m.regs[BYTE_ENTRY], bit, MAP_LIMIT)
            statemap_update(m.c1_map, 0, m.regs[C1_ENTRY], bit, MAP_LIMIT)
    if byte_ended(ctx):
        if m.regs[MISS]:
            m.regs[MISS] = m.regs[MISS] + 1 if m.regs[MISS] <= MISS_BYTES else 0
        lost_ptr = m.regs[PTR]
        match_update_byte(m.regs, ctx.history, m.positions, last_byte(ctx), bytes_coded(ctx))
        if m.regs[STRONG] and m.regs[LEN] == 0 and m.regs[MISS] == 2 and m.regs[LOST_LEN] >= RECOVER_LEN:
            _recover(m.regs, ctx.history, lost_ptr + 1)


@njit(inline="always")
def _recover(regs, history, ptr):
    """Go on past the byte that failed, at length 1: lengths under MIN_LEN (own
    buckets) are the recovered matches' first bytes."""
    regs[PTR] = ptr
    regs[LEN] = 1
    regs[EXPECTED] = history[ptr & (history.size - 1)] | 256


@njit(inline="always")
def length_bucket(length):
    """0..15: exact up to 11, then coarser."""
    if length < 12:
        return length
    if length < 16:
        return 12
    if length < 32:
        return 13
    if length < 64:
        return 14
    return 15


@njit(inline="always")
def _hash_before(regs):
    """The rolling hash after the next byte is this plus the byte (before masking):
    older bytes shift out after ~MIN_LEN, and the 16 bytes sharing a high nibble
    land on neighbouring slots (match_prefetch)."""
    return regs[HASH] * (3 << 5) + 1


@njit(inline="always")
def match_update_byte(regs, history, positions, byte, pos):
    """`byte`, the pos-th byte coded, is in the history: find what the next byte is expected to be."""
    h = (_hash_before(regs) + byte) & (positions.size - 1)
    regs[HASH] = h
    ptr, length = followed(history, regs[PTR], regs[LEN], byte)
    if length == 0:
        ptr = positions[h]
        length = repeat_length(history, ptr, pos, MAX_LEN)
        if length < MIN_LEN:
            length = 0
    positions[h] = pos
    regs[PTR] = ptr
    regs[LEN] = length
    regs[EXPECTED] = expected_byte(history, ptr, length)


# The three steps of following a match, shared with models/long_match.py.
@njit(inline="always")
def followed(history, ptr, length, byte):
    """(ptr, length) after `byte`: one further if the match predicted it, else length 0."""
    if length > 0 and history[unsigned(ptr & (history.size - 1))] == byte:
        return ptr + 1, min(length + 1, MAX_LEN)
    return ptr, 0


@njit(inline="always")
def repeat_length(history, candidate, pos, limit):
    """How many bytes (at most `limit`) before position `candidate` repeat those before
    `pos`; 0 for no candidate (0), or one so old that a match could outrun the history."""
    mask = history.size - 1
    length = 0
    if candidate > 0 and pos - candidate < history.size - MAX_LEN:
        while (length < limit and length < candidate
               and history[unsigned((candidate - length - 1) & mask)]
               == history[unsigned((pos - length - 1) & mask)]):
            length += 1
    return length


@njit(inline="always")
def expected_byte(history, ptr, length):
    """The byte the match predicts, | 256, or 0 without a match."""
    return history[unsigned(ptr & (history.size - 1))] | 256 if length > 0 else 0


@njit(inline="always")
def match_prefetch(regs, positions, high_nibble):
    """Half way through a byte: request the positions entries its 16 possible values will read."""
    first = _hash_before(regs) + (high_nibble << 4)
    table_mask = positions.size - 1
    prefetch(positions, first & table_mask)
    prefetch(positions, (first + 15) & table_mask)


@njit(inline="always")
def match_expected_bit(regs, c0, bits_done):
    """The predicted next bit (0/1), or -1 when no match covers this bit."""
    expected = regs[EXPECTED]
    if expected == 0:
        return -1
    if (expected >> (8 - bits_done)) != c0:
        regs[EXPECTED] = 0  # the byte left the match; wait for the next byte
        regs[LEN] = 0
        return -1
    return (expected >> (7 - bits_done)) & 1
