"""Contexts: what every model may read about the bytes coded so far.

registers.py holds the shared byte registers (the partial byte, the bit position,
the last bytes, the words, the line starts, the byte position, the history of
coded bytes); hashed.py names the hashed contexts, one line each.

Methods, in the predictor's call order:
  new_context(settings)       fresh registers and the first byte's hashed contexts
  update(ctx, bit)            the bit is known: the registers move past it, and at a
                              byte's end the next byte's hashed contexts are computed,
                              before any model trains, so models can request their next
                              table lines early.
Memory: the history, 2**history_bits bytes (the match model reads it too); the strong
profile's indirect table, 512 KB (the two bytes that followed each pair).
"""
import numpy as np

from ..jit import njit
from .hashed import context_hashes, contexts
from .registers import ByteContext, advance, new_registers

INDIRECT = 65536


def new_context(settings):
    ctx = ByteContext(new_registers(), np.zeros(1 << settings.history_bits, dtype=np.uint8),
                      np.zeros(contexts(settings), dtype=np.int64),
                      np.zeros(INDIRECT if settings.strong else 0, dtype=np.int64))
    context_hashes(ctx)
    return ctx


def context_memory(settings):
    return (1 << settings.history_bits) + (8 * INDIRECT if settings.strong else 0)


@njit(inline="always")
def update(ctx, bit):
    if advance(ctx, bit):
        context_hashes(ctx)
