"""LSTM byte model: predicts the next byte from all bytes before it.

As a model of the predictor (State, at the end): two inputs (its P(1) stretched and
linear; the stretched one also weighed by the final mixer layers, FINAL_INPUT) and a
weight set selected by its confidence and the bit position, from WARMUP bytes on;
before, it trains but sits out. The blend (mixers/blend.py) may
also mix its P(1) into the final probability. Off, a 1-cell stand-in keeps the
types (one compiled predictor for both) and does nothing.
Methods: predict; update (at a byte's end: train, then predict the next byte).
Memory: lstm_memory (0.6 MB at the defaults; 1.2 MB with 2 layers).

Context: the previous byte (a learned embedding, i.e. the weight column the byte
selects: one-hot input, no multiply) and the network's own hidden state, which
summarises the history. One or more layers of LSTM cells with a tied input/forget
gate (c = f*c' + (1-f)*g); every layer also sees the byte and the layer below.

Output (lstm_output): a softmax over the 256 bytes read by every layer's hidden state,
folded per bit into a binary tree of masses whose node n is the set of bytes starting
with the partial byte n (the predictor's C0: 1, then 2|b7, ...), so P(next bit = 1) =
mass(2 c0 + 1) / mass(c0), one division per bit; or a bit tree: a logistic unit per node
c0, evaluated when that bit is predicted, 8 dot products a byte instead of 256 (a
hierarchical softmax; docs/TUNING.md has what it costs in ratio).

Learning: truncated backpropagation through time over windows of `horizon` bytes:
gradients of the cross entropy of each actual byte are summed over the window (the
softmax's output weights only over bytes with p >= SPARSE_P and the actual byte: the rest
add almost nothing and cost most of the time; the bit tree's over the 8 nodes of the actual
byte), the error flowing into each cell (dh, dc) is clipped to +-clip at every step, then
one Adam step without momentum (as paq8px), learning rate decaying as lr / sqrt(1 +
LR_DECAY * bytes seen), down to LR_FLOOR * lr. Embedding rows of bytes absent from the
window are updated lazily. The hidden state runs on across windows; only the gradient is
truncated. With delayed updates (lstm_update) a window's gradient is computed while the
next window is coded and applied at that one's end: the backward pass (Window `trained`)
reads only weights that coding leaves alone and writes only gradients, so another core
can run it (engine.LstmTrainer), with the same result as one thread running it when it
is due.

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
from ..primitives.float32 import HALF, ONE, exp32, sigmoid32
from ..primitives.lstm_cell import ACT_C, ACT_H, N_ACTS, cell_backward, cell_forward
from ..primitives.squash import clamp, stretch
from ..primitives.training import (BETA2, GRAD, MOMENT, PARAM, adam, adam_delta, adam_deltas, apply_deltas,
                                   power, splitmix64, uniform, weight_norm)

# Defaults for new_lstm (docs/TUNING.md, "LSTM kernel", has the measurements behind them).
DEFAULT_CELLS = 32
DEFAULT_LAYERS = 1
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
(POS, STEPS, UPDATES, OUTPUT, DELAYED, PENDING, HANDED_OVER, ONE_THREAD, VOCAB, TRAIN_STEPS, TRAIN_VOCAB,
 STEPS_DUE) = range(12)
N_REGS = 12
# Output layers (the OUTPUT register): a softmax over the 256 byte values, or a bit tree: one
# logistic unit per node of the byte's binary tree, 8 on the path of a byte instead of 256.
SOFTMAX, BIT_TREE = range(2)
OUTPUTS = ("softmax", "tree")
# When a window's update is applied (the DELAYED register): at its end, or at the end of the
# next window, so that another core can compute it while the next window is coded
# (lstm_train / lstm_window_end). The delayed update reads the weights of the window after.
UPDATE_NOW, UPDATE_DELAYED = range(2)
UPDATES_AT = ("now", "delayed")
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


class Window(NamedTuple):
    """A window of steps: what backpropagation through them reads, and its scratch."""
    acts: np.ndarray    # float32 [horizon + 1, layers, N_ACTS, cells]: step s at s + 1; 0 = carried in
    probs: np.ndarray   # float32 [horizon, 256]: softmax of each step
    node_p: np.ndarray  # float32 [horizon, 8]: bit tree: P(1) of each node on the path of each step's byte
    seq: np.ndarray     # int64 [horizon, 2]: input byte and actual next byte of each step
    work: np.ndarray    # float32 scratch [4 + 2 layers, width]


class Lstm(NamedTuple):
    wx: np.ndarray      # float32 [3, layers, 256, 3 cells]: byte embedding (forget, cell, output gates)
    wu: np.ndarray      # float32 [3, layers, 2 cells, 3 cells]: own hidden (rows < cells), layer below
    bg: np.ndarray      # float32 [3, layers, 3 cells]: gate biases
    wo: np.ndarray      # float32 [3, 256, layers * cells]: hidden -> logits, a row per byte (softmax) or
                        #   per tree node, the partial byte c0 (bit tree)
    bo: np.ndarray      # float32 [3, 256]: logit biases
    wu_t: np.ndarray    # float32 [layers, 3 cells, 2 cells]: wu[PARAM] transposed, for backward
    wo_t: np.ndarray    # float32 [layers * cells, 256]: wo[PARAM] transposed, for forward; column i is
                        #   the row of vocab[i]
    vocab: np.ndarray   # int64 [256]: the bytes seen so far (VOCAB of them), in the order they came: the
                        #   softmax covers only these (a byte never seen has probability 0)
    seen: np.ndarray    # int64 [256]: 1 for a byte in vocab
    logits: np.ndarray  # float32 [256]: the softmax's logits, in vocab order
    hidden: np.ndarray  # float32 [layers * cells]: every layer's hidden state after the last step
    live: tuple         # Window being coded
    trained: tuple      # Window whose update is delayed (a 1-step stand-in when updates are not)
    tree: np.ndarray    # float32 [512]: unnormalised masses, node n = bytes with prefix n; leaves 256 + byte
    regs: np.ndarray    # int64 [N_REGS]: POS (step in window), STEPS (forward), UPDATES (optimizer steps),
                        #   OUTPUT (SOFTMAX or BIT_TREE), DELAYED (UPDATE_NOW or UPDATE_DELAYED), PENDING
                        #   (the live window is full, waiting for lstm_window_end), HANDED_OVER (`trained`
                        #   holds a window), ONE_THREAD (delayed updates are computed here, when due),
                        #   VOCAB (bytes seen so far), TRAIN_STEPS and TRAIN_VOCAB (STEPS and VOCAB when
                        #   the window being trained ended: what its training reads, not the live ones),
                        #   STEPS_DUE (GRAD holds Adam's steps, for lstm_window_end to add)
    fregs: np.ndarray   # float32 [N_FREGS]: LR, CLIP, B2_POW
    stats: np.ndarray   # float64 [N_STATS]: bits spent on actual bytes (ideal), bytes counted
    last_update: np.ndarray  # int64 [256]: optimizer step that last updated each embedding row


# ---------------------------------------------------------------- construction

def _new_window(steps, layers, cells):
    return Window(acts=np.zeros((steps + 1, layers, N_ACTS, cells), dtype=np.float32),
                  probs=np.zeros((steps, 256), dtype=np.float32), node_p=np.zeros((steps, 8), dtype=np.float32),
                  seq=np.zeros((steps, 2), dtype=np.int64),
                  work=np.zeros((W_FIRST_CARRY + 2 * layers, max(256, 3 * cells, layers * cells)), dtype=np.float32))


def new_lstm(cells, horizon, lr, clip, seed=0, layers=DEFAULT_LAYERS, output=OUTPUTS[SOFTMAX],
             update=UPDATES_AT[UPDATE_NOW]):
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
        vocab=np.zeros(256, dtype=np.int64), seen=np.zeros(256, dtype=np.int64),
        logits=np.zeros(256, dtype=np.float32), hidden=np.zeros(layers * h, dtype=np.float32),
        live=_new_window(horizon, layers, h),
        trained=_new_window(horizon if update == UPDATES_AT[UPDATE_DELAYED] else 1, layers, h),
        tree=np.zeros(512, dtype=np.float32),
        regs=np.array([0, 0, 0, OUTPUTS.index(output), UPDATES_AT.index(update), 0, 0, 1, 0, 0, 0, 0],
                      dtype=np.int64),
        fregs=fregs,
        stats=np.zeros(N_STATS, dtype=np.float64),
        last_update=np.zeros(256, dtype=np.int64),
    )
    _transpose_wo(lstm)
    _forward(lstm, 0)
    return lstm


def _window_memory(steps, layers, cells):
    floats = ((steps + 1) * layers * N_ACTS * cells + steps * (256 + 8)
              + (W_FIRST_CARRY + 2 * layers) * max(256, 3 * cells, layers * cells))
    return 4 * floats + 8 * 2 * steps


def lstm_memory(cells, horizon, layers=DEFAULT_LAYERS, update=UPDATES_AT[UPDATE_NOW]):
    """Bytes the arrays of new_lstm(cells, horizon, layers=layers, update=update) take."""
    h, g = cells, 3 * cells
    params = layers * (256 * g + 2 * h * g + g) + layers * h * 256 + 256
    floats = 3 * params + layers * g * 2 * h + 256 * layers * h + 512 + 256 + layers * h + N_FREGS
    trained = horizon if update == UPDATES_AT[UPDATE_DELAYED] else 1
    return (4 * floats + 8 * (N_REGS + N_STATS + 3 * 256) + _window_memory(horizon, layers, cells)
            + _window_memory(trained, layers, cells))


def lstm_weight_norm(lstm):
    return weight_norm(lstm.wx, lstm.wu, lstm.bg, lstm.wo, lstm.bo)


# ---------------------------------------------------------------- prediction

@njit(inline="always")
def _node_p(lstm, c0):
    """Bit tree: P(1) of node c0 from every layer's hidden state."""
    w, x = lstm.wo[PARAM, c0], lstm.hidden
    # Four partial sums, added in a fixed order: a single sum would wait on every add in turn.
    z0 = z1 = z2 = z3 = ZERO
    n = x.size
    for j in range(0, n - n % 4, 4):
        z0 += w[j] * x[j]
        z1 += w[j + 1] * x[j + 1]
        z2 += w[j + 2] * x[j + 2]
        z3 += w[j + 3] * x[j + 3]
    for j in range(n - n % 4, n):
        z0 += w[j] * x[j]
    return sigmoid32(lstm.bo[PARAM, c0] + ((z0 + z1) + (z2 + z3)))


