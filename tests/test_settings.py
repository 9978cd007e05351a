"""The settings schema: each option's CLI flag, ladder key and API keyword agree with it,
its range holds in all of them, and the archive header stores what it says."""
import struct

import click
import pytest

import paqlstm
from paqlstm.cli import _bare_lstm, cli
from paqlstm.container import frames, read_settings, settings_bytes, varint
from paqlstm.errors import PaqlstmError
from paqlstm.ladder import command, plan
from paqlstm.settings import (LEARNED_BLEND, LEVEL_TABLE_BITS, LSTM_OPTIONS, MIXER_BLEND, MODEL_BLEND, OPTIONS, SCHEMA,
                              STRONG_LEVEL_TABLE_BITS, WITH_MIXER, WITH_MODEL, Settings)

COMPRESS = cli.commands["compress"]
NUMERIC = [option for option in SCHEMA if option.command_line and option.kind in (int, float)]


def edges(option):
    """(accepted, refused) values at the ends of a numeric option's range."""
    low, high = option.low, option.high
    if option.kind is int:
        return [low, high], [low - 1, high + 1]
    inside_low = low + 1e-6 if option.above_low else low
    return [inside_low, high], [low - 1e-6 if not option.above_low else low, high * 1.001]


def parsed(cmd, args):
    """What click makes of args for cmd, without running it; BadParameter if it refuses them."""
    return cmd.make_context(cmd.name, list(args), resilient_parsing=False).params


def test_every_command_line_option_is_a_compress_option_with_the_schema_default():
    params = {param.name: param for param in COMPRESS.params if not getattr(param, "hidden", False)}
    for option in SCHEMA:
        assert (option.name in params) == option.command_line, option.name
        if option.command_line:
            assert option.flag in params[option.name].opts
            assert params[option.name].default == option.default
    assert parsed(COMPRESS, ["--no-lstm"])["lstm"] == "off"
    for kind in ("off", "mixer", "model", "both"):
        assert parsed(COMPRESS, ["--lstm", kind])["lstm"] == kind
    with pytest.raises(click.BadParameter):
        parsed(COMPRESS, ["--lstm=mixr"])
    assert parsed(COMPRESS, [])["level"] == OPTIONS["level"].default
    assert parsed(COMPRESS, ["-3"])["level"] == 3


def test_a_bare_lstm_flag_still_means_the_byte_model():
    assert _bare_lstm(["compress", "--lstm", "book.txt"]) == ["compress", "--lstm=model", "book.txt"]
    assert _bare_lstm(["compress", "book.txt", "--lstm"]) == ["compress", "book.txt", "--lstm=model"]
    assert _bare_lstm(["compress", "--lstm", "mixer", "b"]) == ["compress", "--lstm", "mixer", "b"]
    assert _bare_lstm(["compress", "--", "--lstm"]) == ["compress", "--", "--lstm"]
    assert Settings(lstm=True).lstm == "model" and Settings(lstm=False).lstm == "off"
    with pytest.raises(PaqlstmError, match="invalid lstm 1: expected one of 'off', 'mixer', 'model', 'both'"):
        Settings(lstm=1)


def test_ladder_keys_are_the_lstm_options_with_their_compress_flags():
    assert list(LSTM_OPTIONS) == ["lstm_cells", "lstm_layers", "lstm_horizon", "lstm_lr", "lstm_clip", "mixer_cells",
                                  "mixer_horizon", "mixer_lr", "mixer_clip", "blend", "lstm_output", "lstm_update"]
    ladder_flags = {opt for param in command.ladder.params for opt in param.opts}
    compress_flags = {opt for param in COMPRESS.params for opt in param.opts}
    for name, option in LSTM_OPTIONS.items():
        assert option.flag in ladder_flags and option.flag in compress_flags
        assert plan.is_sweep_word(f"{name}=1")
        assert plan.option_flags({name: "1"}) == (option.flag, "1")
    assert plan.Variant("mixer", {"blend": "0.5"}, "mixer").flags() == ("--lstm", "mixer", "--blend", "0.5")
    assert "--lstm" in compress_flags


@pytest.mark.parametrize("option", NUMERIC, ids=lambda option: option.name)
def test_ranges_hold_in_settings_compress_ladder_and_sweep(option):
    accepted, refused = edges(option)
    for value in accepted:
        text = str(value)
        assert Settings(**{option.name: value}) == Settings(**{option.name: option.parse(text)})
        assert parsed(COMPRESS, [option.flag, text])[option.name] == option.parse(text)
        if option.name in LSTM_OPTIONS:
            assert parsed(command.ladder, [option.flag, text])[option.name] == option.parse(text)
            assert plan.parse_sweep([f"{option.name}={text}"]) == {option.name: [text]}
    for value in refused + ["nan", "x"]:
        text = str(value)
        if not isinstance(value, str):
            with pytest.raises(PaqlstmError, match=f"invalid {option.name} "):
                Settings(**{option.name: value})
        with pytest.raises(click.BadParameter):
            parsed(COMPRESS, [option.flag, text])
        if option.name in LSTM_OPTIONS:
            with pytest.raises(click.BadParameter):
                parsed(command.ladder, [option.flag, text])
            with pytest.raises(ValueError, match=f"invalid {option.name} value"):
                plan.parse_sweep([f"{option.name}={text}"])


