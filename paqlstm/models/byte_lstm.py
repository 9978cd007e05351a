"""LSTM byte model: predicts the next byte from all bytes before it.

As a model of the predictor (State, at the end): two inputs (its P(1) stretched and
linear; the stretched one also weighed by the final mixer layers, FINAL_INPUT) and a
weight set selected by its confidence and the bit position, from WARMUP bytes on;
before, it trains but sits out. The blend (mixers/blend.py) may
also mix its P(1) into the final probability. Off, a 1-cell stand-in keeps the
types (one compiled predictor for both) and does nothing.
Methods: predict; update (at a byte's end: train, then predict the next byte).
Memory: lstm_memory (1.2 MB at the defaults).

Context: the previous byte (a learned embedding, i.e. the weight column the byte
selects: one-hot input, no multiply) and the network's own hidden state, which
summarises the history. One or more layers of LSTM cells with a tied input/forget
gate (c = f*c' + (1-f)*g); every layer also sees the byte and the layer below; the
softmax over 256 bytes reads the hidden state of every layer.

Per bit: the byte softmax is folded into a binary tree of masses whose node n is
the set of bytes starting with the partial byte n (the predictor's C0: 1, then
2|b7, ...), so P(next bit = 1) = mass(2 c0 + 1) / mass(c0), one division per bit.

Learning: truncated backpropagation through time over windows of `horizon` bytes:
gradients of the cross entropy of each actual byte are summed over the window (the
output weights' only over bytes with p >= SPARSE_P and the actual byte: the rest add
almost nothing and cost most of the time), the error flowing into each cell (dh, dc)
is clipped to +-clip at every step, then one Adam step without momentum (as paq8px),
learning rate decaying as lr / sqrt(1 + LR_DECAY * bytes seen), down to LR_FLOOR * lr. Embedding rows of
bytes absent from the window are updated lazily. The hidden state runs on across
windows; only the gradient is truncated.

Determinism: float32 throughout, explicit loops in a fixed order, no fastmath and
no libm on the prediction path: exp and tanh are polynomial / rational
approximations with float32 constants (primitives/float32.py); sqrt and division are exact
IEEE operations. Matrix-vector products run input-major over contiguous rows
(`out[:] += W[j, :] * x[j]`) so they vectorise without reassociation; weights that
one pass reads by column are also kept transposed, refreshed after each optimizer step.
Initial weights come from a counter-based splitmix64 stream, so every machine
starts from the same network.
"""
import math
from typing import NamedTuple

import numpy as np

from ..contexts.registers import bits_known, byte_ended, bytes_coded, c0, last_byte
from ..jit import njit
from ..primitives.float32 import HALF, ONE, exp32
from ..primitives.lstm_cell import ACT_C, ACT_H, N_ACTS, cell_backward, cell_forward
from ..primitives.squash import clamp, stretch
from ..primitives.training import (BETA2, EPS, GRAD, MOMENT, ONE_MINUS_BETA2, PARAM, adam, power, splitmix64,
                                   uniform, weight_norm)

# Defaults for new_lstm (docs/TUNING.md, "LSTM kernel", has the measurements behind them).
DEFAULT_CELLS = 32
DEFAULT_LAYERS = 2
DEFAULT_HORIZON = 40
DEFAULT_LR = 0.04
DEFAULT_CLIP = 5.0

F32 = np.float32
ZERO = F32(0.0)

# Per-step activations kept for backpropagation, in acts[step, layer, kind, cell]
# (kinds: primitives/lstm_cell.py).
# Rows of the scratch array `work` (further rows: dh carried back in time per layer,
# then dc per layer).
W_Z, W_DHID, W_DZ, W_DU = range(4)
W_FIRST_CARRY = 4
# Integer registers.
POS, STEPS, UPDATES = range(3)
N_REGS = 3
# Float32 registers: settings and the optimizer's running beta2 power.
LR, CLIP, B2_POW = range(3)
N_FREGS = 3
# Float64 statistics (diagnostics only; never read back by the model).
LOSS_BITS, LOSS_BYTES = range(2)
N_STATS = 2
LR_DECAY = F32(1e-4)
# The decay stops at this fraction of lr (paq8px: 0.3), reached after ~1 MB: LSTM alone on
# 3 MB of dickens 2.2934 -> 2.2921 bpb (0.2: 2.3099); whole dickens, with FINAL_INPUT,
# 2,004,618 -> 2,004,505 B.
LR_FLOOR = F32(0.1)
FORGET_BIAS = 1.0
P_SCALE = F32(4096.0)
SPARSE_P = F32(1e-4)         # output-layer gradient skips bytes with p below this


