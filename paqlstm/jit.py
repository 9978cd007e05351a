"""The one place kernels get compiled: `njit` with an on-disk cache that always has a home.

Numba checks a cached function against its own source file only, so code inlined
from another module (the predictor inlines every kernel) could be reused after that
module changed: wrong predictions at best, a crash at worst. So paqlstm's compiled
code is kept in a directory named after a hash of all compiled sources (CACHE_DIR):
any change starts afresh. It is the first writable of: $NUMBA_CACHE_DIR/vHASH if
that is set, paqlstm/__pycache__/numba/vHASH, the user cache, a per-user temporary
directory (a read-only install run by a user without a home still caches).

Importing paqlstm changes no Numba configuration: its functions are given their own
cache object (below); every other function of the process caches as Numba decides.
No fastmath anywhere: the decoder must reproduce every float operation bit for bit.
"""
import hashlib
import os
import tempfile

import numba
import numpy as np
from numba.core.caching import CompileResultCacheImpl, FunctionCache, UserProvidedCacheLocator


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


CACHE_DIR = _choose_cache_dir()


class _Locator(UserProvidedCacheLocator):
    """Numba's locator for a user-chosen directory, with CACHE_DIR as that directory."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(CACHE_DIR, self.get_suitable_cache_subpath(py_file))

    @classmethod
    def from_function(cls, py_func, py_file):
        if CACHE_DIR is None:
            return None     # Numba's own locators, next in the list, decide
        return super(UserProvidedCacheLocator, cls).from_function(py_func, py_file)


class _CacheImpl(CompileResultCacheImpl):
    _locator_classes = [_Locator, *CompileResultCacheImpl._locator_classes]


class _Cache(FunctionCache):
    _impl_class = _CacheImpl


def njit(*args, **kwargs):
    """`numba.njit` with caching in CACHE_DIR, no fastmath, and NumPy error semantics (no
    zero-division checks). Like numba.njit, as @njit or @njit(options)."""
    if args and callable(args[0]):
        return njit(**kwargs)(args[0])
    cache = kwargs.pop("cache", True)
    kwargs.setdefault("nogil", True)
    kwargs.setdefault("error_model", "numpy")
    if kwargs.get("fastmath"):
        raise ValueError("fastmath breaks cross-CPU determinism")

    def compile_lazily(function):
        dispatcher = numba.njit(*args, **kwargs)(function)
        if cache:
            dispatcher._cache = _Cache(function)   # what Dispatcher.enable_caching does, with our locator
        return dispatcher

    return compile_lazily


@njit(inline="always")
def unsigned(index):
    """`index` (never negative) as an unsigned integer: indexing with it skips Numba's
    negative-index wraparound, a shift, mask and add on every access in the bit loop."""
    return np.uint64(index)