@njit(inline="always")
def _depth(c0):
    """Bits known in the partial byte c0."""
    d = 0
    while c0 > 1:
        c0 >>= 1
        d += 1
    return d


@njit(inline="always")
def _p12(p):
    """A float P(1) as a 12-bit integer in 1..4095 (2048 for a NaN: only if training diverged)."""
    q = 2048
    if p >= ZERO:
        q = clamp(np.int64(p * P_SCALE + HALF), 1, 4095)
    return q


@njit(inline="always")
def lstm_bit_p(lstm, c0):
    """P(next bit = 1) as a 12-bit integer in 1..4095, given the partial byte c0 (1..255)."""
    if lstm.regs[OUTPUT] == BIT_TREE:
        p = _node_p(lstm, c0)
        lstm.live.node_p[lstm.regs[POS], _depth(c0)] = p
        return _p12(p)
    t = lstm.tree
    return _p12(t[2 * c0 + 1] / t[c0])


@njit(inline="always")
def lstm_expected_byte(lstm, c0):
    """The likelier byte among those starting with c0, found by following the heavier half."""
    t = lstm.tree
    n = c0
    while n < 256:
        if lstm.regs[OUTPUT] == BIT_TREE:
            n = 2 * n + (_node_p(lstm, n) > HALF)
        else:
            n = 2 * n + 1 if t[2 * n + 1] > t[2 * n] else 2 * n
    return n - 256


