"""The bit predictor: wires contexts, context maps, match model, mixers and APMs.

For every bit it predicts P(1) from
  - order-0 and order-1 contexts (direct tables of bit-history states),
  - order-2..7 byte contexts, four word contexts (the current word, and it with
    the previous word, with the word before that, and with both) and a column
    context (the byte above in the previous line, the column, the last byte),
    all hashed into buckets,
  - the match model,
mixes their stretched predictions in a
two-layer network: five weight sets, chosen by the partial byte, the match state,
the previous byte, the byte before it, and how many orders have been seen before,
then a final mixer over their outputs. Two APM stages (order 1, hashed order 3)
refine the result and are averaged. After the bit is known everything trains.

With the LSTM on (kernels/lstm.py, a byte model over the whole history), its
prediction feeds the mixer as two more inputs (stretched and linear) and selects a
sixth weight set (its confidence and the bit position); then the final probability
blends the classic chain's with the LSTM's: a fixed weight (0 = no blend), or
learned by a small mixer over the two selected by the partial byte. It trains from
the first byte but joins the mixer after LSTM_WARMUP bytes. With it off its inputs
stay 0 and its weight set and the blend are skipped, so the output is exactly the
classic model's.

All state is NumPy arrays grouped in the `Model` named tuple; the per-bit loop of a
whole block runs inside one compiled call (`encode_block` / `decode_block`), so
Python is touched once per block, not per bit. Encoder and decoder run the same
`predict_bit` / `update_bit`, which is what keeps them in lockstep.
"""
from typing import NamedTuple

import numpy as np

from .jit import njit, unsigned
from .kernels.apm import POINTS, apm_prefetch, apm_refine, apm_update, new_apm
from .kernels.coder import decode_bit, decode_init, encode_bit, encode_flush
from .kernels.contextmap import LINE, bucket_line, find_bucket, nibble_node
from .kernels.lstm import lstm_bit_p, lstm_byte_update, new_lstm
from .kernels.match import (length_bucket, match_expected_bit, match_prefetch, match_update_byte,
                            new_match_state, LEN, POS)
from .kernels.mixer import mixer_dot, mixer_train
from .kernels.memory import aligned_zeros, prefetch
from .kernels.squash import squash, stretch
from .kernels.statemap import new_statemaps, statemap_p, statemap_update
from .kernels.states import NEXT_STATE

# Contexts, in mixer-input order. O0 and O1 index direct tables; the rest are hashed.
O0, O1, O2, O3, O4, O5, O6, WORD, WORD_PAIR, WORD_SKIP, WORD_TRIPLE, O7, COLUMN = range(13)
N_CTX = 13
FIRST_HASHED = O2
MATCH_INPUT = N_CTX
BIAS_INPUT = N_CTX + 1
LSTM_INPUT = N_CTX + 2     # and its linear form next to it
# Zero-padded to whole 8-lane vectors so the mixer's loops vectorise; the LSTM's two
# inputs take another vector, so the model without it mixes the classic count only.
CLASSIC_INPUTS = (N_CTX + 2 + 7) & ~7
N_INPUTS = (N_CTX + 4 + 7) & ~7

# Direct tables sit at the start of the state array, whole cache lines before the buckets.
O1_BASE = 256
DIRECT_LINES = (256 + 65536) // LINE

# Layer-1 weight sets and the context that selects each: (name, rows).
# The last set (the LSTM's confidence and the bit position) is used only with the LSTM on.
SET_C0, SET_MATCH, SET_C1, SET_C2, SET_ORDER, SET_LSTM = range(6)
SET_ROWS = (256, 16 * 8, 256, 256, 8 * 256, 16 * 8)
SET_OFFSETS = tuple(int(x) for x in np.cumsum((0,) + SET_ROWS[:-1]))
N_SETS = len(SET_ROWS)
N_CLASSIC_SETS = N_SETS - 1

# Scalar registers.
(C0, BITS, C4, C8, WORD0, WORD1, LINE_MASK, MATCH_BIT, WORD2, MIXER_RATE, LINE_START, PREV_LINE_START,
 LSTM_ON, BLEND, LSTM_MIXED) = range(15)
