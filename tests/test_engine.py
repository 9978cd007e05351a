"""The chunk engine: exact round trips with the model carried across chunks."""
import numpy as np
import pytest

from paqlstm.container import read_settings, settings_bytes
from paqlstm.engine import Decoder, Encoder
from paqlstm.errors import PaqlstmError
from paqlstm.settings import LEVEL_TABLE_BITS, MIN_TABLE_BITS, STRONG_LEVEL_TABLE_BITS, Settings, level_memory


def _round_trip(data, level=1, chunk=1 << 16):
    enc, dec = Encoder(Settings(level=level)), Decoder(Settings(level=level))
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""]
    packed = [enc.encode_chunk(p) for p in pieces]
    restored = b"".join(dec.decode_chunk(c, len(p)) for c, p in zip(packed, pieces))
    return restored, sum(map(len, packed))


@pytest.mark.parametrize("data", [
    b"", b"a", bytes(100_000), bytes(range(256)) * 4,
    np.random.default_rng(1).integers(0, 256, 30_000, dtype=np.uint8).tobytes(),
], ids=["empty", "one", "zeros", "all-values", "random"])
def test_round_trip_edge_cases(data):
    restored, _ = _round_trip(data)
    assert restored == data


def test_text_compresses_and_chunking_keeps_the_model(shared_data):
    text = (shared_data / "alice29.txt").read_bytes()[:60_000]
    restored, size_small_chunks = _round_trip(text, chunk=10_000)
    assert restored == text
    _, size_one_chunk = _round_trip(text, chunk=len(text))
    assert size_small_chunks < len(text) * 0.35
    # Six chunks cost only their coder flushes (a few bytes each), not a model restart.
    assert size_small_chunks - size_one_chunk < 6 * 8


def test_truncated_chunk_is_detected():
    enc = Encoder(Settings(level=1))
    packed = enc.encode_chunk(b"hello hello hello hello" * 50)
    with pytest.raises(PaqlstmError):
        Decoder(Settings(level=1)).decode_chunk(packed[:-2], 23 * 50)


def test_levels_and_settings_validation():
    assert all(level_memory(a) < level_memory(a + 1) for a in range(1, 9))
    assert level_memory(9) < 1 << 30
    with pytest.raises(PaqlstmError):
        Settings(level=10)
    assert read_settings(settings_bytes(Settings(level=4))) == Settings(level=4)
    with pytest.raises(PaqlstmError):
        Settings(level=4, hash_bits=LEVEL_TABLE_BITS[4][0] + 1)  # above the level's memory bound
    with pytest.raises(PaqlstmError):
        Settings(level=4, history_bits=8)
    # Each profile's own bound: level 9's strong buckets are twice the fast profile's.
    assert Settings(level=9, hash_bits=STRONG_LEVEL_TABLE_BITS[9][0]).hash_bits == 29
    with pytest.raises(PaqlstmError, match="fast profile"):
        Settings(level=9, profile="fast", hash_bits=STRONG_LEVEL_TABLE_BITS[9][0])


def test_tables_sized_to_a_short_input_and_capped_by_the_level():
    level9 = Settings(level=9)
    assert (level9.hash_bits, level9.history_bits) == STRONG_LEVEL_TABLE_BITS[9]
    tiny = level9.sized_for(100)
    assert (tiny.hash_bits, tiny.history_bits) == (MIN_TABLE_BITS, MIN_TABLE_BITS)
    assert level9.sized_for(1000).hash_bits == 17
    assert tiny.memory() < level9.memory() // 20
    mid = level9.sized_for(100_000)
    assert (mid.hash_bits, mid.history_bits) == (24, 19)   # 12.8 MB of buckets, 512 KB of history
    assert level9.sized_for(10 ** 9) == level9
    assert Settings(level=1).sized_for(10 ** 9) == Settings(level=1)
    data = bytes(range(256)) * 300
    packed = Encoder(mid).encode_chunk(data)
    assert Decoder(read_settings(settings_bytes(mid))).decode_chunk(packed, len(data)) == data


def test_header_settings_errors_are_short():
    with pytest.raises(PaqlstmError) as error:
        read_settings(b"\x00" + b"\xff" * 10_000)       # the level, as a varint far too long
    assert len(str(error.value)) < 100

def test_any_bytes_like_chunk_uses_one_compiled_kernel():
    """bytes, bytearray and memoryview chunks must not compile the block coders twice:
    a second compilation mid-stream costs seconds and memory (and was seen on stdin)."""
    from paqlstm import blocks
    enc, dec = Encoder(Settings(level=1)), Decoder(Settings(level=1))
    first = b"bytes " * 20
    packed_first = enc.encode_chunk(first)
    assert dec.decode_chunk(packed_first, len(first)) == first
    compiled = len(blocks.encode_block.signatures), len(blocks.decode_block.signatures)
    for kind in (bytearray, memoryview):
        piece = kind(b"another kind of buffer " * 5)
        packed = enc.encode_chunk(piece)
        assert dec.decode_chunk(kind(packed), len(piece)) == bytes(piece)
    assert (len(blocks.encode_block.signatures), len(blocks.decode_block.signatures)) == compiled


@pytest.mark.parametrize("output", ["softmax", "tree"])
def test_delayed_lstm_updates_give_the_same_archive_with_any_thread_count(shared_data, output):
    """Windows that end inside a chunk, at its end (4,000 = 100 windows of 40) and across it."""
    import paqlstm
    text = (shared_data / "alice29.txt").read_bytes()[:9_001]
    options = dict(level=2, lstm="model", lstm_output=output, lstm_update="delayed")
    archives = []
    for threads in (1, 2, 3):
        compressor = paqlstm.Compressor(chunk_size=4_000, threads=threads, **options)
        archives.append(compressor.compress(text) + compressor.flush())
    assert archives[0] == archives[1] == archives[2]
    assert archives[0] != paqlstm.compress(text, **{**options, "lstm_update": "now"})
    for threads in (1, 2):
        assert paqlstm.decompress(archives[0], threads=threads) == text
    with pytest.raises(ValueError):
        paqlstm.compress(text, threads=0)

