"""Kernel-level properties: tables built portably, coder exact, state machine sane."""
import math
import os

import numpy as np
import pytest

from paqlstm.primitives.coder import decode_bit, decode_init, encode_bit, encode_flush, new_coder_state
from paqlstm.primitives.squash import SQUASH_ANCHORS, SQUASH_TABLE, STRETCH_TABLE
from paqlstm.primitives.states import DIRECT_STATES, STATES, STRONG_STATES
from paqlstm.jit import njit


def test_squash_anchors_are_the_rounded_logistic():
    expected = [round(4096 / (1 + math.exp(-(i - 16) / 2))) for i in range(33)]
    assert list(SQUASH_ANCHORS) == expected


def test_squash_is_monotone_and_stretch_inverts_it():
    assert np.all(np.diff(SQUASH_TABLE) >= 0)
    assert SQUASH_TABLE.min() >= 1 and SQUASH_TABLE.max() <= 4095
    assert np.all(np.diff(STRETCH_TABLE) >= 0)
    assert np.array_equal(STRETCH_TABLE[1:2048], -STRETCH_TABLE[4095:2048:-1])
    for p in (1, 100, 1000, 2048, 3000, 4000, 4095):
        assert abs(SQUASH_TABLE[STRETCH_TABLE[p] + 2048] - p) <= max(3, p // 40, (4096 - p) // 40)


@pytest.mark.parametrize("states", [STATES, STRONG_STATES, DIRECT_STATES])
def test_state_table_counts_follow_the_bits(states):
    next_state, counts, num_states = states.next_state, states.counts, states.size
    assert 200 <= num_states <= 256
    # From "never seen", a run of ones only ever grows n1 (up to its bound) and keeps n0 at 0.
    s = 0
    for _ in range(60):
        s = next_state[s, 1]
        assert counts[s, 0] == 0
    assert counts[s, 1] > 30
    # A zero after a long run of ones is remembered, and the ones are discounted.
    t = next_state[s, 0]
    assert counts[t, 0] == 1 and counts[t, 1] < counts[s, 1]
    assert np.all(next_state[num_states:] == 0)
    assert np.all(next_state[:num_states] < num_states)


@njit
def _code_bits(bits, probs, out):
    state = np.zeros(4, dtype=np.int64)
    state[1] = 0xFFFFFFFF
    for i in range(bits.size):
        encode_bit(state, out, bits[i], probs[i])
    encode_flush(state, out)
    return state[3]


@njit
def _decode_bits(payload, probs, n):
    state = np.zeros(4, dtype=np.int64)
    decode_init(state, payload)
    bits = np.zeros(n, dtype=np.int64)
    for i in range(n):
        bits[i] = decode_bit(state, payload, probs[i])
    return bits, state[3]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coder_round_trips_any_bits_and_probabilities(seed):
    rng = np.random.default_rng(seed)
    n = 20000
    bits = rng.integers(0, 2, n)
    probs = rng.integers(1, 65536, n)
    out = np.zeros(n, dtype=np.uint8)
    written = _code_bits(bits, probs, out)
    decoded, consumed = _decode_bits(out[:written], probs, n)
    assert np.array_equal(decoded, bits)
    assert consumed == written


def test_coder_approaches_the_entropy():
    rng = np.random.default_rng(5)
    n = 50000
    bits = (rng.random(n) < 0.9).astype(np.int64)
    probs = np.full(n, int(0.9 * 65536))
    out = np.zeros(n, dtype=np.uint8)
    written = _code_bits(bits, probs, out)
    entropy_bytes = n * -(0.9 * math.log2(0.9) + 0.1 * math.log2(0.1)) / 8
    assert written < entropy_bytes * 1.01 + 8


def test_new_coder_state_is_full_range():
    state = new_coder_state()
    assert state[0] == 0 and state[1] == 0xFFFFFFFF


def test_compiled_code_cache_is_keyed_by_every_compiled_source(tmp_path):
    """Numba alone would reuse a caller compiled with an older version of an inlined kernel."""
    import shutil
    import subprocess
    import sys

    from paqlstm import jit

    package = tmp_path / "paqlstm"
    shutil.copytree(os.path.dirname(jit.__file__), package, ignore=shutil.ignore_patterns("__pycache__"))
    before = jit._sources_hash(str(package))
    (package / "models" / "match.py").write_text((package / "models" / "match.py").read_text() + "\n# edit\n")
    edited = jit._sources_hash(str(package))
    assert edited != before
    (package / "cli.py").write_text("# no compiled code here\n")
    assert jit._sources_hash(str(package)) == edited

    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "chosen"))
    out = subprocess.run([sys.executable, "-c", "import paqlstm.jit; print(paqlstm.jit.CACHE_DIR)"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(tmp_path / "chosen" / f"v{jit._sources_hash(os.path.dirname(jit.__file__))}")


def test_importing_paqlstm_leaves_numbas_configuration_alone(tmp_path):
    """paqlstm's kernels cache in its own directory; the caller's functions where Numba puts them."""
    import subprocess
    import sys
    script = """
import os, numba, paqlstm, paqlstm.jit
from paqlstm.primitives.squash import squash
assert numba.config.CACHE_DIR == os.environ.get("NUMBA_CACHE_DIR", ""), numba.config.CACHE_DIR
squash(0)
@numba.njit(cache=True)
def callers_own():
    return 1
callers_own()
print(paqlstm.jit.CACHE_DIR)
"""
    (tmp_path / "caller.py").write_text(script)
    cache = subprocess.run([sys.executable, str(tmp_path / "caller.py")], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    ours = [name for _, _, names in os.walk(cache) for name in names]
    assert any(name.startswith("squash.squash") for name in ours)
    assert not any("callers_own" in name for name in ours)


def test_mixer_arithmetic_fits_int32():
    """mixer_train multiplies input by error and mixer_dot sums inputs times shifted
    weights, both in int32: the largest values must stay below 2^31 (a faster learning
    rate, more inputs or a wider weight range would silently wrap). The network's
    weights are limited by its input count (weight_limit), in either profile."""
    from paqlstm.primitives.mixing import DOT_SHIFT, WEIGHT_LIMIT, weight_limit
    from paqlstm.primitives.squash import STRETCH_TABLE
    from paqlstm.mixers.blend import BLEND_LR
    from paqlstm.mixers.network import FINAL_LR, LR_DECAY, MIXER_LR
    from paqlstm.models.byte_lstm import LINEAR_SHIFT
    from paqlstm.predictor import max_inputs
    from paqlstm.settings import Settings
    largest_input = max(int(np.abs(STRETCH_TABLE).max()), 2048 >> LINEAR_SHIFT, 256)
    largest_error = 4095 * max(MIXER_LR + LR_DECAY, FINAL_LR, BLEND_LR)
    assert largest_input * largest_error < 2 ** 31
    for profile in ("strong", "fast"):
        n_inputs = max_inputs(Settings(profile=profile))
        assert largest_input * ((weight_limit(n_inputs) >> DOT_SHIFT) + 1) * n_inputs < 2 ** 31
    assert weight_limit(64) == WEIGHT_LIMIT    # the fast profile's weights are today's
    for n in (65, 160, 256, 1000):
        assert largest_input * ((weight_limit(n) >> DOT_SHIFT) + 1) * n < 2 ** 31


def test_mixer_int32_matches_int64_arithmetic():
    from paqlstm.primitives.mixing import DOT_SHIFT, WEIGHT_LIMIT, mixer_dot, mixer_train

    @njit
    def step(x, weights, err):
        mixer_train(x, weights, 0, x.size, err)
        return mixer_dot(x, weights, 0, x.size)

    rng = np.random.default_rng(3)
    x = rng.integers(-2047, 2048, 32).astype(np.int32)
    weights = rng.integers(-WEIGHT_LIMIT, WEIGHT_LIMIT + 1, (1, 32)).astype(np.int32)
    err = -4095 * 51
    expected = np.clip(weights[0].astype(np.int64) + ((x.astype(np.int64) * err) >> 14), -WEIGHT_LIMIT, WEIGHT_LIMIT)
    dot = int(np.clip((x.astype(np.int64) * (expected >> DOT_SHIFT)).sum() >> (16 - DOT_SHIFT), -2047, 2047))
    assert step(x, weights, err) == dot
    assert (weights[0] == expected).all()


def test_mixer_many_inputs_match_int64_arithmetic():
    """At the worst case of 256 inputs (every input and weight at its limit, all one
    sign: an int32 sum at today's WEIGHT_LIMIT would wrap) the dot product is still
    the exact sum, clipped, and training keeps the weights at the limit."""
    from paqlstm.primitives.mixing import mixer_dot, mixer_train, weight_limit

    @njit
    def step(x, weights, err, limit):
        mixer_train(x, weights, 0, x.size, err, limit)
        return mixer_dot(x, weights, 0, x.size)

    n = 256
    limit = weight_limit(n)
    for sign in (1, -1):
        x = np.full(n, 2047, dtype=np.int32)
        weights = np.full((1, n), sign * limit, dtype=np.int32)
        assert step(x, weights, sign * 4095 * 51, limit) == sign * 2047
        assert (weights[0] == sign * limit).all()