N_REGS = 15
# The LSTM trains from the first byte but joins the mixer only after this many bytes
# (about neutral on dickens 1 KB-1 MB: docs/TUNING.md, "Hybrid").
LSTM_WARMUP = 1 << 13
BLEND_ONE = 1 << 16      # BLEND register: fixed LSTM weight in 16-bit fixed point, or BLEND_IS_LEARNED
BLEND_IS_LEARNED = -1
BLEND_LR = 2
# Slots of `probs`: the mixer's output, the classic chain's final P(1), the LSTM's, the learned blend's.
P_MIXER, P_CLASSIC, P_LSTM, P_BLEND = range(4)

APM_CONTEXTS = 65536    # rows of each APM: order 1 with the partial byte; hashed order 3
STATEMAP_LIMIT = 1023
MATCH_MAP_LIMIT = 1023
# Layer-1 learning rate (16384 = 1.0): MIXER_LR + LR_DECAY * LR_HALF / (LR_HALF + bytes seen),
# fast while the weights are far off, then settling.
MIXER_LR = 3
LR_DECAY = 48
LR_HALF = 4096
FINAL_LR = 2
APM_RATE = 6
LINEAR_SHIFT = 2
MASK32 = 0xFFFFFFFF


class Model(NamedTuple):
    states: np.ndarray        # uint8: order-0/1 direct tables, then hashed buckets
    maps: np.ndarray          # uint32 [N_CTX + 1, 512]: state (last row: match length) -> P(1)
    regs: np.ndarray          # int64 scalars (C0, BITS, ...)
    hashes: np.ndarray        # int64 [N_CTX]: hash of each context, set once per byte
    buckets: np.ndarray       # int64 [N_CTX]: bucket of each hashed context for this nibble
    slots: np.ndarray         # int64 [N_CTX]: index in `states` of each context's current state
    inputs: np.ndarray        # int32 [CLASSIC_INPUTS, or N_INPUTS with the LSTM]: stretched predictions
    weights: np.ndarray       # int32 [sum(SET_ROWS), inputs.size]: layer-1 weight sets
    set_rows: np.ndarray      # int64 [N_SETS]: row chosen in each set for this bit
    set_out: np.ndarray       # int32 [N_SETS]: layer-1 outputs (stretch domain)
    final_weights: np.ndarray  # int32 [256, N_SETS]: layer 2, selected by c0
    apm1: np.ndarray          # uint16: APM on order-1
    apm2: np.ndarray          # uint16: APM on hashed order-3
    apm_slots: np.ndarray     # int64 [2]
    probs: np.ndarray         # int64 [4]: P_MIXER (its final layer trains on it), P_CLASSIC, P_LSTM, P_BLEND
    history: np.ndarray       # uint8 ring buffer of coded bytes (match model)
    positions: np.ndarray     # int32 hash of recent bytes -> position in history
    match_regs: np.ndarray    # int64 match model registers
    blend_inputs: np.ndarray  # int32 [3]: stretch of classic and LSTM P(1), bias
    blend_weights: np.ndarray  # int32 [256, 3]: learned blend, selected by c0
    lstm: tuple               # kernels.lstm.Lstm (a 1-cell stand-in when off)


def model_memory(hash_bits, history_bits):
    """Bytes the model's arrays take for the given table sizes."""
    return ((DIRECT_LINES << 6) + (1 << hash_bits) + (1 << history_bits)
            + 4 * (1 << (history_bits - 2)) + 2 * APM_CONTEXTS * POINTS * 2 + (1 << 20))