def test_the_blend_takes_learn_everywhere():
    assert Settings(blend=LEARNED_BLEND).blend == LEARNED_BLEND
    assert parsed(COMPRESS, ["--blend", "learn"])["blend"] == LEARNED_BLEND
    assert parsed(command.ladder, ["--blend", "learn"])["blend"] == LEARNED_BLEND
    assert plan.parse_sweep(["blend=learn,0.5"]) == {"blend": ["learn", "0.5"]}
    with pytest.raises(PaqlstmError, match="expected 0-1 or 'learn'"):
        Settings(blend="learned")


def test_table_sizes_are_bounded_by_the_level():
    for level, (hash_bits, history_bits) in LEVEL_TABLE_BITS.items():
        fast = Settings(level=level, profile="fast")
        assert (fast.hash_bits, fast.history_bits) == (hash_bits, history_bits)
        strong = Settings(level=level)
        assert (strong.hash_bits, strong.history_bits) == STRONG_LEVEL_TABLE_BITS[level]
        assert strong.hash_bits == hash_bits + (level == 9)   # twice the buckets at level 9 only
    with pytest.raises(PaqlstmError, match="invalid hash_bits 22: expected 16-21 at level 1"):
        Settings(level=1, hash_bits=22)
    with pytest.raises(PaqlstmError, match="invalid history_bits 15"):
        Settings(level=1, history_bits=15)


def test_defaults_are_the_schemas():
    default = Settings()
    for option in SCHEMA:
        if option.name != "blend":
            expected = option.default if option.default is not None else option.high(default.level, default.profile)
            assert getattr(default, option.name) == expected
    assert paqlstm.Compressor().settings == default
    # The blend's default depends on the LSTM: the mixer's is the plan's, the byte model's only feeds the mixer.
    assert [Settings(lstm=kind).blend for kind in ("mixer", "both", "model")] == [MIXER_BLEND, MIXER_BLEND, MODEL_BLEND]


def test_api_keywords_are_the_schemas():
    for name, option in OPTIONS.items():
        value = option.default if option.default is not None else (option.high(1, "strong") if callable(option.high) else 0.5)
        assert getattr(paqlstm.Compressor(**{"level": 1, name: value}).settings, name) == value
    with pytest.raises(TypeError, match="unknown option 'lstm_cell'"):
        paqlstm.Compressor(lstm_cell=8)
    with pytest.raises(PaqlstmError):
        paqlstm.Compressor(lstm_cells=0)


@pytest.mark.parametrize("options", [
    {}, {"level": 3, "hash_bits": 17}, {"profile": "fast"}, {"lstm": True}, {"lstm": "model", "blend": 0.5},
    {"lstm": True, "lstm_cells": 8, "lstm_lr": 0.5, "blend": LEARNED_BLEND},
    {"lstm": "mixer"}, {"lstm": "mixer", "mixer_cells": 8, "blend": LEARNED_BLEND}, {"lstm": "both"},
])
def test_header_round_trip(options):
    settings = Settings(**options)
    stored = settings.to_dict()
    classic = {"level", "profile", "hash_bits", "history_bits"}
    model = {name for name in OPTIONS if name.startswith("lstm")} | {"blend"}
    mixer = {name for name in OPTIONS if name.startswith("mixer")} | {"lstm", "blend"}
    expected = classic | (model if settings.lstm in WITH_MODEL else set()) | (mixer if settings.lstm in WITH_MIXER
                                                                              else set())
    assert set(stored) == expected
    assert read_settings(settings_bytes(settings)) == settings
    compressor = paqlstm.Compressor(**options)
    archive = compressor.compress(b"") + compressor.flush()
    assert frames(archive)[0].settings == stored
    assert paqlstm.Decompressor().decompress(archive) == b""


def test_header_options_must_match_what_the_lstm_switch_says():
    """An option of an LSTM kind not in use, or one stored at its default, is refused: one archive per model."""
    position = {option.name: varint(i) for i, option in enumerate(SCHEMA)}
    mixer = position["lstm"] + b"\x01"
    for bad in (position["lstm_cells"] + b"\x08",                 # the byte model's option, LSTM off
                mixer + position["lstm_cells"] + b"\x08",         # ... with the mixer
                position["lstm"] + b"\x02" + position["mixer_cells"] + b"\x08",
                position["lstm"] + b"\x00",                       # off, stored
                mixer + position["mixer_cells"] + varint(Settings().mixer_cells),
                mixer + position["blend"] + b"\x00" + struct.pack("<d", Settings(lstm="mixer").blend)):
        with pytest.raises(PaqlstmError, match="unsupported settings"):
            read_settings(bad)
