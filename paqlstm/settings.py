"""The model's settings: every option declared once, in SCHEMA.

An option's name, type, range, default, help and whether the archive header stores
it are written here and nowhere else. From SCHEMA come the `Settings` dataclass and
its validation (of API keywords and of archive headers alike), the header's options
(each stored by its position in SCHEMA, when it differs from its default: container.py),
`paqlstm compress`'s options (paqlstm/click_options.py) and the ladder's sweep keys
and options (LSTM_OPTIONS).
"""
import math
from dataclasses import asdict, dataclass, replace

from .errors import PaqlstmError
from .mixers import lstm_mixer as mixer_kernel
from .models import byte_lstm as lstm_kernel
from .predictor import lstm_memory, model_memory

# level -> (log2 bytes of hashed context buckets, log2 bytes of match history).
# Level 9 keeps level 8's 256 MB of buckets: 512 MB saved 0.2 % on dickens but coded
# about 15 % slower, random reads that far apart missing the address-translation
# caches (docs/TUNING.md, "Fewer instructions, fewer cache lines").
LEVEL_TABLE_BITS = {
    1: (21, 20), 2: (22, 21), 3: (23, 22), 4: (24, 23), 5: (25, 24),
    6: (26, 24), 7: (27, 25), 8: (28, 25), 9: (28, 26),
}
# The strong profile's: its ~2x as many hashed contexts share the buckets, so at level 9
# 512 MB of buckets pays more than the time it costs (exp/tune: whole dickens in the message).
STRONG_LEVEL_TABLE_BITS = {**LEVEL_TABLE_BITS, 9: (29, 26)}
DEFAULT_LEVEL = 9
MIN_TABLE_BITS = 16           # smallest hashed-bucket or history table a model uses
BUCKET_BYTES_PER_INPUT_BYTE = 128  # table bytes per input byte; more gains under 0.1 % (alice29, dickens 100 KB)
LEARNED_BLEND = "learn"
# Which LSTM: the byte model (an input of the classic mixer), the plan's LSTM mixer (over
# the models' predictions, blended with the classic chain), both, or none.
LSTM_OFF, LSTM_MODEL, LSTM_MIXER, LSTM_BOTH = "off", "model", "mixer", "both"
LSTM_KINDS = (LSTM_OFF, LSTM_MIXER, LSTM_MODEL, LSTM_BOTH)
WITH_MODEL, WITH_MIXER = (LSTM_MODEL, LSTM_BOTH), (LSTM_MIXER, LSTM_BOTH)
WITH_LSTM = (LSTM_MODEL, LSTM_MIXER, LSTM_BOTH)
# The blend's default: the byte model alone measured best only feeding the mixer
# (docs/TUNING.md, "Hybrid"); the mixer starts at the plan's 20 %.
MODEL_BLEND, MIXER_BLEND = 0.0, 0.2
# The model's profile: the strongest (paq8-class contexts, inputs, weight sets and SSE),
# or the fast lpaq/zpaq-class model of format 2, several times faster.
STRONG, FAST = "strong", "fast"
PROFILES = (STRONG, FAST)


def level_tables(profile):
    """The table sizes by level of a profile."""
    return STRONG_LEVEL_TABLE_BITS if profile == STRONG else LEVEL_TABLE_BITS


# Measured: `python scripts/bench.py ../shared/data/dickens --codecs paqlstm,paqlstm-fast,zpaq`
# (level 9, one core of the project's 2-core machine, one run; docs/TUNING.md).
PROFILE_SPEEDS = ("Speed on dickens (10 MB of English), level 9, one core, compress / decompress:\n"
                  "  strong  142 / 158 KB/s  1,993,493 B\n"
                  "  --fast  468 / 496 KB/s  2,085,622 B\n"
                  "  (zpaq -m5: 2,090,314 B at 319 / 291 KB/s in the same run)")


def level_memory(level, profile=STRONG):
    """Bytes of model memory a level uses (an upper bound; pages untouched stay free)."""
    return Settings(level=level, profile=profile).memory()


