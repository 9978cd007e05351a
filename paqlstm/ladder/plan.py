"""What a ladder runs: rung sizes, the sweep grid, and the compress options of each arm.

Pure functions over strings and numbers; nothing here starts a process.
"""
import itertools
import re
from dataclasses import dataclass, field

from ..engine import LEARNED_BLEND

DEFAULT_RUNGS = "1K,100K,10M"
SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
BASELINE = "baseline"


def _blend(text):
    """A fixed blend weight, or 'learn' (the compressor learns the blend)."""
    return text if text == LEARNED_BLEND else float(text)


# The compressor's LSTM options, by sweep key: (flag, type, check, what the check wants).
# The compressor checks its own limits too; these catch typos before anything runs.
LSTM_OPTIONS = {
    "lstm_cells": ("--lstm-cells", int, lambda v: v >= 1, "an integer >= 1"),
    "lstm_layers": ("--lstm-layers", int, lambda v: v >= 1, "an integer >= 1"),
    "lstm_lr": ("--lstm-lr", float, lambda v: v > 0, "a number > 0"),
    "lstm_clip": ("--lstm-clip", float, lambda v: v > 0, "a number > 0"),
    "lstm_horizon": ("--lstm-horizon", int, lambda v: v >= 1, "an integer >= 1"),
    "blend": ("--blend", _blend, lambda v: v == LEARNED_BLEND or 0 <= v <= 1, "a number from 0 to 1, or 'learn'"),
}


@dataclass(frozen=True)
class Rung:
    """One rung: `label` as the user wrote it, `requested` bytes, the `length` actually used."""
    label: str
    requested: int
    length: int
    note: str = ""


@dataclass(frozen=True)
class Variant:
    """An LSTM-on configuration: `params` maps sweep keys to values as typed (strings)."""
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
    _, kind, valid, wanted = LSTM_OPTIONS[key]
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not valid(value):
        raise ValueError(f"invalid {key} value {text!r}: expected {wanted}")
    return value


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
        flags += [LSTM_OPTIONS[key][0], str(value)]
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
