"""Compiled kernels: one component per module (coder, squash, states, statemap,
contextmap, match, mixer, apm, lstm). Each module's header says what it predicts,
from which context, and how it learns."""
