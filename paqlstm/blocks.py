"""The block coders: the per-bit loop of a whole chunk, in one compiled call each.

encode_block codes the bytes of a chunk with the predictor and the arithmetic coder,
and sums diagnostics as it goes; decode_block is its mirror. Python is touched once
per chunk, not per bit, and once per window of the byte LSTM when its updates are
delayed: a block then stops where the window is full, for engine.LstmTrainer.
"""
import math

import numpy as np

from .contexts.registers import last_byte
from .jit import njit
from .mixers import lstm_mixer
from .models import byte_lstm
from .predictor import P_CLASSIC, predict_bit, update_bit
from .primitives.coder import POS, decode_bit, encode_bit

# Diagnostics (encoder only): bits each 12-bit prediction costs, BIT_COST[bit, p].
BIT_COST = -np.log2(np.stack([1.0 - np.arange(4096) / 4096.0, np.arange(4096) / 4096.0]).clip(1 / 4096))


@njit(inline="always")
def _final_cost(bit, p):
    """Bits a 16-bit P(1) (final, classic) costs: from BIT_COST when a 12-bit one says as much (a
    65536-entry table would keep the block coders out of Numba's cache)."""
    q = p if bit else 65536 - p
    if (q & 15) == 0 or q >= 4096:
        return BIT_COST[1, q >> 4]
    return 16.0 - math.log2(q)
# Per LSTM (byte model, mixer): the bits its own P(1) would cost, and that P's sum and sum of squares.
COST_FINAL, COST_CLASSIC, COST_LSTM, LSTM_P_SUM, LSTM_P_SQUARES, COST_MIXER, MIXER_P_SUM, MIXER_P_SQUARES = range(8)
N_COSTS = 8


# Without NRT: the block loop allocates nothing, and reference counting of the model's
# arrays on every access cost about an eighth of the time.
@njit(_nrt=False)
def encode_block(m, coder, data, start, out, costs, window_offset, window):
    """Code the bytes of `data` from `start` on into `out`, carrying the model, until the end or
    until the byte LSTM waits for its window's delayed update; returns where it stopped.

    Diagnostics: byte i of `data` falls in row (window_offset + i) // window of `costs`,
    which gains the bits it cost (COST_FINAL, COST_CLASSIC, COST_LSTM, COST_MIXER) and
    the sum and sum of squares of each LSTM's P(1).
    """
    for i in range(start, data.size):
        byte = data[i]
        # Summed per byte in registers, then added to the row once.
        final = classic = lstm = p_sum = p_squares = mixer = q_sum = q_squares = 0.0
        for j in range(7, -1, -1):
            bit = (byte >> j) & 1
            p = predict_bit(m)
            encode_bit(coder, out, bit, p)
            final += _final_cost(bit, p)
            classic += _final_cost(bit, m.probs[P_CLASSIC])
            p_lstm = byte_lstm.output(m.byte_lstm)[0]
            lstm += BIT_COST[bit, p_lstm]
            p_sum += p_lstm
            p_squares += p_lstm * p_lstm
            q = lstm_mixer.output(m.lstm_mixer)[0]
            mixer += BIT_COST[bit, q]
            q_sum += q
            q_squares += q * q
            update_bit(m, bit)
        row = (window_offset + i) // window
        costs[row, COST_FINAL] += final
        costs[row, COST_CLASSIC] += classic
        costs[row, COST_LSTM] += lstm
        costs[row, LSTM_P_SUM] += p_sum
        costs[row, LSTM_P_SQUARES] += p_squares
        costs[row, COST_MIXER] += mixer
        costs[row, MIXER_P_SUM] += q_sum
        costs[row, MIXER_P_SQUARES] += q_squares
        if byte_lstm.waiting(m.byte_lstm):
            return i + 1
    return data.size


@njit(_nrt=False)
def decode_block(m, coder, payload, out, start):
    """Decode the bytes of `out` from `start` on from `payload` (its coder begun with
    decode_init), until the end or until the byte LSTM waits for its window's delayed
    update; returns where it stopped.

    Work stops as soon as the decoder runs past the payload (coder[POS] > payload.size:
    it needs bytes the encoder never wrote, so the chunk is corrupt), so a forged chunk
    length cannot cost much."""
    for i in range(start, out.size):
        for _ in range(8):
            bit = decode_bit(coder, payload, predict_bit(m))
            update_bit(m, bit)
        out[i] = last_byte(m.ctx)
        if coder[POS] > payload.size or byte_lstm.waiting(m.byte_lstm):
            return i + 1
    return out.size
