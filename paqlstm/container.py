"""The archive format: the one place that writes and reads it (see docs/FORMAT.md).

An archive is a header (magic, format version, the settings that differ from their
defaults, a check), a run of chunks each coded by the engine, an empty chunk that
ends the run, and a trailer with the length and CRC-32 of the original data. Lengths
are varints, so a 1 KB input carries 23 bytes of framing. A file may hold several
archives back to back; they decode to the concatenation of their contents.

Both directions stream in bounded memory: `ArchiveCompressor` holds at most one raw
chunk, `ArchiveDecompressor` at most one compressed chunk plus its decoded output
(beyond what a caller hands it in one call).
They are push-style, like `lzma.LZMACompressor` / `lzma.LZMADecompressor`, and
`ArchiveReader` turns a file of archives into a readable stream on top of them.
`frames` lays an archive out in its parts without decoding it, for tests and tools.
"""
import io
import struct
import zlib
from dataclasses import dataclass

from .engine import CHUNK_SIZE, MAX_CHUNK_SIZE, Decoder, Encoder, max_payload_size
from .errors import PaqlstmError
from .settings import SCHEMA, Settings

MAGIC = b"PQLS"
FORMAT_VERSION = 6   # changes whenever the model predicts differently: a decoder must replay it exactly

_CHECK = struct.Struct("<H")          # the header's check: the low 16 bits of its CRC-32
_CRC = struct.Struct("<I")            # the trailer's CRC-32 of the data
_FLOAT = struct.Struct("<d")
MAX_SETTINGS = 1024                   # bytes: every option stored takes far less
MAX_LENGTH = (1 << 63) - 1            # of the data, in the trailer
_END_OF_CHUNKS = b"\x00"               # a chunk of raw length 0

# File reads while decoding: large enough that Python overhead vanishes next to
# decoding, small enough not to matter for memory.
READ_SIZE = 1 << 18


class _Incomplete(Exception):
    """The bytes for a field have not all arrived yet."""


def varint(n):
    """n >= 0 as LEB128: 7 bits a byte, low bits first, the high bit set on all but the last."""
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(buf, pos, limit, error):
    """(value, position after it) of the varint at buf[pos]; `error` (a message) when it
    exceeds `limit` or is not the shortest encoding; _Incomplete if buf ends inside it."""
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise _Incomplete
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if value > limit or (byte == 0 and shift > 7):
            raise PaqlstmError(error)
        if byte < 0x80:
            return value, pos


def _could_be_archive(prefix):
    """Whether bytes that start a file are consistent with an archive (so far)."""
    return MAGIC.startswith(bytes(prefix[:len(MAGIC)]))


# --- settings: (position in SCHEMA, value) for each option that differs from the value
# the options before it imply (the level implies the table sizes, the LSTM kind the blend),
# so defaults cost nothing and an option of an LSTM kind not in use is never stored.

def _stored_options(settings):
    known = {}
    for index, option in enumerate(SCHEMA):
        if option.stored_for and settings.lstm not in option.stored_for:
            continue
        value = getattr(settings, option.name)
        if value != getattr(Settings(**known), option.name):
            known[option.name] = value
            yield index, option, value


def _value_bytes(option, value):
    """A str option: the word's index. A number: the value (a varint, or a float64); an option
    that also takes words (the blend's 'learn') first says which: 0 a number, 1 + the word's index."""
    if option.kind in (str, bool):
        return varint(option.words.index(value) if option.kind is str else int(value))
    if value in option.words:
        return varint(1 + option.words.index(value))
    return (b"\x00" if option.words else b"") + (varint(value) if option.kind is int else _FLOAT.pack(value))


def settings_bytes(settings):
    return b"".join(varint(index) + _value_bytes(option, value) for index, option, value in _stored_options(settings))


def _read_value(option, body, pos):
    unreadable = "corrupt archive: unreadable header"
    if option.kind in (str, bool):
        choices = len(option.words) if option.kind is str else 2
        code, pos = _read_varint(body, pos, choices - 1, unreadable)
        return (option.words[code] if option.kind is str else bool(code)), pos
    if option.words:
        code, pos = _read_varint(body, pos, len(option.words), unreadable)
        if code:
            return option.words[code - 1], pos
    if option.kind is int:
        return _read_varint(body, pos, 1 << 32, unreadable)
    if pos + _FLOAT.size > len(body):
        raise _Incomplete
    return _FLOAT.unpack_from(body, pos)[0], pos + _FLOAT.size


