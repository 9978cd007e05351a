"""Prefetch: ask for a cache line before it is needed.

The model's big tables (hashed buckets, APMs) are read at addresses known a little
before the value is: a bucket's line as soon as its context hash is, an APM row as
soon as the partial byte is. Touching those lines early lets their cache misses
overlap each other and the mixer's arithmetic instead of stalling one by one. A
prefetch changes no value, so it cannot affect what is coded.
"""
from llvmlite import ir
from numba.core import cgutils, types
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
