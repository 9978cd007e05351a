#!/usr/bin/env python3
"""Profile the compiled encoder with perf, down to its hottest instructions.

perf cannot name or annotate code Numba generates at run time. This script compiles
the encoder afresh (a private cache directory, so the code is generated in this
process), writes /tmp/perf-PID.map naming `encode_block`, saves the function's
machine code and address to DIR, then encodes a prefix of FILE:

    perf record -e cpu-clock -F 2000 -o perf.data python scripts/profile_jit.py FILE --out DIR
    perf script -i perf.data -F ip,sym > DIR/samples.txt
    python scripts/profile_jit.py --annotate DIR      # needs `pip install capstone`

The annotation prints the share of encoder samples in each stretch of 64 instructions
and the hottest instructions with their offsets; DIR/annotated.txt has every
instruction with its sample count. A stall shows on the instruction after the slow
one (a load that misses the cache is charged to its first user).
"""
import argparse
import collections
import os
import sys
import tempfile
import time

SYMBOL = "encode_block"


def dump_encoder(out_dir):
    """Machine code and address of the compiled encode_block, read from this process's memory."""
    from paqlstm import blocks
    library = blocks.encode_block.overloads[blocks.encode_block.signatures[0]].library
    address = next(library.get_pointer_to_function(f.name) for f in library._final_module.functions
                   if f.name.startswith("_ZN7paqlstm6blocks12encode_block") and not f.is_declaration)
    code = b""
    with open("/proc/self/mem", "rb") as memory:
        for offset in range(0, 1 << 20, 4096):   # up to the end of its mapping
            try:
                memory.seek(address + offset)
                code += memory.read(4096)
            except OSError:
                break
    with open(os.path.join(out_dir, "code.bin"), "wb") as f:
        f.write(code)
    with open(os.path.join(out_dir, "code.addr"), "w") as f:
        f.write(f"{address}\n")
    with open(f"/tmp/perf-{os.getpid()}.map", "w") as f:
        f.write(f"{address:x} {len(code):x} {SYMBOL}\n")


def profile(args):
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="paqlstm-profile-")
    from paqlstm.engine import Encoder
    from paqlstm.settings import Settings
    with open(args.file, "rb") as f:
        data = f.read(args.prefix)
    encoder = Encoder(Settings(level=args.level).sized_for(len(data)))
    encoder.encode_chunk(data[:100])                # compiles
    os.makedirs(args.out, exist_ok=True)
    dump_encoder(args.out)
    start = time.perf_counter()
    encoder.encode_chunk(data[100:])
    seconds = time.perf_counter() - start
    print(f"{len(data) - 100:,} B in {seconds:.2f} s ({(len(data) - 100) / seconds / 1000:.0f} KB/s)",
          file=sys.stderr)


def annotate(directory, top=40):
    import capstone
    with open(os.path.join(directory, "code.addr")) as f:
        address = int(f.read())
    with open(os.path.join(directory, "code.bin"), "rb") as f:
        code = f.read()
    hits = collections.Counter()
    with open(os.path.join(directory, "samples.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[1] == SYMBOL:
                hits[int(parts[0], 16)] += 1
    if not hits:
        sys.exit(f"no {SYMBOL} samples in {directory}/samples.txt")
    total = sum(hits.values())
    disassembler = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    instructions = list(disassembler.disasm(code[:max(hits) - address + 16], address))
    counts = [hits.get(i.address, 0) for i in instructions]
    with open(os.path.join(directory, "annotated.txt"), "w") as f:
        for instruction, count in zip(instructions, counts):
            f.write(f"{count:7d} {instruction.address - address:6x}  {instruction.mnemonic} {instruction.op_str}\n")
    print(f"{total} samples in {SYMBOL}, {len(instructions)} instructions\n\nshare  stretch of 64 from")
    stretches = sorted(((sum(counts[s:s + 64]), s) for s in range(0, len(instructions), 64)), reverse=True)
    for count, start in stretches[:15]:
        print(f"{100 * count / total:5.1f}%  {instructions[start].address - address:x}")
    print("\nhottest instructions")
    for count, instruction in sorted(zip(counts, instructions), key=lambda pair: -pair[0])[:top]:
        print(f"{100 * count / total:5.1f}%  {instruction.address - address:6x}  "
              f"{instruction.mnemonic} {instruction.op_str}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", help="input to encode (profiling run)")
    parser.add_argument("--prefix", type=int, default=2_000_000, help="bytes of FILE to encode")
    parser.add_argument("--level", type=int, default=9)
    parser.add_argument("--out", default="profile", help="directory for the code dump")
    parser.add_argument("--annotate", metavar="DIR", help="annotate the samples of an earlier run")
    args = parser.parse_args()
    if args.annotate:
        annotate(args.annotate)
    elif args.file:
        profile(args)
    else:
        parser.error("give FILE to profile or --annotate DIR")


if __name__ == "__main__":
    main()
