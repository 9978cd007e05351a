"""The chunk codec: encoders and decoders of chunks, one model carried across them.

The compiled predictor codes one chunk per call. Model state carries from chunk to
chunk (so compression does not suffer from chunking), while each chunk gets its own
arithmetic-coder stream, flushed at its end: the decoder can then be handed exactly
one chunk's bytes, check it consumed them all, and never read past them.
"""
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .errors import PaqlstmError
from .blocks import (COST_CLASSIC, COST_FINAL, COST_LSTM, COST_MIXER, LSTM_P_SQUARES, LSTM_P_SUM, MIXER_P_SQUARES,
                     MIXER_P_SUM, N_COSTS, decode_block, encode_block)
from .mixers import lstm_mixer as mixer_kernel
from .models import byte_lstm as lstm_kernel
from .predictor import max_inputs, new_predictor
from .primitives.coder import POS, decode_init, encode_flush, new_coder_state

CHUNK_SIZE = 1 << 20          # raw bytes per chunk a compressor writes, unless told otherwise
MAX_CHUNK_SIZE = 1 << 24      # largest raw chunk a decoder accepts
STATS_WINDOW = 1 << 16        # input bytes per window of the diagnostics


def max_payload_size(raw_length):
    """Most bytes a chunk of raw_length bytes can code to: 12 bits per bit at worst, plus the flush."""
    return raw_length * 3 // 2 + 64


def default_threads():
    """Threads a coder uses unless told: two (the byte LSTM's delayed training takes the second)
    when the machine has them."""
    return min(2, os.cpu_count() or 1)


class LstmTrainer:
    """The byte LSTM's delayed updates (lstm_update 'delayed') on a second thread: each time a
    block stops at a full window, the update of the window before is applied and this one is
    handed over, to be trained while the next window is coded. With one thread the kernel
    computes each update itself when it is due (byte_lstm's ONE_THREAD), with the same
    arithmetic (byte_lstm.lstm_train reads only what the coding of the next window leaves
    alone), so the archive is the same."""

    def __init__(self, net):
        self.net = net
        net.regs[lstm_kernel.ONE_THREAD] = 0
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="paqlstm-lstm")
        self.training = None

    def window_end(self):
        self.wait()
        lstm_kernel.lstm_window_end(self.net)
        self.training = self.pool.submit(lstm_kernel.lstm_train, self.net)

    def wait(self):
        """Until the window handed over is trained (its steps still wait for lstm_window_end)."""
        if self.training is not None:
            self.training.result()


def _trainer(model, settings, threads):
    """An LstmTrainer when the byte LSTM's updates are delayed and two threads code, else None."""
    delayed = settings.byte_model and settings.lstm_update == lstm_kernel.UPDATES_AT[lstm_kernel.UPDATE_DELAYED]
    two = (default_threads() if threads is None else threads) > 1
    return LstmTrainer(model.byte_lstm.net) if delayed and two else None


def decode_payload(model, trainer, payload, out):
    """Decode out.size bytes from `payload` (a read-only uint8 array) into `out`; returns how many
    payload bytes the decoder read: a count other than payload.size means a corrupt chunk."""
    coder = new_coder_state()
    decode_init(coder, payload)
    done = 0
    while True:
        done = decode_block(model, coder, payload, out, done)
        if coder[POS] > payload.size:
            break
        if _waiting(model):
            trainer.window_end()
        if done == out.size:
            break
    return coder[POS]


def _waiting(model):
    """The byte LSTM's window is full and waits for the LstmTrainer (never with updates 'now')."""
    return model.byte_lstm.net.regs[lstm_kernel.PENDING] != 0


def _read_only(buffer):
    """A read-only uint8 view of any bytes-like object.

    Numba compiles a kernel once per argument type, and a view of bytes is read-only
    where one of a bytearray is not: one type means one compiled (and cached) version,
    not a second compilation mid-stream."""
    array = np.frombuffer(buffer, dtype=np.uint8)
    array.flags.writeable = False
    return array