def read_settings(body):
    """Settings from a header's settings bytes (their check already passed); PaqlstmError
    unless they are exactly what settings_bytes writes for valid settings."""
    values, pos, last = {}, 0, -1
    try:
        while pos < len(body):
            index, pos = _read_varint(body, pos, len(SCHEMA) - 1, "unsupported settings in archive header")
            if index <= last:
                raise PaqlstmError("unsupported settings in archive header")
            option = SCHEMA[index]
            values[option.name], pos = _read_value(option, body, pos)
            last = index
    except _Incomplete:
        raise PaqlstmError("corrupt archive: unreadable header") from None
    settings = Settings(**values)
    if settings_bytes(settings) != bytes(body):   # a default stored, an option of another LSTM kind
        raise PaqlstmError("unsupported settings in archive header")
    return settings


def _header(settings):
    body = settings_bytes(settings)
    head = MAGIC + bytes([FORMAT_VERSION]) + varint(len(body)) + body
    return head + _CHECK.pack(zlib.crc32(head) & 0xFFFF)


def _trailer(length, crc):
    return varint(length) + _CRC.pack(crc)


class ArchiveCompressor:
    """Turns data fed in pieces into one archive of chunks of chunk_size raw bytes; like
    lzma.LZMACompressor."""

    def __init__(self, settings, chunk_size=CHUNK_SIZE, threads=None):
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size {chunk_size} outside 1-{MAX_CHUNK_SIZE}")
        self.settings = settings
        self._header = _header(settings)  # emitted with the first output
        self._encoder = Encoder(settings, threads)
        self._chunk_size = chunk_size
        self._pending = bytearray()   # raw bytes waiting for a full chunk
        self._length = 0
        self._crc = 0
        self._flushed = False

    def compress(self, data):
        """Take more data (any bytes-like object); return whatever archive bytes are ready."""
        if self._flushed:
            raise ValueError("compressor already flushed")
        view = memoryview(data).cast("B")
        self._length += view.nbytes
        self._crc = zlib.crc32(view, self._crc)
        out = [self._take_header()]
        pos = 0
        while pos < view.nbytes:
            if not self._pending and view.nbytes - pos >= self._chunk_size:
                # Whole chunks straight from the caller's buffer, without copying.
                out.append(self._chunk(view[pos:pos + self._chunk_size]))
                pos += self._chunk_size
                continue
            take = min(self._chunk_size - len(self._pending), view.nbytes - pos)
            self._pending += view[pos:pos + take]
            pos += take
            if len(self._pending) == self._chunk_size:
                out.append(self._chunk(self._pending))
                self._pending = bytearray()
        return b"".join(out)

    def flush(self):
        """Finish the archive: code the last partial chunk and return the remaining bytes."""
        if self._flushed:
            raise ValueError("compressor already flushed")
        self._flushed = True
        out = [self._take_header()]
        if self._pending:
            out.append(self._chunk(self._pending))
            self._pending = bytearray()
        out += [_END_OF_CHUNKS, _trailer(self._length, self._crc)]
        return b"".join(out)

    def stats(self):
        """Diagnostics of the data compressed so far (see engine.Encoder.stats), with settings."""
        return {**self._encoder.stats(), "settings": self.settings.to_dict()}

    def _take_header(self):
        header, self._header = self._header, b""
        return header

    def _chunk(self, raw):
        payload = self._encoder.encode_chunk(raw)
        return varint(len(raw)) + varint(len(payload)) + payload


_HEADER, _CHUNKS, _TRAILER_NEXT, _DONE = range(4)


