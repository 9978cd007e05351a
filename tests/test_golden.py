"""Golden archives: the SHA-256 of archives of fixed inputs, pinned to FORMAT_VERSION.

A change that keeps the model's output identical (a refactoring, a speed-up) keeps
these passing. A change that alters what the model predicts must bump
`container.FORMAT_VERSION` and record the new digests under the new version, in the
same commit: an archive of one version must decode the same way forever, and these
digests are what notices when it would not. `python tests/test_golden.py` prints the
digests of the checkout it runs in.
"""
import hashlib

import pytest

import paqlstm
from paqlstm.container import FORMAT_VERSION

LSTM_PREFIX = 24 << 10   # past the LSTM's warm-up (8 KB), where it joins the mixer and the blend

# name: (corpus file or None for the generated input, bytes used or None for all, options)
CASES = {
    "generated": (None, None, {}),
    "alice29": ("alice29.txt", None, {}),
    "dickens-100K": ("dickens", 100 << 10, {}),
    "xml-100K": ("xml", 100 << 10, {}),
    "dickens-300K-level3": ("dickens", 300 << 10, {"level": 3}),
    "alice29-fast": ("alice29.txt", None, {"profile": "fast"}),
    "xml-100K-fast-level4": ("xml", 100 << 10, {"profile": "fast", "level": 4}),
    "dickens-24K-lstm": ("dickens", LSTM_PREFIX, {"lstm": True}),
    "dickens-24K-lstm-blend": ("dickens", LSTM_PREFIX, {"lstm": True, "blend": 0.3}),
    "dickens-24K-lstm-learned": ("dickens", LSTM_PREFIX, {"lstm": True, "blend": "learn"}),
    "xml-24K-lstm-small": ("xml", LSTM_PREFIX, {"lstm": True, "lstm_cells": 8, "lstm_layers": 1,
                                                  "lstm_horizon": 12, "lstm_lr": 0.01, "lstm_clip": 2.0}),
    "dickens-24K-mixer": ("dickens", LSTM_PREFIX, {"lstm": "mixer"}),
    "dickens-24K-mixer-learned": ("dickens", LSTM_PREFIX, {"lstm": "mixer", "blend": "learn"}),
    "xml-24K-both-small": ("xml", LSTM_PREFIX, {"lstm": "both", "lstm_cells": 8, "lstm_layers": 1,
                                                "mixer_cells": 16, "mixer_horizon": 24, "mixer_lr": 0.003,
                                                "mixer_clip": 2.0, "blend": 0.5}),
}

GOLDEN = {
    3: {
        "generated": "5398182065bb44b24c2465bed2d0c417e88e1999e623c3f719643145ab8dc349",
        "alice29": "e02ccdc1255a4b379d78ff799db692c858784168cb054a74cd2847c0973a54e0",
        "dickens-100K": "15baeb49b380c4a59ed1d1a70241d9fa3442323d40139399a8babbbf060544cd",
        "xml-100K": "6e26b22276c0dc337c7599012c24a433067e74011864022d647816e8746f7783",
        "dickens-300K-level3": "1d9eb3802b4172dfd5d9a9f4729ad75d8fcedc9937a69c9e57047dc73dd19dd2",
        "alice29-fast": "fb968aadfa469c3ea9a854099cbd027c37df169f7500e87a942610d499e9a28a",
        "xml-100K-fast-level4": "fa1b02c90d42e9acb710daf110d176e1802a1001a8a975c66032af866bb7780c",
        "dickens-24K-lstm": "2754962ba5055733f73cf2f7c1472198c18c5a293f68b9c2c7f86481874832a8",
        "dickens-24K-lstm-blend": "ccf45a4b70da89e554134661c183f356d650123940b0497021c9b82798887d3a",
        "dickens-24K-lstm-learned": "1e1d420b63e523e08205868d146c1df18ec59e02698c93b37843682121e8666d",
        "xml-24K-lstm-small": "a08221d24fe04a79394e1423fb046a9594ad8a0c23455f0d1689b799b6d6b2f6",
        "dickens-24K-mixer": "ec309eb6cb0bee8c57f2f2d6ecf9b1d4c02bd54217a7680bbeeb51acf6cfc436",
        "dickens-24K-mixer-learned": "c48a83169c70d41abd012eed674c345690106911eb17c9480faf7c2cf44e44dc",
        "xml-24K-both-small": "8146969129b937c8527e0ffbe5c79ba12cc30e7349a6aefae78829c3272d1178",
    },
}


def generated_input():
    """64 KB of lines of pseudo-words and numbers with repeats, from a fixed LCG: no corpus needed,
    the same bytes on every Python."""
    state = 12345
    words = [b"the", b"model", b"context", b"mixer", b"bit", b"byte", b"<tag>", b"</tag>", b"\t", b"42"]
    out = bytearray()
    while len(out) < 64 << 10:
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        pick = state >> 59
        if pick < len(words):
            out += words[pick] + b" "
        elif pick < 24:
            out += bytes([32 + (state >> 40) % 95])
        elif pick < 28:
            out += b"\n"
        else:
            out += out[-((state >> 32) % 200 + 20):][:16]   # a repeat for the match model
    return bytes(out[:64 << 10])


def case_input(name, data_dir):
    source, length, _ = CASES[name]
    if source is None:
        return generated_input()
    return (data_dir / source).read_bytes()[:length]


def digest(name, data_dir):
    _, _, options = CASES[name]
    return hashlib.sha256(paqlstm.compress(case_input(name, data_dir), **options)).hexdigest()


def test_digests_pinned_for_this_format_version():
    assert FORMAT_VERSION in GOLDEN, (
        f"FORMAT_VERSION {FORMAT_VERSION} has no golden digests: record them (python tests/test_golden.py)")
    assert set(GOLDEN[FORMAT_VERSION]) == set(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_archive_matches_golden_digest(name, request):
    if CASES[name][0] is not None:
        data_dir = request.getfixturevalue("shared_data")
    else:
        data_dir = None
    assert digest(name, data_dir) == GOLDEN.get(FORMAT_VERSION, {}).get(name), (
        f"{name}: the archive changed. If the model is meant to predict differently, bump FORMAT_VERSION "
        "and record the new digests in the same commit.")


if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import shared_data_dir
    print(f"    {FORMAT_VERSION}: {{")
    for case in CASES:
        print(f'        "{case}": "{digest(case, shared_data_dir())}",')
    print("    },")
