"""The mixing network: two layers of logistic mixing over the models' inputs.

Predicts: P(1) = squash(final layer over the weight sets' outputs), each weight
set's output = the dot product of the models' stretched inputs with the weights of
the row its selector picks (primitives/mixing.py).
Selects (its own sets, then each model's SELECTORS in predictor.MODELS order): the
partial byte c0, the last byte, the byte before it, and the ORDERS count of the bit
(how many models' contexts were seen before) with c0. A set whose selector is -1
sits out the bit: only sets after the first `always` may (models that can sit out,
as the byte LSTM before its warm-up, come last in MODELS), so the loop over the
others has a trip count known when compiling, which LLVM unrolls (4 % faster than
a loop over all with a branch per set). The final layer's row: c0.
Learns: each layer toward the coded bit (w += lr x err). Layer 1's rate falls as
bytes are coded: MIXER_LR + LR_DECAY * LR_HALF / (LR_HALF + bytes), fast while the
weights are far off, then settling; the final layer's is FINAL_LR.
Inputs: one bias (BIAS, constant) and the models' inputs, zero-padded to whole
8-lane vectors so the dot products vectorise.
Methods: predict, update (train; at a byte's end the next rate).
Memory: the weights, 200-300 KB (counted in the predictor's 1 MB of small arrays).
"""
from typing import NamedTuple

import numpy as np

from ..contexts.registers import byte_ended, bytes_coded, c0, last_bytes, take_orders
from ..jit import njit
from ..primitives.mixing import mixer_dot, mixer_train, weight_limit
from ..primitives.squash import squash

SELECTORS = (("partial byte", 256), ("last byte", 256), ("byte before", 256), ("orders seen and partial byte", 8 * 256))
SET_C0, SET_C1, SET_C2, SET_ORDERS = range(4)
BIAS = 256
LANES = 8
MIXER_LR = 3        # learning rates in fixed point, 16384 = 1.0
LR_DECAY = 48
LR_HALF = 4096
FINAL_LR = 2
# Registers: layer 1's rate, the final layer's row, P(1), the sets in use this bit and
# layer 1's weight limit (narrower beyond 64 inputs, primitives/mixing.py).
RATE, FINAL_ROW, P, IN_USE, LIMIT = range(5)


class Network(NamedTuple):
    inputs: np.ndarray         # int32 [padded inputs]: BIAS, then the models' (their views)
    selected: np.ndarray       # int64 [sets]: row picked in each set this bit, -1 = sits out
    offsets: np.ndarray        # int64 [sets]: first row of each set in `weights`
    rows: np.ndarray           # int64 [sets]: offsets + selected, for training
    set_out: np.ndarray        # int32 [sets]: layer-1 outputs (stretch domain)
    weights: np.ndarray        # int32 [rows of all sets, inputs]: layer 1
    final_weights: np.ndarray  # int32 [256, sets]: layer 2, selected by c0
    regs: np.ndarray           # int64 [5]


def padded(n):
    return (n + LANES - 1) & ~(LANES - 1)


def new_network(inputs, set_rows, active_sets):
    """`inputs`: the models' inputs with the bias first; `set_rows`: rows of each weight
    set; `active_sets`: which sets can be selected at all (the final layer's weights
    start shared equally among them)."""
    inputs[0] = BIAS
    n_sets = len(set_rows)
    final_weights = np.zeros((256, n_sets), dtype=np.int32)
    final_weights[:, np.flatnonzero(active_sets)] = (1 << 16) // sum(active_sets)
    return Network(
        inputs=inputs, selected=np.full(n_sets, -1, dtype=np.int64),
        offsets=np.cumsum((0,) + tuple(set_rows[:-1])).astype(np.int64), rows=np.zeros(n_sets, dtype=np.int64),
        set_out=np.zeros(n_sets, dtype=np.int32),
        weights=np.full((sum(set_rows), inputs.size), 1 << 14, dtype=np.int32),
        final_weights=final_weights, regs=np.array([MIXER_LR + LR_DECAY, 0, 2048, 0, weight_limit(inputs.size)], dtype=np.int64))


@njit(inline="always")
def predict(net, ctx, always):
    """`always`: how many leading sets never sit out, a constant of the predictor's."""
    partial = c0(ctx)
    net.selected[SET_C0] = partial
    net.selected[SET_C1] = last_bytes(ctx) & 0xFF
    net.selected[SET_C2] = (last_bytes(ctx) >> 8) & 0xFF
    net.selected[SET_ORDERS] = take_orders(ctx) * 256 + partial
    for k in range(always):
        _layer1(net, k)
    n = always
    while n < net.selected.size and net.selected[n] >= 0:
        _layer1(net, n)
        n += 1
    net.regs[FINAL_ROW] = partial
    net.regs[IN_USE] = n
    p = squash(mixer_dot(net.set_out, net.final_weights, partial, n))
    net.regs[P] = p
    return p


@njit(inline="always")
def _layer1(net, k):
    net.rows[k] = net.offsets[k] + net.selected[k]
    # The input count as the array's runtime size, not a constant: with a constant
    # LLVM unrolls the loop into scalar code instead of vectorising it.
    net.set_out[k] = mixer_dot(net.inputs, net.weights, net.rows[k], net.inputs.size)


@njit(inline="always")
def update(net, ctx, bit):
    regs = net.regs
    n = regs[IN_USE]
    mixer_train(net.set_out, net.final_weights, regs[FINAL_ROW], n, ((bit << 12) - regs[P]) * FINAL_LR)
    for k in range(n):
        err = ((bit << 12) - squash(net.set_out[k])) * regs[RATE]
        mixer_train(net.inputs, net.weights, net.rows[k], net.inputs.size, err, regs[LIMIT])
    if byte_ended(ctx):
        regs[RATE] = MIXER_LR + (LR_DECAY * LR_HALF) // (LR_HALF + bytes_coded(ctx))