class ArchiveDecompressor:
    """Decodes one archive fed in pieces; like lzma.LZMADecompressor.

    Everything is checked as soon as the bytes for it have arrived. Whether the
    input ended too early is the caller's to say: `eof` stays False until the
    trailer has been verified and all output returned.
    """

    def __init__(self, threads=None):
        self.settings = None          # known once the header has been read
        self._threads = threads
        self.unused_data = b""        # bytes after the end of the archive
        self.needs_input = True
        self._state = _HEADER
        self._input = bytearray()     # received, not yet parsed
        self._output = bytearray()    # decoded, not yet returned
        self._decoder = None
        self._length = 0
        self._crc = 0

    @property
    def eof(self):
        return self._state == _DONE and not self._output

    def decompress(self, data, max_length=-1):
        """Feed data; return up to max_length decoded bytes (all available if negative)."""
        if self.eof:
            raise EOFError("end of archive already reached")
        if self._state == _DONE:
            self.unused_data += bytes(data)
        else:
            self._input += data
        starved = False
        while max_length < 0 or len(self._output) < max_length:
            if not self._step():
                starved = True
                break
        if max_length < 0:
            max_length = len(self._output)
        result = bytes(self._output[:max_length])
        del self._output[:max_length]
        self.needs_input = starved and self._state != _DONE
        return result

    def _step(self):
        """Parse the next header, chunk or trailer if all its bytes are here; say if one was."""
        if self._state == _HEADER:
            return self._read_header()
        if self._state == _CHUNKS:
            return self._read_chunk()
        if self._state == _TRAILER_NEXT:
            return self._read_trailer()
        return False

    def _read_header(self):
        buf = self._input
        if not _could_be_archive(buf):
            raise PaqlstmError("not a paqlstm archive")
        if len(buf) <= len(MAGIC):
            return False
        version = buf[len(MAGIC)]
        if version != FORMAT_VERSION:
            raise PaqlstmError(f"unsupported archive format version {version}")
        try:
            body_length, start = _read_varint(buf, len(MAGIC) + 1, MAX_SETTINGS, "corrupt archive: unreadable header")
        except _Incomplete:
            return False
        end = start + body_length
        if len(buf) < end + _CHECK.size:
            return False
        if zlib.crc32(buf[:end]) & 0xFFFF != _CHECK.unpack_from(buf, end)[0]:
            raise PaqlstmError("corrupt archive: header checksum mismatch")
        self.settings = read_settings(buf[start:end])
        self._decoder = Decoder(self.settings, self._threads)
        del buf[:end + _CHECK.size]
        self._state = _CHUNKS
        return True

    def _read_chunk(self):
        buf = self._input
        impossible = "corrupt archive: impossible chunk length"
        try:
            raw_length, pos = _read_varint(buf, 0, MAX_CHUNK_SIZE, impossible)
            if raw_length == 0:
                del buf[:pos]
                self._state = _TRAILER_NEXT
                return True
            comp_length, pos = _read_varint(buf, pos, max_payload_size(raw_length), impossible)
        except _Incomplete:
            return False
        end = pos + comp_length
        if len(buf) < end:
            return False
        data = self._decoder.decode_chunk(bytes(buf[pos:end]), raw_length)
        del buf[:end]
        self._length += len(data)
        self._crc = zlib.crc32(data, self._crc)
        self._output += data
        return True

    def _read_trailer(self):
        buf = self._input
        try:
            length, pos = _read_varint(buf, 0, MAX_LENGTH, "corrupt archive: checksum mismatch")
        except _Incomplete:
            return False
        end = pos + _CRC.size
        if len(buf) < end:
            return False
        if (length, _CRC.unpack_from(buf, pos)[0]) != (self._length, self._crc):
            raise PaqlstmError("corrupt archive: checksum mismatch")
        self.unused_data = bytes(buf[end:])
        self._input = bytearray()
        self._decoder = None          # frees the model
        self._state = _DONE
        return True


