"""The LSTM mixer's kernel: exact gradients, learning, memory."""
import numpy as np

from paqlstm.mixers.lstm_mixer import (GRAD, PARAM, UPDATES, _backward, _transpose, lstm_mixer_memory,
                                       lstm_mixer_p, lstm_mixer_update, new_lstm_mixer)

WEIGHTS = ("wx", "wh", "bg", "wo", "bo")


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _reference_loss(w, xs, bits, cells):
    """-sum ln P(bit) over the window, in float64, from the equations (not the kernel)."""
    wx, wh, bg, wo, bo = w
    h, c, loss = np.zeros(cells), np.zeros(cells), 0.0
    for x, bit in zip(xs, bits):
        z = bg + x @ wx + h @ wh
        f, g, o = _sigmoid(z[:cells]), np.tanh(z[cells:2 * cells]), _sigmoid(z[2 * cells:])
        c = f * c + (1 - f) * g
        h = o * np.tanh(c)
        p = _sigmoid(wo @ h + bo[0])
        loss -= np.log(p if bit else 1 - p)
    return loss


def test_backward_matches_finite_differences():
    inputs, cells, horizon = 3, 3, 6
    m = new_lstm_mixer(inputs, cells, horizon, clip=1e9, seed=7)
    rng = np.random.default_rng(2)
    for name in WEIGHTS:   # larger weights than at init make every path matter
        a = getattr(m, name)
        a[PARAM] += rng.normal(0, 0.5, a[PARAM].shape).astype(np.float32)
    _transpose(m)
    xs = rng.normal(0, 1, (horizon, inputs)).astype(np.float32)
    bits = [1, 0, 1, 1, 0, 1]
    for t in range(horizon):
        m.x[:] = xs[t]
        lstm_mixer_p(m)
        if t < horizon - 1:
            lstm_mixer_update(m, bits[t])
    m.bits[horizon - 1] = bits[-1]
    _backward(m)
    w = [getattr(m, name)[PARAM].astype(np.float64) for name in WEIGHTS]
    eps = 1e-6
    for w_i, name in zip(w, WEIGHTS):
        grad = getattr(m, name)[GRAD]
        for i in np.ndindex(w_i.shape):
            saved = w_i[i]
            w_i[i] = saved + eps
            up = _reference_loss(w, xs.astype(np.float64), bits, cells)
            w_i[i] = saved - eps
            down = _reference_loss(w, xs.astype(np.float64), bits, cells)
            w_i[i] = saved
            numeric = (up - down) / (2 * eps)
            assert abs(grad[i] - numeric) < 1e-4 + 1e-3 * abs(numeric), (name, i, grad[i], numeric)


def test_learns_a_bit_its_inputs_predict():
    """The bit is the sign of input 0 two bits ago: only the recurrence can carry it."""
    m = new_lstm_mixer(4, cells=8, horizon=20, lr=1e-2)
    rng = np.random.default_rng(5)
    signs = rng.integers(0, 2, 6002)
    costs = []
    for t in range(2, 6002):
        m.x[:] = [2 * signs[t] - 1, rng.normal(), rng.normal(), 0.125]
        p = lstm_mixer_p(m) / 4096
        bit = signs[t - 2]
        assert 0 < p < 1
        costs.append(-np.log2(p if bit else 1 - p))
        lstm_mixer_update(m, bit)
    assert m.regs[UPDATES] == 6000 // 20
    assert np.mean(costs[:500]) > 0.9            # starts knowing nothing
    assert np.mean(costs[-1000:]) < 0.2          # ends knowing the bit


def test_memory_is_what_the_arrays_take():
    m = new_lstm_mixer(17, cells=48, horizon=40)
    assert lstm_mixer_memory(17, 48, 40) == sum(a.nbytes for a in m)
