"""Buckets: bit histories of contexts too many to index directly, found by hash.

For every hashed context (order-n bytes, words, ...) a model keeps one bit-history
state per bit of the byte. States live in 16-byte buckets, one per context and
nibble: byte 0 is an 8-bit checksum of the context hash, bytes 1..15 are the states
of the 15 nodes of the nibble's binary tree. Four buckets share a 64-byte cache
line, so a context costs two cache misses per byte (one per nibble), not eight.
A lookup searches the line for the checksum; on a miss the least used bucket (the
lowest count in its first node, by the state table's `priority`) is cleared and
taken over.
"""
from ..jit import njit, unsigned

BUCKET = 16
LINE = 64


@njit(inline="always")
def bucket_line(line_mask, h):
    """Index in the table of the cache line that holds the buckets of context hash `h`."""
    return (h & line_mask) * LINE


@njit(inline="always")
def find_bucket(table, line_mask, h, priority):
    """Index of the bucket for 32-bit context hash `h` in `table` (line_mask + 1 lines)."""
    checksum = (h >> 24) & 255
    line = bucket_line(line_mask, h)
    for k in range(LINE // BUCKET):
        b = line + k * BUCKET
        if table[unsigned(b)] == checksum:
            return b
    best = line
    best_priority = priority[table[unsigned(line + 1)]]
    for k in range(1, LINE // BUCKET):
        b = line + k * BUCKET
        used = priority[table[unsigned(b + 1)]]
        if used < best_priority:
            best = b
            best_priority = used
    table[unsigned(best)] = checksum
    for j in range(1, BUCKET):
        table[unsigned(best + j)] = 0
    return best


@njit(inline="always")
def nibble_node(c0, bits_done):
    """Position 1..15 of the current bit inside its nibble's tree."""
    k = bits_done & 3
    return (1 << k) | (c0 & ((1 << k) - 1))
