"""The lzma-shaped Python API: one-shot, incremental, and file objects in binary and text mode."""
import array
import io

import pytest

import paqlstm
from paqlstm.container import frames
from paqlstm.settings import DEFAULT_LEVEL

LEVEL = 2


@pytest.fixture(scope="module")
def text(shared_data):
    return (shared_data / "asyoulik.txt").read_bytes()[:15_000]


def header_settings(archive):
    return frames(archive)[0].settings


def test_exports():
    assert isinstance(paqlstm.__version__, str)
    assert issubclass(paqlstm.PaqlstmError, Exception)
    for name in ("compress", "decompress", "open", "Compressor", "Decompressor"):
        assert callable(getattr(paqlstm, name))


def test_one_shot_round_trip_of_any_bytes_like(text):
    archive = paqlstm.compress(text, level=LEVEL)
    assert header_settings(archive) == {"level": LEVEL, "profile": "strong", "hash_bits": 21, "history_bits": 16}
    # sized to 15 KB
    assert paqlstm.decompress(archive) == text
    assert paqlstm.decompress(bytearray(archive)) == text
    assert paqlstm.decompress(memoryview(archive)) == text
    assert paqlstm.compress(bytearray(text), level=LEVEL) == archive
    assert paqlstm.compress(memoryview(text), level=LEVEL) == archive
    numbers = array.array("i", range(1000))
    assert paqlstm.decompress(paqlstm.compress(numbers, level=1)) == numbers.tobytes()


def test_default_level_and_options():
    assert header_settings(paqlstm.compress(b""))["level"] == DEFAULT_LEVEL
    assert paqlstm.decompress(paqlstm.compress(b"")) == b""
    with pytest.raises(paqlstm.PaqlstmError):
        paqlstm.compress(b"x", level=0)
    with pytest.raises(TypeError):
        paqlstm.compress(b"x", level=1, no_such_option=True)


def test_decompress_errors():
    archive = paqlstm.compress(b"hello", level=1)
    for bad, message in ((b"", "not a paqlstm archive"), (b"nonsense", "not a paqlstm archive"),
                         (archive[:-1], "truncated archive"), (archive + b"!", "trailing garbage")):
        with pytest.raises(paqlstm.PaqlstmError, match=message):
            paqlstm.decompress(bad)


def test_incremental_round_trip(text):
    compressor = paqlstm.Compressor(level=LEVEL, size_hint=len(text), chunk_size=2000)
    archive = b"".join(compressor.compress(text[i:i + 777]) for i in range(0, len(text), 777))
    archive += compressor.flush()
    assert [chunk.raw_length for chunk in frames(archive)[0].chunks] == [2000] * 7 + [len(text) - 7 * 2000]
    assert archive == paqlstm.compress(text, level=LEVEL, chunk_size=2000)

    decompressor = paqlstm.Decompressor()
    out = b"".join(decompressor.decompress(archive[i:i + 500]) for i in range(0, len(archive), 500))
    assert out == text and decompressor.eof


def test_decompressor_unused_data_and_max_length(text):
    archive = paqlstm.compress(text, level=LEVEL)
    decompressor = paqlstm.Decompressor()
    assert decompressor.needs_input and not decompressor.eof
    out = decompressor.decompress(archive + b"rest", max_length=100)
    assert out == text[:100] and not decompressor.needs_input
    while not decompressor.eof:
        out += decompressor.decompress(b"", max_length=4096)
    assert out == text
    assert decompressor.unused_data == b"rest"
    with pytest.raises(EOFError):
        decompressor.decompress(b"")


def test_open_binary_path_round_trip(tmp_path, text):
    path = tmp_path / "t.pql"
    with paqlstm.open(path, "wb", level=LEVEL) as f:
        assert f.writable() and not f.readable() and not f.seekable()
        assert f.write(text[:5000]) == 5000
        f.write(memoryview(text)[5000:])
        assert f.tell() == len(text)
    assert f.closed
    assert paqlstm.decompress(path.read_bytes()) == text
    with paqlstm.open(str(path)) as f:
        assert f.readable() and not f.writable()
        assert f.read(10) == text[:10]
        assert f.tell() == 10
        assert f.readline() == text[10:text.index(b"\n", 10) + 1]
        assert f.read() == text[text.index(b"\n", 10) + 1:]
        assert f.read() == b""
    with pytest.raises(ValueError):
        f.read()


def test_open_modes_x_and_a(tmp_path):
    path = tmp_path / "m.pql"
    with paqlstm.open(path, "xb", level=1) as f:
        f.write(b"first ")
    with pytest.raises(FileExistsError):
        paqlstm.open(path, "xb", level=1)
    with paqlstm.open(path, "ab", level=1) as f:
        f.write(b"second")
    with paqlstm.open(path, "rb") as f:
        assert f.read() == b"first second"
    with paqlstm.open(path, "w", level=1) as f:
        f.write(b"replaced")
    assert paqlstm.decompress(path.read_bytes()) == b"replaced"


def test_open_file_objects_and_iteration():
    buffer = io.BytesIO()
    with paqlstm.open(buffer, "wb", level=1) as f:
        f.writelines([b"one\n", b"two\n", b"three"])
    assert not buffer.closed  # not ours to close
    with paqlstm.open(io.BytesIO(buffer.getvalue())) as f:
        assert list(f) == [b"one\n", b"two\n", b"three"]
    with paqlstm.open(io.BytesIO(buffer.getvalue())) as f:
        target = bytearray(6)
        assert f.readinto(target) == 6 and target == b"one\ntw"
        assert f.peek(1).startswith(b"o")
        assert f.read1(100)


def test_open_text_mode(tmp_path):
    path = tmp_path / "t.pql"
    lines = ["naïve café\n", "日本語\n", "last line"]
    with paqlstm.open(path, "wt", level=1, encoding="utf-8", newline="\r\n") as f:
        f.writelines(lines)
    assert paqlstm.decompress(path.read_bytes()) == "".join(lines).replace("\n", "\r\n").encode()
    with paqlstm.open(path, "rt", encoding="utf-8", newline="") as f:
        assert f.readlines() == ["naïve café\r\n", "日本語\r\n", "last line"]
    with paqlstm.open(path, "rt", encoding="latin-1", errors="replace") as f:
        assert f.read().startswith("naÃ¯ve")


def test_open_argument_errors(tmp_path):
    path = tmp_path / "x.pql"
    for mode in ("rw", "rbt", "r+b", "z"):
        with pytest.raises(ValueError):
            paqlstm.open(path, mode)
    with pytest.raises(ValueError):
        paqlstm.open(path, "wb", encoding="utf-8")
    with pytest.raises(ValueError):
        paqlstm.open(path, "rb", level=3)
    with pytest.raises(TypeError):
        paqlstm.open(42, "rb")
    with pytest.raises(paqlstm.PaqlstmError):
        paqlstm.open(path, "wb", level=12)
    assert not path.exists()  # bad settings are refused before the file is created
    with paqlstm.open(path, "wb", level=1) as f:
        with pytest.raises(io.UnsupportedOperation):
            f.read()


def test_open_reading_a_damaged_archive_raises(tmp_path):
    path = tmp_path / "bad.pql"
    path.write_bytes(paqlstm.compress(b"hello world" * 100, level=1)[:-5])
    with paqlstm.open(path) as f:
        with pytest.raises(paqlstm.PaqlstmError, match="truncated archive"):
            f.read()
    path.write_bytes(b"this is not an archive at all")
    with paqlstm.open(path, "rt", encoding="utf-8") as f:
        with pytest.raises(paqlstm.PaqlstmError, match="not a paqlstm archive"):
            f.read()
