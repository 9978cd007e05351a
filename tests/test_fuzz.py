"""Robustness: round trips of arbitrary data (hypothesis), and damaged archives.

Every damaged archive must end in a PaqlstmError with a one-line message, or decode
to exactly the original data (when the damage hit bytes that carry nothing, e.g. the
slack in a chunk's final coder bytes): never another exception, a hang or wrong data.
The mutations are scripts/fuzz_archives.py's, which runs 10,000+ of them in worker
processes with timeouts; here 2,000 random ones and every header byte run in-process.
"""
import collections
import contextlib
import importlib.util
import math
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import paqlstm
from paqlstm import engine
from paqlstm.container import ArchiveCompressor, ArchiveDecompressor, frames, varint
from paqlstm.contexts.registers import POS as BYTES_CODED
from paqlstm.engine import MAX_CHUNK_SIZE, decode_payload
from paqlstm.errors import PaqlstmError
from paqlstm.predictor import new_predictor
from paqlstm.settings import Settings

_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "fuzz_archives.py"
_spec = importlib.util.spec_from_file_location("fuzz_archives", _SCRIPT)
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

LEVEL = 1
RANDOM_CASES = 2000
# The coder's most confident prediction, 4095/4096, still costs log2(4096/4095) bits a
# bit: so a payload byte's 8 bits code at most this many bytes (2839), whatever
# length a chunk claims.
MOST_BYTES_PER_PAYLOAD_BYTE = 1 / math.log2(4096 / 4095)
# Decoding stops at the end of the byte that read past the payload; a bit shifts in at
# most 4 bytes (the whole 32-bit range), so a byte at most 32.
MOST_BYTES_READ_PAST_PAYLOAD = 4 * 8


def _variants():
    """Model settings to round-trip with: LSTM off, the byte model, the LSTM mixer."""
    return [pytest.param({}, id="lstm-off"), pytest.param({"lstm": True}, id="lstm-on"),
            pytest.param({"lstm": "mixer", "mixer_cells": 8}, id="lstm-mixer")]


# --- round trips of arbitrary data -----------------------------------------------

ROUND_TRIP = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.text(max_size=600).map(lambda s: s.encode("utf-8"))
repeats = st.tuples(st.binary(min_size=1, max_size=40), st.integers(1, 120)).map(lambda t: t[0] * t[1])
anything = st.one_of(st.binary(max_size=2000), texts, repeats)


@pytest.mark.parametrize("options", _variants())
@ROUND_TRIP
@given(data=anything)
def test_round_trip_of_any_bytes(options, data):
    archive = paqlstm.compress(data, level=LEVEL, **options)
    assert paqlstm.decompress(archive) == data


@pytest.mark.parametrize("options", _variants())
@ROUND_TRIP
@given(data=anything, cuts=st.lists(st.integers(0, 2000), max_size=6), feed=st.integers(1, 700),
       limit=st.integers(1, 3000))
def test_streamed_round_trip_in_any_pieces(options, data, cuts, feed, limit):
    """Many small chunks, data fed in arbitrary pieces, archive read back in others."""
    compressor = ArchiveCompressor(Settings(level=LEVEL, **options), chunk_size=333)
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    archive = b"".join(compressor.compress(data[a:b]) for a, b in zip(bounds, bounds[1:]))
    archive += compressor.flush()
    decompressor = ArchiveDecompressor()
    out = bytearray()
    for start in range(0, len(archive), feed):
        out += decompressor.decompress(archive[start:start + feed], limit)
        while not decompressor.needs_input and not decompressor.eof:
            out += decompressor.decompress(b"", limit)
    assert decompressor.eof and decompressor.unused_data == b""
    assert out == data


# --- damaged archives ------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus():
    return fuzz.make_corpus(LEVEL)


@contextlib.contextmanager
def decode_work():
    """A list of (payload size, bytes consumed, bytes decoded) of each chunk decoded inside:
    work, which unlike seconds does not vary with the machine's load."""
    work = []
    decode = engine.decode_payload

    def counting(m, trainer, payload, out):
        before = m.ctx.regs[BYTES_CODED]
        consumed = decode(m, trainer, payload, out)
        work.append((payload.size, int(consumed), int(m.ctx.regs[BYTES_CODED] - before)))
        return consumed

    with mock.patch.object(engine, "decode_payload", counting):
        yield work


def run_cases(cases):
    """Decode each case; (Counter of (kind, outcome), list of bad cases, slowest seconds, decode_work)."""
    outcomes, bad, slowest = collections.Counter(), [], 0.0
    with decode_work() as work:
        for case in cases:
            result = fuzz.decode(case.data)
            verdict, label = fuzz.judge(case, result)
            outcomes[(case.kind, label)] += 1
            slowest = max(slowest, result["seconds"])
            if verdict != fuzz.FINE:
                bad.append((case.id, case.sample, case.detail, label, result.get("message")))
    return outcomes, bad, slowest, work


