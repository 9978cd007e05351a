"""The one place kernels get compiled: `njit` with an on-disk cache that always has a home.

Numba caches compiled code next to the source when it can, else in the user cache.
If neither is writable (a read-only install run by a user without a home), import
would fail; we then point Numba at a per-user temporary directory instead.
No fastmath anywhere: the decoder must reproduce every float operation bit for bit.
"""
import os
import tempfile

import numba


def _writable(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


def _choose_cache_dir():
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None  # the user decided
    package_dir = os.path.dirname(os.path.abspath(__file__))
    if os.access(package_dir, os.W_OK):
        return None  # Numba's default: __pycache__ beside the source
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (os.path.join(base, "paqlstm", "numba"),
                      os.path.join(tempfile.gettempdir(), f"paqlstm-numba-{os.getuid()}")):
        if _writable(candidate):
            return candidate
    return None


_cache_dir = _choose_cache_dir()
if _cache_dir:
    numba.config.CACHE_DIR = _cache_dir


def njit(*args, **kwargs):
    """`numba.njit` with caching on, no fastmath, and NumPy error semantics (no zero-division checks)."""
    kwargs.setdefault("cache", True)
    kwargs.setdefault("nogil", True)
    kwargs.setdefault("error_model", "numpy")
    if kwargs.get("fastmath"):
        raise ValueError("fastmath breaks cross-CPU determinism")
    return numba.njit(*args, **kwargs)
