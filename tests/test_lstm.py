"""LSTM byte model: gradients, learning, probability ranges, float32 maths, determinism."""
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from paqlstm.jit import njit
from paqlstm.models.byte_lstm import (GRAD, OUTPUTS, PARAM, POS, SPARSE_P, STEPS, UPDATES, UPDATES_AT, _backward,
                                      _forward, _hand_over, _transpose_wo, _transpose_wu, lstm_bit_p, lstm_expected_byte,
                                      lstm_memory, lstm_predict_bytes, lstm_weight_norm, new_lstm)
from paqlstm.primitives.float32 import exp32, sigmoid32, tanh32

TESTS = Path(__file__).resolve().parent


@njit
def _apply(kind, x, out):
    for i in range(x.size):
        if kind == 0:
            out[i] = exp32(x[i])
        elif kind == 1:
            out[i] = tanh32(x[i])
        else:
            out[i] = sigmoid32(x[i])


def _approx(kind, x):
    out = np.zeros_like(x)
    _apply(kind, x, out)
    return out.astype(np.float64)


def test_exp32_relative_error_below_2e_7_on_its_range():
    x = np.linspace(-80, 80, 400_001).astype(np.float32)
    exact = np.exp(x.astype(np.float64))
    assert np.max(np.abs(_approx(0, x) - exact) / exact) < 2e-7
    # Clamped outside: tiny but positive, large but finite (256 of them still fit a float32).
    far = _approx(0, np.array([-1000, 1000], dtype=np.float32))
    assert far[0] > 0 and 256 * far[1] < np.finfo(np.float32).max


def test_tanh32_and_sigmoid32_absolute_error_below_5e_7():
    x = np.linspace(-30, 30, 600_001).astype(np.float32)
    x64 = x.astype(np.float64)
    t = _approx(1, x)
    assert np.max(np.abs(t - np.tanh(x64))) < 5e-7
    assert np.all(np.abs(t) <= 1.0)
    s = _approx(2, x)
    assert np.max(np.abs(s - 1 / (1 + np.exp(-x64)))) < 5e-7
    assert np.all((s >= 0) & (s <= 1))


# ---------------------------------------------------------------- gradient check

def _reference_loss(w, xs, ys, cells, layers, output):
    """Nats spent on ys by the same network in float64 NumPy with exact exp/tanh."""
    wx, wu, bg, wo, bo = w
    h = np.zeros((layers, cells))
    c = np.zeros((layers, cells))
    loss = 0.0
    seen = []
    for x, y in zip(xs, ys):
        for l in range(layers):
            z = bg[l] + wx[l, x] + h[l] @ wu[l, :cells]
            if l > 0:
                z = z + h[l - 1] @ wu[l, cells:]
            f = 1 / (1 + np.exp(-z[:cells]))
            g = np.tanh(z[cells:2 * cells])
            o = 1 / (1 + np.exp(-z[2 * cells:]))
            c[l] = f * c[l] + (1 - f) * g
            h[l] = o * np.tanh(c[l])
        if output == "tree":    # the logistic units of the nodes on y's path
            node = 1
            for d in range(8):
                bit = (y >> (7 - d)) & 1
                p1 = 1 / (1 + np.exp(-(bo[node] + wo[node] @ h.reshape(-1))))
                loss -= np.log(p1 if bit else 1 - p1)
                node = 2 * node + bit
            continue
        # The softmax covers the bytes seen before (none at first): -ln p(y) is the log of their
        # exponentials' sum less y's logit, whether or not y is among them yet.
        logits = bo + wo @ h.reshape(-1)
        if seen:
            top = logits[seen].max()
            loss += top + np.log(np.sum(np.exp(logits[seen] - top)))
        loss -= logits[y]
        seen = sorted(set(seen) | {y})
    return loss