def test_every_single_byte_change_of_a_header(corpus):
    """All 255 other values of every header byte, for a sized and a full-size header."""
    for sample in (corpus[0], corpus[1]):
        cases = list(fuzz.header_cases(sample))
        header_end = sample.regions[0][1]
        assert len(cases) == 255 * header_end
        outcomes, bad, *_ = run_cases(cases)
        assert not bad, bad[:5]
        # The header's check covers every byte: no change can go unnoticed. (A settings length
        # changed to one no header has, or to a longer varint than it needs, is refused before.)
        assert {label for _, label in outcomes} <= {
            "error: corrupt archive: header checksum mismatch", "error: not a paqlstm archive",
            "error: unsupported archive format version N", "error: truncated archive",
            "error: corrupt archive: unreadable header"}


def test_random_mutations_end_in_an_error_or_the_original_data(corpus):
    outcomes, bad, slowest, work = run_cases(fuzz.random_cases(corpus, RANDOM_CASES, seed=2024))
    print("\n" + fuzz.table(outcomes, fuzz.RANDOM_KINDS, "outcome \\ mutation"))
    print(f"slowest case: {slowest:.3f} s")   # a figure, not a test: seconds vary with the load
    assert not bad, bad[:5]
    assert sum(outcomes.values()) == RANDOM_CASES
    errors = sum(v for (_, label), v in outcomes.items() if label.startswith("error"))
    assert errors > 0.95 * RANDOM_CASES  # most damage must be noticed, not just "survived"
    # No damage makes decoding cost more than its payload can pay for.
    for payload_size, consumed, decoded in work:
        assert consumed <= payload_size + MOST_BYTES_READ_PAST_PAYLOAD
        assert decoded <= consumed * MOST_BYTES_PER_PAYLOAD_BYTE


def test_damaged_archives_through_the_command_line(corpus):
    """A real process per case: exit status 1 and one `paqlstm: error: <stdin>: ...` line."""
    cases = list(fuzz.random_cases(corpus, 40, seed=99))[::20]
    for case, command in zip(cases, ["decompress", "test"]):
        result = fuzz.run_cli(case, command, timeout=300)
        assert fuzz.judge(case, result)[0] == fuzz.FINE, (case.id, case.detail, result)


@pytest.mark.parametrize("sample_name", ["zeros-4000", "text-700"])
def test_forged_chunk_length_costs_little(corpus, sample_name):
    """A chunk claiming 16 MiB of data stops decoding one byte past its real data."""
    sample = next(s for s in corpus if s.name == sample_name)
    [chunk] = frames(sample.archive)[0].chunks
    archive = bytearray(sample.archive)
    archive[chunk.start:chunk.payload_start] = varint(MAX_CHUNK_SIZE) + varint(chunk.compressed_length)
    with decode_work() as work, pytest.raises(
            PaqlstmError, match="^corrupt archive: compressed data does not match its length$"):
        paqlstm.decompress(bytes(archive))
    [(payload_size, consumed, decoded)] = work
    # Past its payload the decoder reads zeros, which decode as 1 bits; the model finds
    # a byte of them unlikely enough that its bits already need more than the payload.
    assert consumed > payload_size
    assert decoded == len(sample.data) + 1


def test_decoder_never_reads_past_its_input(corpus):
    """A chunk's payload cut short decodes the same whatever bytes follow it in memory."""
    sample = next(s for s in corpus if s.name == "text-700")
    [frame] = frames(sample.archive)
    decompressor = ArchiveDecompressor()
    decompressor.decompress(sample.archive[:frame.header_end])  # header only: settings known
    [chunk] = frame.chunks
    raw_length, comp_length = chunk.raw_length, chunk.compressed_length
    payload = np.frombuffer(sample.archive, np.uint8, comp_length, chunk.payload_start)
    for keep in (0, 1, 3, 4, comp_length // 2, comp_length - 1):
        results = set()
        for filler in (0x00, 0xFF, 0x5A):
            memory = np.full(comp_length + 64, filler, dtype=np.uint8)
            memory[:keep] = payload[:keep]
            memory.flags.writeable = False  # read-only, as Decoder passes it: no second compilation
            out = np.zeros(raw_length, dtype=np.uint8)
            consumed = decode_payload(new_predictor(decompressor.settings), None, memory[:keep], out)
            results.add((consumed, out.tobytes()))
        assert len(results) == 1
        assert next(iter(results))[0] > keep  # ran out: reported as corrupt, not a read past the end


def test_bit_flip_in_every_byte_of_a_small_archive(corpus):
    """One flipped bit in every third byte of a multi-chunk archive: only slack goes unnoticed."""
    sample = next(s for s in corpus if s.name == "table-5-chunks")
    outcomes = collections.Counter()
    for pos in range(0, len(sample.archive), 3):
        damaged = bytearray(sample.archive)
        damaged[pos] ^= 1 << (pos % 8)
        case = fuzz.Case(f"flip:{pos}", "bit-flip", sample.name, "", bytes(damaged), sample.data)
        verdict, label = fuzz.judge(case, fuzz.decode(case.data))
        assert verdict == fuzz.FINE, (pos, fuzz._region(sample, pos), label)
        outcomes[(fuzz._region(sample, pos), label)] += 1
    # Only the coder's last bytes have slack; everything else is checked.
    assert all(region == "payload-flush" for region, label in outcomes if label == "decoded, same data")