class Lstm(NamedTuple):
    wx: np.ndarray      # float32 [3, layers, 256, 3 cells]: byte embedding (forget, cell, output gates)
    wu: np.ndarray      # float32 [3, layers, 2 cells, 3 cells]: own hidden (rows < cells), layer below
    bg: np.ndarray      # float32 [3, layers, 3 cells]: gate biases
    wo: np.ndarray      # float32 [3, 256, layers * cells]: hidden -> byte logits, a row per byte
    bo: np.ndarray      # float32 [3, 256]: logit biases
    wu_t: np.ndarray    # float32 [layers, 3 cells, 2 cells]: wu[PARAM] transposed, for backward
    wo_t: np.ndarray    # float32 [layers * cells, 256]: wo[PARAM] transposed, for forward
    acts: np.ndarray    # float32 [horizon + 1, layers, N_ACTS, cells]: step s at s + 1; 0 = carried in
    probs: np.ndarray   # float32 [horizon, 256]: softmax of each step of the window
    seq: np.ndarray     # int64 [horizon, 2]: input byte and actual next byte of each step
    tree: np.ndarray    # float32 [512]: unnormalised masses, node n = bytes with prefix n; leaves 256 + byte
    work: np.ndarray    # float32 scratch [4 + 2 layers, width]
    regs: np.ndarray    # int64 [N_REGS]: POS (step in window), STEPS (forward), UPDATES (optimizer steps)
    fregs: np.ndarray   # float32 [N_FREGS]: LR, CLIP, B2_POW
    stats: np.ndarray   # float64 [N_STATS]: bits spent on actual bytes (ideal), bytes counted
    last_update: np.ndarray  # int64 [256]: optimizer step that last updated each embedding row


# ---------------------------------------------------------------- construction

def new_lstm(cells, horizon, lr, clip, seed=0, layers=DEFAULT_LAYERS):
    """A fresh model, its first prediction (after an imaginary byte 0) ready for lstm_bit_p."""
    h, g = cells, 3 * cells
    sizes = (layers * 256 * g, layers * 2 * h * g, layers * h * 256)
    stream = splitmix64(seed, sum(sizes))
    parts = np.split(stream, np.cumsum(sizes)[:-1])
    # Xavier: the gates see the byte, their own hidden state and (above layer 0) the one below.
    gate_limit = math.sqrt(6.0 / (256 + 2 * h + g))
    out_limit = math.sqrt(6.0 / (layers * h + 256))
    wx = np.zeros((3, layers, 256, g), dtype=np.float32)
    wu = np.zeros((3, layers, 2 * h, g), dtype=np.float32)
    bg = np.zeros((3, layers, g), dtype=np.float32)
    wo = np.zeros((3, 256, layers * h), dtype=np.float32)
    wx[PARAM] = uniform(parts[0], (layers, 256, g), gate_limit)
    wu[PARAM] = uniform(parts[1], (layers, 2 * h, g), gate_limit)
    wu[PARAM, 0, h:] = 0.0          # layer 0 has no layer below
    wo[PARAM] = uniform(parts[2], (layers * h, 256), out_limit).T
    bg[PARAM, :, :h] = FORGET_BIAS  # remember by default
    fregs = np.zeros(N_FREGS, dtype=np.float32)
    fregs[LR] = lr
    fregs[CLIP] = clip
    fregs[B2_POW] = 1.0
    lstm = Lstm(
        wx=wx, wu=wu, bg=bg, wo=wo, bo=np.zeros((3, 256), dtype=np.float32),
        wu_t=np.zeros((layers, g, 2 * h), dtype=np.float32),
        wo_t=np.zeros((layers * h, 256), dtype=np.float32),
        acts=np.zeros((horizon + 1, layers, N_ACTS, h), dtype=np.float32),
        probs=np.zeros((horizon, 256), dtype=np.float32),
        seq=np.zeros((horizon, 2), dtype=np.int64),
        tree=np.zeros(512, dtype=np.float32),
        work=np.zeros((W_FIRST_CARRY + 2 * layers, max(256, g, 2 * h, layers * h)), dtype=np.float32),
        regs=np.zeros(N_REGS, dtype=np.int64),
        fregs=fregs,
        stats=np.zeros(N_STATS, dtype=np.float64),
        last_update=np.zeros(256, dtype=np.int64),
    )
    _transpose(lstm)
    _forward(lstm, 0)
    return lstm


