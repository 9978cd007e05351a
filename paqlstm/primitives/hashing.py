"""32-bit hashing of contexts: every hashed table (buckets, APM rows) is indexed through these.

`combine` folds two values (a context and a discriminating constant, or a context
hash and the partial byte) into one well-mixed 32-bit hash; `finalize` is its
avalanche step (a murmur3-style finaliser: every input bit flips about half of the
output bits). Integer arithmetic masked to 32 bits, so every machine and
NUMBA_DISABLE_JIT agree.
"""
from ..jit import njit

MASK32 = 0xFFFFFFFF


@njit(inline="always")
def finalize(h):
    h &= MASK32
    h ^= h >> 16
    h = (h * 0x7FEB352D) & MASK32
    h ^= h >> 15
    h = (h * 0x346B4C55) & MASK32
    h ^= h >> 16
    return h


@njit(inline="always")
def combine(a, b):
    return finalize((a & MASK32) * 0x2F0B4C23 + (b & MASK32) * 0x6F4F2A35 + 0x1234567)
