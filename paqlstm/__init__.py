"""paqlstm: a PAQ-family context-mixing compressor with an LSTM mixer, in Numba.

The API mirrors the standard library's `lzma`: `compress`, `decompress`, `open`,
`Compressor`, `Decompressor` and the one exception type `PaqlstmError`.
"""
from .api import Compressor, Decompressor, PaqlstmFile, compress, decompress, open
from .settings import DEFAULT_LEVEL
from .errors import PaqlstmError

__version__ = "0.1.0"

__all__ = ["Compressor", "Decompressor", "PaqlstmFile", "PaqlstmError", "DEFAULT_LEVEL",
           "compress", "decompress", "open", "__version__"]
