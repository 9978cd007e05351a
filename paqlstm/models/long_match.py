"""Long match model (strong profile): a second match, found only by long contexts.

Predicts: the next bit of the byte that followed the most recent occurrence of the
last MIN_LEN bytes, with a confidence learnt per match length and expected bit;
0 (no opinion) when no match covers the bit.
Context: the history of coded bytes (ctx.history, shared with models/match.py).
After each byte, a rolling hash of the last MIN_LEN bytes indexes a table of positions.
When the match is lost, the table's candidate is taken if it repeats at least
MIN_LEN bytes. The short match model (MIN_LEN 6) often follows a short repeat that
a longer one would beat; this one only ever follows long repeats: boilerplate,
XML records, repeated lines. A match of RECOVER_LEN+ that fails on one byte goes
on after it (recovered: lengths under MIN_LEN, buckets of their own).
Learns: the map entry of (length bucket, expected bit) toward the coded bit; buckets
of 8 bytes from MIN_LEN, and 16 more for recovered matches.
Inputs: the map's stretch, and the length bucket signed by the expected bit.
Selects: nothing (the short model's weight set covers both). Other models may read
regs[EXPECTED], regs[LEN] and regs[EXPECTED_BIT] after predict.
Methods: predict; update (train; at a byte's end follow or find the match).
Memory: the positions table, 1/16 as many int32 entries as the history has bytes
(16 MB at level 9).
Off (no inputs, no memory, one branch a bit) in the fast profile.
"""
from typing import NamedTuple

import numpy as np

from ..contexts.registers import bits_known, byte_ended, bytes_coded, c0, last_byte
from ..jit import njit, unsigned
from ..primitives.squash import stretch
from ..primitives.statemap import new_statemaps, statemap_p, statemap_update
from .match import expected_byte, followed, repeat_length

INPUTS = 2
SELECTORS = ()
MIN_LEN = 32
MAX_VERIFY = MIN_LEN + 8 * 15   # a candidate's length is measured back this far at most (the top bucket)
MAP_LIMIT = 1023
HASH_MUL = 0x9E3779B1
ROLL_OUT = pow(HASH_MUL, MIN_LEN, 1 << 32)   # the weight of a byte MIN_LEN old
# Registers: where the match points in the history, its length, the expected byte
# (| 256; 0: none), the expected bit (-1: none), the map entry of this bit, the
# length of the match that failed in this byte (0: none), the rolling hash.
PTR, LEN, EXPECTED, EXPECTED_BIT, ENTRY, LOST, HASH = range(7)
N_REGS = 7
# A match this long that fails on one byte goes on after it (a changed field of a
# repeated record) unless the table proposes another; lengths under MIN_LEN are
# such recovered matches, with buckets of their own.
RECOVER_LEN = 8


class State(NamedTuple):
    regs: np.ndarray       # int64 [N_REGS]
    positions: np.ndarray  # int32: hash of the last MIN_LEN bytes -> bytes coded when last seen
    map: np.ndarray        # uint32 [1, 64]: (length bucket, expected bit) -> P(1)
    inputs: np.ndarray     # int32 [2], a view of the mixer's inputs


def active(settings):
    return settings.strong


def _table_bits(settings):
    return settings.history_bits - 4


def memory(settings):
    return 4 * (1 << _table_bits(settings)) if settings.strong else 0


def new(settings, ctx, inputs, selected):
    entries = 1 << _table_bits(settings) if settings.strong else 0
    return State(np.zeros(N_REGS, dtype=np.int64), np.zeros(entries, dtype=np.int32),
                 new_statemaps(1, 64, False), inputs)


@njit(inline="always")
def predict(m, ctx):
    if m.positions.size == 0:
        return
    expected = m.regs[EXPECTED]
    bits = bits_known(ctx)
    if expected != 0 and (expected >> (8 - bits)) != c0(ctx):
        expected = 0   # the byte left the match; wait for the next byte
        m.regs[EXPECTED] = 0
        m.regs[LOST] = m.regs[LEN]
        m.regs[LEN] = 0
    if expected == 0:
        m.regs[EXPECTED_BIT] = -1
        m.inputs[0] = 0
        m.inputs[1] = 0
        return
    bit = (expected >> (7 - bits)) & 1
    length = m.regs[LEN]
    if length >= MIN_LEN:
        bucket = min((length - MIN_LEN) >> 3, 15)
        strength = bucket
    else:
        bucket = 16 + min(length, 15)
        strength = 0
    m.regs[EXPECTED_BIT] = bit
    m.regs[ENTRY] = bucket * 2 + bit
    m.inputs[0] = stretch(statemap_p(m.map, 0, bucket * 2 + bit))
    m.inputs[1] = (2 * bit - 1) * (strength << 6)


@njit(inline="always")
def update(m, ctx, bit):
    if m.positions.size == 0:
        return
    if m.regs[EXPECTED_BIT] >= 0:
        statemap_update(m.map, 0, m.regs[ENTRY], bit, MAP_LIMIT)
    if byte_ended(ctx):
        _update_byte(m.regs, ctx.history, m.positions, last_byte(ctx), bytes_coded(ctx))


@njit(inline="always")
def _update_byte(regs, history, positions, byte, pos):
    """`byte`, the pos-th byte coded, is in the history: follow the match, or when it
    is lost take the newest occurrence of the last MIN_LEN bytes if it repeats as many."""
    ptr, length = followed(history, regs[PTR], regs[LEN], byte)
    # The rolling hash of the last MIN_LEN bytes, sum of (byte + 1) * HASH_MUL ** age (age
    # 1 the newest), mod 2**32: the byte that ages past MIN_LEN leaves it.
    out = np.uint32(0)
    if pos > MIN_LEN:
        out = np.uint32(ROLL_OUT * (np.int64(history[unsigned((pos - MIN_LEN - 1) & (history.size - 1))]) + 1))
    h = np.uint32(np.uint32(regs[HASH]) - out)
    h = np.uint32((h + np.uint32(byte + 1)) * np.uint32(HASH_MUL))
    regs[HASH] = h
    if pos < MIN_LEN:
        return
    slot = unsigned(h ^ (h >> np.uint32(15))) & (positions.size - 1)
    candidate = np.int64(positions[slot])
    if length == 0:
        found = repeat_length(history, candidate, pos, MAX_VERIFY)
        if found >= MIN_LEN:
            ptr = candidate
            length = found
    if length == 0 and regs[LOST] >= RECOVER_LEN:
        ptr += 1
        length = 1
    regs[LOST] = 0
    positions[slot] = pos
    regs[PTR] = ptr
    regs[LEN] = length
    regs[EXPECTED] = expected_byte(history, ptr, length)