def new_model(hash_bits, history_bits, lstm=None, blend=0.0):
    """A fresh model whose hashed buckets take 2**hash_bits bytes and history 2**history_bits.

    `lstm`: a kernels.lstm.Lstm to blend in, or None; `blend`: its fixed weight in
    [0, 1], or None to learn it.
    """
    hash_lines = 1 << (hash_bits - 6)
    regs = np.zeros(N_REGS, dtype=np.int64)
    regs[C0] = 1
    regs[LINE_MASK] = hash_lines - 1
    regs[MIXER_RATE] = MIXER_LR + LR_DECAY
    regs[LSTM_ON] = lstm is not None
    regs[BLEND] = BLEND_IS_LEARNED if blend is None else round(blend * BLEND_ONE)
    blend_weights = np.zeros((256, 3), dtype=np.int32)
    blend_weights[:, 0] = (1 << 16) * 4 // 5     # start at the plan's (4 classic + LSTM) / 5
    blend_weights[:, 1] = (1 << 16) // 5
    n_inputs = CLASSIC_INPUTS if lstm is None else N_INPUTS
    weights = np.full((sum(SET_ROWS), n_inputs), 1 << 14, dtype=np.int32)
    final_weights = np.zeros((256, N_SETS), dtype=np.int32)
    n_sets = N_CLASSIC_SETS + (lstm is not None)
    final_weights[:, :n_sets] = (1 << 16) // n_sets
    model = Model(
        states=aligned_zeros((DIRECT_LINES + hash_lines) * LINE, np.uint8),
        maps=new_statemaps(N_CTX + 1, 512),
        regs=regs,
        hashes=np.zeros(N_CTX, dtype=np.int64),
        buckets=np.zeros(N_CTX, dtype=np.int64),
        slots=np.zeros(N_CTX, dtype=np.int64),
        inputs=np.zeros(n_inputs, dtype=np.int32),
        weights=weights,
        set_rows=np.zeros(N_SETS, dtype=np.int64),
        set_out=np.zeros(N_SETS, dtype=np.int32),
        final_weights=final_weights,
        apm1=new_apm(APM_CONTEXTS),
        apm2=new_apm(APM_CONTEXTS),
        apm_slots=np.zeros(2, dtype=np.int64),
        probs=np.full(4, 2048, dtype=np.int64),
        history=np.zeros(1 << history_bits, dtype=np.uint8),
        positions=np.zeros(1 << (history_bits - 2), dtype=np.int32),
        match_regs=new_match_state(),
        blend_inputs=np.zeros(3, dtype=np.int32),
        blend_weights=blend_weights,
        lstm=new_lstm(1, 1, 0.0, 0.0) if lstm is None else lstm,
    )
    _start(model)
    return model


# Diagnostics (encoder only): bits each 12-bit prediction costs, BIT_COST[bit, p].
BIT_COST = -np.log2(np.stack([1.0 - np.arange(4096) / 4096.0, np.arange(4096) / 4096.0]).clip(1 / 4096))
COST_FINAL, COST_CLASSIC, COST_LSTM, LSTM_P_SUM, LSTM_P_SQUARES = range(5)
N_COSTS = 5


@njit
def _start(m):
    """Buckets for the first nibble of the input: every context still empty."""
    _context_hashes(m, 0)
    _locate_buckets(m, m.hashes)


@njit(inline="always")
def _finalize(h):
    h &= MASK32
    h ^= h >> 16
    h = (h * 0x7FEB352D) & MASK32
    h ^= h >> 15
    h = (h * 0x346B4C55) & MASK32
    h ^= h >> 16
    return h


@njit(inline="always")
def _combine(a, b):
    return _finalize((a & MASK32) * 0x2F0B4C23 + (b & MASK32) * 0x6F4F2A35 + 0x1234567)


@njit(inline="always")
def _locate_buckets(m, hashes):
    """At a nibble boundary: the bucket of every hashed context, from the nibble's hashes."""
    for i in range(FIRST_HASHED, N_CTX):
        m.buckets[i] = find_bucket(m.states, DIRECT_LINES, m.regs[LINE_MASK], hashes[i])


@njit(inline="always")
def _request_lines(m, hashes):
    """Request the bucket lines of a nibble's context hashes, all before any is read, so
    that their cache misses overlap each other and the training of the bit."""
    for i in range(FIRST_HASHED, N_CTX):
        prefetch(m.states, bucket_line(DIRECT_LINES, m.regs[LINE_MASK], hashes[i]))