@pytest.mark.parametrize("layers, output", [(1, "softmax"), (2, "softmax"), (2, "tree")])
def test_backward_matches_finite_differences(layers, output):
    cells, horizon = 3, 6
    data = [101, 32, 116, 104, 101, 32]
    lstm = new_lstm(cells, horizon, 0.001, 1e9, seed=7, layers=layers, output=output)
    # Larger weights than at init make every path through the network matter.
    rng = np.random.default_rng(1)
    for a in (lstm.wx, lstm.wu, lstm.bg, lstm.wo, lstm.bo):
        a[PARAM] += rng.normal(0, 0.5, a[PARAM].shape).astype(np.float32)
    lstm.wu[PARAM, 0, cells:] = 0
    _transpose_wo(lstm)
    _forward(lstm, 0)  # the first prediction again, from the edited weights
    out = np.zeros(8 * horizon, dtype=np.int64)
    lstm_predict_bytes(lstm, np.array(data[:-1], dtype=np.uint8), out)   # the tree's nodes are computed per bit
    assert lstm.regs[POS] == horizon - 1 and lstm.regs[UPDATES] == 0
    c0 = 1
    for j in range(7, -1, -1):
        lstm_bit_p(lstm, c0)
        c0 = 2 * c0 + ((data[-1] >> j) & 1)
    lstm.live.seq[horizon - 1, 1] = data[-1]
    if output == "softmax":   # so the output layer's gradient is complete here
        assert lstm.live.probs[lstm.live.probs > 0].min() >= SPARSE_P
    _hand_over(lstm)
    _transpose_wu(lstm)
    _backward(lstm, lstm.live)

    xs, ys = [0] + data[:-1], data
    w = [a[PARAM].astype(np.float64) for a in (lstm.wx, lstm.wu, lstm.bg, lstm.wo, lstm.bo)]
    grads = [a[GRAD] for a in (lstm.wx, lstm.wu, lstm.bg, lstm.wo, lstm.bo)]
    picks = [[(l, x, k) for l in range(layers) for x in set(xs) for k in range(3 * cells)],
             [(l, j, k) for l in range(layers) for j in range(cells * (2 if l else 1)) for k in range(3 * cells)],
             [(l, k) for l in range(layers) for k in range(3 * cells)],
             [(k, q) for k in set(ys) | {0, 7, 200} for q in range(layers * cells)],
             [(k,) for k in set(ys) | {0, 7, 200}]]
    eps = 1e-5
    for w_i, g_i, idx in zip(w, grads, picks):
        for i in idx:
            saved = w_i[i]
            w_i[i] = saved + eps
            up = _reference_loss(w, xs, ys, cells, layers, output)
            w_i[i] = saved - eps
            down = _reference_loss(w, xs, ys, cells, layers, output)
            w_i[i] = saved
            numeric = (up - down) / (2 * eps)
            assert abs(g_i[i] - numeric) < 1e-4 + 1e-3 * abs(numeric), (i, g_i[i], numeric)


# ---------------------------------------------------------------- behaviour

def _costs(data, probs):
    bits = np.unpackbits(data)
    return -np.log2(np.where(bits == 1, probs, 4096 - probs) / 4096.0).reshape(-1, 8).sum(axis=1)


def test_loss_falls_on_a_repeated_phrase():
    phrase = b"the quick brown fox jumps over the lazy dog; "
    data = np.frombuffer(phrase * 150, dtype=np.uint8)
    lstm = new_lstm(32, 20, 0.01, 5.0, layers=1)
    probs = np.zeros(8 * data.size, dtype=np.int64)
    lstm_predict_bytes(lstm, data, probs)
    cost = _costs(data, probs)
    first, last = cost[:len(phrase)].mean(), cost[-10 * len(phrase):].mean()
    assert first > 6 and last < 0.5, (first, last)
    assert lstm.regs[UPDATES] == data.size // 20 and lstm.regs[STEPS] == data.size + 1


def test_probabilities_in_range_and_softmax_sums_to_one(shared_data):
    data = np.frombuffer((shared_data / "alice29.txt").read_bytes()[:3000], dtype=np.uint8)
    lstm = new_lstm(16, 10, 0.01, 5.0, layers=2)
    probs = np.zeros(8 * data.size, dtype=np.int64)
    lstm_predict_bytes(lstm, data, probs)
    assert probs.min() >= 1 and probs.max() <= 4095 and len(set(probs)) > 500
    assert np.allclose(lstm.live.probs.astype(np.float64).sum(axis=1), 1.0, atol=1e-5)
    seen = np.unique(data)
    assert np.all(lstm.live.probs[:, seen] > 0) and not lstm.live.probs[:, np.setdiff1d(np.arange(256), seen)].any()
    leaves = lstm.tree[256:].astype(np.float64)
    assert abs(lstm.tree[1] / leaves.sum() - 1) < 1e-5
    for c0 in range(1, 256):
        p = lstm_bit_p(lstm, c0)
        assert 1 <= p <= 4095
        best = lstm_expected_byte(lstm, c0)
        depth = c0.bit_length() - 1
        assert (best | 256) >> (8 - depth) == c0
    node = lstm_expected_byte(lstm, 1) | 256
    for _ in range(8):  # greedy descent: at every node the heavier half
        sibling = node ^ 1
        assert lstm.tree[node] >= lstm.tree[sibling]
        node >>= 1


