"""What a ladder runs: rung sizes, the arms, the sweep grid, and the compress options of each arm.

An arm is an LSTM kind (settings.LSTM_KINDS: 'mixer', 'model', 'both') with options of
its own (--arm mixer:mixer_lr=0.01); a sweep multiplies each arm by every combination
of the swept values that apply to its kind; options given once (--mixer-lr) apply to
every arm whose kind takes them.
Pure functions over strings and numbers; nothing here starts a process.
"""
import itertools
import re
from dataclasses import dataclass, field

from ..settings import LSTM_MIXER, LSTM_MODEL, LSTM_OPTIONS, WITH_LSTM

DEFAULT_RUNGS = "1K,100K,10M"
SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
BASELINE = "baseline"
DEFAULT_ARMS = (LSTM_MIXER, LSTM_MODEL)


@dataclass(frozen=True)
class Rung:
    """One rung: `label` as the user wrote it, `requested` bytes, the `length` actually used."""
    label: str
    requested: int
    length: int
    note: str = ""


@dataclass(frozen=True)
class Variant:
    """An LSTM-on configuration: its LSTM `kind`, and `params` mapping LSTM options to values."""
    name: str
    params: dict = field(default_factory=dict)
    kind: str = LSTM_MODEL

    def flags(self):
        """The compress options that select this variant: --lstm KIND plus its parameters."""
        return ("--lstm", self.kind) + option_flags(self.params)


def applies(key, kind):
    """True when LSTM option `key` is one that LSTM kind `kind` takes."""
    return kind in LSTM_OPTIONS[key].stored_for


def parse_arm(text):
    """(kind, {key: value}) from 'mixer' or 'mixer:mixer_lr=0.01:blend=learn'; ValueError if invalid."""
    kind, *pairs = [part.strip() for part in text.split(":")]
    if kind not in WITH_LSTM:
        raise ValueError(f"invalid arm {text!r}: expected KIND[:KEY=VALUE...] with KIND one of {', '.join(WITH_LSTM)}")
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"invalid arm {text!r}: expected KEY=VALUE after ':', got {pair!r}")
        check_value(key, value)
        if not applies(key, kind):
            raise ValueError(f"invalid arm {text!r}: the {kind} arm does not take {key}")
        params[key] = value
    return kind, params


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


def default_arms(sweep):
    """The arms when none are given: mixer and model, less those no swept key applies to."""
    return [(kind, {}) for kind in DEFAULT_ARMS if not sweep or any(applies(key, kind) for key in sweep)]


def variants(arms, fixed, sweep):
    """The LSTM-on variants: each arm (kind, params) under every combination of the swept
    values that apply to its kind, over the fixed options that apply to it.

    A variant's name is its kind, then its arm's own and its swept values; its params
    hold the fixed options too. Repeats (same name) run once.
    """
    found = {}
    for kind, own in arms:
        keys = [key for key in sweep if applies(key, kind) and key not in own]
        for values in itertools.product(*(sweep[key] for key in keys)):
            named = {**own, **dict(zip(keys, values))}
            name = " ".join([kind] + [f"{k}={v}" for k, v in named.items()])
            base = {k: v for k, v in fixed.items() if applies(k, kind)}
            found.setdefault(name, Variant(name, {**base, **named}, kind))
    return list(found.values())
