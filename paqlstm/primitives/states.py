"""Nonstationary bit-history states: one byte summarises what a context has seen.

A state stands for a pair of counts (n0, n1) of zeros and ones seen in a context, plus
the last bit while both counts are small. When a bit arrives its count goes up and the
opposite count, if above 2, is cut to about its logarithm: old evidence against the
newest bit fades fast, which is what makes the history track nonstationary data.
Counts are bounded (the more frequent bit may count higher the rarer the other is),
giving 249 states (STATES). The strong profile's context maps have their own table (STRONG_STATES):
the opposite count is only halved, and bounded lower to stay within 256 states (231).
Its direct model (orders 0-1) has another (DIRECT_STATES): the opposite count drops to 2,
as in paq8 (249 states): those few contexts see every byte, so fresh evidence wins.
The tables are generated here with integer code, so they are the same everywhere;
state 0 means "never seen". Adaptive maps (statemap.py) turn a state
into a probability by learning what each state has actually meant so far.
"""
from collections import deque
from typing import NamedTuple

import numpy as np

# Highest count of the more frequent bit, indexed by the count of the rarer bit.
FREQUENT_LIMIT = (48, 40, 24, 14, 9, 7, 6)
STRONG_FREQUENT_LIMIT = (40, 32, 20, 12, 8, 6, 5)
# The strong direct model's (its rarer count never passes 2, so only the first three matter).
DIRECT_FREQUENT_LIMIT = (60, 40, 24, 14, 9, 7, 6)
# Both counts nonzero and at most this many bits seen: also remember the last bit.
LAST_BIT_TOTAL = 8


def _discount(n):
    """Opposite count after a bit arrives: 3 -> 2, 4..7 -> 3, 8..15 -> 4, ..."""
    return n if n <= 2 else n.bit_length()


def _halve(n):
    """The strong profile's: 3 -> 2, 4, 5 -> 3, 6, 7 -> 4, ... (text is more stationary
    than the log discount assumes: dickens 1 MB -0.22 %)."""
    return n if n <= 2 else n // 2 + 1


def _hard(n):
    """The strong direct model's: the opposite count drops to 2 at most (paq8's nex)."""
    return min(n, 2)


def _bounded(n0, n1, frequent_limit):
    rare = min(n0, n1)
    limit = frequent_limit[rare]
    return (min(n0, limit), n1) if n0 > n1 else (n0, min(n1, limit))


def _key(n0, n1, last):
    keeps_last = n0 > 0 and n1 > 0 and n0 + n1 <= LAST_BIT_TOTAL
    return (n0, n1, last if keeps_last else -1)


def _successor(key, bit, discount, frequent_limit):
    n0, n1, _ = key
    if bit:
        n0, n1 = discount(n0), n1 + 1
    else:
        n0, n1 = n0 + 1, discount(n1)
    return _key(*_bounded(n0, n1, frequent_limit), bit)


class StateTable(NamedTuple):
    next_state: np.ndarray     # uint8 [256, 2]: the state after a 0, after a 1
    counts: np.ndarray         # int32 [256, 2]: (n0, n1) each state stands for
    priority: np.ndarray       # int32 [256]: bucket replacement keeps the contexts seen most often
    deterministic: np.ndarray  # int32 [256]: 1 where only one bit value was ever seen
    size: int                  # states in use (the rest of the 256 are never reached)


def _build(discount, frequent_limit):
    start = (0, 0, -1)
    number = {start: 0}
    queue = deque([start])
    while queue:
        key = queue.popleft()
        for bit in (0, 1):
            nxt = _successor(key, bit, discount, frequent_limit)
            if nxt not in number:
                number[nxt] = len(number)
                queue.append(nxt)
    assert len(number) <= 256
    next_state = np.zeros((256, 2), dtype=np.uint8)
    counts = np.zeros((256, 2), dtype=np.int32)
    for key, s in number.items():
        counts[s] = key[:2]
        for bit in (0, 1):
            next_state[s, bit] = number[_successor(key, bit, discount, frequent_limit)]
    seen_one_value = (counts[:, 0] == 0) != (counts[:, 1] == 0)
    return StateTable(next_state, counts, (counts[:, 0] + counts[:, 1]).astype(np.int32),
                      seen_one_value.astype(np.int32), len(number))


STATES = _build(_discount, FREQUENT_LIMIT)                  # the fast profile's
STRONG_STATES = _build(_halve, STRONG_FREQUENT_LIMIT)       # the strong profile's context maps
DIRECT_STATES = _build(_hard, DIRECT_FREQUENT_LIMIT)        # the strong profile's direct model


def initial_probability_22(states=STATES):
    """Starting P(1) of each state of a table, 22-bit: (2 n1 + 1) / (2 (n0 + n1) + 2)."""
    n0 = states.counts[:, 0].astype(np.int64)
    n1 = states.counts[:, 1].astype(np.int64)
    return ((2 * n1 + 1) << 22) // (2 * (n0 + n1) + 2)
