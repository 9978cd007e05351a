"""The archive format: the one place that writes and reads it (see docs/FORMAT.md).

An archive is a header (magic, format version, the model settings as JSON), a run
of chunks each coded by the engine, an empty chunk that ends the run, and a trailer
with the length and CRC-32 of the original data. A file may hold several archives
back to back; they decode to the concatenation of their contents.

Both directions stream in bounded memory: `ArchiveCompressor` holds at most one raw
chunk, `ArchiveDecompressor` at most one compressed chunk plus its decoded output
(beyond what a caller hands it in one call).
They are push-style, like `lzma.LZMACompressor` / `lzma.LZMADecompressor`, and
`ArchiveReader` turns a file of archives into a readable stream on top of them.
`frames` lays an archive out in its parts without decoding it, for tests and tools.
"""
import io
import json
import struct
import zlib
from dataclasses import dataclass

from .engine import CHUNK_SIZE, MAX_CHUNK_SIZE, Decoder, Encoder, max_payload_size
from .errors import PaqlstmError
from .settings import Settings

MAGIC = b"PQLS"
FORMAT_VERSION = 2   # changes whenever the model predicts differently: a decoder must replay it exactly

_PREFIX = struct.Struct("<4sBH")      # magic, format version, settings length
_CRC = struct.Struct("<I")
_CHUNK = struct.Struct("<II")         # raw length, compressed length
_TRAILER = struct.Struct("<QI")       # total length, CRC-32 of data; then _CRC of these
_END_OF_CHUNKS = _CHUNK.pack(0, 0)

# File reads while decoding: large enough that Python overhead vanishes next to
# decoding, small enough not to matter for memory.
READ_SIZE = 1 << 18


def _could_be_archive(prefix):
    """Whether bytes that start a file are consistent with an archive (so far)."""
    return MAGIC.startswith(bytes(prefix[:len(MAGIC)]))


def _header(settings):
    try:
        text = json.dumps(settings.to_dict(), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise PaqlstmError(f"settings cannot be stored in an archive: {exc}") from None
    body = text.encode("utf-8")
    if len(body) > 0xFFFF:
        raise PaqlstmError("settings too large for the archive header")
    head = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(body)) + body
    return head + _CRC.pack(zlib.crc32(head))


def _trailer(length, crc):
    fields = _TRAILER.pack(length, crc)
    return fields + _CRC.pack(zlib.crc32(fields))


class ArchiveCompressor:
    """Turns data fed in pieces into one archive of chunks of chunk_size raw bytes; like
    lzma.LZMACompressor."""

    def __init__(self, settings, chunk_size=CHUNK_SIZE):
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size {chunk_size} outside 1-{MAX_CHUNK_SIZE}")
        self.settings = settings
        self._header = _header(settings)  # emitted with the first output
        self._encoder = Encoder(settings)
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
        return _CHUNK.pack(len(raw), len(payload)) + payload


_HEADER, _CHUNKS, _TRAILER_NEXT, _DONE = range(4)