class Encoder:
    """Compresses successive chunks with one model carried across them.

    Also keeps the diagnostics of `stats()`: the coding cost of the final, the classic
    and each LSTM's predictions per window of STATS_WINDOW input bytes.
    """

    def __init__(self, settings, threads=None):
        self.settings = settings
        self.model = new_predictor(settings)
        self.trainer = _trainer(self.model, settings, threads)
        self.position = 0
        self.costs = np.zeros((0, N_COSTS))   # one row per window begun
        self.norms_start = self._norms()

    def encode_chunk(self, data):
        raw = _read_only(data)
        out = np.empty(max_payload_size(raw.size), dtype=np.uint8)
        offset = self.position % STATS_WINDOW
        costs = np.zeros(((offset + raw.size + STATS_WINDOW - 1) // STATS_WINDOW, N_COSTS))
        coder = new_coder_state()
        done = 0
        while done < raw.size:
            done = encode_block(self.model, coder, raw, done, out, costs, offset, STATS_WINDOW)
            if _waiting(self.model):
                self.trainer.window_end()
        encode_flush(coder, out)
        written = coder[POS]
        if offset and costs.size:   # the chunk began inside the last window begun
            self.costs[-1] += costs[0]
            costs = costs[1:]
        self.costs = np.concatenate([self.costs, costs])
        self.position += raw.size
        return out[:written].tobytes()

    def _norms(self):
        """Weight norms of the byte LSTM and of the LSTM mixer (None when off)."""
        s, m = self.settings, self.model
        return (lstm_kernel.lstm_weight_norm(m.byte_lstm.net) if s.byte_model else None,
                mixer_kernel.lstm_mixer_norm(m.lstm_mixer.net) if s.lstm_mixer else None)

    def stats(self):
        """Diagnostics of what was coded so far, as a JSON-ready dict: "lstm" is the byte LSTM
        model's, "lstm_mixer" the LSTM mixer's (None when off)."""
        if self.trainer:    # its step counts and weights, not a second thread's work in progress
            self.trainer.wait()
        window_bytes = np.full(len(self.costs), STATS_WINDOW)
        if len(self.costs) and self.position % STATS_WINDOW:
            window_bytes[-1] = self.position % STATS_WINDOW

        def bpb(column):
            return [round(float(x), 5) for x in self.costs[:, column] / window_bytes]

        norms_end = self._norms()

        def lstm_stats(cost, p_sum, p_squares, which, regs, steps, updates, memory, seconds_per_step):
            bits = 8 * max(self.position, 1)
            mean = self.costs[:, p_sum].sum() / bits
            variance = max(0.0, self.costs[:, p_squares].sum() / bits - mean * mean)
            return {"bpb": bpb(cost), "pred_mean": mean / 4096, "pred_std": math.sqrt(variance) / 4096,
                    "weight_norm_start": self.norms_start[which], "weight_norm_end": norms_end[which],
                    "forward_steps": int(regs[steps]), "backward_steps": int(regs[updates]),
                    "memory_bytes": memory, "seconds_estimated": int(regs[steps]) * seconds_per_step()}

        s, m = self.settings, self.model
        return {"input_bytes": self.position, "window_bytes": STATS_WINDOW,
                "bits_final": float(self.costs[:, COST_FINAL].sum()),
                "bpb_final": bpb(COST_FINAL), "bpb_classic": bpb(COST_CLASSIC),
                "lstm": lstm_stats(COST_LSTM, LSTM_P_SUM, LSTM_P_SQUARES, 0, m.byte_lstm.net.regs, lstm_kernel.STEPS,
                                   lstm_kernel.UPDATES, lstm_kernel.memory(s), self._lstm_seconds_per_step)
                if s.byte_model else None,
                "lstm_mixer": lstm_stats(COST_MIXER, MIXER_P_SUM, MIXER_P_SQUARES, 1, m.lstm_mixer.net.regs,
                                         mixer_kernel.STEPS, mixer_kernel.UPDATES,
                                         mixer_kernel.memory(s, max_inputs(s)), self._mixer_seconds_per_step)
                if s.lstm_mixer else None}

    def _lstm_seconds_per_step(self):
        """Time of one byte LSTM step (predict and train), from a timed run of a fresh LSTM of these
        settings over 4 KB: the per-bit loop interleaves everything, so it cannot be clocked there."""
        s = self.settings
        lstm = lstm_kernel.new_lstm(s.lstm_cells, s.lstm_horizon, s.lstm_lr, s.lstm_clip, layers=s.lstm_layers,
                                    output=s.lstm_output, update=s.lstm_update)
        sample = np.frombuffer(b"the LSTM's time per byte does not depend on the data. " * 80, dtype=np.uint8)
        out = np.empty(8 * sample.size, dtype=np.int64)
        lstm_kernel.lstm_predict_bytes(lstm, sample[:64], out)   # compiled before the clock starts
        return _timed(lambda: lstm_kernel.lstm_predict_bytes(lstm, sample, out)) / sample.size

    def _mixer_seconds_per_step(self):
        """Time of one LSTM mixer step (a bit: predict and train), as _lstm_seconds_per_step."""
        s = self.settings
        net = self.model.lstm_mixer.net
        mixer = mixer_kernel.new_lstm_mixer(net.x.size, s.mixer_cells, s.mixer_horizon, s.mixer_lr, s.mixer_clip)
        inputs = np.random.default_rng(0).uniform(-1, 1, (8192, net.x.size)).astype(np.float32)
        bits = (inputs[:, 0] > 0).astype(np.uint8)
        mixer_kernel.lstm_mixer_steps(mixer, inputs[:64], bits[:64])   # compiled before the clock starts
        return _timed(lambda: mixer_kernel.lstm_mixer_steps(mixer, inputs, bits)) / bits.size


def _timed(work):
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


class Decoder:
    """Decompresses the chunks of one stream, in order."""

    def __init__(self, settings, threads=None):
        self.settings = settings
        self.model = new_predictor(settings)
        self.trainer = _trainer(self.model, settings, threads)

    def decode_chunk(self, payload, raw_length):
        if not 0 <= raw_length <= MAX_CHUNK_SIZE:
            raise PaqlstmError("corrupt archive: impossible chunk length")
        compressed = _read_only(payload)
        out = np.empty(raw_length, dtype=np.uint8)
        consumed = decode_payload(self.model, self.trainer, compressed, out)
        if consumed != compressed.size:
            raise PaqlstmError("corrupt archive: compressed data does not match its length")
        return out.tobytes()
