"""The LSTM wired into the predictor: one code path, settings in the header, diagnostics."""
import json

import pytest
from click.testing import CliRunner

import paqlstm
from paqlstm.cli import cli
from paqlstm.container import frames, read_settings, settings_bytes
from paqlstm.engine import Decoder, Encoder
from paqlstm.errors import PaqlstmError
from paqlstm.settings import Settings

LEVEL = 2
SMALL_LSTM = dict(lstm=True, lstm_cells=8, lstm_horizon=10)


@pytest.fixture(scope="module")
def text(shared_data):
    return (shared_data / "alice29.txt").read_bytes()[:40_000]


def encode(settings, data):
    encoder = Encoder(settings)
    return encoder.encode_chunk(data), encoder.stats()


@pytest.mark.parametrize("blend", [0.0, 0.2, 1.0, "learn"])
def test_lstm_on_round_trips_with_every_kind_of_blend(text, blend):
    settings = Settings(level=LEVEL, blend=blend, **SMALL_LSTM)
    packed, _ = encode(settings, text)
    assert Decoder(read_settings(settings_bytes(settings))).decode_chunk(packed, len(text)) == text


def test_lstm_off_archive_is_the_classic_engines(text):
    off = paqlstm.compress(text, level=LEVEL)
    assert off == paqlstm.compress(text, level=LEVEL, lstm=False, lstm_cells=64, blend=1.0)
    assert set(frames(off)[0].settings) == {"level", "profile", "hash_bits", "history_bits"}   # no LSTM options
    on = paqlstm.compress(text, level=LEVEL, **SMALL_LSTM)
    assert on != off and paqlstm.decompress(on) == text


def test_lstm_settings_are_validated():
    for bad in (dict(lstm_cells=0), dict(lstm_cells=True), dict(lstm_lr=0.0), dict(lstm_lr=float("nan")),
                dict(lstm_clip=-1.0), dict(blend=1.5), dict(blend="sometimes"), dict(lstm="yes")):
        with pytest.raises(PaqlstmError):
            Settings(level=LEVEL, **{"lstm": True, **bad})


def test_diagnostics_show_a_learning_lstm(text):
    _, stats = encode(Settings(level=LEVEL, lstm=True), text * 2)
    lstm = stats["lstm"]
    assert stats["input_bytes"] == 2 * len(text)
    assert len(stats["bpb_final"]) == len(stats["bpb_classic"]) == len(lstm["bpb"]) == 2
    assert lstm["forward_steps"] >= 2 * len(text)
    assert lstm["backward_steps"] >= 2 * len(text) // Settings().lstm_horizon - 1
    assert 0.05 < lstm["pred_std"] and 0.1 < lstm["pred_mean"] < 0.9    # not stuck at 1/2
    assert lstm["weight_norm_end"] != lstm["weight_norm_start"]
    assert lstm["bpb"][1] < lstm["bpb"][0] < 8     # the second copy is cheaper: it learned
    total = sum(b * n for b, n in zip(stats["bpb_final"], (65536, 2 * len(text) - 65536)))
    assert total == pytest.approx(stats["bits_final"], rel=1e-5)    # windows hold 5 decimals


def test_diagnostics_without_lstm(text):
    packed, stats = encode(Settings(level=LEVEL), text)
    assert stats["lstm"] is None and stats["bpb_final"] == stats["bpb_classic"]
    assert stats["bits_final"] / 8 == pytest.approx(len(packed), rel=0.01)   # the coder is near ideal


def test_cli_lstm_options_and_stats_file(tmp_path, text, monkeypatch):
    source = tmp_path / "alice"
    source.write_bytes(text[:5000])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["compress", "-k", "-2", "--lstm", "--lstm-cells", "8", "--blend", "learn",
                                      "--stats", "s.json", "alice"])
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["settings"]["lstm_cells"] == 8 and stats["settings"]["blend"] == "learn"
    assert stats["archive_bytes"] == (tmp_path / "alice.pql").stat().st_size
    assert stats["lstm"]["forward_steps"] > 5000 and stats["lstm"]["seconds_estimated"] > 0
    (tmp_path / "alice").unlink()
    assert CliRunner().invoke(cli, ["decompress", "alice.pql"]).exit_code == 0   # no options needed
    assert (tmp_path / "alice").read_bytes() == text[:5000]


# ---------------------------------------------------------------- the LSTM mixer and both LSTMs

SMALL_MIXER = dict(lstm="mixer", mixer_cells=8, mixer_horizon=16)


@pytest.mark.parametrize("options", [
    dict(SMALL_MIXER), dict(SMALL_MIXER, blend="learn"), dict(SMALL_MIXER, blend=1.0), dict(SMALL_MIXER, blend=0.0),
    dict(SMALL_MIXER, lstm="both", lstm_cells=8, lstm_horizon=10),
], ids=["blend-0.2", "learned", "alone", "blend-0", "both"])
def test_mixer_round_trips_with_every_kind_of_blend(text, options):
    settings = Settings(level=LEVEL, **options)
    packed, _ = encode(settings, text)
    assert Decoder(read_settings(settings_bytes(settings))).decode_chunk(packed, len(text)) == text


def test_each_lstm_kind_is_its_own_archive_and_needs_no_flags_to_decode(text):
    archives = {kind: paqlstm.compress(text, level=LEVEL, lstm=kind, lstm_cells=8, mixer_cells=8)
                for kind in ("off", "model", "mixer", "both")}
    assert len(set(archives.values())) == 4
    assert archives["off"] == paqlstm.compress(text, level=LEVEL)
    assert archives["model"] == paqlstm.compress(text, level=LEVEL, lstm=True, lstm_cells=8, mixer_cells=64)
    for kind, archive in archives.items():
        assert paqlstm.decompress(archive) == text
        assert frames(archive)[0].settings.get("lstm", "off") == kind


def test_mixer_at_blend_0_codes_as_the_classic_chain_and_learns_beside_it(text):
    """Blend 0: the final P(1) is the classic chain's, whatever the mixer predicts."""
    off, off_stats = encode(Settings(level=LEVEL), text)
    quiet, stats = encode(Settings(level=LEVEL, blend=0.0, **SMALL_MIXER), text)
    assert quiet == off and stats["bpb_final"] == off_stats["bpb_final"]
    mixer = stats["lstm_mixer"]
    assert mixer["forward_steps"] == 8 * len(text) and mixer["backward_steps"] == 8 * len(text) // 16
    assert mixer["weight_norm_end"] != mixer["weight_norm_start"]


def test_diagnostics_show_a_learning_mixer(text):
    _, stats = encode(Settings(level=LEVEL, lstm="mixer"), text * 2)
    mixer = stats["lstm_mixer"]
    assert stats["lstm"] is None
    assert len(mixer["bpb"]) == 2 and mixer["memory_bytes"] > 0 and mixer["seconds_estimated"] > 0
    assert 0.2 < mixer["pred_std"] and 0.2 < mixer["pred_mean"] < 0.8    # predicts bits, not a constant
    assert mixer["bpb"][1] < mixer["bpb"][0] < 8
    assert mixer["bpb"][1] < 1.1 * stats["bpb_classic"][1]    # near the chain it mixes
    _, both = encode(Settings(level=LEVEL, lstm="both", lstm_cells=8), text)
    assert both["lstm"]["forward_steps"] > 0 and both["lstm_mixer"]["forward_steps"] == 8 * len(text)
