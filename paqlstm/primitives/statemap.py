"""Adaptive state -> probability maps.

A StateMap predicts the next bit from a small context (usually a bit-history state,
sometimes a state combined with a little more) by remembering, per context, the
probability of a 1 it has actually observed there. Each entry is a uint32 holding a
22-bit probability and a 10-bit count; it learns at rate 1/(n + 1.5) until the count
reaches its limit, so early updates average and later ones track change.
"""
import numpy as np

from ..jit import njit, unsigned
from .squash import stretch
from .states import STATES, initial_probability_22

# 2^16 * 2 / (2n + 3): the learning rate 1/(n + 1.5) as a fixed-point multiplier.
RECIPROCAL = (np.int64(1 << 17) // (2 * np.arange(1024, dtype=np.int64) + 3)).astype(np.int32)


def new_statemaps(contexts, entries_per_context, from_states=True, states=STATES):
    """Fresh maps: one row per context, each entry starting at its state's prior in the
    state table `states` (primitives/states.py)."""
    maps = np.zeros((contexts, entries_per_context), dtype=np.uint32)
    if from_states:
        prior = initial_probability_22(states)
        for start in range(0, entries_per_context, 256):
            stop = min(start + 256, entries_per_context)
            maps[:, start:stop] = (prior[: stop - start] << 10).astype(np.uint32)
    else:
        maps[:] = np.uint32(1 << 31)
    return maps


@njit(inline="always")
def statemap_p(maps, row, index):
    """12-bit P(1) of entry `index` of map `row`."""
    return np.int32(maps[unsigned(row), unsigned(index)] >> np.uint32(20))


@njit(inline="always")
def statemap_update(maps, row, index, bit, limit):
    row = unsigned(row)
    index = unsigned(index)
    v = np.int64(maps[row, index])
    n = v & 1023
    p = v >> 10
    p += (((np.int64(bit) << 22) - p) * RECIPROCAL[unsigned(n)]) >> 16
    if n < limit:
        n += 1
    maps[row, index] = np.uint32((p << 10) | n)


@njit(inline="always")
def predict_states(table, maps, slots, inputs):
    """inputs[i] = stretch(P(1)) of the state at table[slots[i]], by map row i."""
    for i in range(slots.size):
        inputs[i] = stretch(statemap_p(maps, i, table[unsigned(slots[i])]))


@njit(inline="always")
def predict_states_confident(table, maps, slots, inputs, first, deterministic):
    """stretch(P(1)) of the state at table[slots[i]], by map row i, into inputs[n + i]
    when the state has seen only one bit value, else into inputs[i] (n = slots.size;
    the other gets 0, and both are 0 for a never-seen state): the mixer learns apart
    how far to trust a context that has always agreed with itself. (Splitting beats
    inputs[i] always and inputs[n + i] when deterministic, though the mixer could
    express the same: each weight learns from its own cases only.) The row's entries
    for the states start at `first` (a row may hold several sets of 256); `deterministic`:
    the state table's."""
    n = slots.size
    for i in range(n):
        state = table[unsigned(slots[i])]
        st = stretch(statemap_p(maps, i, first + state))
        d = deterministic[state]
        inputs[i] = st * (1 - d) if state != 0 else 0
        inputs[n + i] = st * d


@njit(inline="always")
def update_histories(table, maps, slots, bit, limit, first, next_state):
    """Train map row i (its entries from `first`) on the state at table[slots[i]], then move
    that state past the bit by the state table `next_state`."""
    for i in range(slots.size):
        slot = unsigned(slots[i])
        state = table[slot]
        statemap_update(maps, i, first + state, bit, limit)
        table[slot] = next_state[state, bit]
