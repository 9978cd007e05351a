"""float32 exp, tanh and sigmoid that every CPU computes bit for bit alike.

The LSTMs' activations decide coded probabilities, so they cannot call libm (whose
results differ between platforms and SIMD paths): exp is a polynomial on a reduced
range and tanh a rational function, both with float32 constants and a fixed order
of operations; no fastmath, so no FMA contraction either.
"""
import numpy as np

from ..jit import njit
from .squash import clamp

HALF = np.float32(0.5)
ONE = np.float32(1.0)
LOGIT_LIMIT = np.float32(80.0)      # exp(+-80) stays a normal float32, and 256 of them cannot overflow

# exp(x) = 2^n * e^r with n = round(x / ln 2), r = x - n ln 2 split in an exact high
# part (9 significant bits, so n * LN2_HI is exact) and a low part; e^r on
# [-ln2/2, ln2/2] by a degree-7 polynomial (Cephes expf coefficients).
LOG2E = np.float32(1.44269504088896341)
LN2_HI = np.float32(0.693359375)
LN2_LO = np.float32(-2.12194440e-4)
EXP_P0 = np.float32(1.9875691500e-4)
EXP_P1 = np.float32(1.3981999507e-3)
EXP_P2 = np.float32(8.3334519073e-3)
EXP_P3 = np.float32(4.1665795894e-2)
EXP_P4 = np.float32(1.6666665459e-1)
EXP_P5 = np.float32(5.0000001201e-1)
# tanh(x) = x P(x^2) / Q(x^2), a 13/6 rational fit on [-9, 9] (the one Eigen uses); tanh
# is +-1 in float32 beyond 9.
TANH_LIMIT = np.float32(9.0)
TANH_A1 = np.float32(4.89352455891786e-03)
TANH_A3 = np.float32(6.37261928875436e-04)
TANH_A5 = np.float32(1.48572235717979e-05)
TANH_A7 = np.float32(5.12229709037114e-08)
TANH_A9 = np.float32(-8.60467152213735e-11)
TANH_A11 = np.float32(2.00018790482477e-13)
TANH_A13 = np.float32(-2.76076847742355e-16)
TANH_B0 = np.float32(4.89352518554385e-03)
TANH_B2 = np.float32(2.26843463243900e-03)
TANH_B4 = np.float32(1.18534705686654e-04)
TANH_B6 = np.float32(1.19825839466702e-06)


@njit(inline="always")
def exp32(x):
    """e^x for float32 x, clamped to [-80, 80]; relative error < 2e-7."""
    x = clamp(x, -LOGIT_LIMIT, LOGIT_LIMIT)
    n = np.floor(x * LOG2E + HALF)
    r = x - n * LN2_HI - n * LN2_LO
    p = ((((EXP_P0 * r + EXP_P1) * r + EXP_P2) * r + EXP_P3) * r + EXP_P4) * r + EXP_P5
    p = p * r * r + r + ONE
    scale = np.int32((np.int32(n) + np.int32(127)) << np.int32(23)).view(np.float32)
    return p * scale


@njit(inline="always")
def tanh32(x):
    """tanh for float32 x; absolute error < 5e-7, result within [-1, 1]."""
    x = clamp(x, -TANH_LIMIT, TANH_LIMIT)
    x2 = x * x
    p = ((((TANH_A13 * x2 + TANH_A11) * x2 + TANH_A9) * x2 + TANH_A7) * x2 + TANH_A5) * x2 + TANH_A3
    p = p * x2 + TANH_A1
    q = ((TANH_B6 * x2 + TANH_B4) * x2 + TANH_B2) * x2 + TANH_B0
    return clamp(x * p / q, -ONE, ONE)


@njit(inline="always")
def sigmoid32(x):
    """1 / (1 + e^-x) through tanh (exact identity), for float32 x."""
    return HALF + HALF * tanh32(HALF * x)