@njit(inline="always")
def _gates(lstm, byte, s):
    """The cells of every layer at window step s, from the input byte and the hidden states."""
    wx, wu, bg = lstm.wx, lstm.wu, lstm.bg
    acts, work = lstm.live.acts, lstm.live.work
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
    """The next byte's distribution over the bytes seen, from every layer's hidden state at step s:
    probs[s] and the mass tree (the leaves of bytes never seen stay 0)."""
    wo_t, bo, acts, tree, vocab, logits = lstm.wo_t, lstm.bo, lstm.live.acts, lstm.tree, lstm.vocab, lstm.logits
    layers, h = acts.shape[1], acts.shape[3]
    n = lstm.regs[VOCAB]
    for i in range(n):
        logits[i] = bo[PARAM, vocab[i]]
    for l in range(layers):
        for j in range(h):
            x = acts[s + 1, l, ACT_H, j]
            q = l * h + j
            for i in range(n):
                logits[i] += x * wo_t[q, i]
    for i in range(n):
        tree[256 + vocab[i]] = exp32(logits[i])
    for node in range(255, 0, -1):
        tree[node] = tree[2 * node] + tree[2 * node + 1]
    total = tree[1]
    for i in range(n):
        k = vocab[i]
        lstm.live.probs[s, k] = tree[256 + k] / total


