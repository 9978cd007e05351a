"""paqlstm: a PAQ-family context-mixing compressor with an LSTM mixer, in Numba."""
__version__ = "0.1.0"
