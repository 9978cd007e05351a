"""The LSTM mixer of ../shared/LADDER.md: a recurrent mixer over the models' predictions.

Predicts: P(1) = sigmoid(wo . h + bo) of one layer of LSTM cells (primitives/
lstm_cell.py) whose input at every bit is the float32 vector `x`: the models'
stretched predictions scaled to about +-1 (the plan's "normalised inputs"), and
whatever else the caller puts there.
Learns: the cross entropy of every coded bit, by truncated backpropagation through
time over windows of `horizon` bits, the error into each cell clipped to +-clip at
every step, then one momentum-free Adam step (primitives/training.py) at the plan's
learning rate; the cells' state runs on across windows, only the gradient stops.
Initial weights: Xavier uniform from a fixed seed, forget-gate bias 1.
Determinism: float32 only, own exp/tanh, loops in a fixed order, input-major
products (`z[:] += W[j, :] * x[j]`) that vectorise without reassociating a sum.
Kernel methods, per bit: fill `m.x`, then lstm_mixer_p (predict), then
lstm_mixer_update (the coded bit; at a window's end, train).
Memory: lstm_mixer_memory(inputs, cells, horizon): 0.2 MB at the defaults.

As a component of the predictor (State, at the end): after the classic chain, its
input vector is the classic mixer's inputs (the bias and every model's stretched
P(1)) scaled by INPUT_SCALE, as the plan draws it. Adding the classic chain's P(1) or
the bit position measured slightly worse on dickens 1 MB (docs/TUNING.md, "LSTM
mixer"). The blend (mixers/blend.py) mixes its P(1) with the classic chain's from
the first bit. Off, a 1-cell stand-in keeps the types and does nothing.
"""
import math
from typing import NamedTuple

import numpy as np

from ..jit import njit
from ..primitives.float32 import HALF, ONE, sigmoid32
from ..primitives.lstm_cell import ACT_C, ACT_H, N_ACTS, cell_backward, cell_forward
from ..primitives.squash import clamp
from ..primitives.training import BETA2, GRAD, PARAM, adam, splitmix64, uniform, weight_norm

# The plan's starting values.
DEFAULT_CELLS = 48
DEFAULT_LR = 1e-3
DEFAULT_CLIP = 5.0
DEFAULT_HORIZON = 40     # bits of backpropagation through time (five bytes)
INPUT_SCALE = np.float32(1.0 / 2048.0)   # stretch domain (+-2047) to about +-1
FORGET_BIAS = 1.0
P_SCALE = np.float32(4096.0)
ZERO = np.float32(0.0)
# Rows of the scratch array `work`.
W_Z, W_DZ, W_DH_OUT, W_DH_CARRY, W_DC_CARRY = range(5)
POS, STEPS, UPDATES = range(3)      # registers: step in the window, steps, optimizer steps
LR, CLIP, B2_POW = range(3)         # float32 registers


class LstmMixer(NamedTuple):
    x: np.ndarray       # float32 [inputs]: this bit's input vector, filled by the caller
    wx: np.ndarray      # float32 [3, inputs, 3 cells]: input weights (forget, candidate, output gates)
    wh: np.ndarray      # float32 [3, cells, 3 cells]: recurrent weights
    bg: np.ndarray      # float32 [3, 3 cells]: gate biases
    wo: np.ndarray      # float32 [3, cells]: output weights
    bo: np.ndarray      # float32 [3, 1]: output bias
    wh_t: np.ndarray    # float32 [3 cells, cells]: wh[PARAM] transposed, for backward
    xs: np.ndarray      # float32 [horizon, inputs]: the window's inputs
    acts: np.ndarray    # float32 [horizon + 1, N_ACTS, cells]: step s at s + 1; 0 = carried in
    ps: np.ndarray      # float32 [horizon]: P(1) of each step
    bits: np.ndarray    # int64 [horizon]: the coded bit of each step
    work: np.ndarray    # float32 [5, 3 cells]: scratch
    regs: np.ndarray    # int64 [3]
    fregs: np.ndarray   # float32 [3]