def lstm_memory(cells, horizon, layers=DEFAULT_LAYERS):
    """Bytes the arrays of new_lstm(cells, horizon, layers=layers) take."""
    h, g = cells, 3 * cells
    params = layers * (256 * g + 2 * h * g + g) + layers * h * 256 + 256
    floats = (3 * params + layers * g * 2 * h + 256 * layers * h + (horizon + 1) * layers * N_ACTS * h
              + horizon * 256 + 512 + (W_FIRST_CARRY + 2 * layers) * max(256, g, 2 * h, layers * h) + N_FREGS)
    return 4 * floats + 8 * (2 * horizon + N_REGS + N_STATS + 256)


def lstm_weight_norm(lstm):
    return weight_norm(lstm.wx, lstm.wu, lstm.bg, lstm.wo, lstm.bo)


# ---------------------------------------------------------------- prediction

@njit(inline="always")
def lstm_bit_p(lstm, c0):
    """P(next bit = 1) as a 12-bit integer in 1..4095, given the partial byte c0 (1..255)."""
    t = lstm.tree
    p = t[2 * c0 + 1] / t[c0]
    if not p >= ZERO:   # NaN only if training diverged: stay neutral
        return 2048
    q = np.int64(p * P_SCALE + HALF)
    return clamp(q, 1, 4095)


@njit(inline="always")
def lstm_expected_byte(lstm, c0):
    """The likelier byte among those starting with c0, found by following the heavier half."""
    t = lstm.tree
    n = c0
    while n < 256:
        n = 2 * n + 1 if t[2 * n + 1] > t[2 * n] else 2 * n
    return n - 256


@njit(inline="always")
def _gates(lstm, byte, s):
    """The cells of every layer at window step s, from the input byte and the hidden states."""
    wx, wu, bg = lstm.wx, lstm.wu, lstm.bg
    acts, work = lstm.acts, lstm.work
    layers, h = acts.shape[1], acts.shape[3]
    g = 3 * h
    for l in range(layers):
        for k in range(g):
            work[W_Z, k] = bg[PARAM, l, k] + wx[PARAM, l, byte, k]
        for j in range(h):
            x = acts[s, l, ACT_H, j]
            for k in range(g):
                work[W_Z, k] += x * wu[PARAM, l, j, k]
        if l > 0:
            for j in range(h):
                x = acts[s + 1, l - 1, ACT_H, j]
                for k in range(g):
                    work[W_Z, k] += x * wu[PARAM, l, h + j, k]
        cell_forward(work[W_Z], acts[s, l, ACT_C], acts[s + 1, l])


@njit(inline="always")
def _softmax(lstm, s):
    """The next byte's distribution from every layer's hidden state at step s: probs[s] and the mass tree."""
    wo_t, bo, acts, tree = lstm.wo_t, lstm.bo, lstm.acts, lstm.tree
    layers, h = acts.shape[1], acts.shape[3]
    for k in range(256):
        tree[256 + k] = bo[PARAM, k]
    for l in range(layers):
        for j in range(h):
            x = acts[s + 1, l, ACT_H, j]
            q = l * h + j
            for k in range(256):
                tree[256 + k] += x * wo_t[q, k]
    for k in range(256):
        tree[256 + k] = exp32(tree[256 + k])
    for n in range(255, 0, -1):
        tree[n] = tree[2 * n] + tree[2 * n + 1]
    total = tree[1]
    for k in range(256):
        lstm.probs[s, k] = tree[256 + k] / total


@njit(inline="always")
def _forward(lstm, byte):
    """One step with input `byte` at window position POS: activations, softmax, mass tree."""
    s = lstm.regs[POS]
    lstm.seq[s, 0] = byte
    _gates(lstm, byte, s)
    _softmax(lstm, s)
    lstm.regs[STEPS] += 1


# ---------------------------------------------------------------- learning

@njit(inline="always")
def _softmax_backward(lstm, s):
    """Step s's output layer: its gradient, and the error into every layer's hidden state (W_DHID)."""
    wo, bo, acts, work, probs = lstm.wo, lstm.bo, lstm.acts, lstm.work, lstm.probs
    layers, h = acts.shape[1], acts.shape[3]
    n_out = layers * h
    target = lstm.seq[s, 1]
    # Softmax + cross entropy: d loss / d logit = p - [k is the actual byte]. Bytes
    # the model all but rules out are left out of the output layer's gradient.
    probs[s, target] -= ONE
    for q in range(n_out):
        work[W_DHID, q] = ZERO
    for k in range(256):
        d = probs[s, k]
        bo[GRAD, k] += d
        if abs(d) < SPARSE_P:
            continue
        for l in range(layers):
            for j in range(h):
                wo[GRAD, k, l * h + j] += d * acts[s + 1, l, ACT_H, j]
        for q in range(n_out):
            work[W_DHID, q] += d * wo[PARAM, k, q]
    probs[s, target] += ONE


