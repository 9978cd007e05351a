"""Nonstationary bit-history states: one byte summarises what a context has seen.

A state stands for a pair of counts (n0, n1) of zeros and ones seen in a context, plus
the last bit while both counts are small. When a bit arrives its count goes up and the
opposite count, if above 2, is cut to about its logarithm: old evidence against the
newest bit fades fast, which is what makes the history track nonstationary data.
Counts are bounded (the more frequent bit may count higher the rarer the other is),
giving 249 states. The table is generated here with integer code, so it is the same
everywhere; state 0 means "never seen". Adaptive maps (statemap.py) turn a state
into a probability by learning what each state has actually meant so far.
"""
from collections import deque

import numpy as np

# Highest count of the more frequent bit, indexed by the count of the rarer bit.
FREQUENT_LIMIT = (48, 40, 24, 14, 9, 7, 6)
# Both counts nonzero and at most this many bits seen: also remember the last bit.
LAST_BIT_TOTAL = 8


def _discount(n):
    """Opposite count after a bit arrives: 3 -> 2, 4..7 -> 3, 8..15 -> 4, ..."""
    return n if n <= 2 else n.bit_length()


def _bounded(n0, n1):
    rare = min(n0, n1)
    limit = FREQUENT_LIMIT[rare]
    return (min(n0, limit), n1) if n0 > n1 else (n0, min(n1, limit))


def _key(n0, n1, last):
    keeps_last = n0 > 0 and n1 > 0 and n0 + n1 <= LAST_BIT_TOTAL
    return (n0, n1, last if keeps_last else -1)


def _successor(key, bit):
    n0, n1, _ = key
    if bit:
        n0, n1 = _discount(n0), n1 + 1
    else:
        n0, n1 = n0 + 1, _discount(n1)
    return _key(*_bounded(n0, n1), bit)


def _build():
    start = (0, 0, -1)
    number = {start: 0}
    queue = deque([start])
    while queue:
        key = queue.popleft()
        for bit in (0, 1):
            nxt = _successor(key, bit)
            if nxt not in number:
                number[nxt] = len(number)
                queue.append(nxt)
    assert len(number) <= 256
    next_state = np.zeros((256, 2), dtype=np.uint8)
    counts = np.zeros((256, 2), dtype=np.int32)
    for key, s in number.items():
        counts[s] = key[:2]
        for bit in (0, 1):
            next_state[s, bit] = number[_successor(key, bit)]
    return next_state, counts, len(number)


NEXT_STATE, STATE_COUNTS, NUM_STATES = _build()
# Bucket replacement keeps the contexts seen most often.
STATE_PRIORITY = (STATE_COUNTS[:, 0] + STATE_COUNTS[:, 1]).astype(np.int32)
# Only one bit value ever seen (and something seen): the context has been deterministic.
DETERMINISTIC = ((STATE_COUNTS[:, 0] == 0) != (STATE_COUNTS[:, 1] == 0)).astype(np.int32)


def initial_probability_22():
    """Starting P(1) of each state, 22-bit: (2 n1 + 1) / (2 (n0 + n1) + 2)."""
    n0 = STATE_COUNTS[:, 0].astype(np.int64)
    n1 = STATE_COUNTS[:, 1].astype(np.int64)
    return ((2 * n1 + 1) << 22) // (2 * (n0 + n1) + 2)