class ArchiveDecompressor:
    """Decodes one archive fed in pieces; like lzma.LZMADecompressor.

    Everything is checked as soon as the bytes for it have arrived. Whether the
    input ended too early is the caller's to say: `eof` stays False until the
    trailer has been verified and all output returned.
    """

    def __init__(self):
        self.settings = None          # known once the header has been read
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
        if len(buf) < _PREFIX.size:
            return False
        _, version, body_length = _PREFIX.unpack_from(buf)
        if version != FORMAT_VERSION:
            raise PaqlstmError(f"unsupported archive format version {version}")
        end = _PREFIX.size + body_length
        if len(buf) < end + _CRC.size:
            return False
        if zlib.crc32(buf[:end]) != _CRC.unpack_from(buf, end)[0]:
            raise PaqlstmError("corrupt archive: header checksum mismatch")
        try:
            values = json.loads(buf[_PREFIX.size:end].decode("utf-8"))
        except (ValueError, RecursionError):  # RecursionError: deeply nested JSON
            raise PaqlstmError("corrupt archive: unreadable header") from None
        self.settings = Settings.from_dict(values)
        self._decoder = Decoder(self.settings)
        del buf[:end + _CRC.size]
        self._state = _CHUNKS
        return True

    def _read_chunk(self):
        buf = self._input
        if len(buf) < _CHUNK.size:
            return False
        raw_length, comp_length = _CHUNK.unpack_from(buf)
        if raw_length == 0:
            if comp_length != 0:
                raise PaqlstmError("corrupt archive: bad end of chunks")
            del buf[:_CHUNK.size]
            self._state = _TRAILER_NEXT
            return True
        if raw_length > MAX_CHUNK_SIZE or comp_length > max_payload_size(raw_length):
            raise PaqlstmError("corrupt archive: impossible chunk length")
        end = _CHUNK.size + comp_length
        if len(buf) < end:
            return False
        data = self._decoder.decode_chunk(bytes(buf[_CHUNK.size:end]), raw_length)
        del buf[:end]
        self._length += len(data)
        self._crc = zlib.crc32(data, self._crc)
        self._output += data
        return True

    def _read_trailer(self):
        buf = self._input
        end = _TRAILER.size + _CRC.size
        if len(buf) < end:
            return False
        if zlib.crc32(buf[:_TRAILER.size]) != _CRC.unpack_from(buf, _TRAILER.size)[0]:
            raise PaqlstmError("corrupt archive: trailer checksum mismatch")
        if _TRAILER.unpack_from(buf) != (self._length, self._crc):
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

    def __init__(self, fileobj):
        self._file = fileobj
        self._decompressor = ArchiveDecompressor()
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
                self._decompressor = ArchiveDecompressor()
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

    @property
    def payload_start(self):
        return self.start + _CHUNK.size

    @property
    def end(self):
        return self.payload_start + self.compressed_length


@dataclass(frozen=True)
class ArchiveFrame:
    """The parts of one archive in a file of archives: offsets and the fields' values."""
    start: int                # its magic
    version: int
    settings_text: bytes      # the header's JSON, as stored
    header_crc: int
    header_end: int           # just past the header's CRC
    chunks: tuple             # ChunkFrame, in order
    end_of_chunks: int        # the empty chunk that ends the run
    trailer_start: int
    length: int               # the trailer's length of the data
    crc: int                  # the trailer's CRC-32 of the data
    trailer_crc: int
    end: int                  # just past the trailer's CRC

    @property
    def settings(self):
        return json.loads(self.settings_text)


def frames(data):
    """The archives in `data` (a file of them, back to back), laid out without decoding or
    checking any CRC; PaqlstmError where the layout itself is broken (a tool's input should be
    a well-formed archive: the decoder is what judges damaged ones)."""
    found, pos = [], 0
    try:
        while pos < len(data):
            magic, version, body_length = _PREFIX.unpack_from(data, pos)
            if magic != MAGIC:
                raise PaqlstmError(f"not a paqlstm archive at offset {pos}")
            settings_end = pos + _PREFIX.size + body_length
            header_end = settings_end + _CRC.size
            chunks, chunk = [], ChunkFrame(header_end, *_CHUNK.unpack_from(data, header_end))
            while chunk.raw_length:
                chunks.append(chunk)
                chunk = ChunkFrame(chunk.end, *_CHUNK.unpack_from(data, chunk.end))
            trailer_start = chunk.payload_start
            end = trailer_start + _TRAILER.size + _CRC.size
            found.append(ArchiveFrame(
                pos, version, bytes(data[pos + _PREFIX.size:settings_end]), *_CRC.unpack_from(data, settings_end),
                header_end, tuple(chunks), chunk.start, trailer_start, *_TRAILER.unpack_from(data, trailer_start),
                *_CRC.unpack_from(data, trailer_start + _TRAILER.size), end))
            pos = end
    except struct.error:
        raise PaqlstmError(f"truncated archive at offset {pos}") from None
    return found
