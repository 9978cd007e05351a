"""One LSTM cell layer's step, forward and backward, shared by the LSTMs.

Cells with a tied input/forget gate: c = f c' + (1 - f) g, h = o tanh(c), from the
pre-activations z = [forget | candidate | output] of `cells` each. Forward keeps
what backward needs per step in acts[N_ACTS, cells]; backward turns the error
flowing into the cells' outputs (dh) and the carries from the next step into the
pre-activations' gradient dz, each error clipped to +-clip at every step (the
plan's gradient clipping). float32, fixed order of operations, own exp/tanh:
bit-identical on every CPU.
"""
from ..jit import njit
from .float32 import ONE, sigmoid32, tanh32
from .squash import clamp

# Per-step activations, acts[kind, cell].
ACT_F, ACT_G, ACT_O, ACT_C, ACT_TC, ACT_H = range(6)
N_ACTS = 6


@njit(inline="always")
def cell_forward(z, c_before, acts):
    """acts (this step's) from the pre-activations z and the cells' state c_before."""
    h = acts.shape[1]
    for j in range(h):
        f = sigmoid32(z[j])
        cand = tanh32(z[h + j])
        o = sigmoid32(z[2 * h + j])
        c = f * c_before[j] + (ONE - f) * cand
        tc = tanh32(c)
        acts[ACT_F, j] = f
        acts[ACT_G, j] = cand
        acts[ACT_O, j] = o
        acts[ACT_C, j] = c
        acts[ACT_TC, j] = tc
        acts[ACT_H, j] = o * tc


@njit(inline="always")
def cell_backward(acts, c_before, dh_out, dh_carry, dc_carry, dz, clip):
    """dz from this step's acts, the error into its outputs (dh_out + dh_carry) and the
    cell-state error carried back (dc_carry, which becomes the step before's)."""
    h = acts.shape[1]
    for j in range(h):
        f = acts[ACT_F, j]
        cand = acts[ACT_G, j]
        o = acts[ACT_O, j]
        tc = acts[ACT_TC, j]
        dh = clamp(dh_out[j] + dh_carry[j], -clip, clip)
        dc = clamp(dh * o * (ONE - tc * tc) + dc_carry[j], -clip, clip)
        dz[j] = dc * (c_before[j] - cand) * f * (ONE - f)
        dz[h + j] = dc * (ONE - f) * (ONE - cand * cand)
        dz[2 * h + j] = dh * tc * o * (ONE - o)
        dc_carry[j] = dc * f