def new_lstm_mixer(inputs, cells=DEFAULT_CELLS, horizon=DEFAULT_HORIZON, lr=DEFAULT_LR, clip=DEFAULT_CLIP, seed=1):
    h, g = cells, 3 * cells
    sizes = (inputs * g, h * g, h)
    parts = np.split(splitmix64(seed, sum(sizes)), np.cumsum(sizes)[:-1])
    gate_limit = math.sqrt(6.0 / (inputs + h + g))
    out_limit = math.sqrt(6.0 / (h + 1))
    wx = np.zeros((3, inputs, g), dtype=np.float32)
    wh = np.zeros((3, h, g), dtype=np.float32)
    bg = np.zeros((3, g), dtype=np.float32)
    wo = np.zeros((3, h), dtype=np.float32)
    wx[PARAM] = uniform(parts[0], (inputs, g), gate_limit)
    wh[PARAM] = uniform(parts[1], (h, g), gate_limit)
    wo[PARAM] = uniform(parts[2], (h,), out_limit)
    bg[PARAM, :h] = FORGET_BIAS     # remember by default
    m = LstmMixer(
        x=np.zeros(inputs, dtype=np.float32), wx=wx, wh=wh, bg=bg, wo=wo, bo=np.zeros((3, 1), dtype=np.float32),
        wh_t=np.zeros((g, h), dtype=np.float32), xs=np.zeros((horizon, inputs), dtype=np.float32),
        acts=np.zeros((horizon + 1, N_ACTS, h), dtype=np.float32), ps=np.zeros(horizon, dtype=np.float32),
        bits=np.zeros(horizon, dtype=np.int64), work=np.zeros((5, g), dtype=np.float32),
        regs=np.zeros(3, dtype=np.int64), fregs=np.array([lr, clip, 1.0], dtype=np.float32))
    _transpose(m)
    return m


def lstm_mixer_memory(inputs, cells=DEFAULT_CELLS, horizon=DEFAULT_HORIZON):
    """Bytes the arrays of new_lstm_mixer(inputs, cells, horizon) take."""
    h, g = cells, 3 * cells
    floats = (inputs + 3 * (inputs * g + h * g + g + h + 1) + g * h + horizon * inputs
              + (horizon + 1) * N_ACTS * h + horizon + 5 * g + 3)
    return 4 * floats + 8 * (horizon + 3)


@njit(inline="always")
def _transpose(m):
    for j in range(m.wh.shape[1]):
        for k in range(m.wh.shape[2]):
            m.wh_t[k, j] = m.wh[PARAM, j, k]


@njit(inline="always")
def lstm_mixer_p(m):
    """P(1) of this bit from m.x, as a 12-bit integer in 1..4095."""
    wx, wh, acts, z = m.wx, m.wh, m.acts, m.work[W_Z]
    s = m.regs[POS]
    g = z.size
    for k in range(g):
        z[k] = m.bg[PARAM, k]
    for j in range(m.x.size):
        x = m.x[j]
        m.xs[s, j] = x
        for k in range(g):
            z[k] += x * wx[PARAM, j, k]
    for j in range(wh.shape[1]):
        x = acts[s, ACT_H, j]
        for k in range(g):
            z[k] += x * wh[PARAM, j, k]
    cell_forward(z, acts[s, ACT_C], acts[s + 1])
    logit = m.bo[PARAM, 0]
    for j in range(wh.shape[1]):
        logit += m.wo[PARAM, j] * acts[s + 1, ACT_H, j]
    p = sigmoid32(logit)
    m.ps[s] = p
    if not p >= ZERO:   # NaN only if training diverged: stay neutral
        return 2048
    return clamp(np.int64(p * P_SCALE + HALF), 1, 4095)


@njit(inline="always")
def lstm_mixer_update(m, bit):
    """Record the coded bit; at the window's end, train and carry the cells' state on."""
    s = m.regs[POS]
    m.bits[s] = bit
    m.regs[STEPS] += 1
    s += 1
    if s == m.ps.size:
        _backward(m)
        _optimize(m)
        acts = m.acts
        for kind in range(acts.shape[1]):
            for j in range(acts.shape[2]):
                acts[0, kind, j] = acts[s, kind, j]
        s = 0
    m.regs[POS] = s


