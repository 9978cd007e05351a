"""Direct model: order 0 and order 1, bit histories in tables indexed by the context itself.

Predicts: P(1) of each of its two contexts, from a bit-history state (primitives/
states.py; strong: a table of its own, quicker to forget) turned into a probability
by an adaptive map per context. Strong: also P(1) of orders 1 and 2 as adaptive
probabilities kept per context itself (no bit history between): what a context has
meant, beside what its recent bits suggest.
Contexts: the partial byte c0 (order 0); c0 with the last byte (order 1). Few
enough to index directly: no hashing, no collisions. Strong: c0 with the last byte,
and c0 with a 14-bit hash of the last two.
Learns: each map entry toward the coded bit (rate 1 / (n + 1.5), n capped at
STATEMAP_LIMIT); each state moves past the bit; strong: each probability toward the
bit in the same way, n capped at COUNTER_LIMIT.
Methods: predict, update. Memory: 256 + 65,536 bytes of states, 2 KB of maps;
strong: + 16.25 MB of probabilities.
"""
from typing import NamedTuple

import numpy as np

from ..contexts.registers import c0, last_byte, last_bytes
from ..jit import njit
from ..primitives.buckets import LINE
from ..primitives.memory import aligned_zeros
from ..primitives.squash import stretch
from ..primitives.statemap import new_statemaps, predict_states, statemap_p, statemap_update, update_histories
from ..primitives.states import DIRECT_STATES, STATES

SELECTORS = ()
STATEMAP_LIMIT = 1023
ORDER1_BASE = 256
TABLE_LINES = (256 + 65536) // LINE
# Strong: probabilities of order 1 (c1 c0) and order 2 (hash of c2 c1, c0): whole
# dickens -0.04 %, alice29 -0.2 %; limit 255 beats 63 (issue 14, docs/TUNING.md).
PAIR_BITS = 14
COUNTERS = 65536 + (256 << PAIR_BITS)
COUNTER_LIMIT = 255


def INPUTS(settings):
    """Two bit-history inputs; strong: two direct probabilities too."""
    return 4 if settings.strong else 2


class State(NamedTuple):
    table: np.ndarray          # uint8 states: order 0 at c0, order 1 at ORDER1_BASE + 256 c1 + c0
    maps: np.ndarray           # uint32 [2, 256]: state -> P(1), per context
    slots: np.ndarray          # int64 [2]: index in `table` of each context's state for this bit
    inputs: np.ndarray         # int32 [INPUTS], a view of the mixer's inputs
    counters: np.ndarray       # uint32 [1, COUNTERS] (strong; else [1, 1]): P(1) and count, as a map's entries
    counter_slots: np.ndarray  # int64 [2] (strong; else [0]): this bit's entry of each order
    next_state: np.ndarray     # uint8 [256, 2]: the next states of the profile's table (strong: primitives/states.py's DIRECT_STATES)


def memory(settings):
    return TABLE_LINES * LINE + (4 * COUNTERS if settings.strong else 0)


def new(settings, ctx, inputs, selected):
    states = DIRECT_STATES if settings.strong else STATES
    return State(aligned_zeros(TABLE_LINES * LINE, np.uint8), new_statemaps(2, 256, states=states),
                 np.zeros(2, dtype=np.int64), inputs,
                 new_statemaps(1, COUNTERS if settings.strong else 1, False),
                 np.zeros(2 if settings.strong else 0, dtype=np.int64), states.next_state)


@njit(inline="always")
def predict(m, ctx):
    m.slots[0] = c0(ctx)
    m.slots[1] = ORDER1_BASE + (last_byte(ctx) << 8) + c0(ctx)
    predict_states(m.table, m.maps, m.slots, m.inputs)
    if m.counter_slots.size:
        c4 = last_bytes(ctx)
        pair = (((c4 & 0xFFFF) * 0x9E3779B1) & 0xFFFFFFFF) >> (32 - PAIR_BITS)
        m.counter_slots[0] = ((c4 & 0xFF) << 8) | c0(ctx)
        m.counter_slots[1] = 65536 + ((pair << 8) | c0(ctx))
        for i in range(2):
            m.inputs[2 + i] = stretch(statemap_p(m.counters, 0, m.counter_slots[i]))


@njit(inline="always")
def update(m, ctx, bit):
    update_histories(m.table, m.maps, m.slots, bit, STATEMAP_LIMIT, 0, m.next_state)
    for i in range(m.counter_slots.size):
        statemap_update(m.counters, 0, m.counter_slots[i], bit, COUNTER_LIMIT)
