"""The bit predictor: wires contexts, models, mixers and the APM chain, and nothing else.

A bit's way (docs/ARCHITECTURE.md): the shared byte registers (contexts/) -> every
model of MODELS writes its stretched P(1) into the mixer's inputs and picks the
rows of its weight sets -> the network mixes them (mixers/network.py) -> the APM
chain refines the result (sse.py) -> the LSTM mixer, when on, reads the network's
inputs (mixers/lstm_mixer.py) -> the blend mixes in its P(1), or the
byte LSTM's (mixers/blend.py) -> the coder. Once the bit is known the contexts move past it,
every component asks for the memory its next prediction will read, then everything
trains. Encoder and decoder run the same predict_bit / update_bit, which is what
keeps them in lockstep.

All state is NumPy arrays in named tuples; the per-bit loop of a whole block runs
in one compiled call (blocks.py). Adding a model: its module in models/ (models/
__init__.py says what it declares), an entry in MODELS and its field, and a call
in each phase it takes part in.
"""
from typing import NamedTuple

import numpy as np

from . import contexts, sse
from .jit import njit
from .mixers import blend, lstm_mixer, network
from .models import byte_lstm, context_maps, direct, long_match, match
from .primitives.squash import clamp

MODELS = (direct, context_maps, match, long_match, byte_lstm)   # their states: Predictor's fields of the same names
# Weight sets that are selected at every bit: the network's and those of the models
# that never sit out, which come first (mixers/network.py says why).
ALWAYS_SETS = len(network.SELECTORS) + sum(len(m.SELECTORS) for m in MODELS if not getattr(m, "MAY_SIT_OUT", False))
SMALL_ARRAYS = 1 << 20     # maps, weights, registers: less than this together
P_CLASSIC = 0   # diagnostics: the classic chain's P(1), 16-bit


class Predictor(NamedTuple):
    ctx: tuple          # contexts.registers.ByteContext
    direct: tuple
    context_maps: tuple
    match: tuple
    long_match: tuple
    byte_lstm: tuple
    network: tuple      # mixers.network.Network
    lstm_mixer: tuple   # mixers.lstm_mixer.State
    sse: tuple          # sse.Sse
    blend: tuple        # mixers.blend.Blend
    probs: np.ndarray   # int64 [1]: P_CLASSIC of this bit


def _active(module, settings):
    return getattr(module, "active", lambda _: True)(settings)


def _inputs(module, settings):
    """A model's mixer inputs: INPUTS, a number or a function of the settings (the profile's)."""
    return module.INPUTS(settings) if callable(module.INPUTS) else module.INPUTS


def max_inputs(settings):
    """The mixer's inputs, padded, with every model on: what the LSTM mixer reads."""
    return network.padded(1 + sum(_inputs(m, settings) for m in MODELS))


def model_memory(settings):
    """Bytes the predictor's arrays take with these settings."""
    return (contexts.context_memory(settings) + sum(m.memory(settings) for m in MODELS)
            + network.memory(settings, max_inputs(settings)) + lstm_mixer.memory(settings, max_inputs(settings))
            + sse.sse_memory(settings) + SMALL_ARRAYS)


def lstm_memory(settings):
    """Bytes the LSTMs' arrays take (0 when they are off)."""
    return byte_lstm.memory(settings) + lstm_mixer.memory(settings, max_inputs(settings))


def new_predictor(settings):
    """A fresh predictor. Inputs of the models that sit out (byte LSTM off) stay outside
    the mixer's vector, so the model without them mixes exactly its own inputs."""
    ctx = contexts.new_context(settings)
    active = [_active(m, settings) for m in MODELS]
    counts = [_inputs(m, settings) for m in MODELS]
    n_inputs = 1 + sum(n for n, on in zip(counts, active) if on)
    inputs = np.zeros(network.padded(n_inputs), dtype=np.int32)
    set_rows = [rows for _, rows in network.SELECTORS]
    active_sets = [True] * len(set_rows)
    first_input = 1
    states = []
    direct = -1    # the input the final layers weigh directly: a model's FINAL_INPUT
    for module, on, count in zip(MODELS, active, counts):
        if on and hasattr(module, "FINAL_INPUT"):
            direct = first_input + module.FINAL_INPUT
        if on:
            own = inputs[first_input:first_input + count]
            first_input += count
        else:
            own = np.zeros(count, dtype=np.int32)
        first_set = len(set_rows)
        set_rows += [rows for _, rows in module.SELECTORS]
        active_sets += [on] * len(module.SELECTORS)
        states.append((module, own, first_set))
    mixer = network.new_network(inputs, set_rows, active_sets, settings, direct)
    return Predictor(
        ctx=ctx,
        **{_name(module): module.new(settings, ctx, own, mixer.selected[first:first + len(module.SELECTORS)])
           for module, own, first in states},
        network=mixer, lstm_mixer=lstm_mixer.new(settings, inputs.size), sse=sse.new_sse(settings),
        blend=blend.new_blend(settings.blend_weight),
        probs=np.full(1, 2048, dtype=np.int64))


def _name(module):
    return module.__name__.rpartition(".")[2]


@njit(inline="always")
def predict_bit(m):
    """P(next bit = 1) as a 16-bit integer, 1..65535 (the fast profile's: a 12-bit one, times 16)."""
    direct.predict(m.direct, m.ctx)
    context_maps.predict(m.context_maps, m.ctx)
    match.predict(m.match, m.ctx)
    long_match.predict(m.long_match, m.ctx)
    byte_lstm.predict(m.byte_lstm, m.ctx)
    p = network.predict(m.network, m.ctx, ALWAYS_SETS)
    p16 = sse.refine(m.sse, m.ctx, p, m.match)
    m.probs[P_CLASSIC] = p16
    p = clamp(p16 >> 4, 1, 4095)    # the 12-bit P(1) the blend reads
    lstm_mixer.predict(m.lstm_mixer, m.network.inputs)
    p_lstm, lstm_mixed = lstm_mixer.output(m.lstm_mixer)
    if not lstm_mixed:
        p_lstm, lstm_mixed = byte_lstm.output(m.byte_lstm)
    if not lstm_mixed or m.blend.regs[blend.WEIGHT] == 0:   # blend 0: the classic P(1), all 16 bits
        return p16
    return blend.predict(m.blend, m.ctx, p, p_lstm, lstm_mixed) << 4


@njit(inline="always")
def update_bit(m, bit):
    """Move the contexts past the coded bit, request what the next bit reads, then train."""
    contexts.update(m.ctx, bit)
    context_maps.request(m.context_maps, m.ctx)
    match.request(m.match, m.ctx)
    sse.request(m.sse, m.ctx)
    sse.update(m.sse, bit)
    blend.update(m.blend, bit)
    lstm_mixer.update(m.lstm_mixer, bit)
    network.update(m.network, m.ctx, bit)
    direct.update(m.direct, m.ctx, bit)
    match.update(m.match, m.ctx, bit)
    long_match.update(m.long_match, m.ctx, bit)
    byte_lstm.update(m.byte_lstm, m.ctx, bit)
    context_maps.update(m.context_maps, m.ctx, bit)    # last: the lines it requested had the longest to come