def _shown(value):
    """A value for an error message, clipped: a forged header must not give a 64 KB line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_int(value):
    """An int that is not a bool (JSON `true` must not pass for level 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


@dataclass(frozen=True)
class Option:
    """One setting of the model.

    `high` is a number, or for the table sizes a function of the level and the profile
    (their default, None, then means that maximum). `words` are values allowed besides the numbers (a
    str option takes only words); `aliases` are (value, word) pairs read as the word.
    An option with `stored_for` is part of the model (and of the archive header, when
    not at its default) only when the `lstm` option is one of those kinds. Options are
    stored by their position in SCHEMA: new ones go last (and a format version).
    """
    name: str
    kind: type                  # bool, int, float or str
    default: object
    help: str
    low: float = None
    high: object = None
    above_low: bool = False     # low itself is not allowed
    words: tuple = ()
    aliases: tuple = ()
    stored_for: tuple = None
    command_line: bool = True   # `paqlstm compress` takes it (the API takes every option)

    @property
    def flag(self):
        return "--" + self.name.replace("_", "-")

    @property
    def metavar(self):
        return "|".join(({int: "N", float: "X", str: ""}[self.kind], *self.words)).lstrip("|")

    def expected(self, level=None, profile=None):
        """What the option takes, for help and error messages: '1-512', 'above 0, at most 1'."""
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "one of " + ", ".join(map(repr, self.words))
        high = self.high(level, profile) if callable(self.high) else self.high
        text = f"above {self.low}, at most {high}" if self.above_low else f"{self.low}-{high}"
        if callable(self.high):
            text += f" at level {level} of the {profile} profile"
        return text + "".join(f" or {word!r}" for word in self.words)

    def check(self, value, level=None, profile=None):
        """value as the model takes it (numbers of a float option as float); PaqlstmError if not allowed.
        `level` and `profile` (already checked) bound the table sizes."""
        high = self.high(level, profile) if callable(self.high) else self.high
        if value is None and callable(self.high):
            return high
        if isinstance(value, str) and value in self.words:
            return value
        for alias, word in self.aliases:
            if value is alias:
                return word
        if self.kind in (bool, str):
            allowed = self.kind is bool and isinstance(value, bool)
        else:
            allowed = (_is_int(value) if self.kind is int else _is_number(value)) and value <= high \
                and (value > self.low if self.above_low else value >= self.low)
        if not allowed:
            raise PaqlstmError(f"invalid {self.name} {_shown(value)}: expected {self.expected(level, profile)}")
        return float(value) if self.kind is float else value

    def parse(self, text):
        """The checked value of a command-line word (not for booleans); ValueError if it is none."""
        try:
            return self.check(text if text in self.words or self.kind is str else self.kind(text))
        except (ValueError, PaqlstmError):
            raise ValueError(f"{text!r}: expected {self.expected()}") from None


SCHEMA = (   # in the order of Settings' fields; level comes first, as it bounds the table sizes
    Option("level", int, DEFAULT_LEVEL, "Compression level", low=min(LEVEL_TABLE_BITS), high=max(LEVEL_TABLE_BITS)),
    Option("profile", str, STRONG, "Model: 'strong', paq8-class, or 'fast', several times faster and a few "
           "per cent larger (--fast)", words=PROFILES),
    Option("hash_bits", int, None, "log2 bytes of the hashed context buckets (the level's, or fewer for a "
           "short input)", low=MIN_TABLE_BITS, high=lambda level, profile: level_tables(profile)[level][0], command_line=False),
    Option("history_bits", int, None, "log2 bytes of the match model's history (the level's, or fewer for a "
           "short input)", low=MIN_TABLE_BITS, high=lambda level, profile: level_tables(profile)[level][1], command_line=False),
    Option("lstm", str, LSTM_OFF, "Which LSTM: 'model', a byte LSTM feeding the mixer (a bare --lstm); "
           "'mixer', the plan's LSTM mixer over the models' predictions, blended with the classic chain; 'both'; "
           "or 'off'. Slower, usually smaller", words=LSTM_KINDS, aliases=((False, LSTM_OFF), (True, LSTM_MODEL)),
           stored_for=WITH_LSTM),
    Option("lstm_cells", int, lstm_kernel.DEFAULT_CELLS, "Byte LSTM: cells per layer", low=1, high=512,
           stored_for=WITH_MODEL),
    Option("lstm_layers", int, lstm_kernel.DEFAULT_LAYERS, "Byte LSTM: layers", low=1, high=4, stored_for=WITH_MODEL),
    Option("lstm_horizon", int, lstm_kernel.DEFAULT_HORIZON, "Byte LSTM: bytes of backpropagation through time "
           "per training step", low=1, high=1000, stored_for=WITH_MODEL),
    Option("lstm_lr", float, lstm_kernel.DEFAULT_LR, "Byte LSTM: learning rate (Adam)", low=0, high=1,
           above_low=True, stored_for=WITH_MODEL),
    Option("lstm_clip", float, lstm_kernel.DEFAULT_CLIP, "Byte LSTM: clip of the error flowing back through "
           "each cell", low=0, high=1000, above_low=True, stored_for=WITH_MODEL),
    Option("mixer_cells", int, mixer_kernel.DEFAULT_CELLS, "LSTM mixer: cells", low=1, high=512,
           stored_for=WITH_MIXER),
    Option("mixer_horizon", int, mixer_kernel.DEFAULT_HORIZON, "LSTM mixer: bits of backpropagation through time "
           "per training step", low=1, high=8000, stored_for=WITH_MIXER),
    Option("mixer_lr", float, mixer_kernel.DEFAULT_LR, "LSTM mixer: learning rate (Adam)", low=0, high=1,
           above_low=True, stored_for=WITH_MIXER),
    Option("mixer_clip", float, mixer_kernel.DEFAULT_CLIP, "LSTM mixer: clip of the error flowing back through "
           "each cell", low=0, high=1000, above_low=True, stored_for=WITH_MIXER),
    Option("blend", float, None, f"The LSTM's weight in the final probability: the mixer's when it is on (default "
           f"{MIXER_BLEND}), else the byte model's (default {MODEL_BLEND}: it only feeds the mixer); "
           f"'{LEARNED_BLEND}': a learned weight", low=0, high=1, words=(LEARNED_BLEND,), stored_for=WITH_LSTM),
    Option("lstm_output", str, lstm_kernel.OUTPUTS[lstm_kernel.SOFTMAX], "Byte LSTM: output layer: 'softmax' over "
           "the 256 byte values, or 'tree', a logistic unit per node of the byte's binary tree (8 a byte)",
           words=lstm_kernel.OUTPUTS, stored_for=WITH_MODEL),
    Option("lstm_update", str, lstm_kernel.UPDATES_AT[lstm_kernel.UPDATE_NOW], "Byte LSTM: when a window's "
           "training update is applied: 'now', at its end, or 'delayed', at the end of the next window, so that "
           "a second thread computes it while coding goes on (the archive is the same with any --threads)",
           words=lstm_kernel.UPDATES_AT, stored_for=WITH_MODEL),
)
OPTIONS = {option.name: option for option in SCHEMA}
# The LSTMs' parameters: `paqlstm compress --lstm` takes them, and the ladder sweeps them.
LSTM_OPTIONS = {option.name: option for option in SCHEMA if option.stored_for and option.name != "lstm"}


def _bits_for(size):
    """Smallest b with 2**b >= size."""
    return max(0, size - 1).bit_length()


def _schema_fields(cls):
    """cls as a frozen dataclass with a field per schema option, in schema order."""
    cls.__annotations__ = {option.name: option.kind for option in SCHEMA}
    for option in SCHEMA:
        setattr(cls, option.name, option.default)
    return dataclass(frozen=True)(cls)


@_schema_fields
class Settings:
    """Everything the decoder must know to rebuild the encoder's model: one field per
    schema option, checked against its range on creation.

    hash_bits / history_bits default to the level's table sizes; `sized_for` shrinks
    them for a short input, which then starts faster and touches less memory.
    """

    def __post_init__(self):
        if self.blend is None:
            kind = OPTIONS["lstm"].check(self.lstm)
            object.__setattr__(self, "blend", MODEL_BLEND if kind == LSTM_MODEL else MIXER_BLEND)
        for option in SCHEMA:   # level and profile first: they bound the table sizes
            object.__setattr__(self, option.name, option.check(getattr(self, option.name), self.level, self.profile))

    def sized_for(self, input_size):
        """These settings with tables no larger than an input of input_size bytes can use."""
        hash_bits = max(MIN_TABLE_BITS, _bits_for(input_size * BUCKET_BYTES_PER_INPUT_BYTE))
        # The match model's position index has a quarter as many slots as the history has
        # bytes: a history 4x the input keeps it as sparse as a full-size one (xml: -0.6 %).
        history_bits = max(MIN_TABLE_BITS, _bits_for(input_size) + 2)
        return replace(self, hash_bits=min(self.hash_bits, hash_bits),
                       history_bits=min(self.history_bits, history_bits))

    def memory(self):
        """Bytes of model memory these settings use."""
        return model_memory(self)

    @property
    def strong(self):
        """True for the strong profile: the models read it in `new` to size and switch their parts."""
        return self.profile == STRONG

    @property
    def byte_model(self):
        """True when the byte LSTM model is on."""
        return self.lstm in WITH_MODEL

    @property
    def lstm_mixer(self):
        """True when the plan's LSTM mixer is on."""
        return self.lstm in WITH_MIXER

    @property
    def blend_weight(self):
        """The LSTM's fixed blend weight, or None when the blend is learned."""
        return None if self.blend == LEARNED_BLEND else self.blend

    def lstm_memory(self):
        """Bytes the LSTMs' arrays take (0 when they are off)."""
        return lstm_memory(self)

    def to_dict(self):
        """Every field but the options not stored for this LSTM kind: what the model is built from."""
        values = asdict(self)
        for option in SCHEMA:
            if option.stored_for and self.lstm not in option.stored_for:
                del values[option.name]
        return values