@njit(inline="always")
def _learn_byte(lstm, byte):
    """`byte` joins the softmax's vocabulary if it is new (its weights are still the initial ones:
    a row without gradient is left alone by Adam)."""
    if lstm.seen[byte]:
        return
    n = lstm.regs[VOCAB]
    lstm.seen[byte] = 1
    lstm.vocab[n] = byte
    for q in range(lstm.wo.shape[2]):
        lstm.wo_t[q, n] = lstm.wo[PARAM, byte, q]
    lstm.regs[VOCAB] = n + 1


@njit(inline="always")
def _forward(lstm, byte):
    """One step with input `byte` at window position POS: activations, softmax, mass tree."""
    s = lstm.regs[POS]
    lstm.live.seq[s, 0] = byte
    _gates(lstm, byte, s)
    if lstm.regs[OUTPUT] == SOFTMAX:
        _softmax(lstm, s)
    else:   # contiguous, for the bit tree's dot products
        acts = lstm.live.acts
        h = acts.shape[3]
        for l in range(acts.shape[1]):
            for j in range(h):
                lstm.hidden[l * h + j] = acts[s + 1, l, ACT_H, j]
    lstm.regs[STEPS] += 1


# ---------------------------------------------------------------- learning

@njit(inline="always")
def _softmax_backward(lstm, win, s):
    """Step s's output layer: its gradient, and the error into every layer's hidden state (W_DHID)."""
    wo, bo, acts, work, probs = lstm.wo, lstm.bo, win.acts, win.work, win.probs
    layers, h = acts.shape[1], acts.shape[3]
    n_out = layers * h
    target = win.seq[s, 1]
    # Softmax + cross entropy: d loss / d logit = p - [k is the actual byte]. Bytes
    # the model all but rules out are left out of the output layer's gradient.
    probs[s, target] -= ONE
    for q in range(n_out):
        work[W_DHID, q] = ZERO
    for i in range(lstm.regs[TRAIN_VOCAB]):   # a byte not seen then has p = 0 (unless it is the target)
        k = lstm.vocab[i]
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
def _tree_backward(lstm, win, s):
    """Step s's bit tree: the gradient of the 8 nodes on the actual byte's path, and the error
    into every layer's hidden state (W_DHID)."""
    wo, bo, acts, work = lstm.wo, lstm.bo, win.acts, win.work
    layers, h = acts.shape[1], acts.shape[3]
    for q in range(layers * h):
        work[W_DHID, q] = ZERO
    target = win.seq[s, 1]
    n = 1
    for d in range(8):
        bit = (target >> (7 - d)) & 1
        e = win.node_p[s, d] - F32(bit)
        bo[GRAD, n] += e
        for l in range(layers):
            for j in range(h):
                q = l * h + j
                wo[GRAD, n, q] += e * acts[s + 1, l, ACT_H, j]
                work[W_DHID, q] += e * wo[PARAM, n, q]
        n = 2 * n + bit


