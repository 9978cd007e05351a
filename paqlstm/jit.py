"""The one place kernels get compiled: `njit` with an on-disk cache that always has a home.

Numba caches compiled code next to the source when it can, else in the user cache.
If neither is writable (a read-only install run by a user without a home), import
would fail; we then point Numba at a per-user temporary directory instead.

Numba checks a cached function against its own source file only, so code inlined
from another module (the predictor inlines every kernel) could be reused after that
module changed: wrong predictions at best, a crash at worst. So compiled code is kept
in a directory named after a hash of all compiled sources: any change starts afresh.
No fastmath anywhere: the decoder must reproduce every float operation bit for bit.
"""
import hashlib
import os
import tempfile

import numba
import numpy as np


def _writable(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


COMPILED_MODULES = ("jit.py", "predictor.py", "blocks.py", "sse.py")
COMPILED_PACKAGES = ("primitives", "contexts", "models", "mixers")


def _sources_hash(package_dir):
    """Hash of every module that holds compiled code."""
    digest = hashlib.sha256()
    paths = [os.path.join(package_dir, name) for name in COMPILED_MODULES]
    for folder in COMPILED_PACKAGES:
        folder = os.path.join(package_dir, folder)
        paths += sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".py"))
    for path in paths:
        with open(path, "rb") as source:
            digest.update(source.read())
    return digest.hexdigest()[:16]


def _choose_cache_dir():
    package_dir = os.path.dirname(os.path.abspath(__file__))
    version = f"v{_sources_hash(package_dir)}"
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.path.join(os.environ["NUMBA_CACHE_DIR"], version)   # the user chose the place
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (os.path.join(package_dir, "__pycache__", "numba"),
                      os.path.join(base, "paqlstm", "numba"),
                      os.path.join(tempfile.gettempdir(), f"paqlstm-numba-{os.getuid()}")):
        if _writable(candidate):
            return os.path.join(candidate, version)
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


@njit(inline="always")
def unsigned(index):
    """`index` (never negative) as an unsigned integer: indexing with it skips Numba's
    negative-index wraparound, a shift, mask and add on every access in the bit loop."""
    return np.uint64(index)