class ArchiveReader(io.RawIOBase):
    """The decoded contents of a binary file holding one or more archives, as a raw stream.

    Raises PaqlstmError if the file is empty, ends inside an archive, or has bytes
    after an archive that do not start another one.
    """

    def __init__(self, fileobj, threads=None):
        self._file = fileobj
        self._threads = threads
        self._decompressor = ArchiveDecompressor(threads)
        self._started = False        # read any input yet?
        self._position = 0           # decoded bytes returned so far

    def readable(self):
        return True

    def tell(self):
        return self._position

    def readinto(self, buffer):
        with memoryview(buffer) as view, view.cast("B") as target:
            data = self.read(len(target))
            target[:len(data)] = data
        return len(data)

    def readall(self):
        return b"".join(iter(lambda: self.read(-1), b""))

    def read(self, size=-1):
        """Up to `size` decoded bytes (whatever is ready if negative); b"" only at the end."""
        if size == 0:
            return b""
        while True:
            if self._decompressor.eof:
                data = self._decompressor.unused_data or self._file.read(READ_SIZE)
                if not data:
                    return b""
                if not _could_be_archive(data):
                    raise PaqlstmError("trailing garbage after archive")
                self._decompressor = ArchiveDecompressor(self._threads)
            elif self._decompressor.needs_input:
                data = self._file.read(READ_SIZE)
                if not data:
                    raise PaqlstmError("truncated archive" if self._started
                                       else "not a paqlstm archive (empty input)")
                self._started = True
            else:
                data = b""
            result = self._decompressor.decompress(data, size)
            if result:
                self._position += len(result)
                return result


@dataclass(frozen=True)
class ChunkFrame:
    """Where one chunk is in a file of archives, and the lengths it declares."""
    start: int                # its raw length field
    raw_length: int
    compressed_length: int
    payload_start: int

    @property
    def end(self):
        return self.payload_start + self.compressed_length


@dataclass(frozen=True)
class ArchiveFrame:
    """The parts of one archive in a file of archives: offsets and the fields' values."""
    start: int                # its magic
    version: int
    settings_bytes: bytes     # the header's settings, as stored
    header_check: int
    header_end: int           # just past the header's check
    chunks: tuple             # ChunkFrame, in order
    end_of_chunks: int        # the empty chunk that ends the run
    trailer_start: int
    length: int               # the trailer's length of the data
    crc: int                  # the trailer's CRC-32 of the data
    end: int                  # just past the trailer

    @property
    def settings(self):
        """The header's settings, as Settings.to_dict() gives them."""
        return read_settings(self.settings_bytes).to_dict()

    @property
    def framing(self):
        """Bytes of the archive that are not the engine's coded data."""
        return self.end - self.start - sum(chunk.compressed_length for chunk in self.chunks)


def frames(data):
    """The archives in `data` (a file of them, back to back), laid out without decoding or
    checking any CRC; PaqlstmError where the layout itself is broken (a tool's input should be
    a well-formed archive: the decoder is what judges damaged ones)."""
    found, pos = [], 0
    broken = "broken archive layout"
    try:
        while pos < len(data):
            if data[pos:pos + len(MAGIC)] != MAGIC:
                raise PaqlstmError(f"not a paqlstm archive at offset {pos}")
            version = data[pos + len(MAGIC)]
            body_length, body_start = _read_varint(data, pos + len(MAGIC) + 1, MAX_SETTINGS, broken)
            settings_end = body_start + body_length
            header_end = settings_end + _CHECK.size
            if header_end > len(data):
                raise _Incomplete
            chunks, at = [], header_end
            while True:
                raw_length, next_pos = _read_varint(data, at, MAX_CHUNK_SIZE, broken)
                if raw_length == 0:
                    break
                comp_length, payload_start = _read_varint(data, next_pos, max_payload_size(raw_length), broken)
                chunks.append(ChunkFrame(at, raw_length, comp_length, payload_start))
                at = chunks[-1].end
            trailer_start = next_pos
            length, crc_start = _read_varint(data, trailer_start, MAX_LENGTH, broken)
            end = crc_start + _CRC.size
            if end > len(data):
                raise _Incomplete
            found.append(ArchiveFrame(
                pos, version, bytes(data[body_start:settings_end]), *_CHECK.unpack_from(data, settings_end),
                header_end, tuple(chunks), at, trailer_start, length, *_CRC.unpack_from(data, crc_start), end))
            pos = end
    except (_Incomplete, IndexError):
        raise PaqlstmError(f"truncated archive at offset {pos}") from None
    return found