@njit(inline="always")
def _output_backward(lstm, win, s):
    if lstm.regs[OUTPUT] == BIT_TREE:
        _tree_backward(lstm, win, s)
    else:
        _softmax_backward(lstm, win, s)


@njit(inline="always")
def _cells_backward(lstm, win, s):
    """Step s's cells, top layer down: their gradient from W_DHID and the carries, and the carries
    one step back."""
    wx, wu, bg, acts, work = lstm.wx, lstm.wu, lstm.bg, win.acts, win.work
    layers, h = acts.shape[1], acts.shape[3]
    g = 3 * h
    byte = win.seq[s, 0]
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
def _backward(lstm, win):
    """Sum over the window `win` the gradients of -ln p(actual byte) into the GRAD slots."""
    work = win.work
    for r in range(W_FIRST_CARRY, work.shape[0]):
        for j in range(work.shape[1]):
            work[r, j] = ZERO
    for s in range(win.probs.shape[0] - 1, -1, -1):
        _output_backward(lstm, win, s)
        _cells_backward(lstm, win, s)


@njit(inline="always")
def _embedding_steps(lstm, seq, lr, v_scale, add):
    """Adam's steps (adam_deltas) for the embedding rows of the window's input bytes only: the
    other rows have a zero gradient, which leaves their weights alone and only decays their
    moment. That decay is caught up (BETA2 ** steps missed) when a row is next used, so this
    is dense Adam up to rounding, at the cost of a few rows instead of 256."""
    wx, last = lstm.wx, lstm.last_update
    step = lstm.regs[UPDATES]
    for s in range(seq.shape[0]):
        b = seq[s, 0]
        if last[b] == step:
            continue
        decay = power(BETA2, step - 1 - last[b])
        last[b] = step
        for l in range(wx.shape[1]):
            for k in range(wx.shape[3]):
                delta, wx[MOMENT, l, b, k] = adam_delta(wx[MOMENT, l, b, k], wx[GRAD, l, b, k], lr, v_scale,
                                                        decay)
                if add:     # as it goes
                    wx[PARAM, l, b, k] += delta
                    wx[GRAD, l, b, k] = ZERO
                else:       # for lstm_window_end to add
                    wx[GRAD, l, b, k] = delta


# How _update treats Adam's steps: leaves them in GRAD, adds those left there, or adds them as it goes.
STEPS_ONLY, ADD_ONLY, STEP_AND_ADD = range(3)


@njit(inline="always")
def _step(a, mode, lr, v_scale, start, stop):
    if mode == STEPS_ONLY:
        adam_deltas(a, lr, v_scale, start, stop)
    elif mode == ADD_ONLY:
        apply_deltas(a, start, stop)
    else:
        adam(a, lr, v_scale, start, stop)