def test_same_seed_same_predictions_other_seed_not():
    data = np.frombuffer(b"abracadabra, said the rabbit. " * 20, dtype=np.uint8)

    def run(seed):
        lstm = new_lstm(8, 7, 0.005, 5.0, seed=seed, layers=2)
        probs = np.zeros(8 * data.size, dtype=np.int64)
        lstm_predict_bytes(lstm, data, probs)
        return probs, lstm

    a, la = run(3)
    b, lb = run(3)
    c, _ = run(4)
    assert np.array_equal(a, b) and np.array_equal(la.wo, lb.wo)
    assert not np.array_equal(a, c)
    assert lstm_weight_norm(la) != lstm_weight_norm(new_lstm(8, 7, 0.005, 5.0, seed=3, layers=2))


def _nbytes(arrays):
    return sum(_nbytes(a) if isinstance(a, tuple) else a.nbytes for a in arrays)


@pytest.mark.parametrize("update", UPDATES_AT)
def test_memory_is_the_size_of_the_arrays(update):
    for cells, horizon, layers in ((32, 20, 1), (48, 100, 2)):
        lstm = new_lstm(cells, horizon, 0.001, 5.0, layers=layers, update=update)
        assert lstm_memory(cells, horizon, layers, update) == _nbytes(lstm)


@pytest.mark.parametrize("output", OUTPUTS)
def test_delayed_updates_learn_as_well_one_window_later(output):
    """Delayed updates change nothing in the first window, then differ, and learn too."""
    data = np.frombuffer(b"the quick brown fox jumps over the lazy dog; " * 40, dtype=np.uint8)
    runs = {}
    for update in UPDATES_AT:
        lstm = new_lstm(16, 10, 0.01, 5.0, layers=2, output=output, update=update)
        probs = np.zeros(8 * data.size, dtype=np.int64)
        lstm_predict_bytes(lstm, data, probs)
        runs[update] = probs, lstm
    (now, now_lstm), (delayed, delayed_lstm) = runs["now"], runs["delayed"]
    assert np.array_equal(now[:8 * 10], delayed[:8 * 10]) and not np.array_equal(now, delayed)
    assert now_lstm.regs[UPDATES] == data.size // 10 and delayed_lstm.regs[UPDATES] == data.size // 10 - 1
    first, last = _costs(data[:45], delayed[:8 * 45]).mean(), _costs(data[-450:], delayed[-8 * 450:]).mean()
    assert first > 6 and last < 2, (first, last)


# ---------------------------------------------------------------- determinism across CPUs

def lstm_hash(path):
    """SHA-256 of every probability and the final weights for 4 KB of `path` (two layers), with the
    softmax updated now and with the bit tree updated late."""
    data = np.frombuffer(Path(path).read_bytes()[:4000], dtype=np.uint8)
    digest = hashlib.sha256()
    for output, update in zip(OUTPUTS, UPDATES_AT):
        lstm = new_lstm(16, 10, 0.004, 5.0, seed=1, layers=2, output=output, update=update)
        probs = np.zeros(8 * data.size, dtype=np.int64)
        lstm_predict_bytes(lstm, data, probs)
        digest.update(probs.tobytes())
        for a in (lstm.wx, lstm.wu, lstm.bg, lstm.wo, lstm.bo):
            digest.update(a.tobytes())
    return digest.hexdigest()


GENERIC_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from test_lstm import lstm_hash
print(lstm_hash(sys.argv[2]))
"""


def test_same_predictions_on_a_generic_cpu(shared_data, generic_env):
    path = shared_data / "alice29.txt"
    result = subprocess.run([sys.executable, "-c", GENERIC_SCRIPT, str(TESTS), str(path)], env=generic_env,
                            check=True, timeout=600, capture_output=True, text=True)
    assert result.stdout.strip() == lstm_hash(path)
