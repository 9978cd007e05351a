"""The hashed contexts, one line each: what the context maps model predicts from.

Computed once per byte, from the shared registers already past the byte before
(registers.py), into ctx.hashes. Each is a 32-bit hash of the bytes or words it
covers with a distinct constant, so two contexts never share buckets by design.
The first N_HASHED are every profile's; the strong profile adds N_STRONG more (text
shape, indirect and long-repeat contexts). To add a context: one line here, and
N_HASHED or N_STRONG goes up by one (mixer inputs follow).
"""
import numpy as np

from ..jit import njit, unsigned
from ..primitives.hashing import combine
from .registers import (C4, C8, C12, CLASSES, FIRST, LETTERS, LINE_START, POS, PREV_FIRST,
                        PREV_LINE_START, PUNCT, WORD0, WORD1, WORD2, WORD3)

# Orders 2-6 come first: how many of them were seen before (ORDERED) picks a weight set.
O2, O3, O4, O5, O6, WORD, WORD_PAIR, WORD_SKIP, WORD_TRIPLE, O7, COLUMN = range(11)
N_HASHED = 11
ORDERED = 5

# The strong profile's extra contexts (mixer inputs N_HASHED on), each measured to pay for
# its two cache misses a byte; orders 8, 12 and 16, sparse (c4 & 0xFFFF0000, 0xFF00FF00),
# bracket/quote nesting, word case and markup-tag-name contexts did not (issue 14), nor
# word stems, the position in the sentence, case-folded orders, the word with the byte
# above, the indirect context of the last byte alone or the first letter with the
# previous word (docs/TUNING.md, text contexts). WORD_FIRST fills the mixer's last
# 8-lane vector (63 of 64 inputs).
(O10, O24_MARKUP, INDIRECT_PAIR, WORD_SHAPE, WORD_PUNCT, PREV_WORD_SHAPE, CLASS_SHAPE,
 LETTERS6, ORDER2_SHAPE, WRAP, WORD_QUAD, WORD_FIRST) = range(N_HASHED, N_HASHED + 12)
N_STRONG = 12


def contexts(settings):
    """How many hashed contexts the profile has."""
    return N_HASHED + (N_STRONG if settings.strong else 0)


@njit(inline="always")
def context_hashes(ctx):
    regs, out = ctx.regs, ctx.hashes
    c4, c8 = regs[C4], regs[C8]
    w0, w1, w2 = regs[WORD0], regs[WORD1], regs[WORD2]
    out[O2] = combine(c4 & 0xFFFF, 2)
    out[O3] = combine(c4 & 0xFFFFFF, 3)
    out[O4] = combine(c4, 4)
    out[O5] = combine(combine(c4, c8 & 0xFF), 5)
    out[O6] = combine(combine(c4, c8 & 0xFFFF), 6)
    out[WORD] = combine(combine(w0, c4 & 0xFF), 7)                # the word so far, and the last byte
    out[WORD_PAIR] = combine(combine(w0, w1), 8)
    out[WORD_SKIP] = combine(combine(w0, w2), 9)
    out[WORD_TRIPLE] = combine(combine(combine(w0, w1), w2), 10)
    out[O7] = combine(combine(c4, c8 & 0xFFFFFF), 11)
    out[COLUMN] = combine(combine(_above(ctx), c4 & 0xFF), 12 + min(regs[POS] - regs[LINE_START], 63))
    if out.size > N_HASHED:
        _strong_hashes(ctx)


@njit(inline="always")
def _strong_hashes(ctx):
    regs, out = ctx.regs, ctx.hashes
    c4, c8, c12 = regs[C4], regs[C8], regs[C12]
    w0, w1, classes = regs[WORD0], regs[WORD1], regs[CLASSES]
    out[O10] = combine(combine(combine(c4, c8), c12 & 0xFFFF), 101)
    # Long repeats pay in markup and tables; in prose they only evict other contexts' buckets.
    out[O24_MARKUP] = 122 if _prose(classes) else combine(_older(ctx, combine(combine(c4, c8), c12), 12, 24), 122)
    # Indirect: the bytes that followed the last two occurrences of the last pair.
    out[INDIRECT_PAIR] = combine(combine(c4 & 0xFFFF, ctx.indirect[unsigned(c4 & 0xFFFF)]), 109)
    out[WORD_SHAPE] = combine(combine(w0, classes & 0xFFFF), 110)          # the word, what came before it
    out[WORD_PUNCT] = combine(combine(combine(w0, regs[PUNCT]), c4 & 0xFF), 111)
    out[PREV_WORD_SHAPE] = combine(combine(combine(w1, classes & 0xFFF), c4 & 0xFF), 120)
    out[CLASS_SHAPE] = combine(combine(classes, c4 & 0xFF), 118)          # the text's shape alone
    out[LETTERS6] = combine(combine(regs[LETTERS], c4 & 0xFF), 117)       # letters across word gaps
    out[ORDER2_SHAPE] = combine(combine(c4 & 0xFFFF, classes >> 8), 208)   # two bytes, the shape before them
    # Where wrapped prose breaks its lines: the column past COLUMN's cap of 63, by the classes
    # of the last two bytes rather than the bytes.
    out[WRAP] = combine(combine(min(regs[POS] - regs[LINE_START], 127), classes & 0xFF), 121)
    out[WORD_QUAD] = combine(combine(combine(combine(w0, w1), regs[WORD2]), regs[WORD3]), 123)   # phrases
    # The word with the previous word's first letter (between words: the last word's).
    out[WORD_FIRST] = combine(combine(w0, regs[PREV_FIRST] if w0 != 0 else regs[FIRST]), 124)


@njit(inline="always")
def _prose(classes):
    """The last eight bytes are letters, spaces, line ends and punctuation (registers.char_class)."""
    for _ in range(8):
        cls = classes & 0xF
        if not (cls == 1 or cls == 2 or cls == 4 or cls == 5 or cls == 6 or cls == 7 or cls == 8 or cls == 11):
            return False
        classes >>= 4
    return True


@njit(inline="always")
def _older(ctx, h, start, end):
    """h folded with the bytes start+1..end back."""
    pos, mask = ctx.regs[POS], ctx.history.size - 1
    for back in range(start + 1, end + 1):
        h = combine(h, ctx.history[unsigned((pos - back) & mask)])
    return h


@njit(inline="always")
def _above(ctx):
    """Line-wrapped text and tables: the byte above in the previous line (0 past its end;
    after an empty line, the last byte)."""
    regs = ctx.regs
    coded = regs[POS]
    above_pos = regs[PREV_LINE_START] + coded - regs[LINE_START]
    if above_pos < regs[LINE_START] or above_pos == coded - 1:
        return np.int64(ctx.history[unsigned(above_pos & (ctx.history.size - 1))])
    return 0