@njit(inline="always")
def _advance_context(m, byte):
    """Move the registers that only the context hashes read (the last bytes, the words,
    the line starts) past `byte`, as soon as the bit that ends it is known."""
    regs = m.regs
    regs[C8] = ((regs[C8] << 8) | (regs[C4] >> 24)) & MASK32
    regs[C4] = ((regs[C4] << 8) | byte) & MASK32
    lower = byte | 32
    if 97 <= lower <= 122:
        regs[WORD0] = _combine(regs[WORD0], lower)
    elif regs[WORD0] != 0:
        regs[WORD2] = regs[WORD1]
        regs[WORD1] = regs[WORD0]
        regs[WORD0] = 0
    if byte == 10:
        regs[PREV_LINE_START] = regs[LINE_START]
        regs[LINE_START] = m.match_regs[POS] + 1


@njit(inline="always")
def _context_hashes(m, coded):
    """Hash of every hashed context at the start of byte number `coded`, from the
    registers already past the byte before it (which the history may not hold yet)."""
    regs = m.regs
    c4 = regs[C4]
    c8 = regs[C8]
    w0 = regs[WORD0]
    w1 = regs[WORD1]
    w2 = regs[WORD2]
    out = m.hashes
    out[O2] = _combine(c4 & 0xFFFF, 2)
    out[O3] = _combine(c4 & 0xFFFFFF, 3)
    out[O4] = _combine(c4, 4)
    out[O5] = _combine(_combine(c4, c8 & 0xFF), 5)
    out[O6] = _combine(_combine(c4, c8 & 0xFFFF), 6)
    out[WORD] = _combine(_combine(w0, c4 & 0xFF), 7)
    out[WORD_PAIR] = _combine(_combine(w0, w1), 8)
    out[WORD_SKIP] = _combine(_combine(w0, w2), 9)
    out[WORD_TRIPLE] = _combine(_combine(_combine(w0, w1), w2), 10)
    out[O7] = _combine(_combine(c4, c8 & 0xFFFFFF), 11)
    # Line-wrapped text and tables: the byte above in the previous line, with the column.
    column = coded - regs[LINE_START]
    above_pos = regs[PREV_LINE_START] + column
    if above_pos == coded - 1:
        above = c4 & 0xFF   # the last byte, not in the history yet
    elif above_pos < regs[LINE_START]:
        above = m.history[unsigned(above_pos & (m.history.size - 1))]
    else:
        above = 0
    out[COLUMN] = _combine(_combine(above, c4 & 0xFF), 12 + min(column, 63))


@njit(inline="always")
def _end_byte(m, byte):
    """After the byte's last bit has trained the model (its contexts already moved on)."""
    regs = m.regs
    match_update_byte(m.match_regs, m.history, m.positions, byte)
    coded = m.match_regs[POS]
    regs[MIXER_RATE] = MIXER_LR + (LR_DECAY * LR_HALF) // (LR_HALF + coded)
    if regs[LSTM_ON]:
        lstm_byte_update(m.lstm, byte)
        regs[LSTM_MIXED] = coded >= LSTM_WARMUP
    _locate_buckets(m, m.hashes)


@njit(inline="always")
def _apm_contexts(c0, c4):
    """Rows of the order-1 and the hashed order-3 APM."""
    return c0 | ((c4 & 0xFF) << 8), _combine(c4 & 0xFFFFFF, c0) & (APM_CONTEXTS - 1)