@njit(inline="always")
def _backward(m):
    """Sum over the window the gradients of -ln P(coded bit) into the GRAD slots."""
    wx, wh, acts, work = m.wx, m.wh, m.acts, m.work
    h, g = wh.shape[1], wh.shape[2]
    clip = m.fregs[CLIP]
    dz, dh_out, dh_carry, dc_carry = work[W_DZ], work[W_DH_OUT], work[W_DH_CARRY], work[W_DC_CARRY]
    for j in range(h):
        dh_carry[j] = ZERO
        dc_carry[j] = ZERO
    for s in range(m.ps.size - 1, -1, -1):
        d = m.ps[s] - np.float32(m.bits[s])     # d loss / d logit of a sigmoid with cross entropy
        m.bo[GRAD, 0] += d
        for j in range(h):
            m.wo[GRAD, j] += d * acts[s + 1, ACT_H, j]
            dh_out[j] = d * m.wo[PARAM, j]
        cell_backward(acts[s + 1], acts[s, ACT_C], dh_out, dh_carry, dc_carry, dz, clip)
        for k in range(g):
            m.bg[GRAD, k] += dz[k]
        for j in range(wx.shape[1]):
            x = m.xs[s, j]
            for k in range(g):
                wx[GRAD, j, k] += x * dz[k]
        for j in range(h):
            x = acts[s, ACT_H, j]
            for k in range(g):
                wh[GRAD, j, k] += x * dz[k]
        for j in range(h):
            dh_carry[j] = ZERO
        for k in range(g):
            d = dz[k]
            for j in range(h):
                dh_carry[j] += d * m.wh_t[k, j]


@njit(inline="always")
def _optimize(m):
    m.regs[UPDATES] += 1
    m.fregs[B2_POW] *= BETA2
    v_scale = ONE / (ONE - m.fregs[B2_POW])    # Adam's bias correction of the second moment
    lr = m.fregs[LR]
    for a in (m.wx, m.wh):
        adam(a, lr, v_scale, 0, a.size // 3)
    for a in (m.bg, m.wo, m.bo):
        adam(a, lr, v_scale, 0, a.size // 3)
    _transpose(m)


def lstm_mixer_norm(m):
    return weight_norm(m.wx, m.wh, m.bg, m.wo, m.bo)


@njit
def lstm_mixer_steps(m, inputs, bits):
    """Predict and learn `bits` (uint8 0/1) over rows of `inputs` (float32 [n, m.x.size]), as
    the predictor would: for timing the kernel alone."""
    for i in range(bits.size):
        for j in range(m.x.size):
            m.x[j] = inputs[i, j]
        lstm_mixer_p(m)
        lstm_mixer_update(m, np.int64(bits[i]))


# ---------------------------------------------------------------- as a component of the predictor

ON, P = range(2)       # registers: on at all, its P(1) for this bit


class State(NamedTuple):
    net: tuple             # LstmMixer
    regs: np.ndarray       # int64 [2]


def active(settings):
    return settings.lstm_mixer


def memory(settings, classic_inputs):
    """Bytes its arrays take beside a classic mixer of `classic_inputs` (padded) inputs."""
    if not settings.lstm_mixer:
        return 0
    return lstm_mixer_memory(classic_inputs, settings.mixer_cells, settings.mixer_horizon)


def new(settings, classic_inputs):
    if settings.lstm_mixer:
        net = new_lstm_mixer(classic_inputs, settings.mixer_cells, settings.mixer_horizon,
                             settings.mixer_lr, settings.mixer_clip)
    else:
        net = new_lstm_mixer(1, 1, 1)
    return State(net, np.array([settings.lstm_mixer, 2048], dtype=np.int64))


@njit(inline="always")
def predict(m, inputs):
    """`inputs`: the classic mixer's, as it mixed them."""
    if m.regs[ON]:
        x = m.net.x
        for j in range(inputs.size):
            x[j] = np.float32(inputs[j]) * INPUT_SCALE
        m.regs[P] = lstm_mixer_p(m.net)


@njit(inline="always")
def output(m):
    """Its P(1) for this bit (2048 while off), and whether it is on."""
    return m.regs[P], m.regs[ON]


@njit(inline="always")
def update(m, bit):
    if m.regs[ON]:
        lstm_mixer_update(m.net, bit)