@njit(inline="always")
def _cells_backward(lstm, s):
    """Step s's cells, top layer down: their gradient from W_DHID and the carries, and the carries
    one step back."""
    wx, wu, bg, acts, work = lstm.wx, lstm.wu, lstm.bg, lstm.acts, lstm.work
    layers, h = acts.shape[1], acts.shape[3]
    g = 3 * h
    byte = lstm.seq[s, 0]
    dh_row = W_FIRST_CARRY
    dc_row = W_FIRST_CARRY + layers
    for l in range(layers - 1, -1, -1):
        cell_backward(acts[s + 1, l], acts[s, l, ACT_C], work[W_DHID, l * h:(l + 1) * h], work[dh_row + l],
                      work[dc_row + l], work[W_DZ], lstm.fregs[CLIP])
        for k in range(g):
            d = work[W_DZ, k]
            bg[GRAD, l, k] += d
            wx[GRAD, l, byte, k] += d
        for j in range(h):
            x = acts[s, l, ACT_H, j]
            for k in range(g):
                wu[GRAD, l, j, k] += x * work[W_DZ, k]
        if l > 0:
            for j in range(h):
                x = acts[s + 1, l - 1, ACT_H, j]
                for k in range(g):
                    wu[GRAD, l, h + j, k] += x * work[W_DZ, k]
        width = 2 * h if l > 0 else h
        for j in range(width):
            work[W_DU, j] = ZERO
        for k in range(g):
            d = work[W_DZ, k]
            for j in range(width):
                work[W_DU, j] += d * lstm.wu_t[l, k, j]
        for j in range(h):
            work[dh_row + l, j] = work[W_DU, j]
        if l > 0:
            for j in range(h):
                work[W_DHID, (l - 1) * h + j] += work[W_DU, h + j]


@njit(inline="always")
def _backward(lstm):
    """Sum over the window the gradients of -ln p(actual byte) into the GRAD slots."""
    work = lstm.work
    for r in range(W_FIRST_CARRY, work.shape[0]):
        for j in range(work.shape[1]):
            work[r, j] = ZERO
    for s in range(lstm.probs.shape[0] - 1, -1, -1):
        _softmax_backward(lstm, s)
        _cells_backward(lstm, s)


@njit(inline="always")
def _adam_embedding(lstm, lr, v_scale):
    """Adam on the embedding rows of the window's input bytes only: the other rows have a zero
    gradient, which leaves their weights alone and only decays their moment. That decay is
    caught up (BETA2 ** steps missed) when a row is next used, so this is dense Adam up to
    rounding, at the cost of a few rows instead of 256."""
    wx, seq, last = lstm.wx, lstm.seq, lstm.last_update
    step = lstm.regs[UPDATES]
    for s in range(seq.shape[0]):
        b = seq[s, 0]
        if last[b] == step:
            continue
        decay = power(BETA2, step - 1 - last[b])
        last[b] = step
        for l in range(wx.shape[1]):
            for k in range(wx.shape[3]):
                gr = wx[GRAD, l, b, k]
                v = BETA2 * (wx[MOMENT, l, b, k] * decay) + ONE_MINUS_BETA2 * gr * gr
                wx[MOMENT, l, b, k] = v
                wx[PARAM, l, b, k] -= lr * gr / (np.sqrt(v * v_scale) + EPS)
                wx[GRAD, l, b, k] = ZERO


@njit(inline="always")
def _transpose(lstm):
    wu, wo = lstm.wu, lstm.wo
    for l in range(wu.shape[1]):
        for j in range(wu.shape[2]):
            for k in range(wu.shape[3]):
                lstm.wu_t[l, k, j] = wu[PARAM, l, j, k]
    for k in range(256):
        for q in range(wo.shape[2]):
            lstm.wo_t[q, k] = wo[PARAM, k, q]