@njit(inline="always")
def predict_bit(m):
    """P(next bit = 1) as a 12-bit integer, 1..4095."""
    regs = m.regs
    c0 = regs[C0]
    bits = regs[BITS]
    c1 = regs[C4] & 0xFF
    c2 = (regs[C4] >> 8) & 0xFF
    node = nibble_node(c0, bits)
    apm1_context, apm2_context = _apm_contexts(c0, regs[C4])

    m.slots[O0] = c0
    m.slots[O1] = O1_BASE + (c1 << 8) + c0
    for i in range(FIRST_HASHED, N_CTX):
        m.slots[i] = m.buckets[i] + node
    for i in range(N_CTX):
        p_i = statemap_p(m.maps, i, m.states[unsigned(m.slots[i])])
        m.inputs[i] = stretch(p_i)

    expected = match_expected_bit(m.match_regs, c0, bits)
    regs[MATCH_BIT] = expected
    lb = length_bucket(m.match_regs[LEN]) if expected >= 0 else 0
    if expected >= 0:
        m.inputs[MATCH_INPUT] = stretch(statemap_p(m.maps, N_CTX, lb * 2 + expected))
    else:
        m.inputs[MATCH_INPUT] = 0
    m.inputs[BIAS_INPUT] = 256
    if regs[LSTM_ON]:
        m.probs[P_LSTM] = lstm_bit_p(m.lstm, c0)
    if regs[LSTM_MIXED]:
        p_lstm = m.probs[P_LSTM]
        st_lstm = stretch(p_lstm)
        m.inputs[LSTM_INPUT] = st_lstm
        m.inputs[LSTM_INPUT + 1] = (p_lstm - 2048) >> LINEAR_SHIFT
        m.set_rows[SET_LSTM] = SET_OFFSETS[SET_LSTM] + ((st_lstm + 2048) >> 8) * 8 + bits

    m.set_rows[SET_C0] = SET_OFFSETS[SET_C0] + c0
    m.set_rows[SET_MATCH] = SET_OFFSETS[SET_MATCH] + lb * 8 + bits
    m.set_rows[SET_C1] = SET_OFFSETS[SET_C1] + c1
    m.set_rows[SET_C2] = SET_OFFSETS[SET_C2] + c2
    order = 0
    for i in range(O2, O6 + 1):
        order += m.states[unsigned(m.slots[i])] != 0
    if expected >= 0:
        order += 1 + (m.match_regs[LEN] > 16)
    m.set_rows[SET_ORDER] = SET_OFFSETS[SET_ORDER] + order * 256 + c0
    n_sets = N_CLASSIC_SETS + regs[LSTM_MIXED]
    # The input count as the array's runtime size, not a constant: with a constant
    # LLVM unrolls the loop into scalar code instead of vectorising it.
    for k in range(n_sets):
        m.set_out[k] = mixer_dot(m.inputs, m.weights, m.set_rows[k], m.inputs.size)
    p = squash(mixer_dot(m.set_out, m.final_weights, c0, n_sets))
    m.probs[P_MIXER] = p

    p1 = apm_refine(m.apm1, apm1_context, p, m.apm_slots, 0)
    p2 = apm_refine(m.apm2, apm2_context, p, m.apm_slots, 1)
    classic = (p1 + p2 + 1) >> 1
    m.probs[P_CLASSIC] = classic
    if not regs[LSTM_MIXED]:
        return classic
    return _blend(m, classic, m.probs[P_LSTM], c0)


