"""The Python API, shaped like the standard library's `lzma` module.

One-shot `compress` / `decompress`, incremental `Compressor` / `Decompressor`, and
`open` for file objects in binary or text mode. All of them go through
`paqlstm.container`, which alone knows the archive format.
"""
import builtins
import io
import os

from .container import ArchiveCompressor, ArchiveDecompressor, ArchiveReader
from .engine import CHUNK_SIZE
from .settings import DEFAULT_LEVEL, OPTIONS, Settings


class Compressor(ArchiveCompressor):
    """Incremental compressor, like lzma.LZMACompressor: `compress()` pieces, then `flush()`.

    `level` and any further keyword options become the archive's `Settings` (the
    options of paqlstm.settings.SCHEMA: lstm ("off", "mixer", "model", "both"; True is
    "model"), lstm_cells, lstm_layers, lstm_horizon, lstm_lr, lstm_clip, mixer_cells,
    mixer_horizon, mixer_lr, mixer_clip, blend; a keyword that is none of them is a
    TypeError). When
    `size_hint` (the input's length, if known) is given, the model's tables are sized
    to it: a short input then starts faster and needs less memory to decompress. Any
    amount of data may still be written. `chunk_size` is the raw bytes per chunk (not
    stored: any decoder reads any chunk size). `threads` (default: 2 where the machine has
    them) is how many threads code: the byte LSTM's delayed training takes a second one; the
    archive is the same with any number. `stats()` returns the diagnostics:
    coding cost per window of the final, classic and each LSTM's predictions, and each
    LSTM's prediction spread, weight norms and step counts.
    """

    def __init__(self, level=DEFAULT_LEVEL, *, size_hint=None, chunk_size=CHUNK_SIZE, threads=None, **options):
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise TypeError(f"unknown option {unknown[0]!r}: expected one of {', '.join(OPTIONS)}")
        settings = Settings(level=level, **options)
        super().__init__(settings if size_hint is None else settings.sized_for(size_hint), chunk_size,
                         check_threads(threads))


class Decompressor(ArchiveDecompressor):
    """Incremental decompressor of one archive, like lzma.LZMADecompressor.

    `decompress(data, max_length=-1)`, `eof`, `needs_input`, and `unused_data`
    (the bytes that followed the archive). `threads` as Compressor's.
    """

    def __init__(self, *, threads=None):
        super().__init__(check_threads(threads))


def compress(data, level=DEFAULT_LEVEL, *, threads=None, **options):
    """Compress a bytes-like object into one archive."""
    data = memoryview(data)
    compressor = Compressor(level, size_hint=data.nbytes, threads=threads, **options)
    return compressor.compress(data) + compressor.flush()


def decompress(data, *, threads=None):
    """Decompress a bytes-like object holding one or more archives back to back."""
    return ArchiveReader(io.BytesIO(data), check_threads(threads)).readall()


def check_threads(threads):
    """threads as given (None: the default), if a whole number of at least 1; else ValueError."""
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ValueError(f"threads must be a whole number of at least 1, not {threads!r}")
    return threads


_READ_MODES = ("r", "rb")
_WRITE_MODES = ("w", "wb", "x", "xb", "a", "ab")


class PaqlstmFile(io.BufferedIOBase):
    """A binary file object that compresses what is written / decompresses what is read.

    `filename` is a path (str, bytes or PathLike) or a binary file object. Modes:
    "r"/"rb" read; "w"/"wb" truncate; "x"/"xb" create exclusively; "a"/"ab" append
    a new archive (readers decode back-to-back archives as one stream). Not seekable.
    """

    def __init__(self, filename, mode="rb", *, level=None, threads=None, **options):
        self._file = None
        self._close_file = False
        self._reader = None
        self._compressor = None
        if mode in _READ_MODES:
            if level is not None or options:
                raise ValueError("compression settings are not used when reading")
        elif mode in _WRITE_MODES:
            self._compressor = Compressor(DEFAULT_LEVEL if level is None else level, threads=threads, **options)
            self._written = 0
        else:
            raise ValueError(f"invalid mode: {mode!r}")
        if isinstance(filename, (str, bytes, os.PathLike)):
            self._file = builtins.open(filename, mode if "b" in mode else mode + "b")
            self._close_file = True
        elif hasattr(filename, "read") or hasattr(filename, "write"):
            self._file = filename
        else:
            raise TypeError("filename must be a str, bytes, PathLike or file object")
        if self._compressor is None:
            self._reader = io.BufferedReader(ArchiveReader(self._file, check_threads(threads)))

    @property
    def closed(self):
        return self._file is None

    def close(self):
        """Finish the archive (when writing) and close the underlying file if we opened it."""
        if self.closed:
            return
        try:
            if self._compressor is not None:
                self._file.write(self._compressor.flush())
        finally:
            try:
                if self._close_file:
                    self._file.close()
            finally:
                self._file = self._reader = self._compressor = None

    def _check(self, reading):
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if reading and self._reader is None:
            raise io.UnsupportedOperation("file not open for reading")
        if not reading and self._compressor is None:
            raise io.UnsupportedOperation("file not open for writing")

    def fileno(self):
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return self._file.fileno()

    def readable(self):
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return self._reader is not None

    def writable(self):
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return self._compressor is not None

    def seekable(self):
        return False

    def read(self, size=-1):
        self._check(reading=True)
        return self._reader.read(size)

    def read1(self, size=-1):
        self._check(reading=True)
        return self._reader.read1(size)

    def readinto(self, buffer):
        self._check(reading=True)
        return self._reader.readinto(buffer)

    def readline(self, size=-1):
        self._check(reading=True)
        return self._reader.readline(size)

    def peek(self, size=0):
        self._check(reading=True)
        return self._reader.peek(size)

    def write(self, data):
        """Compress and write a bytes-like object; returns its length in bytes."""
        self._check(reading=False)
        view = memoryview(data)
        self._file.write(self._compressor.compress(view))
        self._written += view.nbytes
        return view.nbytes

    def tell(self):
        """Position in the uncompressed data."""
        if self._reader is not None:
            return self._reader.tell()
        self._check(reading=False)
        return self._written


def open(filename, mode="rb", *, level=None, encoding=None, errors=None,
         newline=None, threads=None, **options):
    """Open an archive in binary ("rb", "wb", "xb", "ab") or text ("rt", "wt", "xt", "at") mode.

    Binary modes return a PaqlstmFile; text modes wrap it in io.TextIOWrapper with
    the given encoding, errors and newline (which binary modes do not take).
    `level` (default DEFAULT_LEVEL) and other options are for writing only; `threads` as
    Compressor's.
    """
    if "t" in mode:
        if "b" in mode:
            raise ValueError(f"invalid mode: {mode!r}")
    elif (encoding, errors, newline) != (None, None, None):
        raise ValueError("encoding, errors and newline are for text mode only")
    binary = PaqlstmFile(filename, mode.replace("t", ""), level=level, threads=threads, **options)
    if "t" in mode:
        return io.TextIOWrapper(binary, io.text_encoding(encoding), errors, newline)
    return binary
