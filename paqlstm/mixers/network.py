"""The mixing network: two layers of logistic mixing over the models' inputs.

Predicts: P(1) = squash(final layer over the weight sets' outputs), each weight
set's output = the dot product of the models' stretched inputs with the weights of
the row its selector picks (primitives/mixing.py).
Selects (its own sets, then each model's SELECTORS in predictor.MODELS order, then,
in the strong profile, STRONG_SELECTORS): the partial byte c0, the last byte, the
byte before it, and the ORDERS count of the bit (how many models' contexts were
seen before) with c0; strong: the character classes (CLASS_OF) of the last three
bytes with the bit position, the column (position in the line) with c0, the
length of the current word with c0, and the classes of the last two bytes with c0.
A set whose selector is -1 sits out the bit: only model sets after the first
`always` may (models that can sit out, as the byte LSTM before its warm-up, come
last in MODELS), so the loop over the others has a trip count known when compiling,
which LLVM unrolls (4 % faster than a loop over all with a branch per set). The
final layer's row: c0; strong: two final layers, one by c0 with the last byte's
class, one by the ORDERS count with the bit position, their P(1) averaged. Strong:
besides the sets' outputs, the final layers may weigh one model input directly (the
`direct` input, halved as paq8px does: the byte LSTM's stretch(p), its FINAL_INPUT);
its weight starts at 0.
Learns: each layer toward the coded bit (w += lr x err). Layer 1's weights start at
INITIAL_WEIGHT (strong: STRONG_INITIAL_WEIGHT, about 4 / its inputs: most of its
rows are seldom selected, so where they start matters all through a file), and its
rate falls as bytes are coded: MIXER_LR + LR_DECAY * LR_HALF / (LR_HALF + bytes),
fast while the weights are far off, then settling (strong: to STRONG_MIXER_LR); the
final layer's is FINAL_LR (each toward the bit from its own P(1)). Strong: a layer-1 set whose output erred by at most
STRONG_SKIP (of 4096) is not trained (as paq8px: faster, and slightly smaller).
Inputs: one bias (BIAS, constant) and the models' inputs, zero-padded to whole
8-lane vectors so the dot products vectorise.
Methods: predict, update (train; at a byte's end the next rate and word length).
Memory: the weights, 200-300 KB (counted in the predictor's 1 MB of small arrays);
strong: + 30,720 rows x 4 B per input (memory(): 3.9 MB at 32 inputs, 20 MB at 160).
"""
from typing import NamedTuple

import numpy as np

from ..contexts.registers import LINE_START, POS, bits_known, byte_ended, bytes_coded, c0, char_class, last_bytes, take_orders
from ..jit import njit, unsigned
from ..primitives.mixing import mixer_dot, mixer_train, weight_limit
from ..primitives.squash import squash

SELECTORS = (("partial byte", 256), ("last byte", 256), ("byte before", 256), ("orders seen and partial byte", 8 * 256))
SET_C0, SET_C1, SET_C2, SET_ORDERS = range(4)
# The strong profile's own sets, after every model's (each cost a dot product and a
# training pass over all inputs a bit; measured one at a time on alice29 / dickens
# 1 MB / xml 500 KB, from 36,499 / 218,437 / 13,394: -0.6 / -1.2 / -1.5 %,
# -0.7 / -1.1 / +0.1 %, -0.8 / -1.2 / -0.2 %, -0.7 / -1.3 / -0.9 %; all four -1.7 / -2.0 / -1.6 %).
STRONG_SELECTORS = (("classes of the last three bytes and bit position", 8 * 8 * 8 * 8),
                    ("column and partial byte", 24 * 256),
                    ("word length and partial byte", 16 * 256),
                    ("classes of the last two bytes and partial byte", 8 * 8 * 256))