@njit(inline="always")
def _blend(m, classic, p_lstm, c0):
    """The final P(1): the classic chain's and the LSTM's, by fixed or learned weight."""
    weight = m.regs[BLEND]
    if weight == BLEND_IS_LEARNED:
        m.blend_inputs[0] = stretch(classic)
        m.blend_inputs[1] = stretch(p_lstm)
        m.blend_inputs[2] = 256
        p = squash(mixer_dot(m.blend_inputs, m.blend_weights, c0, 3))
        m.probs[P_BLEND] = p
    else:
        p = (classic * (BLEND_ONE - weight) + p_lstm * weight + BLEND_ONE // 2) >> 16
    return min(max(p, 1), 4095)


@njit(inline="always")
def update_bit(m, bit):
    """Train every component on the coded bit and advance the contexts."""
    regs = m.regs
    c0 = regs[C0]
    # The next bit's contexts are known now: request their table rows before the
    # training below, and at a nibble boundary compute the new hashes (into m.buckets
    # until the buckets are found at the end; at a byte's end the next byte's hashes).
    next_c0 = (c0 << 1) | bit
    next_bits = regs[BITS] + 1
    if next_bits == 8:
        _advance_context(m, next_c0 & 0xFF)
        _context_hashes(m, m.match_regs[POS] + 1)
        _request_lines(m, m.hashes)
        next_rows = _apm_contexts(1, regs[C4])
    else:
        if next_bits == 4:
            for i in range(FIRST_HASHED, N_CTX):
                m.buckets[i] = _combine(m.hashes[i], next_c0)
            _request_lines(m, m.buckets)
        next_rows = _apm_contexts(next_c0, regs[C4])
    apm_prefetch(m.apm1, next_rows[0])
    apm_prefetch(m.apm2, next_rows[1])

    apm_update(m.apm1, m.apm_slots[0], bit, APM_RATE)
    apm_update(m.apm2, m.apm_slots[1], bit, APM_RATE)

    if regs[LSTM_MIXED] and regs[BLEND] == BLEND_IS_LEARNED:
        mixer_train(m.blend_inputs, m.blend_weights, c0, 3, ((bit << 12) - m.probs[P_BLEND]) * BLEND_LR)
    n_sets = N_CLASSIC_SETS + regs[LSTM_MIXED]
    mixer_train(m.set_out, m.final_weights, c0, n_sets, ((bit << 12) - m.probs[P_MIXER]) * FINAL_LR)
    for k in range(n_sets):
        err_k = ((bit << 12) - squash(m.set_out[k])) * regs[MIXER_RATE]
        mixer_train(m.inputs, m.weights, m.set_rows[k], m.inputs.size, err_k)

    for i in range(N_CTX):
        slot = unsigned(m.slots[i])
        state = m.states[slot]
        statemap_update(m.maps, i, state, bit, STATEMAP_LIMIT)
        m.states[slot] = NEXT_STATE[state, bit]
    expected = regs[MATCH_BIT]
    if expected >= 0:
        lb = length_bucket(m.match_regs[LEN])
        statemap_update(m.maps, N_CTX, lb * 2 + expected, bit, MATCH_MAP_LIMIT)

    if next_bits == 8:
        regs[C0] = 1
        regs[BITS] = 0
        _end_byte(m, next_c0 & 0xFF)
        return
    regs[C0] = next_c0
    regs[BITS] = next_bits
    if next_bits == 4:
        _locate_buckets(m, m.buckets)
        match_prefetch(m.match_regs, m.positions, next_c0 & 15)


# Without NRT: the block loop allocates nothing, and reference counting of the model's
# arrays on every access cost about an eighth of the time.
@njit(_nrt=False)
def encode_block(m, coder, data, out, costs, window_offset, window):
    """Code every byte of `data` into `out`, carrying the model; returns bytes written.

    Diagnostics: byte i of `data` falls in row (window_offset + i) // window of `costs`,
    which gains the bits it cost (COST_FINAL, COST_CLASSIC, COST_LSTM) and the sum
    and sum of squares of the LSTM's P(1).
    """
    for i in range(data.size):
        byte = data[i]
        # Summed per byte in registers, then added to the row once.
        final = classic = lstm = p_sum = p_squares = 0.0
        for j in range(7, -1, -1):
            bit = (byte >> j) & 1
            p = predict_bit(m)
            encode_bit(coder, out, bit, p)
            final += BIT_COST[bit, p]
            classic += BIT_COST[bit, m.probs[P_CLASSIC]]
            p_lstm = m.probs[P_LSTM]
            lstm += BIT_COST[bit, p_lstm]
            p_sum += p_lstm
            p_squares += p_lstm * p_lstm
            update_bit(m, bit)
        row = (window_offset + i) // window
        costs[row, COST_FINAL] += final
        costs[row, COST_CLASSIC] += classic
        costs[row, COST_LSTM] += lstm
        costs[row, LSTM_P_SUM] += p_sum
        costs[row, LSTM_P_SQUARES] += p_squares
    encode_flush(coder, out)
    return coder[3]


@njit(_nrt=False)
def decode_block(m, coder, payload, out):
    """Decode out.size bytes from `payload`; returns how many payload bytes were read.

    A count other than payload.size means the chunk is corrupt (work stops as soon as
    the decoder runs past the payload, so a forged chunk length cannot cost much)."""
    decode_init(coder, payload)
    for i in range(out.size):
        for _ in range(8):
            bit = decode_bit(coder, payload, predict_bit(m))
            update_bit(m, bit)
        out[i] = m.regs[C4] & 0xFF
        if coder[3] > payload.size:
            break  # needs bytes the encoder never wrote: corrupt, so stop early
    return coder[3]
