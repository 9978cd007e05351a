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
    "dickens-24K-lstm-tree-delayed": ("dickens", LSTM_PREFIX, {"lstm": True, "lstm_output": "tree",
                                                             "lstm_update": "delayed"}),
    "dickens-24K-mixer": ("dickens", LSTM_PREFIX, {"lstm": "mixer"}),
    "dickens-24K-mixer-learned": ("dickens", LSTM_PREFIX, {"lstm": "mixer", "blend": "learn"}),
    "xml-24K-both-small": ("xml", LSTM_PREFIX, {"lstm": "both", "lstm_cells": 8, "lstm_layers": 1,
                                                "mixer_cells": 16, "mixer_horizon": 24, "mixer_lr": 0.003,
                                                "mixer_clip": 2.0, "blend": 0.5}),
}

GOLDEN = {
    6: {
        "generated": "2b3457003f5066fcab3505a10558782df2491dae05674f0f8d12324b9ae476ea",
        "alice29": "214a083e9dea0d7a60e17298c061f950e7daa40d2789dcc8532854c26772d1f9",
        "dickens-100K": "70de914db4acb2bb10b2b5c6f79b0b9e608cc8683f23c16ff1b4e199df0dd5cd",
        "xml-100K": "be19cea2c82ca6b41013c6a030b61627dffab92ce6fa633a2f34c5965a43b646",
        "dickens-300K-level3": "61a4801898bf74307e81363dbcef1da8cedec46cff3916ca7663bf6c4df85bfe",
        "alice29-fast": "be547f924824310c0f44be6f58c441f4a74add80cb9e1ae5e5eb5db27e46469f",
        "xml-100K-fast-level4": "dc649adbc386070d4b43020db62482d8bca2a9b1dbf08574c75ee6592e29a79b",
        "dickens-24K-lstm": "649f076d3733b371ebd0bcb609bfbc0a0eb5855b7713b6ffe471e52cab4f910c",
        "dickens-24K-lstm-blend": "de95df6e507fe1d9cdf3d4ed9ff6db2143bc2947803b76c34698ccd99d3b2fb3",
        "dickens-24K-lstm-learned": "6cab7d50e903dc7d20a1e1ca63d131b30d64acde7da1556b9e3950279fd1ffac",
        "xml-24K-lstm-small": "7331748cc5a0e93a214ee7c3c347715f71edad45a5e545e6d52f2308515158bf",
        "dickens-24K-lstm-tree-delayed": "e013b4eb3da103bf68a350e62a3cd92328f4da8fcd8d43e586b0e219913cda6d",
        "dickens-24K-mixer": "ba3e8dfd6a5b664dbea3809d24750ccd3e3f9384023ad4fb01028812d1a2ffea",
        "dickens-24K-mixer-learned": "bf7f2f93f0a80ed8f00a0eab96fdf0c7ac790742209af86165c5c5aa353b884c",
        "xml-24K-both-small": "deeb16d9096f985613d219e9504f42de39880f347184152a3e0d969233eb4e9b",
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
