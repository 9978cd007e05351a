"""The archive format: exact layout, streaming round trips, and every way to reject a bad archive."""
import gzip
import io
import struct
import zlib

import numpy as np
import pytest

import paqlstm
from paqlstm import container
from paqlstm.container import (FORMAT_VERSION, ArchiveCompressor, ArchiveDecompressor, ArchiveReader, frames,
                               settings_bytes, varint)
from paqlstm.engine import CHUNK_SIZE, MAX_CHUNK_SIZE
from paqlstm.errors import PaqlstmError
from paqlstm.settings import Settings

LEVEL = 1
SMALL_CHUNKS = 4096


def pack(data, settings=Settings(level=LEVEL), pieces=1, chunk_size=CHUNK_SIZE):
    """An archive of data, fed to the compressor in `pieces` roughly equal parts."""
    compressor = ArchiveCompressor(settings, chunk_size)
    step = max(1, -(-len(data) // pieces))
    out = [compressor.compress(data[i:i + step]) for i in range(0, len(data), step)]
    return b"".join(out) + compressor.flush()


def unpack(archive):
    return ArchiveReader(io.BytesIO(archive)).readall()


def with_trailer(archive, length, crc):
    """The archive with its trailer rewritten."""
    return archive[:frames(archive)[0].trailer_start] + varint(length) + struct.pack("<I", crc)


def header(body, version=FORMAT_VERSION):
    """A header with these settings bytes and a right check."""
    head = b"PQLS" + bytes([version]) + varint(len(body)) + body
    return head + struct.pack("<H", zlib.crc32(head) & 0xFFFF)


@pytest.fixture(scope="module")
def text(shared_data):
    return (shared_data / "alice29.txt").read_bytes()[:20_000]


SAMPLES = {
    "empty": b"",
    "one-byte": b"x",
    "zeros-100k": bytes(100_000),
    "random": np.random.default_rng(7).integers(0, 256, 20_000, dtype=np.uint8).tobytes(),
    "all-byte-values": bytes(range(256)) * 3,
}


@pytest.mark.parametrize("name", SAMPLES)
def test_round_trip(name):
    data = SAMPLES[name]
    archive = pack(data)
    assert unpack(archive) == data
    decompressor = ArchiveDecompressor()
    assert decompressor.decompress(archive) == data
    assert decompressor.eof and decompressor.unused_data == b""


def test_round_trip_text(text):
    archive = pack(text)
    assert unpack(archive) == text
    assert len(archive) < len(text) * 0.4


def test_empty_archive_is_header_end_marker_and_trailer():
    archive = pack(b"")
    assert archive == header(b"\x00\x01") + b"\x00" + varint(0) + bytes(4)   # level 1: option 0, value 1


def test_varints():
    for n, encoded in ((0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"),
                       (2**63 - 1, b"\xff" * 8 + b"\x7f")):
        assert varint(n) == encoded
        assert container._read_varint(encoded + b"rest", 0, 2**63, "") == (n, len(encoded))


def test_framing_of_a_1k_input(shared_data):
    """Issue 14: at most 24 bytes besides the coded data, and the LSTM's defaults cost 2 more at most."""
    data = (shared_data / "dickens").read_bytes()[:1000]
    plain = frames(paqlstm.compress(data))[0]
    assert plain.framing <= 24 and plain.settings_bytes == b"\x02\x11\x03\x10"   # the tables sized for 1 KB
    for kind in ("model", "mixer", "both"):
        assert len(frames(paqlstm.compress(data, lstm=kind))[0].settings_bytes) == len(plain.settings_bytes) + 2


@pytest.mark.parametrize("options", [
    {},
    {"level": 3, "profile": "fast"},
    {"lstm": "model", "lstm_cells": 7, "lstm_layers": 3, "lstm_horizon": 300, "lstm_lr": 1 / 3, "lstm_clip": 0.5,
     "blend": "learn", "lstm_output": "tree", "lstm_update": "delayed"},
    {"lstm": "both", "mixer_cells": 9, "mixer_horizon": 5000, "mixer_lr": 1e-5, "mixer_clip": 2.0, "blend": 0.25},
    {"lstm": "mixer", "blend": 0.0, "hash_bits": 20, "history_bits": 16},
])
def test_settings_round_trip_through_the_header(options):
    """Defaults cost nothing; every kind of value (words, ints, floats, a word or a float) is stored exactly."""
    settings = Settings(**options)
    assert container.read_settings(settings_bytes(settings)) == settings
    stored = [index for index, _, _ in container._stored_options(settings)]
    assert len(stored) == len(options) - ("lstm" in options and options.get("blend") == Settings(lstm=options["lstm"]).blend)


def test_many_chunks_whatever_the_piece_sizes(text):
    one_go = pack(text, chunk_size=SMALL_CHUNKS)
    [frame] = frames(one_go)
    assert [chunk.raw_length for chunk in frame.chunks] == [SMALL_CHUNKS] * 4 + [len(text) - 4 * SMALL_CHUNKS]
    # How the input is fed must not change the archive.
    assert pack(text, pieces=7, chunk_size=SMALL_CHUNKS) == one_go
    assert pack(text, pieces=len(text) // 3, chunk_size=SMALL_CHUNKS) == one_go
    assert unpack(one_go) == text


def test_frames_lay_out_every_part(text):
    archive = pack(text, chunk_size=SMALL_CHUNKS) + pack(b"")
    first, second = frames(archive)
    assert (first.start, first.version, first.settings) == (0, FORMAT_VERSION, Settings(level=LEVEL).to_dict())
    assert first.header_check == zlib.crc32(archive[:first.header_end - 2]) & 0xFFFF
    assert first.chunks[0].start == first.header_end and first.chunks[-1].end == first.end_of_chunks
    assert all(a.end == b.start for a, b in zip(first.chunks, first.chunks[1:]))
    assert first.chunks[0].payload_start == first.chunks[0].start + len(varint(SMALL_CHUNKS)) \
        + len(varint(first.chunks[0].compressed_length))
    assert first.trailer_start == first.end_of_chunks + 1
    assert first.end == second.start == first.trailer_start + len(varint(len(text))) + 4
    assert (first.length, first.crc) == (len(text), zlib.crc32(text))
    assert first.framing == len(archive[:second.start]) - sum(c.compressed_length for c in first.chunks)
    assert second.chunks == () and second.end == len(archive)
    with pytest.raises(PaqlstmError, match="truncated archive"):
        frames(archive[:-1])
    with pytest.raises(PaqlstmError, match="not a paqlstm archive"):
        frames(archive + b"garbage")


def test_chunk_size_is_a_parameter_not_stored(text):
    small = pack(text, chunk_size=SMALL_CHUNKS)
    assert frames(small)[0].settings_bytes == frames(pack(text))[0].settings_bytes
    for chunk_size in (0, MAX_CHUNK_SIZE + 1):
        with pytest.raises(ValueError, match="chunk_size"):
            ArchiveCompressor(Settings(level=LEVEL), chunk_size)


def test_compressor_emits_chunks_as_they_fill():
    compressor = ArchiveCompressor(Settings(level=LEVEL), SMALL_CHUNKS)
    first = compressor.compress(b"a" * 100)
    assert first.startswith(b"PQLS") and len(first) < 60   # the header only
    assert compressor.compress(b"b" * 100) == b""
    assert len(compressor.compress(b"c" * SMALL_CHUNKS)) > 8  # one full chunk out
    compressor.flush()
    with pytest.raises(ValueError):
        compressor.flush()
    with pytest.raises(ValueError):
        compressor.compress(b"more")


def test_decompressor_byte_by_byte_with_output_limit(text):
    archive = pack(text, chunk_size=SMALL_CHUNKS)
    pieces = [archive[i:i + 1] for i in range(len(archive) - 1)] + [archive[-1:] + b"NEXT"]
    decompressor = ArchiveDecompressor()
    out = bytearray()
    for piece in pieces:
        out += decompressor.decompress(piece, 1000)
        while not decompressor.needs_input and not decompressor.eof:
            out += decompressor.decompress(b"", 1000)
    assert out == text
    assert decompressor.eof and decompressor.unused_data == b"NEXT"
    assert decompressor.settings == Settings(level=LEVEL)
    with pytest.raises(EOFError):
        decompressor.decompress(b"x")


def test_decompressor_max_length_semantics(text):
    decompressor = ArchiveDecompressor()
    first = decompressor.decompress(pack(text, chunk_size=SMALL_CHUNKS), 10)
    assert first == text[:10] and not decompressor.needs_input and not decompressor.eof
    assert decompressor.decompress(b"", 0) == b""
    rest = decompressor.decompress(b"")
    assert first + rest == text and decompressor.eof and not decompressor.needs_input


def test_reader_reads_its_file_in_bounded_pieces(text):
    class Recording(io.BytesIO):
        sizes = []

        def read(self, size=-1):
            self.sizes.append(size)
            return super().read(size)

    source = Recording(pack(text, chunk_size=SMALL_CHUNKS))
    reader = ArchiveReader(source)
    assert reader.read(100) == text[:100]
    assert reader.tell() == 100
    assert reader.readall() == text[100:]
    assert all(0 < size <= container.READ_SIZE for size in Recording.sizes)


def test_concatenated_archives_decode_to_the_concatenation(text):
    assert unpack(pack(text) + pack(b"") + pack(b"tail")) == text + b"tail"


# --- rejection -------------------------------------------------------------------

def test_foreign_and_empty_inputs():
    for foreign in (b"hello world", gzip.compress(b"data"), b"PQLX", b"\x00" * 64):
        with pytest.raises(PaqlstmError, match="^not a paqlstm archive$"):
            unpack(foreign)
    with pytest.raises(PaqlstmError, match="^not a paqlstm archive"):
        unpack(b"")
    with pytest.raises(PaqlstmError, match="not a paqlstm archive"):
        ArchiveDecompressor().decompress(b"XY")


def test_unknown_version():
    archive = bytearray(pack(b"abc"))
    archive[4] = 2   # the JSON header and the model before version 3's: its archives cannot be replayed
    with pytest.raises(PaqlstmError, match="unsupported archive format version 2"):
        unpack(bytes(archive))


def test_header_corruption():
    archive = pack(b"abc")
    for pos in range(5, frames(archive)[0].header_end):
        damaged = bytearray(archive)
        damaged[pos] ^= 0x01
        with pytest.raises(PaqlstmError):
            unpack(bytes(damaged))
    for pos in range(6, frames(archive)[0].header_end):   # the settings and the check itself
        damaged = bytearray(archive)
        damaged[pos] ^= 0x01
        with pytest.raises(PaqlstmError, match="header checksum mismatch"):
            unpack(bytes(damaged))


@pytest.mark.parametrize("body, message", [
    (b"\x7f\x00", "unsupported settings"),                # no option 127
    (b"\x00\x09", "unsupported settings"),                # the default level stored
    (b"\x04\x01\x00\x01", "unsupported settings"),        # options out of order
    (b"\x00\x0a", "invalid level 10"),
    (b"\x05\x07", "unsupported settings"),                # lstm_cells with the LSTM off
    (b"\x04\x01\x0a\x80", "unreadable header"),          # lstm mixer, then ends inside mixer_cells
    (b"\x04\x01\x0a\x80\x00", "unreadable header"),      # a varint longer than it needs
    (b"\x04\x09", "unreadable header"),                   # no LSTM kind 9
    (b"\x04\x01\x0e\x00\x00", "unreadable header"),      # ends inside the blend's float
])
def test_valid_check_but_bad_settings(body, message):
    with pytest.raises(PaqlstmError, match=message):
        unpack(header(body) + pack(b"abc")[len(header(b"\x00\x01")):])


@pytest.mark.parametrize("fields, message", [
    (varint(MAX_CHUNK_SIZE + 1) + varint(10), "impossible chunk length"),
    (varint(100) + varint(100 * 3 // 2 + 65), "impossible chunk length"),
    (b"\x80\x00", "impossible chunk length"),
])
def test_impossible_chunk_lengths(fields, message):
    archive = pack(b"hello " * 100)
    [chunk] = frames(archive)[0].chunks
    with pytest.raises(PaqlstmError, match=message):
        unpack(archive[:chunk.start] + fields + archive[chunk.payload_start:])


def test_chunk_length_mismatch_is_detected():
    archive = pack(b"hello " * 100)
    [chunk] = frames(archive)[0].chunks
    for delta in (-1, 1):
        damaged = bytearray(archive)
        damaged[chunk.start:chunk.payload_start] = varint(chunk.raw_length + delta) + varint(chunk.compressed_length)
        with pytest.raises(PaqlstmError, match="corrupt archive"):
            unpack(bytes(damaged))


def test_payload_corruption_is_detected(text):
    archive = pack(text)
    [chunk] = frames(archive)[0].chunks
    for pos in (chunk.payload_start, chunk.payload_start + chunk.compressed_length // 3,
                chunk.payload_start + chunk.compressed_length // 2):
        damaged = bytearray(archive)
        damaged[pos] ^= 0x40
        with pytest.raises(PaqlstmError, match="corrupt archive"):
            unpack(bytes(damaged))
    # The coder's final bytes have slack: a change there either decodes the same data or fails.
    damaged = bytearray(archive)
    damaged[chunk.end - 1] ^= 0x40
    try:
        assert unpack(bytes(damaged)) == text
    except PaqlstmError as exc:
        assert "corrupt archive" in str(exc)


def test_trailer_checks():
    data = b"hello " * 100
    archive = pack(data)
    for pos in range(frames(archive)[0].trailer_start, len(archive)):
        damaged = bytearray(archive)
        damaged[pos] ^= 1
        with pytest.raises(PaqlstmError, match="checksum mismatch"):
            unpack(bytes(damaged))
    crc = zlib.crc32(data)
    with pytest.raises(PaqlstmError, match="checksum mismatch"):
        unpack(with_trailer(archive, len(data) + 1, crc))
    with pytest.raises(PaqlstmError, match="checksum mismatch"):
        unpack(with_trailer(archive, len(data), crc ^ 1))
    assert unpack(with_trailer(archive, len(data), crc)) == data


def test_every_truncation_is_detected():
    data = bytes(range(256)) * 20
    archive = pack(data, chunk_size=SMALL_CHUNKS)
    assert len(frames(archive)[0].chunks) == 2
    for cut in range(1, len(archive)):
        with pytest.raises(PaqlstmError, match="^truncated archive$"):
            unpack(archive[:cut])
    second = pack(b"second")
    with pytest.raises(PaqlstmError, match="^truncated archive$"):
        unpack(archive + second[:-3])


def test_trailing_garbage():
    archive = pack(b"abc")
    for garbage in (b"\x00", b"garbage", b"\x00" * 512):
        with pytest.raises(PaqlstmError, match="trailing garbage"):
            unpack(archive + garbage)
    decompressor = ArchiveDecompressor()
    assert decompressor.decompress(archive + b"garbage") == b"abc"
    assert decompressor.eof and decompressor.unused_data == b"garbage"
