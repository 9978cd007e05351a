"""Direct model: order 0 and order 1, bit histories in tables indexed by the context itself.

Predicts: P(1) of each of its two contexts, from a bit-history state (primitives/
states.py; strong: a table of its own, quicker to forget) turned into a probability
by an adaptive map per context.
Contexts: the partial byte c0 (order 0); c0 with the last byte (order 1). Few
enough to index directly: no hashing, no collisions.
Learns: each map entry toward the coded bit (rate 1 / (n + 1.5), n capped at
STATEMAP_LIMIT); each state moves past the bit.
Methods: predict, update. Memory: 256 + 65,536 bytes of states, 2 KB of maps.
"""
from typing import NamedTuple

import numpy as np

from ..contexts.registers import c0, last_byte
from ..jit import njit
from ..primitives.buckets import LINE
from ..primitives.memory import aligned_zeros
from ..primitives.statemap import new_statemaps, predict_states, update_histories
from ..primitives.states import DIRECT_NEXT_STATE, DIRECT_STATE_COUNTS, NEXT_STATE, STATE_COUNTS

INPUTS = 2
SELECTORS = ()
STATEMAP_LIMIT = 1023
ORDER1_BASE = 256
TABLE_LINES = (256 + 65536) // LINE


class State(NamedTuple):
    table: np.ndarray    # uint8 states: order 0 at c0, order 1 at ORDER1_BASE + 256 c1 + c0
    maps: np.ndarray     # uint32 [2, 256]: state -> P(1), per context
    slots: np.ndarray    # int64 [2]: index in `table` of each context's state for this bit
    inputs: np.ndarray   # int32 [2], a view of the mixer's inputs
    next_state: np.ndarray  # uint8 [256, 2]: the profile's state table (strong: primitives/states.py's DIRECT_*)


def memory(settings):
    return TABLE_LINES * LINE


def new(settings, ctx, inputs, selected):
    next_state, counts = (DIRECT_NEXT_STATE, DIRECT_STATE_COUNTS) if settings.strong else (NEXT_STATE, STATE_COUNTS)
    return State(aligned_zeros(TABLE_LINES * LINE, np.uint8), new_statemaps(INPUTS, 256, counts=counts),
                 np.zeros(INPUTS, dtype=np.int64), inputs, next_state)


@njit(inline="always")
def predict(m, ctx):
    m.slots[0] = c0(ctx)
    m.slots[1] = ORDER1_BASE + (last_byte(ctx) << 8) + c0(ctx)
    predict_states(m.table, m.maps, m.slots, m.inputs)


@njit(inline="always")
def update(m, ctx, bit):
    update_histories(m.table, m.maps, m.slots, bit, STATEMAP_LIMIT, 0, m.next_state)
