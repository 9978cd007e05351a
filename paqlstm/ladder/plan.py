"""What a ladder runs: rung sizes, the sweep grid, and the compress options of each arm.

Pure functions over strings and numbers; nothing here starts a process.
"""
import itertools
import re
from dataclasses import dataclass, field

from ..settings import LSTM_OPTIONS

DEFAULT_RUNGS = "1K,100K,10M"
SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
BASELINE = "baseline"


@dataclass(frozen=True)
class Rung:
    """One rung: `label` as the user wrote it, `requested` bytes, the `length` actually used."""
    label: str
    requested: int
    length: int
    note: str = ""


@dataclass(frozen=True)
class Variant:
    """An LSTM-on configuration: `params` maps sweep keys (LSTM options) to their values."""
    name: str
    params: dict = field(default_factory=dict)

    def flags(self):
        """The compress options that select this variant: --lstm plus its parameters."""
        return ("--lstm",) + option_flags(self.params)


def parse_size(text):
    """Bytes in a size like 1024, 1K, 100K or 10M (K = 1,024 bytes, M = 1,048,576)."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)B?\s*", text.upper())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"invalid size {text!r}: expected e.g. 1024, 1K, 100K or 10M")
    return int(match.group(1)) * SIZE_UNITS[match.group(2)]


def parse_rungs(text):
    """[(label, bytes)] from '1K,100K,10M', smallest first, each size once."""
    rungs = {}
    for label in (part.strip() for part in text.split(",")):
        if label:
            rungs.setdefault(parse_size(label), label)
    if not rungs:
        raise ValueError("no rungs given")
    return [(label, size) for size, label in sorted(rungs.items())]


def plan_rungs(rungs, input_size):
    """The rungs to run on an input of input_size bytes.

    A rung larger than the input uses all of it, and says so; a rung that would repeat
    the previous one's bytes exactly is dropped.
    """
    planned = []
    for label, requested in rungs:
        length = min(requested, input_size)
        if planned and planned[-1].length == length:
            continue
        note = "" if length == requested else f"INPUT has only {input_size:,} bytes: this rung uses all of them"
        planned.append(Rung(label, requested, length, note))
    return planned


def dropped_rungs(rungs, planned):
    """Labels of requested rungs that plan_rungs dropped as repeats."""
    kept = {rung.label for rung in planned}
    return [label for label, _ in rungs if label not in kept]


def check_value(key, text):
    """The value `text` of sweep key `key` as the compressor will read it; ValueError if invalid."""
    if key not in LSTM_OPTIONS:
        raise ValueError(f"unknown sweep key {key!r}: expected one of {', '.join(LSTM_OPTIONS)}")
    try:
        return LSTM_OPTIONS[key].parse(text)
    except ValueError as exc:
        raise ValueError(f"invalid {key} value {exc}") from None


def is_sweep_word(word):
    """True for a KEY=VALUES word whose KEY is a sweep key (so not a file name)."""
    key, sep, _ = word.partition("=")
    return bool(sep) and key in LSTM_OPTIONS


def parse_sweep(words):
    """{key: [value, ...]} from words like 'lstm_cells=32,48,64'; keys in the order given."""
    sweep = {}
    for word in words:
        key, sep, values = word.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"invalid sweep {word!r}: expected KEY=V1,V2,...")
        texts = [v.strip() for v in values.split(",") if v.strip()]
        if not texts:
            raise ValueError(f"sweep {key} has no values")
        for text in texts:
            check_value(key, text)
        if key in sweep:
            raise ValueError(f"sweep key {key} given twice")
        sweep[key] = list(dict.fromkeys(texts))
    return sweep


def option_flags(params):
    """('--lstm-cells', '48', ...) for a {sweep key: value} mapping."""
    flags = []
    for key, value in params.items():
        flags += [LSTM_OPTIONS[key].flag, str(value)]
    return tuple(flags)


def variants(fixed, sweep):
    """The LSTM-on variants: every combination of the sweep's values over the fixed options.

    Without a sweep there is one variant, named 'lstm'. A variant's name lists only the
    swept keys; its params hold the fixed options too.
    """
    if not sweep:
        return [Variant("lstm", dict(fixed))]
    keys = list(sweep)
    found = []
    for values in itertools.product(*(sweep[key] for key in keys)):
        swept = dict(zip(keys, values))
        found.append(Variant("lstm " + " ".join(f"{k}={v}" for k, v in swept.items()), {**fixed, **swept}))
    return found