# Final-layer rows: c0; strong: c0 x last byte's class, then ORDERS x bit position
# (-0.15 / -0.12 / -0.6 % beside the first alone).
FINAL_ROWS, STRONG_FINAL_ROWS, STRONG_FINAL2_ROWS = 256, 8 * 256, 8 * 8
BIAS = 256
LANES = 8
MIXER_LR = 3        # learning rates in fixed point, 16384 = 1.0
STRONG_MIXER_LR = 2
LR_DECAY = 48
INITIAL_WEIGHT = 1 << 14     # fixed point, 65536 = 1.0
STRONG_INITIAL_WEIGHT = 1 << 12
LR_HALF = 4096
FINAL_LR = 2
STRONG_SKIP = 80
# Registers: layer 1's rate, the final layer's row, P(1), the sets in use this bit,
# layer 1's weight limit (narrower beyond 64 inputs, primitives/mixing.py), the first
# of STRONG_SELECTORS' sets (all sets in the fast profile), 1 in the strong profile,
# the error up to which a set is not trained (-1: always trained),
# the current word's length, the second final layer's row (strong), the two final
# layers' P(1) (strong), the input the final layers weigh directly (-1: none; strong only).
RATE, FINAL_ROW, P, IN_USE, LIMIT, FIRST_STRONG, STRONG, SKIP, WORD_LEN, FINAL2_ROW, P1, P2, DIRECT = range(13)
DIRECT_SHIFT = 1
# Character classes of bytes, the contexts' (registers.char_class) made coarser for
# selectors: a lower case letter, upper case, digit, space or tab, line end,
# punctuation (. ! ? , ; : - _), quotes, brackets and markup, anything else.
COARSE_CLASS = np.array([7, 0, 1, 2, 3, 4, 5, 5, 6, 6, 6, 5, 7], dtype=np.int64)
CLASS_OF = COARSE_CLASS[[char_class.py_func(byte) for byte in range(256)]]
LETTERS = 1      # classes up to this one are letters (words)


class Network(NamedTuple):
    inputs: np.ndarray         # int32 [padded inputs]: BIAS, then the models' (their views)
    selected: np.ndarray       # int64 [sets]: row picked in each set this bit, -1 = sits out
    offsets: np.ndarray        # int64 [sets]: first row of each set in `weights`
    rows: np.ndarray           # int64 [sets]: offsets + selected, for training
    set_out: np.ndarray        # int32 [sets + 1]: layer-1 outputs (stretch domain; 0 for a set sitting out),
                               # then the direct input: the final layers' inputs
    weights: np.ndarray        # int32 [rows of all sets, inputs]: layer 1
    final_weights: np.ndarray  # int32 [FINAL_ROWS (strong: both layers' rows), sets + 1]: layer 2, the direct input last
    regs: np.ndarray           # int64 [13]
    classes: np.ndarray        # int64 [256]: CLASS_OF


def padded(n):
    return (n + LANES - 1) & ~(LANES - 1)


def memory(settings, n_inputs):
    """Bytes of the strong profile's own weight sets (the rest is in the predictor's small arrays)."""
    return 4 * n_inputs * sum(rows for _, rows in STRONG_SELECTORS) if settings.strong else 0


def new_network(inputs, set_rows, active_sets, settings, direct=-1):
    """`inputs`: the models' inputs with the bias first; `set_rows`: rows of each weight
    set; `active_sets`: which sets can be selected at all (the final layer's weights
    start shared equally among them); `direct`: the input the strong final layers also
    weigh, or -1; the strong profile adds its own sets."""
    inputs[0] = BIAS
    strong = settings.strong
    first_strong = len(set_rows)
    if strong:
        set_rows = list(set_rows) + [rows for _, rows in STRONG_SELECTORS]
        active_sets = list(active_sets) + [True] * len(STRONG_SELECTORS)
    n_sets = len(set_rows)
    final_weights = np.zeros((STRONG_FINAL_ROWS + STRONG_FINAL2_ROWS if strong else FINAL_ROWS, n_sets + 1), dtype=np.int32)
    final_weights[:, np.flatnonzero(active_sets)] = (1 << 16) // sum(active_sets)
    low = STRONG_MIXER_LR if strong else MIXER_LR
    return Network(
        inputs=inputs, selected=np.full(n_sets, -1, dtype=np.int64),
        offsets=np.cumsum((0,) + tuple(set_rows[:-1])).astype(np.int64), rows=np.zeros(n_sets, dtype=np.int64),
        set_out=np.zeros(n_sets + 1, dtype=np.int32),
        weights=np.full((sum(set_rows), inputs.size), STRONG_INITIAL_WEIGHT if strong else INITIAL_WEIGHT, dtype=np.int32),
        final_weights=final_weights,
        regs=np.array([low + LR_DECAY, 0, 2048, 0, weight_limit(inputs.size), first_strong, int(strong),
                       STRONG_SKIP if strong else -1, 0, 0, 0, 0, direct if strong else -1], dtype=np.int64),
        classes=CLASS_OF.copy())