@njit(inline="always")
def _dense_steps(lstm, mode, lr, v_scale):
    """_step on every weight but the embedding: those of the output layer only for the bytes
    seen (the rows of the others have no gradient yet, nor a moment: their steps are 0)."""
    wu, wo, bo = lstm.wu, lstm.wo, lstm.bo
    layer = wu.shape[2] * wu.shape[3]
    _step(wu, mode, lr, v_scale, 0, layer // 2)    # layer 0 has no layer below
    _step(wu, mode, lr, v_scale, layer, wu.size // 3)
    _step(lstm.bg, mode, lr, v_scale, 0, lstm.bg.size // 3)
    n_out = wo.shape[2]
    softmax = lstm.regs[OUTPUT] == SOFTMAX
    for i in range(lstm.regs[TRAIN_VOCAB] if softmax else 256):
        k = lstm.vocab[i] if softmax else i
        _step(wo, mode, lr, v_scale, k * n_out, (k + 1) * n_out)
        _step(bo, mode, lr, v_scale, k, k + 1)


@njit(inline="always")
def _update(lstm, seq, mode):
    """The Adam step of the window whose steps are `seq` (mode STEP_AND_ADD), or its halves: the
    steps left in GRAD (STEPS_ONLY: it reads and writes only what coding leaves alone, so it
    can run beside it) and their addition (ADD_ONLY). Either way the same arithmetic."""
    regs, fregs = lstm.regs, lstm.fregs
    if mode != ADD_ONLY:
        regs[UPDATES] += 1
        fregs[B2_POW] *= BETA2
    v_scale = ONE / (ONE - fregs[B2_POW])        # Adam's bias correction of the second moment
    lr = max(fregs[LR] / np.sqrt(ONE + F32(regs[TRAIN_STEPS]) * LR_DECAY), fregs[LR] * LR_FLOOR)
    if mode != ADD_ONLY:
        _embedding_steps(lstm, seq, lr, v_scale, mode == STEP_AND_ADD)
    else:
        wx = lstm.wx
        for s in range(seq.shape[0]):    # a row used twice: its GRAD is 0 the second time
            b = seq[s, 0]
            for l in range(wx.shape[1]):
                for k in range(wx.shape[3]):
                    wx[PARAM, l, b, k] += wx[GRAD, l, b, k]
                    wx[GRAD, l, b, k] = ZERO
    _dense_steps(lstm, mode, lr, v_scale)


@njit(inline="always")
def _transpose_wu(lstm):
    """wu's transposed copy, for the backward pass (which alone reads it)."""
    wu = lstm.wu
    for l in range(wu.shape[1]):
        for j in range(wu.shape[2]):
            for k in range(wu.shape[3]):
                lstm.wu_t[l, k, j] = wu[PARAM, l, j, k]


@njit(inline="always")
def _transpose_wo(lstm):
    """wo's transposed copy, for the softmax's forward pass: a column per byte seen."""
    wo = lstm.wo
    if lstm.regs[OUTPUT] == SOFTMAX:
        for i in range(lstm.regs[VOCAB]):
            k = lstm.vocab[i]
            for q in range(wo.shape[2]):
                lstm.wo_t[q, i] = wo[PARAM, k, q]


@njit(inline="always")
def _hand_over(lstm):
    """What the training of the window that ends now reads of the live registers."""
    lstm.regs[TRAIN_STEPS] = lstm.regs[STEPS]
    lstm.regs[TRAIN_VOCAB] = lstm.regs[VOCAB]


@njit(inline="always")
def _loss(lstm, s, byte):
    """Bits (float64, diagnostics only) step s's prediction spent on the actual byte."""
    if lstm.regs[OUTPUT] == SOFTMAX:
        return -math.log2(max(np.float64(lstm.live.probs[s, byte]), 1e-30))
    bits = 0.0
    for d in range(8):
        p = np.float64(lstm.live.node_p[s, d])
        bits -= math.log2(max(p if (byte >> (7 - d)) & 1 else 1.0 - p, 1e-30))
    return bits


@njit(inline="always")
def _next_window(lstm):
    """The live window's last state carries into the next one, whose first step predicts the
    byte after the window's last. Explicit copies: a slice assignment may allocate, and the
    predictor's block loop runs without NRT."""
    acts = lstm.live.acts
    last = acts.shape[0] - 1
    for layer in range(acts.shape[1]):
        for kind in range(acts.shape[2]):
            for cell in range(acts.shape[3]):
                acts[0, layer, kind, cell] = acts[last, layer, kind, cell]
    lstm.regs[POS] = 0
    _forward(lstm, lstm.live.seq[last - 1, 1])


@njit(inline="always")
def _train(lstm, win, mode):
    """Backpropagation through the window `win`, then its Adam step (_update's `mode`)."""
    _transpose_wu(lstm)
    _backward(lstm, win)
    _update(lstm, win.seq, mode)


@njit
def lstm_train(lstm):
    """Delayed updates: the gradient of the window handed over (if any) into the GRAD slots. It
    reads the weights and writes only the gradient and `trained`, so it may run on another core
    while the next window is coded; the update waits for lstm_window_end."""
    regs = lstm.regs
    if regs[HANDED_OVER]:
        # One thread adds the steps as it goes; beside the coder they wait in GRAD.
        _train(lstm, lstm.trained, STEP_AND_ADD if regs[ONE_THREAD] else STEPS_ONLY)
        regs[STEPS_DUE] = not regs[ONE_THREAD]


@njit
def lstm_window_end(lstm):
    """Delayed updates, once the live window is full (PENDING) and lstm_train has finished: apply
    the gradient of the window handed over before, hand this one over, go on to the next."""
    regs, live, trained = lstm.regs, lstm.live, lstm.trained
    if regs[STEPS_DUE]:
        _update(lstm, trained.seq, ADD_ONLY)
        regs[STEPS_DUE] = 0
    if regs[HANDED_OVER]:
        _transpose_wo(lstm)
    softmax = regs[OUTPUT] == SOFTMAX
    for s in range(live.seq.shape[0]):
        trained.seq[s, 0] = live.seq[s, 0]
        trained.seq[s, 1] = live.seq[s, 1]
        for k in range(256 if softmax else 0):
            trained.probs[s, k] = live.probs[s, k]
        for d in range(0 if softmax else 8):
            trained.node_p[s, d] = live.node_p[s, d]
    for s in range(live.acts.shape[0]):
        for layer in range(live.acts.shape[1]):
            for kind in range(live.acts.shape[2]):
                for cell in range(live.acts.shape[3]):
                    trained.acts[s, layer, kind, cell] = live.acts[s, layer, kind, cell]
    _hand_over(lstm)
    regs[HANDED_OVER] = 1
    regs[PENDING] = 0
    _next_window(lstm)


@njit
def lstm_catch_up(lstm):
    """lstm_train then lstm_window_end when the live window is full: delayed updates on one core."""
    if lstm.regs[PENDING]:
        lstm_train(lstm)
        lstm_window_end(lstm)


@njit
def lstm_byte_update(lstm, byte):
    """After each whole byte: score and store it, train when the window is full, predict the next.
    With delayed updates and ONE_THREAD the update due is computed here (lstm_catch_up);
    without, a full window only sets PENDING: whoever runs the block then has lstm_train run
    on another core and calls lstm_window_end before the next prediction."""
    regs, live = lstm.regs, lstm.live
    s = regs[POS]
    live.seq[s, 1] = byte
    if regs[OUTPUT] == SOFTMAX:
        _learn_byte(lstm, byte)
    lstm.stats[LOSS_BITS] += _loss(lstm, s, byte)
    lstm.stats[LOSS_BYTES] += 1.0
    if s + 1 < live.probs.shape[0]:
        regs[POS] = s + 1
        _forward(lstm, byte)
    elif regs[DELAYED]:
        regs[PENDING] = 1
        if regs[ONE_THREAD]:
            lstm_catch_up(lstm)
    else:
        _hand_over(lstm)
        _train(lstm, live, STEP_AND_ADD)
        _transpose_wo(lstm)
        _next_window(lstm)


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
    return lstm_memory(settings.lstm_cells, settings.lstm_horizon, settings.lstm_layers,
                       settings.lstm_update) if settings.byte_model else 0


def new(settings, ctx, inputs, selected):
    if settings.byte_model:
        net = new_lstm(settings.lstm_cells, settings.lstm_horizon, settings.lstm_lr, settings.lstm_clip,
                       layers=settings.lstm_layers, output=settings.lstm_output, update=settings.lstm_update)
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
def waiting(m):
    """True when the window is full and its delayed update is due (engine.LstmTrainer)."""
    return m.net.regs[PENDING] != 0


@njit(inline="always")
def update(m, ctx, bit):
    if m.regs[ON] and byte_ended(ctx):
        lstm_byte_update(m.net, last_byte(ctx))
        m.regs[MIXED] = bytes_coded(ctx) >= WARMUP
