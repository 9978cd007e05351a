"""Cache lines: tables that start on one, and prefetch to ask for one early.

The model's big tables (hashed buckets, APMs) are read a cache line or two at a
time, at random. A table must start on a 64-byte boundary for its lines to be the
CPU's lines (NumPy only promises 16 bytes; a bucket line that straddles two cache
lines costs two misses). Their addresses are also known a little before the values
are needed: a bucket's line as soon as its context hash is, an APM row as soon as
the partial byte is. Touching those lines early lets the misses overlap each other
and the mixer's arithmetic instead of stalling one by one. Neither changes a value,
so neither can affect what is coded.
"""
import numpy as np
from llvmlite import ir
from numba.core import cgutils, config, types
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, index):
    """Start loading the cache line of array[index] (1-D, index in range) for reading."""
    if not (isinstance(array, types.Array) and array.ndim == 1 and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        array_type, _ = signature.args
        data = context.make_array(array_type)(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [address.type] + [ir.IntType(32)] * 3),
            "llvm.prefetch.p0i8")
        # read, keep in all cache levels, data cache
        builder.call(function, [address, ir.Constant(ir.IntType(32), 0),
                                ir.Constant(ir.IntType(32), 3), ir.Constant(ir.IntType(32), 1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


if config.DISABLE_JIT:    # Python semantics for debugging: a hint, so nothing to do
    def prefetch(array, index):
        pass


CACHE_LINE = 64


def aligned_zeros(size, dtype):
    """A zeroed 1-D array of `size` items whose first byte starts a cache line."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.zeros(size * itemsize + CACHE_LINE, dtype=np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    return raw[start:start + size * itemsize].view(dtype)
