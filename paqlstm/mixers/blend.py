"""The blend: the final P(1) from the classic chain's and the byte LSTM's.

Predicts: with a fixed weight w, (1 - w) classic + w LSTM (16-bit fixed point); with
a learned one, a small mixer over the two stretched probabilities and a bias, its
row selected by the partial byte, starting at the plan's (4 classic + LSTM) / 5.
Only while the LSTM is in the mixer; before (and with it off) the classic P(1)
passes unchanged.
Learns: the learned blend's weights toward the coded bit (BLEND_LR).
Methods: predict, update. Memory: 3 KB.
"""
from typing import NamedTuple

import numpy as np

from ..contexts.registers import c0
from ..jit import njit
from ..primitives.mixing import mixer_dot, mixer_train
from ..primitives.squash import clamp, squash, stretch

ONE = 1 << 16
LEARNED = -1     # WEIGHT register: a fixed weight in 16-bit fixed point, or LEARNED
BLEND_LR = 2
BIAS = 256
# Registers. ROW: the learned blend's row this bit; -1 until it is first used (the LSTM
# stays in the mixer once it joined, so from then on ROW is this bit's).
WEIGHT, ROW, P = range(3)


class Blend(NamedTuple):
    inputs: np.ndarray    # int32 [3]: stretch of classic and LSTM P(1), bias
    weights: np.ndarray   # int32 [256, 3]: the learned blend, a row per partial byte
    regs: np.ndarray      # int64 [3]


def new_blend(weight):
    """`weight`: the LSTM's fixed weight in [0, 1], or None to learn it."""
    weights = np.zeros((256, 3), dtype=np.int32)
    weights[:, 0] = ONE * 4 // 5
    weights[:, 1] = ONE // 5
    fixed = LEARNED if weight is None else round(weight * ONE)
    return Blend(np.array([0, 0, BIAS], dtype=np.int32), weights, np.array([fixed, -1, 2048], dtype=np.int64))


@njit(inline="always")
def predict(b, ctx, classic, p_lstm, lstm_mixed):
    if not lstm_mixed:
        return classic
    weight = b.regs[WEIGHT]
    if weight == LEARNED:
        b.inputs[0] = stretch(classic)
        b.inputs[1] = stretch(p_lstm)
        b.regs[ROW] = c0(ctx)
        p = squash(mixer_dot(b.inputs, b.weights, b.regs[ROW], 3))
        b.regs[P] = p
    else:
        p = (classic * (ONE - weight) + p_lstm * weight + ONE // 2) >> 16
    return clamp(p, 1, 4095)


@njit(inline="always")
def update(b, bit):
    if b.regs[ROW] >= 0:
        mixer_train(b.inputs, b.weights, b.regs[ROW], 3, ((bit << 12) - b.regs[P]) * BLEND_LR)