@njit(inline="always")
def _optimize(lstm):
    regs, fregs = lstm.regs, lstm.fregs
    regs[UPDATES] += 1
    fregs[B2_POW] *= BETA2
    v_scale = ONE / (ONE - fregs[B2_POW])        # Adam's bias correction of the second moment
    lr = max(fregs[LR] / np.sqrt(ONE + F32(regs[STEPS]) * LR_DECAY), fregs[LR] * LR_FLOOR)
    _adam_embedding(lstm, lr, v_scale)
    wu = lstm.wu
    layer = wu.shape[2] * wu.shape[3]
    adam(wu, lr, v_scale, 0, layer // 2)    # layer 0 has no layer below
    adam(wu, lr, v_scale, layer, wu.size // 3)
    adam(lstm.bg, lr, v_scale, 0, lstm.bg.size // 3)
    adam(lstm.wo, lr, v_scale, 0, lstm.wo.size // 3)
    adam(lstm.bo, lr, v_scale, 0, lstm.bo.size // 3)
    _transpose(lstm)


@njit
def lstm_byte_update(lstm, byte):
    """After each whole byte: score and store it, train when the window is full, predict the next."""
    regs = lstm.regs
    s = regs[POS]
    lstm.seq[s, 1] = byte
    lstm.stats[LOSS_BITS] -= math.log2(max(np.float64(lstm.probs[s, byte]), 1e-30))
    lstm.stats[LOSS_BYTES] += 1.0
    s += 1
    if s == lstm.probs.shape[0]:
        _backward(lstm)
        _optimize(lstm)
        # The window's last state carries into the next one. An explicit copy: a slice
        # assignment may allocate, and the predictor's block loop runs without NRT.
        acts = lstm.acts
        for layer in range(acts.shape[1]):
            for kind in range(acts.shape[2]):
                for cell in range(acts.shape[3]):
                    acts[0, layer, kind, cell] = acts[s, layer, kind, cell]
        s = 0
    regs[POS] = s
    _forward(lstm, byte)


@njit
def lstm_predict_bytes(lstm, data, out):
    """Run over `data` as a compressor would: out[8 i + j] = lstm_bit_p before bit j of byte i."""
    for i in range(data.size):
        byte = np.int64(data[i])
        c0 = 1
        for j in range(7, -1, -1):
            out[8 * i + 7 - j] = lstm_bit_p(lstm, c0)
            c0 = 2 * c0 + ((byte >> j) & 1)
        lstm_byte_update(lstm, byte)


# ---------------------------------------------------------------- as a model of the predictor

INPUTS = 2
SELECTORS = (("LSTM confidence and bit position", 16 * 8),)
MAY_SIT_OUT = True    # its weight set, until WARMUP bytes (and always when off)
# Its stretch(p) also goes straight into the final layers, as in paq8px (mixers/network.py;
# strong profile: dickens 1 MB 209,031 -> 208,920 B, whole 2,005,192 -> 2,004,618).
FINAL_INPUT = 0
# It trains from the first byte but joins the mixer only after this many bytes
# (about neutral on dickens 1 KB-1 MB: docs/TUNING.md, "Hybrid").
WARMUP = 1 << 13
LINEAR_SHIFT = 2
ON, MIXED, P = range(3)     # registers: on at all, in the mixer yet, its P(1) for this bit


class State(NamedTuple):
    net: tuple             # Lstm
    regs: np.ndarray       # int64 [3]
    inputs: np.ndarray     # int32 [2], a view of the mixer's inputs
    selected: np.ndarray   # int64 [1], a view of the mixer's selectors


def active(settings):
    return settings.byte_model


def memory(settings):
    return lstm_memory(settings.lstm_cells, settings.lstm_horizon, settings.lstm_layers) if settings.byte_model else 0


def new(settings, ctx, inputs, selected):
    if settings.byte_model:
        net = new_lstm(settings.lstm_cells, settings.lstm_horizon, settings.lstm_lr, settings.lstm_clip,
                       layers=settings.lstm_layers)
    else:
        net = new_lstm(1, 1, 0.0, 0.0)
    return State(net, np.array([settings.byte_model, 0, 2048], dtype=np.int64), inputs, selected)


@njit(inline="always")
def output(m):
    """Its P(1) for this bit (2048 while off), and whether it is in the mixer yet."""
    return m.regs[P], m.regs[MIXED]


@njit(inline="always")
def predict(m, ctx):
    if m.regs[ON]:
        m.regs[P] = lstm_bit_p(m.net, c0(ctx))
    if m.regs[MIXED]:
        p = m.regs[P]
        st = stretch(p)
        m.inputs[0] = st
        m.inputs[1] = (p - 2048) >> LINEAR_SHIFT
        m.selected[0] = ((st + 2048) >> 8) * 8 + bits_known(ctx)


@njit(inline="always")
def update(m, ctx, bit):
    if m.regs[ON] and byte_ended(ctx):
        lstm_byte_update(m.net, last_byte(ctx))
        m.regs[MIXED] = bytes_coded(ctx) >= WARMUP