@njit(inline="always")
def predict(net, ctx, always):
    """`always`: how many leading sets never sit out, a constant of the predictor's."""
    partial = c0(ctx)
    c4 = last_bytes(ctx)
    net.selected[SET_C0] = partial
    net.selected[SET_C1] = c4 & 0xFF
    net.selected[SET_C2] = (c4 >> 8) & 0xFF
    orders = take_orders(ctx)
    net.selected[SET_ORDERS] = orders * 256 + partial
    for k in range(always):
        _layer1(net, k)
    first_strong = net.regs[FIRST_STRONG]
    n = always
    while n < first_strong and net.selected[n] >= 0:
        _layer1(net, n)
        n += 1
    net.regs[IN_USE] = n
    for k in range(n, first_strong):
        net.set_out[k] = 0     # sitting out: no say in the final layers, which sum over every set
    if net.regs[STRONG]:
        cls = net.classes
        c1, c2 = cls[unsigned(c4 & 0xFF)], cls[unsigned((c4 >> 8) & 0xFF)]
        col = ctx.regs[POS] - ctx.regs[LINE_START]
        k = first_strong
        net.selected[k] = ((c1 * 8 + c2) * 8 + cls[unsigned((c4 >> 16) & 0xFF)]) * 8 + bits_known(ctx)
        net.selected[k + 1] = (col if col < 16 else min(16 + (col >> 4), 23)) * 256 + partial
        net.selected[k + 2] = min(net.regs[WORD_LEN], 15) * 256 + partial
        net.selected[k + 3] = (c2 * 8 + c1) * 256 + partial
        for k in range(first_strong, net.selected.size):
            _layer1(net, k)
        row, row2 = c1 * 256 + partial, STRONG_FINAL_ROWS + orders * 8 + bits_known(ctx)
        net.regs[FINAL_ROW] = row
        net.regs[FINAL2_ROW] = row2
        last = net.selected.size
        if net.regs[DIRECT] >= 0:
            net.set_out[last] = net.inputs[unsigned(net.regs[DIRECT])] >> DIRECT_SHIFT
        p1 = squash(mixer_dot(net.set_out, net.final_weights, row, last + 1))
        p2 = squash(mixer_dot(net.set_out, net.final_weights, row2, last + 1))
        net.regs[P1] = p1
        net.regs[P2] = p2
        p = (p1 + p2 + 1) >> 1
    else:
        net.regs[FINAL_ROW] = partial
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
def _train1(net, k, bit):
    err = (bit << 12) - squash(net.set_out[k])
    if abs(err) > net.regs[SKIP]:
        mixer_train(net.inputs, net.weights, net.rows[k], net.inputs.size, err * net.regs[RATE], net.regs[LIMIT])


@njit(inline="always")
def update(net, ctx, bit):
    regs = net.regs
    n = regs[IN_USE]
    first_strong = regs[FIRST_STRONG]
    if regs[STRONG]:
        last = net.selected.size + 1
        mixer_train(net.set_out, net.final_weights, regs[FINAL_ROW], last, ((bit << 12) - regs[P1]) * FINAL_LR)
        mixer_train(net.set_out, net.final_weights, regs[FINAL2_ROW], last, ((bit << 12) - regs[P2]) * FINAL_LR)
    else:
        mixer_train(net.set_out, net.final_weights, regs[FINAL_ROW], n, ((bit << 12) - regs[P]) * FINAL_LR)
    for k in range(n):
        _train1(net, k, bit)
    for k in range(first_strong, net.selected.size):
        _train1(net, k, bit)
    if byte_ended(ctx):
        low = STRONG_MIXER_LR if regs[STRONG] else MIXER_LR
        regs[RATE] = low + (LR_DECAY * LR_HALF) // (LR_HALF + bytes_coded(ctx))
        regs[WORD_LEN] = regs[WORD_LEN] + 1 if net.classes[unsigned(last_bytes(ctx) & 0xFF)] <= LETTERS else 0
